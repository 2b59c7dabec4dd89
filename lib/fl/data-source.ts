import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { CsvMappingSchema, loadCsv, type CsvMapping } from "../data/csv.ts";
import type { FederatedData } from "../data/dataset.ts";
import { syntheticRunToFailure } from "../data/synthetic.ts";

export const DATASET_NAMES = ["synthetic", "cmapss", "ai4i", "csv"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface DataSource {
  dataset: DatasetName;
  devices: number;
  seed: number;
  /** Where the real datasets are (C-MAPSS in cmapss/, AI4I in ai4i2020/); unused for synthetic and csv. */
  dataDir: string;
  /** Synthetic only: run-to-failure units per device (default 4 to 10), e.g. 1 for large simulated fleets. */
  unitsPerDevice?: number;
  /** csv only: the source file (see CsvSourceSchema): which CSV, and how its columns map to sensors and label. */
  csvSource?: string;
}

/**
 * A CSV data source in one JSON file: the CSV's path (relative to this file, or absolute), the column mapping of
 * lib/data/csv.ts and optionally the on-chain task name. One file, so every process of a run loads the same task.
 */
export const CsvSourceSchema = z.looseObject({
  file: z.string().min(1, "file names the CSV to read"),
  taskName: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "taskName: lower-case letters, digits and dashes, at most 64").optional(),
});

/** Reads and checks a CSV source file; the mapping itself is checked by loadCsv, with every problem named. */
export function readCsvSource(path: string): { csvPath: string; taskName: string | undefined; mapping: CsvMapping } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the CSV source ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = CsvSourceSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid CSV source ${path}:\n${z.prettifyError(parsed.error)}`);
  const { file, taskName, ...columns } = parsed.data;
  const mapping = CsvMappingSchema.safeParse(columns);
  if (!mapping.success) throw new Error(`invalid column mapping in ${path}:\n${z.prettifyError(mapping.error)}`);
  return { csvPath: isAbsolute(file) ? file : resolve(dirname(path), file), taskName, mapping: mapping.data };
}

/**
 * The federated data of a run. Every process (devices, oracles) loads it from the same source and seed, and
 * gets the same partitions: devices train on theirs only, oracles validate on the held-out split.
 */
export async function loadFederatedData(source: DataSource, onWarning: (message: string) => void = () => {}): Promise<FederatedData> {
  switch (source.dataset) {
    case "synthetic":
      return syntheticRunToFailure({
        devices: source.devices,
        seed: source.seed,
        ...(source.unitsPerDevice ? { minUnits: source.unitsPerDevice, maxUnits: source.unitsPerDevice } : {}),
      });
    case "cmapss": {
      const { loadCmapss } = await import("../data/cmapss.ts");
      return loadCmapss({ dataDir: resolve(source.dataDir, "cmapss"), devices: source.devices, seed: source.seed });
    }
    case "ai4i": {
      const { loadAi4i } = await import("../data/ai4i.ts");
      return loadAi4i({ dataDir: resolve(source.dataDir, "ai4i2020"), devices: source.devices, seed: source.seed });
    }
    case "csv": {
      if (!source.csvSource) throw new Error("the csv dataset needs a CSV source file (--csv-source FILE)");
      const { csvPath, taskName, mapping } = readCsvSource(source.csvSource);
      const text = await readFile(csvPath, "utf8").catch((error: Error) => {
        throw new Error(`cannot read the CSV ${csvPath}: ${error.message}`);
      });
      const { data, badRows } = loadCsv(text, mapping, { devices: source.devices, seed: source.seed, ...(taskName ? { taskName } : {}) });
      if (badRows.count > 0) {
        onWarning(`${badRows.count} of ${badRows.totalRows} CSV rows skipped as malformed; first: ${badRows.examples.slice(0, 3).map((b) => `line ${b.line}: ${b.reason}`).join("; ")}`);
      }
      return data;
    }
  }
}
