import type { Address } from "viem";
import { envelopeToJson, parseEnvelope, type SignedUpdate } from "../lib/fl/envelope.ts";
import type { RejectionReason } from "./checks.ts";
import { Journal } from "../lib/journal.ts";

type JournalRecord =
  | { type: "accepted"; roundId: string; device: Address; envelope: unknown }
  | { type: "rejected"; roundId: string; device?: Address; reason: RejectionReason }
  | { type: "sealed"; roundId: string; devices: Address[] };

export interface AcceptedUpdate {
  device: Address;
  envelope: SignedUpdate;
}

/**
 * What this oracle accepted and rejected, per round. Backed by the journal, so a restarted oracle has exactly
 * the updates it acknowledged before it died, and never accepts a nonce twice.
 */
export class OracleState {
  readonly #journal: Journal<JournalRecord>;
  readonly #accepted = new Map<bigint, Map<Address, AcceptedUpdate>>();
  readonly #rejected = new Map<bigint, Map<string, RejectionReason>>();
  readonly #usedNonces = new Set<string>();
  readonly #sealed = new Map<bigint, Address[]>();

  constructor(journalPath: string) {
    const { journal, records } = Journal.open<JournalRecord>(journalPath);
    this.#journal = journal;
    for (const record of records) this.#apply(record);
  }

  #apply(record: JournalRecord): void {
    const roundId = BigInt(record.roundId);
    if (record.type === "accepted") {
      const envelope = parseEnvelope(record.envelope);
      const round = this.#accepted.get(roundId) ?? new Map<Address, AcceptedUpdate>();
      round.set(record.device, { device: record.device, envelope });
      this.#accepted.set(roundId, round);
      this.#usedNonces.add(`${record.device}:${envelope.update.nonce}`);
    } else if (record.type === "sealed") {
      this.#sealed.set(roundId, record.devices);
    } else {
      const round = this.#rejected.get(roundId) ?? new Map<string, RejectionReason>();
      round.set(record.device ?? `anonymous-${round.size}`, record.reason);
      this.#rejected.set(roundId, round);
    }
  }

  /** Persists (fsync) and then records an accepted update: call before acknowledging it. */
  accept(roundId: bigint, device: Address, envelope: SignedUpdate): void {
    const record: JournalRecord = { type: "accepted", roundId: roundId.toString(), device, envelope: envelopeToJson(envelope) };
    this.#journal.append(record);
    this.#apply(record);
  }

  reject(roundId: bigint, reason: RejectionReason, device?: Address): void {
    const record: JournalRecord = { type: "rejected", roundId: roundId.toString(), device, reason };
    this.#journal.append(record);
    this.#apply(record);
  }

  /** Records, before the commitment is sent, exactly which accepted updates the round's tree holds. */
  seal(roundId: bigint, devices: Address[]): void {
    const record: JournalRecord = { type: "sealed", roundId: roundId.toString(), devices };
    this.#journal.append(record);
    this.#apply(record);
  }

  /** The sealed updates of a round, in tree order, or undefined if this oracle did not seal it. */
  sealed(roundId: bigint): AcceptedUpdate[] | undefined {
    const devices = this.#sealed.get(roundId);
    if (!devices) return undefined;
    const accepted = this.#accepted.get(roundId);
    return devices.map((device) => {
      const update = accepted?.get(device);
      if (!update) throw new Error(`journal inconsistency: sealed device ${device} of round ${roundId} has no accepted update`);
      return update;
    });
  }

  accepted(roundId: bigint): AcceptedUpdate[] {
    return [...(this.#accepted.get(roundId)?.values() ?? [])];
  }

  rejected(roundId: bigint): Map<string, RejectionReason> {
    return this.#rejected.get(roundId) ?? new Map();
  }

  hasAccepted(roundId: bigint, device: Address): boolean {
    return this.#accepted.get(roundId)?.has(device) ?? false;
  }

  isNonceUsed(device: Address, nonce: bigint): boolean {
    return this.#usedNonces.has(`${device}:${nonce}`);
  }

  close(): void {
    this.#journal.close();
  }
}
