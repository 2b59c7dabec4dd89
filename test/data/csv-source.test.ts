import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadFederatedData, readCsvSource } from "../../lib/fl/data-source.ts";

const header = "time;machine;temp;vibration;rul";
const rows = (count: number) => Array.from({ length: count }, (_, i) => `${i % 50};m${i % 8};${20 + (i % 7)};${(i % 11) / 10};${100 - (i % 50)}`);
const columns = { separator: ";", timestampColumn: "time", sensorColumns: ["temp", "vibration"], labelColumn: "rul", unitColumn: "machine", kind: "regression" };

function sourceDir(csv: string, source: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "twinledger-csv-source-"));
  writeFileSync(join(dir, "machines.csv"), csv);
  writeFileSync(join(dir, "source.json"), JSON.stringify(source));
  return join(dir, "source.json");
}

describe("CSV data source (--dataset csv --csv-source FILE)", () => {
  it("loads the CSV the source names, relative to the source file, as the named task", async () => {
    const path = sourceDir([header, ...rows(400)].join("\n"), { file: "machines.csv", taskName: "press-rul", ...columns });
    const data = await loadFederatedData({ dataset: "csv", devices: 3, seed: 1, dataDir: "unused", csvSource: path });
    expect(data.taskName).to.equal("press-rul");
    expect(data.featureNames).to.deep.equal(["temp", "vibration"]);
    expect(data.devices.map((device) => device.rows)).to.deep.equal([100, 100, 100]);
  });

  it("warns with the count and first reasons when rows are skipped", async () => {
    const lines = [header, ...rows(400)];
    lines[3] = "2;m2;hot;0.2;98";
    const path = sourceDir(lines.join("\n"), { file: "machines.csv", ...columns });
    const warnings: string[] = [];
    const data = await loadFederatedData({ dataset: "csv", devices: 2, seed: 1, dataDir: "unused", csvSource: path }, (warning) => warnings.push(warning));
    expect(data.taskName).to.equal("csv-rul");
    expect(warnings).to.deep.equal([`1 of 400 CSV rows skipped as malformed; first: line 4: column "temp" is not a number: "hot"`]);
  });

  it("names what is wrong with a source file", async () => {
    expect(() => readCsvSource(join(tmpdir(), "no-such-source.json"))).to.throw(/cannot read the CSV source .*no-such-source\.json/);
    expect(() => readCsvSource(sourceDir("", { ...columns }))).to.throw(/invalid CSV source[\s\S]*file/);
    expect(() => readCsvSource(sourceDir("", { file: "machines.csv", ...columns, taskName: "Press RUL" }))).to.throw(/lower-case letters, digits and dashes/);
    expect(() => readCsvSource(sourceDir("", { file: "machines.csv", ...columns, sensorColumns: ["temp", "rul"] }))).to.throw(/invalid column mapping[\s\S]*leak/);
    const missingCsv = sourceDir("", { file: "elsewhere.csv", ...columns });
    await loadFederatedData({ dataset: "csv", devices: 1, seed: 1, dataDir: "unused", csvSource: missingCsv }).then(
      () => expect.fail("a missing CSV must be refused"),
      (error: Error) => expect(error.message).to.match(/cannot read the CSV .*elsewhere\.csv/),
    );
    await loadFederatedData({ dataset: "csv", devices: 1, seed: 1, dataDir: "unused" }).then(
      () => expect.fail("csv without a source must be refused"),
      (error: Error) => expect(error.message).to.include("needs a CSV source file (--csv-source FILE)"),
    );
  });
});
