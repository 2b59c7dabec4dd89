import { expect } from "chai";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { keccak256, toBytes } from "viem";
import { connectRpc } from "../../lib/chain/clients.ts";
import { suiteContracts } from "../../lib/chain/contracts.ts";
import { readDeployment } from "../../lib/chain/deployment.ts";
import { devPrivateKey } from "../../lib/chain/dev-accounts.ts";
import { startLocalNode } from "../../lib/chain/local-node.ts";
import { Cluster, chainStatePath, defaultClusterOptions } from "../../lib/fl/cluster.ts";
import { loadVerifiedModel } from "../../lib/fl/model-store.ts";
import { RunJournal } from "../../lib/fl/run-record.ts";
import { openContentStore } from "../../lib/ipfs/store.ts";
import { initTf } from "../../lib/model/tf.ts";
import { startIpfsRpcNode } from "../helpers/ipfs-rpc-node.ts";

const mainScript = fileURLToPath(new URL("../../scripts/main.ts", import.meta.url));

interface MainRun {
  output: () => string;
  exited: Promise<number | null>;
  interrupt: () => void;
  kill: () => void;
}

/** The main job (npm start) as a real process, with its output collected. */
function startMain(args: string[], env: Record<string, string> = {}): MainRun {
  const child = spawn(process.execPath, [mainScript, "--no-app", "--no-telemetry", "--exit", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return {
    output: () => output,
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
    interrupt: () => child.kill("SIGINT"),
    kill: () => child.kill("SIGKILL"),
  };
}

type JournalLine = { type: string; roundId?: string };
const journalLines = (path: string): JournalLine[] =>
  existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as JournalLine) : [];

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the main job, stopped with Ctrl-C in the middle of a round and resumed", { timeout: 600_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), "twinledger-resume-"));
  after(() => rmSync(workDir, { recursive: true, force: true }));
  const devices = 8;
  // Round 2 is led by oracle 1 (round r is led by oracle (r - 1) mod 3); its journal shows what it accepted.
  const leaderJournal = join(workDir, "run", "oracle-1", "journal.jsonl");
  const acceptedInRound2 = () => journalLines(leaderJournal).filter((line) => line.type === "accepted" && line.roundId === "2");

  it("stops every process cleanly, then finishes the interrupted round and the run on the same chain", async () => {
    // Slow local training (40 epochs, over a second a device) leaves most of round 2 to do when the first update is in:
    // the fleet sends while it trains, so with fast training every update could be sent before the leader has
    // accepted the first (seen here with 12 epochs, about 0.4 s a device), and Ctrl-C would come too late.
    const first = startMain(["--devices", String(devices), "--rounds", "2", "--round-seconds", "120", "--local-epochs", "40", "--work-dir", workDir]);
    await Promise.race([
      waitUntil(() => acceptedInRound2().length >= 1, 300_000, "the first accepted update of round 2"),
      first.exited.then((code) => {
        throw new Error(`the first run ended (code ${code}) before round 2 had an update:\n${first.output()}`);
      }),
    ]);
    first.interrupt();
    expect(await first.exited).to.equal(130);
    expect(first.output()).to.include("stopping every process");
    const acceptedBeforeStop = acceptedInRound2().length;
    expect(acceptedBeforeStop, "the run was stopped before round 2 was complete").to.be.below(devices);

    const second = startMain(["--resume", "--work-dir", workDir]);
    const code = await second.exited;
    expect(code, second.output()).to.equal(0);
    expect(second.output()).to.include("resuming: 1 of 2 rounds done");

    // Round 2 was finished rather than replaced: every device has exactly one accepted update in it, none was refused.
    const leaderRound2 = journalLines(leaderJournal).filter((line) => line.roundId === "2");
    expect(leaderRound2.filter((line) => line.type === "accepted")).to.have.length(devices);
    expect(leaderRound2.filter((line) => line.type === "rejected")).to.have.length(0);
    const journal = RunJournal.open(join(workDir, "run", "run.jsonl"));
    journal.close();
    expect(journal.record.rounds.map((round) => [Number(round.roundId), round.verdict, round.accepted])).to.deep.equal([
      [1, "deployed", devices],
      [2, "deployed", devices],
    ]);

    // The chain the run left behind (Anvil's saved state) holds both rounds and the lineage genesis → v2 → v3.
    const statePath = join(workDir, "state-copy.json");
    cpSync(chainStatePath(workDir), statePath);
    const chain = await startLocalNode("anvil", { statePath });
    try {
      const clients = await connectRpc(chain.rpcUrl);
      const { models } = suiteContracts(clients.publicClient, readDeployment(join(workDir, "run", "deployment.json")).addresses, clients.walletFor(devPrivateKey(19)));
      const taskId = keccak256(toBytes(journal.record.taskName));
      expect(await models.read.roundCount()).to.equal(2n);
      expect(await models.read.deployedVersion([taskId])).to.equal(3n);
      expect((await models.read.version([3n])).parent).to.equal(2n);
      expect((await models.read.round([2n])).participantCount).to.equal(devices);
    } finally {
      await chain.stop();
    }
  });

  it("refuses a flag that would change the recorded network, and says so", async () => {
    const run = startMain(["--resume", "--devices", "30", "--work-dir", workDir]);
    expect(await run.exited).to.equal(2);
    expect(run.output()).to.include(`--resume continues the recorded run's network, which --devices (the run has ${devices}) would change`);
  });

  it("says there is nothing to resume where no run was recorded", async () => {
    const run = startMain(["--resume", "--work-dir", mkdtempSync(join(tmpdir(), "twinledger-empty-"))]);
    expect(await run.exited).to.equal(1);
    expect(run.output()).to.include("nothing to resume: no run record");
  });

  it("records a round the chain decided but the run's journal missed (killed in between)", async () => {
    const journalPath = join(workDir, "run", "run.jsonl");
    const lines = readFileSync(journalPath, "utf8").trimEnd().split("\n");
    writeFileSync(journalPath, lines.slice(0, -1).join("\n") + "\n");
    const run = startMain(["--resume", "--work-dir", workDir]);
    expect(await run.exited, run.output()).to.equal(0);
    expect(run.output()).to.include("resumed: all 2 rounds of this run are done");
    const journal = RunJournal.open(journalPath);
    journal.close();
    expect(journal.record.rounds.map((round) => [Number(round.roundId), round.verdict, round.accepted, round.deployedVersion])).to.deep.equal([
      [1, "deployed", devices, 2n],
      [2, "deployed", devices, 3n],
    ]);
  });

  it("explains that a run on Hardhat's in-memory node cannot be resumed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "twinledger-hardhat-run-"));
    const { resume: _resume, dataDir: _dataDir, ...network } = { ...defaultClusterOptions, node: "hardhat" as const };
    RunJournal.create(join(dataDir, "run", "run.jsonl"), { options: network, taskName: "cmapss-rul", seeded: { organisations: [], devices: [], tasks: [] } }).close();
    let failure: unknown;
    await Cluster.start({ ...defaultClusterOptions, dataDir, resume: true }).catch((error: unknown) => (failure = error));
    expect(String(failure)).to.include("cannot resume: the run in").and.include("was on Hardhat's node, which keeps its chain in memory only");
  });
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("the main job killed with SIGKILL (no chance to stop its children)", { timeout: 400_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), "twinledger-killed-"));
  after(() => rmSync(workDir, { recursive: true, force: true }));
  const runJournal = join(workDir, "run", "run.jsonl");
  const lockPath = join(workDir, "run.lock");

  it("refuses a second run on the same work dir while it lives; afterwards --resume stops its leftovers and finishes", async () => {
    const first = startMain(["--devices", "4", "--rounds", "3", "--round-seconds", "120", "--work-dir", workDir]);
    type Lock = { children: { pid: number; name: string }[] };
    const lockedChildren = () => (existsSync(lockPath) ? (JSON.parse(readFileSync(lockPath, "utf8")) as Lock).children : []);
    await waitUntil(() => lockedChildren().length > 0, 300_000, "the first run's processes");
    const children = lockedChildren();
    expect(children.map((child) => child.name)).to.include.members(["anvil", "oracle-0", "oracle-1", "oracle-2", "fleet"]);

    const intruder = startMain(["--devices", "4", "--work-dir", workDir]);
    expect(await intruder.exited).to.equal(1);
    expect(intruder.output()).to.match(/another run \(pid \d+\) is using .*: stop it first/);

    // Killed as soon as round 1 is recorded: rounds 2 and 3 are still to come.
    await waitUntil(() => journalLines(runJournal).some((line) => line.type === "round"), 300_000, "round 1 of the first run");
    first.kill();
    await first.exited;
    expect(children.filter((child) => isAlive(child.pid)).map((child) => child.name), "children outlive a SIGKILLed main job").to.include("anvil");

    const second = startMain(["--resume", "--work-dir", workDir]);
    expect(await second.exited, second.output()).to.equal(0);
    expect(second.output()).to.match(/stopping \d+ processes the previous run left running \(anvil/);
    expect(children.filter((child) => isAlive(child.pid))).to.deep.equal([]);
    const journal = RunJournal.open(runJournal);
    journal.close();
    expect(journal.record.rounds.map((round) => round.verdict)).to.deep.equal(["deployed", "deployed", "deployed"]);
    expect(existsSync(lockPath), "a run that ends releases the lock").to.equal(false);
  });
});

