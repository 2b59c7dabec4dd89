import { describe, expect, it } from "vitest";
import { hasRecord, oracleRoundsSchema, type OracleEntry } from "@/components/rounds/oracle-round-view";
import { rejectionWords, scoreOutcome } from "@/components/rounds/rejection-reasons";
import { joinRoundParticipants, outcomeCounts } from "@/components/rounds/round-participants";
import { outcomeWords } from "@/components/rounds/round-words";
import { deriveTaskHistories } from "@/components/tasks/task-history";
import { taskEvents } from "./fixtures/task-history";

const A = "0x0847559a6a93eA11306A110787C6531628ACBb27";
const B = "0x3e6DFE1c6657ad9f8FA6a460bE764eAeDF54BecF";
const C = "0x5048294Ec4c533EcE409557A9844ABE3Bd55bFD7";
const D = "0x9dC3aF133554a922Ce9BE11140a167dF12Aab2F1";

const committed = [
  { device: A, sampleCount: 120n, updateCid: "QmA" },
  { device: B, sampleCount: 80n, updateCid: "QmB" },
];
// Scores come from the chain with lower-case hex addresses decoded to checksummed ones; devices match case-insensitively.
const scores = [
  { device: A, reason: 1, previous: 500, score: 510 },
  { device: B.toLowerCase(), reason: 3, previous: 500, score: 475 },
  { device: C, reason: 2, previous: 500, score: 460 },
];
const empty = { roundId: "7", accepted: [], rejected: [], sealed: null };

describe("a round's participants", () => {
  it("joins the commitment, each recording oracle's view with reasons and the chain's outcome", () => {
    const oracles: OracleEntry[] = [
      { oracle: 0, view: { roundId: "7", accepted: [A, B], rejected: [{ device: C, reason: "norm_out_of_bounds" }, { device: D, reason: "bad_signature" }], sealed: 2 } },
      { oracle: 1, view: empty },
      { oracle: 2, error: "fetch failed" },
    ];
    const join = joinRoundParticipants({ committed, scores, oracles });
    expect(join.source).toBe("oracles");
    expect(join.oraclesWithRecord).toEqual([0]);
    expect(join.oraclesWithoutRecord).toEqual([1]);
    expect(join.unreachable).toEqual([{ oracle: 2, error: "fetch failed" }]);
    expect(join.rows.map((row) => [row.device, row.inCommitment, row.sampleCount, row.chain?.outcome, row.oracles])).toEqual([
      [A, true, 120n, "accepted", [{ oracle: 0, verdict: "accepted" }]],
      [B, true, 80n, "outlier", [{ oracle: 0, verdict: "accepted" }]],
      [C, false, undefined, "rejected", [{ oracle: 0, verdict: "rejected", reason: "norm_out_of_bounds" }]],
      [D, false, undefined, undefined, [{ oracle: 0, verdict: "rejected", reason: "bad_signature" }]],
    ]);
    expect(outcomeCounts(join)).toEqual({ accepted: 2, rejected: 2, outlier: 1 });
  });

  it("falls back to the chain's reputation outcome when no oracle remembers the round", () => {
    const join = joinRoundParticipants({ committed, scores, oracles: [{ oracle: 0, view: empty }, { oracle: 1, view: empty }] });
    expect(join.source).toBe("chain");
    expect(join.rows.every((row) => row.oracles.length === 0)).toBe(true);
    expect(join.rows.map((row) => row.chain?.outcome)).toEqual(["accepted", "outlier", "rejected"]);
    expect(outcomeCounts(join)).toEqual({ accepted: 2, rejected: 1, outlier: 1 });
  });

  it("shows devices an oracle has not heard from, when others have", () => {
    const join = joinRoundParticipants({ committed, scores: [], oracles: [{ oracle: 0, view: { ...empty, accepted: [A], sealed: 1 } }] });
    expect(join.rows.find((row) => row.device === B)!.oracles).toEqual([{ oracle: 0, verdict: "not heard" }]);
  });
});

describe("oracle answers and words", () => {
  it("validates the app route's answer and tells a record from an empty view", () => {
    const parsed = oracleRoundsSchema.parse({ roundId: "1", oracles: [{ oracle: 0, view: { ...empty, sealed: 6 } }, { oracle: 1, error: "HTTP 500" }] });
    expect(parsed.oracles).toHaveLength(2);
    expect(oracleRoundsSchema.safeParse({ roundId: "1", oracles: [{ oracle: 0, view: { accepted: "A" } }] }).success).toBe(false);
    expect(hasRecord(empty)).toBe(false);
    expect(hasRecord({ ...empty, rejected: [{ device: A, reason: "duplicate" }] })).toBe(true);
  });

  it("says rejection reasons and reputation codes in words", () => {
    expect(rejectionWords("bad_signature")).toBe("the signature does not recover to a signer");
    expect(rejectionWords("norm_out_of_bounds")).toMatch(/norm exceeds the bound/);
    expect(rejectionWords("some_new_reason")).toBe("some new reason");
    expect([1, 2, 3, 9].map(scoreOutcome)).toEqual(["accepted", "rejected", "outlier", "other"]);
  });

  it("describes each round's outcome", () => {
    const rounds = deriveTaskHistories(taskEvents)[0]!.rounds;
    expect(outcomeWords(rounds[0]!, "deployed")).toBe("v2 deployed");
    expect(outcomeWords(rounds[2]!, "rejected")).toBe("v4 rejected: threshold not met");
    expect(outcomeWords(rounds[3]!, "expired")).toBe("expired before v5 reached the quorum");
  });
});
