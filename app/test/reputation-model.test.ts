import { describe, expect, it } from "vitest";
import { pad, stringToHex, type Address } from "viem";
import { deriveReputation, deviceOfSubject, scoreSeries, sortSubjects, type ReputationEvent } from "@/components/reputation/reputation-model";

function event<N extends ReputationEvent["eventName"]>(eventName: N, args: Extract<ReputationEvent, { eventName: N }>["args"], blockNumber = 1n): ReputationEvent {
  return { eventName, args, blockNumber } as ReputationEvent;
}

const A: Address = "0x0847559a6a93eA11306A110787C6531628ACBb27";
const B: Address = "0x3e6DFE1c6657ad9f8FA6a460bE764eAeDF54BecF";
const C: Address = "0x5048294Ec4c533EcE409557A9844ABE3Bd55bFD7";
const deviceId = (address: Address) => pad(address.toLowerCase() as Address, { size: 32 });
const orgId = (id: number) => pad(`0x${id.toString(16)}`, { size: 32 });
const score = (subject: number, subjectId: `0x${string}`, roundId: bigint, previous: number, next: number, reason: number) => event("ScoreChanged", { subject, subjectId, roundId, previous, score: next, reason });

const events: ReputationEvent[] = [
  event("MembershipRequested", { organisationId: 1, admin: A, name: "Aerodyn", metadataCid: "" }),
  event("MembershipRequested", { organisationId: 2, admin: B, name: "Pumpworks", metadataCid: "" }),
  event("AssetRegistered", { assetId: 1n, organisationId: 1, label: stringToHex("turbofan-1", { size: 32 }) }),
  event("DeviceRegistered", { deviceAccount: A, organisationId: 1, assetId: 1n, firmwareHash: `0x${"0".repeat(64)}`, metadataDigest: `0x${"0".repeat(64)}` }),
  event("DeviceRegistered", { deviceAccount: B, organisationId: 1, assetId: 1n, firmwareHash: `0x${"0".repeat(64)}`, metadataDigest: `0x${"0".repeat(64)}` }),
  event("DeviceRegistered", { deviceAccount: C, organisationId: 2, assetId: 1n, firmwareHash: `0x${"0".repeat(64)}`, metadataDigest: `0x${"0".repeat(64)}` }),
  // Round 1: A accepted, B rejected; organisation 1 moves once, by its devices' net change (reason 0).
  score(0, deviceId(A), 1n, 500, 510, 1),
  score(0, deviceId(B), 1n, 500, 460, 2),
  score(1, orgId(1), 1n, 500, 470, 0),
  // Round 2: A outlier, B rejected below the threshold and suspended.
  score(0, deviceId(A), 2n, 510, 485, 3),
  score(0, deviceId(B), 2n, 460, 180, 2),
  score(1, orgId(1), 2n, 470, 165, 0),
  event("DeviceStatusChanged", { deviceAccount: B, previousStatus: 1, status: 2, byReputation: true }),
];

describe("reputation from ScoreChanged events", () => {
  const subjects = deriveReputation(events, 500);
  const byKey = new Map(subjects.map((subject) => [subject.key, subject]));

  it("decodes device and organisation subject ids", () => {
    expect(deviceOfSubject(deviceId(A))).toBe(A);
    expect(byKey.get("organisation:1")!.label).toBe("Aerodyn");
  });

  it("keeps one point per round and the round's net change, and counts an organisation's devices' outcomes", () => {
    const organisation = byKey.get("organisation:1")!;
    expect(organisation.history).toEqual([{ roundId: 1n, score: 470 }, { roundId: 2n, score: 165 }]);
    expect(organisation.score).toBe(165);
    expect(organisation.lastChange).toBe(165 - 470);
    expect(organisation.counts).toEqual({ accepted: 1, rejected: 2, outlier: 1, other: 0 });
    expect(scoreSeries(organisation, 500)).toEqual([{ x: 0, y: 500 }, { x: 1, y: 470 }, { x: 2, y: 165 }]);
  });

  it("names devices' organisations and assets, marks reputation suspensions, and gives unscored subjects the start score", () => {
    const b = byKey.get(`device:${B.toLowerCase()}`)!;
    expect(b).toMatchObject({ organisationName: "Aerodyn", assetLabel: "turbofan-1", score: 180, suspendedByReputation: true, lastChange: -280 });
    const c = byKey.get(`device:${C.toLowerCase()}`)!;
    expect(c).toMatchObject({ score: 500, history: [], lastChange: undefined, organisationName: "Pumpworks" });
    expect(byKey.get("organisation:2")!.score).toBe(500);
  });

  it("sorts by any column in both directions", () => {
    const byScore = sortSubjects(subjects, "score", "ascending").map((subject) => subject.score);
    expect(byScore).toEqual([...byScore].sort((a, b) => a - b));
    expect(sortSubjects(subjects, "score", "descending")[0]!.score).toBe(500);
    expect(sortSubjects(subjects, "rejected", "descending")[0]!.key).toBe("organisation:1");
    expect(sortSubjects(subjects, "label", "ascending").map((subject) => subject.label).slice(0, 2)).toEqual([A, B]);
  });
});