describe("the main job on a CSV source (--dataset csv)", { timeout: 300_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), "twinledger-csv-run-"));
  after(() => rmSync(workDir, { recursive: true, force: true }));

  it("trains the mapped task end to end and reports the rows it skipped", async () => {
    // 24 pumps run to failure: temperature and vibration rise, pressure falls, with noise; one row is malformed.
    let state = 12345;
    const noise = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
    const lines = ["pump;cycle;temp;vibration;pressure;rul"];
    for (let pump = 0; pump < 24; pump++) {
      const life = 60 + ((pump * 37) % 60);
      for (let cycle = 0; cycle < life; cycle++) {
        const wear = cycle / life;
        lines.push(`p${pump};${cycle};${(300 + 20 * wear + noise()).toFixed(3)};${(1 + 3 * wear * wear + noise() / 5).toFixed(3)};${(50 - 5 * wear + noise()).toFixed(3)};${Math.min(125, life - cycle)}`);
      }
    }
    lines.splice(3, 0, "p0;x;n/a;1;2;3");
    writeFileSync(join(workDir, "pumps.csv"), lines.join("\n") + "\n");
    const source = join(workDir, "pumps.source.json");
    writeFileSync(source, JSON.stringify({ file: "pumps.csv", taskName: "pump-rul", separator: ";", unitColumn: "pump", timestampColumn: "cycle", sensorColumns: ["temp", "vibration", "pressure"], labelColumn: "rul", kind: "regression" }));

    const run = startMain(["--dataset", "csv", "--csv-source", source, "--devices", "4", "--rounds", "1", "--work-dir", workDir]);
    expect(await run.exited, run.output()).to.equal(0);
    expect(run.output()).to.include(`warning: 1 of ${lines.length - 1} CSV rows skipped as malformed; first: line 4: column "temp" is not a number: "n/a"`);
    const journal = RunJournal.open(join(workDir, "run", "run.jsonl"));
    journal.close();
    expect(journal.record.taskName).to.equal("pump-rul");
    expect(journal.record.rounds.map((round) => [round.verdict, round.accepted, round.deployedVersion])).to.deep.equal([["deployed", 4, 2n]]);
  });
});

