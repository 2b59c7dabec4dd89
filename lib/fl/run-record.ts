import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { SeedResult } from "../chain/seed.ts";
import { Journal } from "../journal.ts";
import { DATASET_NAMES } from "./data-source.ts";

/**
 * The record of a main-job run (run/run.jsonl), which is what `--resume` resumes from: the network a run set up
 * (its options, consortium and task) once setup is complete, then one summary per decided round. It is a journal,
 * fsynced per record, so a run stopped at any moment leaves a record of exactly the rounds it finished.
 */

/** Where a run keeps its journal, under its work directory. */
export function runJournalPath(dataDir: string): string {
  return join(dataDir, "run", "run.jsonl");
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const bigintText = z.union([z.bigint(), z.string().regex(/^\d+$/)]).transform((value) => BigInt(value));

/** The options that define a run's network: a resumed run takes them from here, never from new flags. */
export const runNetworkOptionsSchema = z.object({
  devices: z.number().int().positive(),
  dataset: z.enum(DATASET_NAMES),
  datasetDir: z.string(),
  csvSource: z.string().optional(),
  strategy: z.string(),
  byzantine: z.number().min(0).max(1),
  attack: z.enum(["sign_flip", "scaled", "label_flip", "mixed"]),
  node: z.enum(["hardhat", "anvil"]),
  oracles: z.number().int().positive(),
  quorum: z.number().int().positive(),
  roundSeconds: z.number().int().positive(),
  sealWindowSeconds: z.number().positive(),
  localEpochs: z.number().int().positive(),
  maxUpdateNorm: z.number().positive(),
  seed: z.number().int(),
  rounds: z.number().int().positive().optional(),
  unitsPerDevice: z.number().int().positive().optional(),
  xaiWeighting: z.boolean().optional(),
  telemetry: z.boolean().optional(),
  telemetryRate: z.number().positive().optional(),
  encrypted: z.boolean().optional(),
  dpClipNorm: z.number().positive().optional(),
  dpNoiseMultiplier: z.number().min(0).optional(),
});
export type RunNetworkOptions = z.infer<typeof runNetworkOptionsSchema>;

const seedResultSchema = z.object({
  organisations: z.array(z.object({ id: z.number().int(), name: z.string(), admin: address })),
  devices: z.array(z.object({
    address,
    privateKey: hex,
    organisationId: z.number().int(),
    assetId: bigintText,
    assetLabel: z.string(),
    firmwareHash: hex,
    metadataCid: z.string(),
  })),
  tasks: z.array(z.object({ name: z.string(), taskId: hex, genesisVersion: bigintText, genesisCid: z.string() })),
});

const networkRecordSchema = z.object({
  type: z.literal("network"),
  options: runNetworkOptionsSchema,
  taskName: z.string().min(1),
  seeded: seedResultSchema,
});

/** What the summary table shows of a round; bigints are kept as decimal text in the journal. */
export const roundRecordSchema = z.object({
  type: z.literal("round"),
  roundId: bigintText,
  status: z.string(),
  participants: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  rejectionReasons: z.record(z.string(), z.number().int()),
  metric: z.number().optional(),
  verdict: z.string(),
  deployedVersion: bigintText,
  proposedCid: z.string().optional(),
  gasUsed: bigintText,
  transactions: z.number().int(),
  seconds: z.number(),
  reputationScored: z.boolean().optional(),
});
export type RoundRecord = z.output<typeof roundRecordSchema>;

export interface RunRecord {
  options: RunNetworkOptions;
  taskName: string;
  seeded: SeedResult;
  rounds: RoundRecord[];
}

const toJsonSafe = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));

/** The run journal: create it for a new run, or open it to resume one. */
export class RunJournal {
  readonly #journal: Journal<unknown>;
  readonly record: RunRecord;

  private constructor(journal: Journal<unknown>, record: RunRecord) {
    this.#journal = journal;
    this.record = record;
  }

  /** Starts the record of a new run (its directory has just been emptied). */
  static create(path: string, network: { options: RunNetworkOptions; taskName: string; seeded: SeedResult }): RunJournal {
    const { journal } = Journal.open<unknown>(path);
    const options = runNetworkOptionsSchema.parse(network.options);
    journal.append(toJsonSafe({ type: "network", options, taskName: network.taskName, seeded: network.seeded }));
    return new RunJournal(journal, { options, taskName: network.taskName, seeded: network.seeded, rounds: [] });
  }

  /** Opens the record of an earlier run, with an error that says why when there is nothing to resume. */
  static open(path: string): RunJournal {
    if (!existsSync(path)) throw new Error(`nothing to resume: no run record at ${path} (start a new run without --resume)`);
    const { journal, records } = Journal.open<unknown>(path);
    const network = networkRecordSchema.safeParse(records[0]);
    if (!network.success) {
      journal.close();
      throw new Error(`nothing to resume: the run record ${path} does not start with a complete network (the run stopped during setup; start a new run without --resume)`);
    }
    const rounds = records.slice(1).map((raw, index) => {
      const parsed = roundRecordSchema.safeParse(raw);
      if (!parsed.success) throw new Error(`run record ${path}, entry ${index + 2}: ${z.prettifyError(parsed.error)}`);
      return parsed.data;
    });
    const { options, taskName, seeded } = network.data;
    return new RunJournal(journal, { options, taskName, seeded: seeded as SeedResult, rounds });
  }

  /** Records a decided round (fsynced) before the run moves on. */
  appendRound(round: Omit<RoundRecord, "type">): void {
    const record = roundRecordSchema.parse(toJsonSafe({ type: "round", ...round }));
    this.#journal.append(toJsonSafe(record));
    this.record.rounds.push(record);
  }

  #closed = false;

  /** Closes the journal file; closing twice is harmless (a failed start and stop() may both close it). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#journal.close();
  }
}
