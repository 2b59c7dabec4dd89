import { join } from "node:path";
import type { FederatedData } from "../data/dataset.ts";
import { syntheticRunToFailure } from "../data/synthetic.ts";

export type DatasetName = "synthetic" | "cmapss" | "ai4i";

export interface DataSource {
  dataset: DatasetName;
  devices: number;
  seed: number;
  /** Where the real datasets are (C-MAPSS in cmapss/, AI4I in ai4i2020/); unused for synthetic. */
  dataDir: string;
  /** Synthetic only: run-to-failure units per device (default 4 to 10), e.g. 1 for large simulated fleets. */
  unitsPerDevice?: number;
}

/**
 * The federated data of a run. Every process (devices, oracles) loads it from the same source and seed, and
 * gets the same partitions: devices train on theirs only, oracles validate on the held-out split.
 */
export async function loadFederatedData(source: DataSource): Promise<FederatedData> {
  switch (source.dataset) {
    case "synthetic":
      return syntheticRunToFailure({
        devices: source.devices,
        seed: source.seed,
        ...(source.unitsPerDevice ? { minUnits: source.unitsPerDevice, maxUnits: source.unitsPerDevice } : {}),
      });
    case "cmapss": {
      const { loadCmapss } = await import("../data/cmapss.ts");
      return loadCmapss({ dataDir: join(source.dataDir, "cmapss"), devices: source.devices, seed: source.seed });
    }
    case "ai4i": {
      const { loadAi4i } = await import("../data/ai4i.ts");
      return loadAi4i({ dataDir: join(source.dataDir, "ai4i2020"), devices: source.devices, seed: source.seed });
    }
  }
}

/** The on-chain task a dataset trains. */
export function taskNameOf(dataset: DatasetName): string {
  return dataset === "ai4i" ? "ai4i-failure" : "cmapss-rul";
}
