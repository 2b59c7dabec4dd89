/**
 * Fails unless every contract in contracts/ has at least 95% of its lines covered (from coverage/lcov.info,
 * written by `hardhat test --coverage`). Branch data is checked too wherever the report carries it.
 */
import { readFileSync } from "node:fs";

const MINIMUM = 95;
const report = readFileSync(new URL("../coverage/lcov.info", import.meta.url), "utf8");
let failed = false;
let branchesReported = false;
for (const record of report.split("end_of_record")) {
  const file = /^SF:(.+)$/m.exec(record)?.[1];
  if (!file || !file.includes("contracts/")) continue;
  const count = (key: string) => Number(new RegExp(`^${key}:(\\d+)$`, "m").exec(record)?.[1] ?? 0);
  const check = (kind: string, hit: number, found: number) => {
    if (found === 0) return;
    const percent = (100 * hit) / found;
    const ok = percent >= MINIMUM;
    failed ||= !ok;
    console.log(`${ok ? "ok  " : "LOW "} ${kind.padEnd(8)} ${percent.toFixed(2).padStart(6)}%  ${file.slice(file.indexOf("contracts/"))}`);
  };
  check("lines", count("LH"), count("LF"));
  if (count("BRF") > 0) branchesReported = true;
  check("branches", count("BRH"), count("BRF"));
}
if (!branchesReported) console.log("note: Hardhat's coverage report carries no branch data; lines and statements are what it measures.");
if (failed) {
  console.error(`coverage below ${MINIMUM}%`);
  process.exit(1);
}