describe("the main job on an external IPFS node (IPFS_API_URL)", { timeout: 300_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), "twinledger-rpc-run-"));
  after(() => rmSync(workDir, { recursive: true, force: true }));

  it("keeps every model and update on that node, and the deployed version loads from it against the chain's hash", async () => {
    const node = await startIpfsRpcNode(join(workDir, "ipfs-repo"));
    try {
      const run = startMain(["--devices", "4", "--rounds", "2", "--work-dir", workDir], { IPFS_API_URL: node.apiUrl });
      expect(await run.exited, run.output()).to.equal(0);
      expect(run.output()).to.include(`models, updates and reports are on the IPFS node at ${node.apiUrl}`);
      const journal = RunJournal.open(join(workDir, "run", "run.jsonl"));
      journal.close();
      expect(journal.record.rounds.map((round) => [round.verdict, round.accepted, round.deployedVersion])).to.deep.equal([
        ["deployed", 4, 2n],
        ["deployed", 4, 3n],
      ]);
      // No process kept an embedded blockstore: the oracles' directories hold their journals only.
      for (const oracle of ["oracle-0", "oracle-1", "oracle-2"]) expect(existsSync(join(workDir, "run", oracle, "ipfs")), oracle).to.equal(false);

      const statePath = join(workDir, "state-copy.json");
      cpSync(chainStatePath(workDir), statePath);
      const chain = await startLocalNode("anvil", { statePath });
      const { store } = await openContentStore({ dataDir: join(workDir, "unused"), apiUrl: node.apiUrl });
      try {
        const clients = await connectRpc(chain.rpcUrl);
        const { models } = suiteContracts(clients.publicClient, readDeployment(join(workDir, "run", "deployment.json")).addresses, clients.walletFor(devPrivateKey(19)));
        const deployed = await models.read.version([await models.read.deployedVersion([keccak256(toBytes(journal.record.taskName))])]);
        expect(deployed.cid).to.equal(journal.record.rounds[1]!.proposedCid);
        const loaded = await loadVerifiedModel(await initTf(), store, deployed.cid, deployed.weightsHash);
        expect(loaded.weights.length).to.be.greaterThan(0);
        loaded.model.dispose();
      } finally {
        await store.close();
        await chain.stop();
      }
    } finally {
      await node.stop();
    }
  });
});
