import { expect } from "chai";
import { describe, it } from "node:test";
import { loadCsv, splitCsvLine, type CsvMapping } from "../../lib/data/csv.ts";

const header = "time,machine,temp,vibration,rul";
const rows = (count: number) => Array.from({ length: count }, (_, i) => `${i % 50},m${i % 8},${20 + (i % 7)},${(i % 11) / 10},${100 - (i % 50)}`);
const mapping: CsvMapping = { separator: ",", timestampColumn: "time", sensorColumns: ["temp", "vibration"], labelColumn: "rul", unitColumn: "machine", kind: "regression" };

describe("generic CSV loader", () => {
  it("maps columns to features and labels, keeping whole units per device", () => {
    const { data, badRows } = loadCsv([header, ...rows(400)].join("\n"), mapping, { devices: 3, seed: 1 });
    expect(badRows.count).to.equal(0);
    expect(data.featureNames).to.deep.equal(["temp", "vibration"]);
    expect(data.taskName).to.equal("csv-rul");
    expect(data.devices).to.have.length(3);
    // 8 machines: 1 validation, 1 test, 6 over 3 devices → 2 machines × 50 rows each.
    expect(data.devices.map((d) => d.rows)).to.deep.equal([100, 100, 100]);
    expect(data.validation.rows + data.test.rows).to.equal(100);
  });

  it("gives clear errors for a bad mapping and missing columns", () => {
    expect(() => loadCsv(header, { ...mapping, sensorColumns: [] }, { devices: 1, seed: 1 })).to.throw(/sensorColumns needs at least one column/);
    expect(() => loadCsv(header, { ...mapping, sensorColumns: ["rul"] }, { devices: 1, seed: 1 })).to.throw(/leak/);
    expect(() => loadCsv(header, { ...mapping, separator: ";;" }, { devices: 1, seed: 1 })).to.throw(/single character/);
    expect(() => loadCsv([header, ...rows(10)].join("\n"), { ...mapping, sensorColumns: ["temp", "pressure", "flow"] }, { devices: 1, seed: 1 })).to.throw(/missing column\(s\) "pressure", "flow"/);
  });

  it("counts and reports malformed rows instead of dropping them silently", () => {
    const lines = [header, ...rows(200)];
    lines[5] = "4,m4,abc,0.1,96"; // non-numeric sensor (file line 6)
    lines[9] = "8,m0,20"; // too few fields (file line 10)
    lines[20] = "19,m3,21,0.2,"; // empty label (file line 21)
    const { badRows, data } = loadCsv(lines.join("\n"), mapping, { devices: 2, seed: 1 });
    expect(badRows.count).to.equal(3);
    expect(badRows.totalRows).to.equal(200);
    expect(badRows.examples.map((b) => b.line)).to.deep.equal([6, 10, 21]);
    expect(badRows.examples[0]!.reason).to.match(/"temp" is not a number: "abc"/);
    expect(data.devices.reduce((s, d) => s + d.rows, 0) + data.validation.rows + data.test.rows).to.equal(197);
  });

  it("fails when too many rows are malformed, naming the first ones", () => {
    const lines = [header, ...rows(20).map((r, i) => (i < 5 ? r.split(",").map((f, j) => (j === 3 ? "n/a" : f)).join(",") : r))];
    expect(() => loadCsv(lines.join("\n"), mapping, { devices: 1, seed: 1 })).to.throw(/5 of 20 rows are malformed.*line 2/);
  });

  it("checks classification labels are 0/1 and splits quoted fields", () => {
    const text = ["a;b;y", "1;2;0", "3;4;1", "5;6;yes", ...Array.from({ length: 97 }, (_, i) => `${i};${i * 2};${i % 2}`)].join("\n");
    const { badRows } = loadCsv(text, { separator: ";", sensorColumns: ["a", "b"], labelColumn: "y", kind: "classification" }, { devices: 2, seed: 1 });
    expect(badRows.examples[0]).to.deep.equal({ line: 4, reason: 'label "yes" is not 0 or 1' });
    expect(splitCsvLine('1,"a, b","say ""hi"""', ",")).to.deep.equal(["1", "a, b", 'say "hi"']);
  });
});
