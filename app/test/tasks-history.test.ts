import { describe, expect, it } from "vitest";
import { layoutLineage, lineageEdges } from "@/components/tasks/lineage-layout";
import { effectiveOutcome, deriveTaskHistories, withVersionReads } from "@/components/tasks/task-history";
import { event, oracles, taskEvents, taskId } from "./fixtures/task-history";
import { metricSeries } from "@/components/tasks/task-series";

describe("task histories from ModelRegistry events", () => {
  const [task] = deriveTaskHistories(taskEvents);

  it("finds the task, its policy and the deployed version", () => {
    expect(task?.name).toBe("cmapss-rul");
    expect(task?.policy?.quorum).toBe(2);
    expect(task?.deployedVersion).toBe(3n);
  });

  it("gives each version its status, base version and rejection reason", () => {
    const summary = task!.versions.map((version) => [version.id, version.parent, version.roundId, version.status, version.rejection]);
    expect(summary).toEqual([
      [1n, undefined, undefined, "validated", undefined],
      [2n, 1n, 1n, "validated", undefined],
      [3n, 2n, 2n, "deployed", undefined],
      [4n, 3n, 3n, "rejected", "threshold not met"],
      [5n, 3n, 4n, "rejected", "improvement too small"],
    ]);
  });

  it("records the proposer once, the other attesters and dissents with their blocks", () => {
    const v4 = task!.versions.find((version) => version.id === 4n)!;
    expect(v4.votes).toEqual([
      { kind: "proposed", oracle: oracles[2], blockNumber: 42n },
      { kind: "attested", oracle: oracles[0], blockNumber: 43n },
      { kind: "dissent", oracle: oracles[1], blockNumber: 43n, weightsHash: `0x${"0".repeat(64)}` },
    ]);
  });

  it("derives rounds with commitment, proposal and outcome", () => {
    expect(task!.rounds.map((round) => [round.id, round.baseVersion, round.participantCount, round.updatesCid, round.proposedVersion, round.outcome])).toEqual([
      [1n, 1n, 6, "QmUpdates1", 2n, "deployed"],
      [2n, 2n, 6, "QmUpdates2", 3n, "deployed"],
      [3n, 3n, 6, "QmUpdates3", 4n, "rejected"],
      [4n, 3n, 6, "QmUpdates4", 5n, "rejected"],
    ]);
  });

  it("marks a voided round's version rejected with the fraud reason", () => {
    const voided = deriveTaskHistories([...taskEvents.slice(0, 4), ...taskEvents.filter((e) => e.eventName === "RoundOpened" || e.eventName === "VersionProposed").slice(0, 2), event("RoundVoided", { roundId: 1n, reason: 2 }, 25n)]);
    expect(voided[0]!.versions[1]).toMatchObject({ id: 2n, status: "rejected", rejection: "round voided: a committed device was revoked" });
    expect(voided[0]!.rounds[0]!.outcome).toBe("voided");
    expect(voided[0]!.deployedVersion).toBe(1n);
  });

  it("treats a live round past its deadline as expired", () => {
    const open = deriveTaskHistories([...taskEvents.slice(0, 4), event("RoundOpened", { taskId, roundId: 1n, baseVersion: 1n, deadline: 500n }, 20n)])[0]!.rounds[0]!;
    expect(effectiveOutcome(open, 499)).toBe("open");
    expect(effectiveOutcome(open, 501)).toBe("expired");
  });

  it("fills the genesis model's CID, hash and metric from the version read", () => {
    const reads = new Map([[1n, { cid: "QmGenesis", weightsHash: `0x${"ab".repeat(32)}` as const, metric: 41_584_584n, xaiReportCid: "", proposedAt: 100, decidedAt: 100 }]]);
    const [genesis, v2] = withVersionReads(task!.versions, reads);
    expect(genesis).toMatchObject({ cid: "QmGenesis", metric: 41_584_584n, xaiReportCid: undefined, proposedAt: 100 });
    expect(v2!.cid).toBe("QmModel2");
  });
});

describe("lineage graph layout", () => {
  const [task] = deriveTaskHistories(taskEvents);

  it("draws an edge from each round's base version to the version it produced", () => {
    expect(lineageEdges(task!.versions).map((edge) => [edge.from, edge.to, edge.roundId])).toEqual([
      [1n, 2n, 1n],
      [2n, 3n, 2n],
      [3n, 4n, 3n],
      [3n, 5n, 4n],
    ]);
  });

  it("puts validated versions on the top lane and rejected ones below, in id order", () => {
    const layout = layoutLineage(task!.versions);
    expect(layout.nodes.map((node) => [node.version.id, node.lane])).toEqual([[1n, 0], [2n, 0], [3n, 0], [4n, 1], [5n, 1]]);
    const xs = layout.nodes.map((node) => node.x);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(layout.nodes.every((node) => node.x + layout.nodeWidth / 2 <= layout.width && node.y + layout.nodeHeight / 2 <= layout.height)).toBe(true);
  });

  it("bends an edge to the lower lane between the lanes, not through the nodes in between", () => {
    const layout = layoutLineage(task!.versions);
    const edge = layout.edges.find((candidate) => candidate.to === 5n)!;
    const v4 = layout.nodes.find((node) => node.version.id === 4n)!;
    const bend = Number(/C[\d.]+,([\d.]+)/.exec(edge.path)![1]);
    expect(bend).toBeLessThan(v4.y - layout.nodeHeight / 2);
  });
});

describe("metric series", () => {
  const [task] = deriveTaskHistories(taskEvents);
  const versions = withVersionReads(task!.versions, new Map([[1n, { cid: "Qm", weightsHash: `0x${"ab".repeat(32)}` as const, metric: 41_584_584n, xaiReportCid: "", proposedAt: 1, decidedAt: 1 }]]));

  it("plots each round's proposed metric and the deployed metric after it", () => {
    const [proposed, deployed] = metricSeries(versions);
    expect(proposed).toEqual({ name: "proposed", points: [{ x: 1, y: 33.30197 }, { x: 2, y: 27.358079 }, { x: 3, y: 62.480271 }, { x: 4, y: 29.262306 }] });
    // Rejected rounds keep the previous deployed metric.
    expect(deployed).toEqual({ name: "deployed", points: [{ x: 0, y: 41.584584 }, { x: 1, y: 33.30197 }, { x: 2, y: 27.358079 }, { x: 3, y: 27.358079 }, { x: 4, y: 27.358079 }] });
  });

  it("adds no deployed point for a round still undecided", () => {
    const undecided = versions.map((version) => (version.id === 5n ? { ...version, status: "proposed" as const } : version));
    const deployed = metricSeries(undecided).find((series) => series.name === "deployed")!;
    expect(deployed.points.map((point) => point.x)).toEqual([0, 1, 2, 3]);
  });
});
