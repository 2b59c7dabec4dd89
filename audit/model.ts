/**
 * The audit of one model version from public evidence only: its record against its events, its content on IPFS
 * against the weights hash, its lineage back to genesis, who proposed and attested it (ORACLE at that log, from the
 * AccessManager's history), the policy in force when it was judged, and the updates it aggregates (the sealed
 * document named by the commitment: tree root, signatures, fields, devices' status at commitment, update content).
 * Judgement is in pure functions (core/policy.ts, core/lineage.ts, core/updates.ts, provenance's history folds);
 * this module gathers the evidence and phrases the checks.
 */
import { isAddressEqual, keccak256, toBytes, type Address, type Hex } from "viem";
import { isBefore, type LogPosition } from "../lib/chain/logs.ts";
import { VersionStatus } from "../lib/chain/status.ts";
import { aggregateCommittedUpdates } from "../lib/fl/encrypted-round.ts";
import { decodeSealedUpdates, type SealedUpdates } from "../lib/fl/sealed-updates.ts";
import { deviceStateAt, type LogPlace, type RoleMembershipAt } from "../lib/provenance/history.ts";
import type { AuditCheck, EvidenceValue, LineageNode, SubjectReport } from "./report.ts";
import { catDocument, errorLine, type AuditSources } from "./sources.ts";
import { chainReads, deployedVersionAt, loadChainIndex, type ChainIndex, type ChainReads, type CommitmentRecord, type RoundRecord, type SubmissionRecord, type TaskRecord, type VersionView } from "./core/chain-index.ts";
import { walkLineage, type LineageRound, type LineageVersion } from "./core/lineage.ts";
import { evaluatePolicy, explainVerdict, policyAt, Verdict, verdictText } from "./core/policy.ts";
import { recoverSigners } from "./core/signers.ts";
import { fieldProblems, leafOf, modelUpdateDigest, modelUpdateDomainSeparator, rebuildRoot, sampleIndices, submissionsDigest } from "./core/updates.ts";
import { modelContentHash, updateContentHash } from "./core/weights.ts";

export type UpdateContentMode = "all" | "none" | number;

export interface ModelAuditOptions {
  /** Fetch and hash every update's content ("all"), none, or an evenly spread sample of n per version. Default "all". */
  verifyUpdateContent?: UpdateContentMode;
  /** Worker threads for signature recovery (default one per core). */
  threads?: number;
}

/** What auditing many versions shares: the indexed history, memoised reads, recovered signers. */
export interface ModelAuditContext {
  sources: AuditSources;
  index: ChainIndex;
  reads: ChainReads;
  options: Required<Pick<ModelAuditOptions, "verifyUpdateContent">> & ModelAuditOptions;
  domainSeparator: Uint8Array;
  signers: Map<string, Promise<(Address | null)[]>>;
}

export async function createModelAuditContext(sources: AuditSources, options: ModelAuditOptions = {}): Promise<ModelAuditContext> {
  const index = await loadChainIndex(sources);
  return {
    sources,
    index,
    reads: chainReads(sources, index),
    options: { ...options, verifyUpdateContent: options.verifyUpdateContent ?? "all" },
    domainSeparator: modelUpdateDomainSeparator(sources.chainId, sources.addresses.UpdateLedger),
    signers: new Map(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers for phrasing checks.

const pass = (name: string, evidence: Record<string, EvidenceValue>, note?: string): AuditCheck => ({ name, ok: true, ...(note ? { reason: note } : {}), evidence });
const fail = (name: string, reason: string, evidence: Record<string, EvidenceValue>): AuditCheck => ({ name, ok: false, reason, evidence });
const at = (place: LogPlace): LogPosition => ({ blockNumber: place.blockNumber, logIndex: place.logIndex });
const block = (place: LogPlace | null | undefined): EvidenceValue => (place ? Number(place.blockNumber) : null);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** At most `limit` culprits in a reason, then a count. */
function listed(items: readonly string[], limit = 5): string {
  return items.length <= limit ? items.join("; ") : `${items.slice(0, limit).join("; ")}; and ${items.length - limit} more`;
}

function roleProblem(account: Address, role: RoleMembershipAt, place: LogPlace, what: string): string {
  const where = `block ${place.blockNumber} (tx ${place.transactionHash})`;
  if (role.pending) return `${account} ${what} at ${where} while its ORACLE grant was not yet in effect (effective from ${role.since})`;
  if (role.revokedAt && role.grantedAt === null) return `${account} ${what} at ${where}, but its ORACLE role had been revoked at block ${role.revokedAt.blockNumber}`;
  return `${account} ${what} at ${where} without ever having held ORACLE before it`;
}

/** The task by name or 0x id. */
export function resolveTask(index: ChainIndex, task: string): TaskRecord | undefined {
  const id = /^0x[0-9a-fA-F]{64}$/.test(task) ? task : keccak256(toBytes(task));
  return index.tasks.get(id.toLowerCase()) ?? [...index.tasks.values()].find((record) => record.name === task);
}

// ---------------------------------------------------------------------------------------------------------------

export interface VersionAudit {
  subject: SubjectReport;
  node: LineageNode | null;
  /** The version's ancestry, newest first (the version itself first), as far as it could be walked. */
  path: bigint[];
}

/** Audits one version. `withUpdates: false` skips the per-update checks (used for ancestors in a single-model audit). */
export async function auditVersion(ctx: ModelAuditContext, versionId: bigint, options: { withUpdates?: boolean } = {}): Promise<VersionAudit> {
  const { index, reads } = ctx;
  const view = await reads.version(versionId);
  if (view.status === VersionStatus.None) {
    const subject: SubjectReport = {
      kind: "model",
      id: `v${versionId}`,
      ok: false,
      checks: [fail("record", `version ${versionId} does not exist on ModelRegistry ${ctx.sources.addresses.ModelRegistry}`, { versionId: versionId.toString() })],
    };
    return { subject, node: null, path: [] };
  }
  const task = index.tasks.get(view.taskId.toLowerCase());
  const taskName = task?.name ?? view.taskId;
  const genesis = view.roundId === 0n;
  const checks: AuditCheck[] = [];
  const proposal = index.proposals.get(versionId.toString());
  const decision = index.decisions.get(versionId.toString());
  const votes = index.attestations.get(versionId.toString()) ?? [];

  checks.push(recordCheck(ctx, versionId, view, task));
  checks.push(await weightsCheck(ctx, view));
  const lineage = await lineageCheck(ctx, versionId, view);
  checks.push(lineage.check);

  if (!genesis) {
    checks.push(await proposalCheck(ctx, versionId));
    checks.push(await attestationsCheck(ctx, versionId, view));
    checks.push(await policyCheck(ctx, versionId, view));
    const decryption = await decryptionCheck(ctx, versionId, view);
    if (decryption) checks.push(decryption);
    if (options.withUpdates ?? true) checks.push(...(await updateChecks(ctx, versionId, view)));
  }

  const ok = checks.every((check) => check.ok);
  const node: LineageNode = {
    taskId: view.taskId,
    taskName,
    versionId: versionId.toString(),
    parent: view.parent.toString(),
    roundId: view.roundId.toString(),
    status: view.status === VersionStatus.Validated ? "validated" : view.status === VersionStatus.Rejected ? "rejected" : "proposed",
    deployed: decision?.deployed ?? false,
    cid: view.cid,
    weightsHash: view.weightsHash,
    proposer: proposal?.proposer ?? view.proposer,
    attesters: votes.map((vote) => vote.oracle),
    participants: view.participants,
    metric: Number(view.metric) / 1e6,
    ok,
  };
  return { subject: { kind: "model", id: `${taskName} v${versionId}`, ok, checks }, node, path: lineage.path };
}

/** The version's stored record agrees with the events that made it. */
function recordCheck(ctx: ModelAuditContext, versionId: bigint, view: VersionView, task: TaskRecord | undefined): AuditCheck {
  const { index } = ctx;
  const decision = index.decisions.get(versionId.toString());
  const evidence: Record<string, EvidenceValue> = { versionId: versionId.toString(), taskId: view.taskId, cid: view.cid, weightsHash: view.weightsHash, status: view.status };
  if (!task) return fail("record", `version ${versionId} belongs to task ${view.taskId}, which has no TaskCreated event`, evidence);
  if (view.roundId === 0n) {
    evidence.transactionHash = task.place.transactionHash;
    evidence.block = block(task.place);
    if (task.genesisVersion !== versionId) return fail("record", `version ${versionId} has no round but TaskCreated names version ${task.genesisVersion} as ${task.name}'s genesis`, evidence);
    return pass("record", evidence);
  }
  const proposal = index.proposals.get(versionId.toString());
  if (!proposal) return fail("record", `version ${versionId} has no VersionProposed event`, evidence);
  evidence.transactionHash = proposal.place.transactionHash;
  evidence.block = block(proposal.place);
  const differences: string[] = [];
  if (!same(proposal.taskId, view.taskId)) differences.push(`task ${proposal.taskId} vs ${view.taskId}`);
  if (proposal.roundId !== view.roundId) differences.push(`round ${proposal.roundId} vs ${view.roundId}`);
  if (proposal.cid !== view.cid) differences.push(`cid ${proposal.cid} vs ${view.cid}`);
  if (!same(proposal.weightsHash, view.weightsHash)) differences.push(`weights hash ${proposal.weightsHash} vs ${view.weightsHash}`);
  if (proposal.metric !== view.metric) differences.push(`metric ${proposal.metric} vs ${view.metric}`);
  if (!same(proposal.participantsRoot, view.participantsRoot)) differences.push(`participants root ${proposal.participantsRoot} vs ${view.participantsRoot}`);
  if (!isAddressEqual(proposal.proposer, view.proposer)) differences.push(`proposer ${proposal.proposer} vs ${view.proposer}`);
  const expectedStatus = decision ? (decision.deployed ? VersionStatus.Validated : VersionStatus.Rejected) : index.voided.has(view.roundId.toString()) ? VersionStatus.Rejected : VersionStatus.Proposed;
  if (view.status !== expectedStatus) differences.push(`status ${view.status}, but its events say ${expectedStatus}`);
  if (differences.length) return fail("record", `version ${versionId}'s stored record differs from its events: ${differences.join("; ")}`, evidence);
  return pass("record", evidence);
}

async function weightsCheck(ctx: ModelAuditContext, view: VersionView): Promise<AuditCheck> {
  const result = await modelContentHash(ctx.sources, view.cid, view.weightsHash);
  const evidence: Record<string, EvidenceValue> = { cid: view.cid, onChain: view.weightsHash, computed: result.ok ? result.hash : null, layout: result.ok ? result.layout : null };
  if (!result.ok) return fail("weights-hash", result.reason, evidence);
  if (!same(result.hash, view.weightsHash)) return fail("weights-hash", `the content of ${view.cid} hashes to ${result.hash}, the chain records ${view.weightsHash}`, evidence);
  return pass("weights-hash", evidence);
}

/** Loads the ancestry's views (each parent, until genesis or a missing version) and walks it. */
async function lineageCheck(ctx: ModelAuditContext, versionId: bigint, view: VersionView): Promise<{ check: AuditCheck; path: bigint[] }> {
  const { index, reads } = ctx;
  const versions = new Map<string, LineageVersion>();
  let current: bigint = versionId;
  let currentView: VersionView = view;
  for (let steps = 0; steps < 100_000; steps++) {
    if (currentView.status === VersionStatus.None) break;
    versions.set(current.toString(), { versionId: current, taskId: currentView.taskId, parent: currentView.parent, roundId: currentView.roundId });
    if (currentView.roundId === 0n || currentView.parent === 0n || versions.has(currentView.parent.toString())) break;
    current = currentView.parent;
    currentView = await reads.version(current);
  }
  const rounds = new Map<string, LineageRound>();
  for (const [id, round] of index.rounds) {
    rounds.set(id, { taskId: round.taskId, baseVersion: round.baseVersion, deployedAtOpen: deployedVersionAt(index, round.taskId, at(round.place)) });
  }
  const task = index.tasks.get(view.taskId.toLowerCase());
  const walk = walkLineage(versionId, view.taskId, task?.genesisVersion, versions, rounds);
  const evidence: Record<string, EvidenceValue> = { path: walk.path.map(String).join(" → "), genesis: task ? task.genesisVersion.toString() : null };
  if (!walk.ok) return { check: fail("lineage", walk.reason, { ...evidence, brokenAt: walk.brokenAt.toString() }), path: walk.path };
  return { check: pass("lineage", evidence), path: walk.path };
}

async function proposalCheck(ctx: ModelAuditContext, versionId: bigint): Promise<AuditCheck> {
  const proposal = ctx.index.proposals.get(versionId.toString());
  if (!proposal) return fail("proposal", `version ${versionId} has no VersionProposed event`, {});
  const role = await ctx.reads.oracleAt(proposal.proposer, at(proposal.place));
  const evidence = { proposer: proposal.proposer, block: block(proposal.place), transactionHash: proposal.place.transactionHash, grantedAt: block(role.grantedAt) };
  if (!role.member) return fail("proposal", roleProblem(proposal.proposer, role, proposal.place, "proposed"), evidence);
  return pass("proposal", evidence);
}

/** Distinct attesters, each an ORACLE at its own Attested log, and a quorum (of the policy then in force) at the decision. */
async function attestationsCheck(ctx: ModelAuditContext, versionId: bigint, view: VersionView): Promise<AuditCheck> {
  const { index, reads } = ctx;
  const votes = index.attestations.get(versionId.toString()) ?? [];
  const decision = index.decisions.get(versionId.toString());
  const judgedAt: LogPosition = decision ? at(decision.place) : { blockNumber: index.head };
  const policy = policyAt(index.policies.get(view.taskId.toLowerCase()) ?? [], judgedAt);
  const problems: string[] = [];
  const seen = new Set<string>();
  let valid = 0;
  for (const vote of votes) {
    const account = vote.oracle.toLowerCase();
    if (seen.has(account)) {
      problems.push(`${vote.oracle} attested twice (again at block ${vote.place.blockNumber})`);
      continue;
    }
    seen.add(account);
    const role = await reads.oracleAt(vote.oracle, at(vote.place));
    if (role.member) valid++;
    else problems.push(roleProblem(vote.oracle, role, vote.place, "attested"));
  }
  const quorum = policy?.policy.quorum ?? null;
  const evidence: Record<string, EvidenceValue> = {
    attesters: votes.map((vote) => `${vote.oracle}@${vote.place.blockNumber}`).join(", "),
    distinctOracles: valid,
    quorum,
    recorded: view.attestations,
    dissents: (index.dissents.get(versionId.toString()) ?? []).length,
  };
  if (votes.length !== view.attestations) problems.push(`the record counts ${view.attestations} attestations, the events ${votes.length}`);
  if (decision && quorum !== null && valid < quorum) problems.push(`only ${valid} distinct oracle attestations, the quorum when it was ${decision.deployed ? "deployed" : "rejected"} was ${quorum}`);
  if (problems.length) return fail("attestations", listed(problems), evidence);
  return pass("attestations", evidence, decision ? undefined : "not decided yet");
}

/**
 * An encrypted round's version: its weights are the key holder's recorded decryption (AggregateDecrypted) of the
 * round, recorded by a KEY_HOLDER under a published key; with full content verification, the recorded aggregate
 * hash is recomputed from the committed ciphertexts. Plaintext rounds have nothing to check (undefined).
 */
async function decryptionCheck(ctx: ModelAuditContext, versionId: bigint, view: VersionView): Promise<AuditCheck | undefined> {
  const { index, reads } = ctx;
  const record = index.decryptions.get(view.roundId.toString());
  const proposal = index.proposals.get(versionId.toString());
  const policy = policyAt(index.policies.get(view.taskId.toLowerCase()) ?? [], proposal ? at(proposal.place) : { blockNumber: index.head })?.policy;
  if (!record) {
    if (!policy?.encryptedAggregation) return undefined;
    return fail("decryption", `the task aggregates encrypted updates, but round ${view.roundId} has no recorded decryption: nothing accounts for version ${versionId}'s weights`, { roundId: view.roundId.toString() });
  }
  const evidence: Record<string, EvidenceValue> = {
    keyId: record.keyId.toString(),
    holder: record.holder,
    aggregateHash: record.aggregateHash,
    resultHash: record.resultHash,
    resultCid: record.resultCid,
    recordedAt: block(record.place),
    transactionHash: record.place.transactionHash,
  };
  if (record.resultHash.toLowerCase() !== view.weightsHash.toLowerCase()) {
    return fail("decryption", `version ${versionId}'s weights hash ${view.weightsHash} is not the key holder's decryption of round ${view.roundId} (${record.resultHash})`, evidence);
  }
  const key = index.keys.get(record.keyId.toString());
  if (!key || !isBefore(key.place, at(record.place))) return fail("decryption", `key ${record.keyId} was not published before the decryption at block ${record.place.blockNumber}`, evidence);
  const role = await reads.keyHolderAt(record.holder, at(record.place));
  if (!role.member) return fail("decryption", `${record.holder} recorded the decryption at block ${record.place.blockNumber} (tx ${record.place.transactionHash}) without holding KEY_HOLDER`, evidence);
  if (ctx.options.verifyUpdateContent !== "all") return pass("decryption", evidence, "the aggregate ciphertext was not recomputed (update content is sampled)");
  const commitment = (index.commitments.get(view.roundId.toString()) ?? [])[0];
  if (!commitment) return fail("decryption", `round ${view.roundId} has no commitment to rebuild the aggregate from`, evidence);
  try {
    const sealed = decodeSealedUpdates(await catDocument(ctx.sources, commitment.updatesCid));
    const refs = sealed.updates.map((u) => ({ device: u.device, cid: u.update.updateCid, contentHash: u.update.weightsHash, sampleCount: u.update.sampleCount }));
    const fetchContent = (cid: string) => ctx.sources.store.cat(cid, undefined, { timeoutMs: ctx.sources.catTimeoutMs });
    const aggregate = await aggregateCommittedUpdates(fetchContent, refs, { uniform: (policy?.dpClipNorm ?? 0) > 0 });
    if (aggregate.hash !== record.aggregateHash) return fail("decryption", `the committed ciphertexts of round ${view.roundId} aggregate to ${aggregate.hash}; the key holder recorded decrypting ${record.aggregateHash}`, evidence);
    return pass("decryption", { ...evidence, recomputedAggregateHash: aggregate.hash });
  } catch (error) {
    return fail("decryption", `cannot rebuild round ${view.roundId}'s aggregate ciphertext: ${errorLine(error)}`, evidence);
  }
}

/** Recomputes the verdict under the policy in force at the decision, against the version deployed then. */
async function policyCheck(ctx: ModelAuditContext, versionId: bigint, view: VersionView): Promise<AuditCheck> {
  const { index, reads } = ctx;
  const decision = index.decisions.get(versionId.toString());
  const voided = index.voided.get(view.roundId.toString());
  if (!decision) {
    if (voided) return pass("policy", { voidedAt: block(voided.place), reason: voided.reason }, `round ${view.roundId} was voided by a fraud proof (reason ${voided.reason}) before a decision`);
    return pass("policy", {}, "not decided yet");
  }
  const record = policyAt(index.policies.get(view.taskId.toLowerCase()) ?? [], at(decision.place));
  if (!record) return fail("policy", `no policy was in force for task ${view.taskId} at block ${decision.place.blockNumber}`, {});
  const policy = record.policy;
  const previous = decision.deployed ? decision.previousVersion : deployedVersionAt(index, view.taskId, at(decision.place));
  if (previous === null || previous === undefined || previous === 0n) return fail("policy", `no version was deployed for the task before version ${versionId} was judged`, {});
  const previousMetric = (await reads.version(previous)).metric;
  const votesAtDecision = (index.attestations.get(versionId.toString()) ?? []).filter((vote) => vote.place.blockNumber < decision.place.blockNumber || (vote.place.blockNumber === decision.place.blockNumber && vote.place.logIndex < decision.place.logIndex));
  const verdict = evaluatePolicy(policy, view.metric, previousMetric, view.participants);
  const evidence: Record<string, EvidenceValue> = {
    metric: view.metric.toString(),
    previousVersion: previous.toString(),
    previousMetric: previousMetric.toString(),
    participants: view.participants,
    minParticipants: policy.minParticipants,
    threshold: policy.threshold.toString(),
    minImprovement: policy.minImprovement.toString(),
    higherIsBetter: policy.higherIsBetter,
    quorum: policy.quorum,
    attestations: votesAtDecision.length,
    policySetAt: block(record.place),
    decidedAt: block(decision.place),
    verdict: verdictText(verdict),
  };
  const numbers = explainVerdict(policy, view.metric, previousMetric, view.participants);
  if (votesAtDecision.length < policy.quorum) return fail("policy", `version ${versionId} was judged with ${votesAtDecision.length} attestations, below the quorum of ${policy.quorum}`, evidence);
  if (decision.deployed) {
    if (verdict !== Verdict.Accepted) return fail("policy", `version ${versionId} was deployed, but the policy in force says "${verdictText(verdict)}": ${numbers}`, evidence);
    return pass("policy", evidence);
  }
  if (verdict === Verdict.Accepted) return fail("policy", `version ${versionId} was rejected (${verdictText(decision.verdict ?? -1)}), but the policy in force accepts it: ${numbers}`, evidence);
  if (decision.verdict !== verdict) return fail("policy", `version ${versionId} was rejected as "${verdictText(decision.verdict ?? -1)}", the policy says "${verdictText(verdict)}": ${numbers}`, evidence);
  return pass("policy", evidence, `rejected: ${verdictText(verdict)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The updates a version aggregates.

const updateCheckNames = ["participants-root", "update-signature", "update-fields", "update-device", "update-content"] as const;

function notChecked(because: string): AuditCheck[] {
  return updateCheckNames.slice(1).map((name) => fail(name, `not checked: ${because}`, {}));
}

/** The signers of a sealed document's updates: memoised per audit and cached per CID (the file key pins chain and ledger). */
function signersOf(ctx: ModelAuditContext, cid: string, sealed: SealedUpdates): Promise<(Address | null)[]> {
  let found = ctx.signers.get(cid);
  if (!found) {
    const cached = ctx.sources.cache.getSigners(cid);
    if (cached && cached.length === sealed.updates.length) {
      found = Promise.resolve(cached.map((signer) => (signer === "" ? null : (signer as Address))));
    } else {
      const digests = sealed.updates.map((signed) => modelUpdateDigest(ctx.domainSeparator, signed.update));
      found = recoverSigners(digests, sealed.updates.map((signed) => signed.signature), { threads: ctx.options.threads }).then((signers) => {
        ctx.sources.cache.setSigners(cid, signers.map((signer) => signer ?? ""));
        return signers;
      });
    }
    ctx.signers.set(cid, found);
  }
  return found;
}

async function updateChecks(ctx: ModelAuditContext, versionId: bigint, view: VersionView): Promise<AuditCheck[]> {
  const { index } = ctx;
  const round = index.rounds.get(view.roundId.toString());
  if (!round) return [fail("participants-root", `round ${view.roundId} was never opened`, {}), ...notChecked(`round ${view.roundId} is unknown`)];
  const commitments = index.commitments.get(view.roundId.toString()) ?? [];
  const submissions = index.submissions.get(view.roundId.toString()) ?? [];
  if (commitments.length > 0) return commitmentChecks(ctx, versionId, view, round, commitments);
  if (submissions.length > 0) return submissionChecks(ctx, view, round, submissions);
  return [fail("participants-root", `round ${view.roundId} has neither an UpdatesCommitted nor an UpdateSubmitted event`, {}), ...notChecked("the round's participation is unknown")];
}

async function commitmentChecks(ctx: ModelAuditContext, versionId: bigint, view: VersionView, round: RoundRecord, commitments: CommitmentRecord[]): Promise<AuditCheck[]> {
  const commitment = commitments[0]!;
  const base: Record<string, EvidenceValue> = {
    updatesCid: commitment.updatesCid,
    committedRoot: commitment.root,
    versionRoot: view.participantsRoot,
    count: commitment.count,
    oracle: commitment.oracle,
    block: block(commitment.place),
    transactionHash: commitment.place.transactionHash,
  };
  let sealed: SealedUpdates;
  try {
    sealed = decodeSealedUpdates(await catDocument(ctx.sources, commitment.updatesCid));
  } catch (error) {
    return [fail("participants-root", `the sealed updates ${commitment.updatesCid} named by round ${view.roundId}'s commitment: ${errorLine(error)}`, base), ...notChecked("the sealed-updates document is unavailable")];
  }
  const signers = await signersOf(ctx, commitment.updatesCid, sealed);
  const updates = sealed.updates;
  const label = (i: number) => `update #${i} (${updates[i]!.update.updateCid})`;
  const commitAt = at(commitment.place);

  // update-signature: each signature recovers to an account registered as a device by the commitment.
  const signatureProblems: string[] = [];
  const registered: boolean[] = signers.map((signer, i) => {
    if (signer === null) {
      signatureProblems.push(`${label(i)}: the signature does not recover to any account`);
      return false;
    }
    const claimed = updates[i]!.device;
    if (!same(signer, claimed)) {
      signatureProblems.push(`${label(i)} is accepted as device ${claimed}'s but signed by ${signer}: the update was altered after signing or signed by another key`);
      return false;
    }
    const state = deviceStateAt(signer, ctx.index.deviceLogs.get(signer.toLowerCase()) ?? [], commitAt);
    if (!state.registered) {
      signatureProblems.push(`${label(i)} is signed by ${signer}, which is not a registered device: the update was altered after signing or signed by another key`);
      return false;
    }
    return true;
  });

  // participants-root: the tree rebuilt from the signers equals the committed root, the version's, and the count.
  const rootProblems: string[] = [];
  if (commitments.length > 1) rootProblems.push(`round ${view.roundId} has ${commitments.length} commitments`);
  if (!same(commitment.root, view.participantsRoot)) rootProblems.push(`the commitment's root ${commitment.root} is not the version's ${view.participantsRoot}`);
  if (commitment.count !== view.participants) rootProblems.push(`the commitment counts ${commitment.count} updates, the version ${view.participants}`);
  if (updates.length !== commitment.count) rootProblems.push(`the document holds ${updates.length} updates, the commitment counts ${commitment.count}`);
  if (!same(sealed.taskId, view.taskId) || sealed.roundId !== view.roundId) rootProblems.push(`the document is for task ${sealed.taskId} round ${sealed.roundId}`);
  let rebuilt: Hex | null = null;
  if (signers.every((signer) => signer !== null)) {
    rebuilt = rebuildRoot(updates.map((signed, i) => leafOf(signers[i]!, signed.update)));
    if (!same(rebuilt, commitment.root)) rootProblems.push(`the document's updates, under their recovered signers, build root ${rebuilt}, not the committed ${commitment.root}`);
  } else {
    rootProblems.push("the tree cannot be rebuilt: some signatures do not recover");
  }
  const rootCheck = rootProblems.length ? fail("participants-root", listed(rootProblems), { ...base, rebuiltRoot: rebuilt }) : pass("participants-root", { ...base, rebuiltRoot: rebuilt });

  // update-fields: bound to this task, round and base version; one update per device.
  const fieldIssues: string[] = [];
  const seen = new Map<string, number>();
  updates.forEach((signed, i) => {
    const problems = fieldProblems(signed.update, { taskId: view.taskId, roundId: view.roundId, baseVersion: round.baseVersion });
    if (problems.length) fieldIssues.push(`${label(i)} signed for ${problems.join(", ")}`);
    const signer = signers[i];
    if (signer) {
      const earlier = seen.get(signer.toLowerCase());
      if (earlier !== undefined) fieldIssues.push(`device ${signer} has two updates (#${earlier} and #${i})`);
      else seen.set(signer.toLowerCase(), i);
    }
  });

  // update-device: registered and active just before the commitment (revocation is final, so this also covers the round's opening).
  const deviceIssues: string[] = [];
  signers.forEach((signer, i) => {
    if (!signer || !registered[i]) return;
    const state = deviceStateAt(signer, ctx.index.deviceLogs.get(signer.toLowerCase()) ?? [], commitAt);
    if (!state.active) {
      const since = state.statusSince ? ` since block ${state.statusSince.blockNumber}` : "";
      const beforeOpen = state.statusSince && state.statusSince.blockNumber < round.place.blockNumber ? `, before round ${view.roundId} opened at block ${round.place.blockNumber}` : "";
      deviceIssues.push(`device ${signer} (${label(i)}) was ${state.statusName}${since}${beforeOpen}, yet its update is in the commitment at block ${commitment.place.blockNumber}`);
    }
  });

  const contentCheck = await contentChecks(ctx, updates.map((signed, i) => ({ label: label(i), cid: signed.update.updateCid, weightsHash: signed.update.weightsHash })));
  const counts = { updates: updates.length };
  return [
    rootCheck,
    signatureProblems.length ? fail("update-signature", listed(signatureProblems), { ...counts, failed: signatureProblems.length }) : pass("update-signature", { ...counts, verified: updates.length }),
    fieldIssues.length ? fail("update-fields", listed(fieldIssues), { ...counts, failed: fieldIssues.length }) : pass("update-fields", { ...counts, baseVersion: round.baseVersion.toString() }),
    deviceIssues.length ? fail("update-device", listed(deviceIssues), { ...counts, failed: deviceIssues.length, atBlock: block(commitment.place) }) : pass("update-device", { ...counts, atBlock: block(commitment.place) }),
    contentCheck,
  ].map((check) => ({ ...check, evidence: { versionId: versionId.toString(), ...check.evidence } }));
}

/** Per-device submissions: the contract verified each signature and field; re-fold the running digest and check devices and content. */
async function submissionChecks(ctx: ModelAuditContext, view: VersionView, round: RoundRecord, submissions: SubmissionRecord[]): Promise<AuditCheck[]> {
  const digest = submissionsDigest(submissions.map((submission) => submission.leaf));
  const rootProblems: string[] = [];
  if (!same(digest, view.participantsRoot)) rootProblems.push(`the ${submissions.length} UpdateSubmitted leaves fold to ${digest}, the version records ${view.participantsRoot}`);
  if (submissions.length !== view.participants) rootProblems.push(`${submissions.length} submissions, the version counts ${view.participants}`);
  const deviceIssues: string[] = [];
  for (const submission of submissions) {
    const state = deviceStateAt(submission.device, ctx.index.deviceLogs.get(submission.device.toLowerCase()) ?? [], at(submission.place));
    if (!state.active) deviceIssues.push(`device ${submission.device} was ${state.statusName} when its update was submitted at block ${submission.place.blockNumber}`);
  }
  const contentCheck = await contentChecks(ctx, submissions.map((submission, i) => ({ label: `submission #${i} (${submission.updateCid})`, cid: submission.updateCid, weightsHash: submission.weightsHash })));
  const counts = { updates: submissions.length, path: "per-device submissions" };
  return [
    rootProblems.length ? fail("participants-root", listed(rootProblems), { ...counts, digest }) : pass("participants-root", { ...counts, digest }),
    pass("update-signature", counts, "verified on chain by UpdateLedger.submitUpdate"),
    pass("update-fields", { ...counts, baseVersion: round.baseVersion.toString() }, "task and base version checked on chain by UpdateLedger.submitUpdate"),
    deviceIssues.length ? fail("update-device", listed(deviceIssues), { ...counts, failed: deviceIssues.length }) : pass("update-device", counts),
    contentCheck,
  ];
}

/** Fetches and hashes the selected updates' content (a few at a time) against their signed weights hash. */
async function contentChecks(ctx: ModelAuditContext, items: { label: string; cid: string; weightsHash: Hex }[]): Promise<AuditCheck> {
  const mode = ctx.options.verifyUpdateContent;
  const picked = sampleIndices(items.length, mode);
  const evidence: Record<string, EvidenceValue> = { mode: String(mode), checked: picked.length, of: items.length };
  if (picked.length === 0) return pass("update-content", evidence, "update content not fetched (verifyUpdateContent: none)");
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < picked.length) {
      const item = items[picked[next++]!]!;
      const result = await updateContentHash(ctx.sources, item.cid);
      if (!result.ok) problems.push(`${item.label}: ${result.reason}`);
      else if (!same(result.hash, item.weightsHash)) problems.push(`${item.label}: content hashes to ${result.hash}, the signed weights hash is ${item.weightsHash}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, picked.length) }, worker));
  evidence.failed = problems.length;
  if (problems.length) return fail("update-content", listed(problems), evidence);
  return pass("update-content", evidence, picked.length < items.length ? `a sample of ${picked.length} of ${items.length} updates was fetched` : undefined);
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Audits one version of a task (by name or 0x id) and returns its report and the lineage to genesis. Ancestors are
 * audited without their per-update checks (their own `model` audit has them); their nodes' `ok` reflects that.
 */
export async function auditModel(sources: AuditSources, task: string, versionId: bigint, options: ModelAuditOptions = {}): Promise<{ subject: SubjectReport; lineage: LineageNode[] }> {
  const ctx = await createModelAuditContext(sources, options);
  const record = resolveTask(ctx.index, task);
  if (!record) {
    return { subject: { kind: "model", id: `${task} v${versionId}`, ok: false, checks: [fail("record", `no task named or with id ${task} was created on ModelRegistry ${sources.addresses.ModelRegistry}`, { task })] }, lineage: [] };
  }
  const main = await auditVersion(ctx, versionId);
  const lineage: LineageNode[] = main.node ? [main.node] : [];
  if (main.node && !same(main.node.taskId, record.taskId)) {
    main.subject.checks.unshift(fail("record", `version ${versionId} belongs to task ${main.node.taskName}, not ${record.name}`, { taskId: main.node.taskId }));
    main.subject.ok = false;
  }
  for (const ancestor of main.path.slice(1)) {
    const audited = await auditVersion(ctx, ancestor, { withUpdates: false });
    if (audited.node) lineage.push(audited.node);
  }
  return { subject: main.subject, lineage };
}
