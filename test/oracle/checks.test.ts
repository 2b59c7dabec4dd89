import { expect } from "chai";
import { network } from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, toBytes, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { signModelUpdate, type ModelUpdate } from "../../lib/chain/typed-data.ts";
import { envelopeToJson } from "../../lib/fl/envelope.ts";
import { kuboCidOf } from "../../lib/ipfs/kubo-cid.ts";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";
import { weightsHash, weightsToBytes } from "../../lib/model/weights.ts";
import { chainCheckContext, type CheckSources } from "../../oracle/check-context.ts";
import { checkUpdate, type RejectionReason } from "../../oracle/checks.ts";
import { makeFixture, type Fixture } from "../helpers/fixture.ts";
import { commit, openRound, updateLeaves } from "../helpers/rounds.ts";

const connection = await network.create();
const deployAndSeed = makeFixture(connection);
const PARAMETERS = 64;
const base = Float32Array.from({ length: PARAMETERS }, (_, i) => Math.sin(i) / 10);

describe("oracle update checks: every rejection names its reason", () => {
  let f: Fixture;
  let store: ContentStore;
  let roundId: bigint;
  let deadline: bigint;

  before(async () => {
    f = await connection.networkHelpers.loadFixture(deployAndSeed);
    store = (await openContentStore({ dataDir: mkdtempSync(join(tmpdir(), "twinledger-checks-")) })).store;
    roundId = await openRound(f);
    deadline = (await f.as(f.wallets.auditor).models.read.round([roundId])).deadline;
  });
  after(async () => store?.close());

  const sources = (overrides: Partial<CheckSources> = {}): CheckSources => ({
    contracts: f.as(f.wallets.auditor),
    chainId: f.clients.publicClient.chain.id,
    updateLedger: f.addresses.UpdateLedger,
    taskId: f.taskId,
    store,
    now: async () => deadline - 100n,
    isNonceUsed: () => false,
    hasAccepted: () => false,
    baseWeights: async () => base,
    maxUpdateNorm: 1,
    ...overrides,
  });

  /** A device's signed update with weights base + delta, stored on IPFS. */
  async function signed(deviceIndex: number, options: { delta?: number; weights?: Float32Array; update?: Partial<ModelUpdate>; ledger?: Address; store?: boolean } = {}) {
    const weights = options.weights ?? Float32Array.from(base, (w) => w + (options.delta ?? 0.01));
    const bytes = weightsToBytes(weights);
    const cid = options.store === false ? (await kuboCidOf(bytes)).toString() : await store.addFile(bytes);
    const update: ModelUpdate = { taskId: f.taskId, roundId, baseVersion: 1n, updateCid: cid, weightsHash: weightsHash(weights), sampleCount: 500n, metrics: [12_000_000n], nonce: roundId, deadline, ...options.update };
    const signature = await signModelUpdate(privateKeyToAccount(f.seed.devices[deviceIndex]!.privateKey), f.clients.publicClient.chain.id, options.ledger ?? f.addresses.UpdateLedger, update);
    return { update, signature };
  }

  async function expectRejected(body: unknown, reason: RejectionReason, overrides: Partial<CheckSources> = {}) {
    const result = await checkUpdate(chainCheckContext(sources(overrides)), body);
    expect(result.ok, `expected ${reason}`).to.equal(false);
    if (!result.ok) {
      expect(result.reason).to.equal(reason);
      expect(result.message).to.be.a("string").and.not.equal("");
    }
  }

  it("accepts a valid update from an active device and recovers the device from the signature", async () => {
    const result = await checkUpdate(chainCheckContext(sources()), envelopeToJson(await signed(0)));
    expect(result.ok).to.equal(true);
    if (result.ok) {
      expect(result.device).to.equal(f.seed.devices[0]!.address);
      expect(result.weights?.length).to.equal(PARAMETERS);
      expect(result.norm).to.be.closeTo(0.08, 0.001);
    }
  });

  it("refuses malformed messages and signatures that do not recover", async () => {
    await expectRejected({}, "malformed");
    await expectRejected({ ...(envelopeToJson(await signed(0)) as object), signature: "0x1234" }, "malformed");
    await expectRejected({ ...(envelopeToJson(await signed(0)) as object), signature: `0x${"00".repeat(65)}` }, "bad_signature");
  });

  it("refuses tampered updates, signatures for another contract, and unknown keys", async () => {
    const valid = await signed(0);
    await expectRejected(envelopeToJson({ ...valid, update: { ...valid.update, sampleCount: 5000n } }), "unknown_device");
    await expectRejected(envelopeToJson(await signed(0, { ledger: f.addresses.ModelRegistry })), "unknown_device");
    const stranger = privateKeyToAccount(keccak256(toBytes("stranger")));
    const update = (await signed(0)).update;
    await expectRejected(envelopeToJson({ update, signature: await signModelUpdate(stranger, f.clients.publicClient.chain.id, f.addresses.UpdateLedger, update) }), "unknown_device");
  });

  it("refuses a suspended device", async () => {
    await f.send(f.as(f.wallets.members[0]!).devices.write.suspendDevice([f.seed.devices[1]!.address]));
    await expectRejected(envelopeToJson(await signed(1)), "device_inactive");
    await f.send(f.as(f.wallets.members[0]!).devices.write.reactivateDevice([f.seed.devices[1]!.address]));
  });

  it("refuses the wrong task, an unknown round, a late update, an expired signature and the wrong base", async () => {
    await expectRejected(envelopeToJson(await signed(0, { update: { taskId: keccak256(toBytes("other-task")) } })), "task_mismatch");
    await expectRejected(envelopeToJson(await signed(0, { update: { roundId: 99n } })), "unknown_round");
    await expectRejected(envelopeToJson(await signed(0)), "round_expired", { now: async () => deadline + 1n });
    await expectRejected(envelopeToJson(await signed(0, { update: { deadline: deadline - 200n } })), "signature_expired");
    await expectRejected(envelopeToJson(await signed(0, { update: { baseVersion: 5n } })), "base_version_mismatch");
  });

  it("refuses a replayed nonce and a second update from the same device", async () => {
    const body = envelopeToJson(await signed(0));
    await expectRejected(body, "nonce_used", { isNonceUsed: (device, nonce) => device === f.seed.devices[0]!.address && nonce === roundId });
    await expectRejected(body, "duplicate", { hasAccepted: (round, device) => round === roundId && device === f.seed.devices[0]!.address });
  });

  it("refuses weights that cannot be fetched, do not match their hash, or are the wrong shape", async () => {
    await expectRejected(envelopeToJson(await signed(0, { store: false, delta: 0.0123 })), "weights_unavailable");
    await expectRejected(envelopeToJson(await signed(0, { update: { weightsHash: keccak256(toBytes("not these")) }, weights: Float32Array.from(base) })), "weights_hash_mismatch");
    const short = Float32Array.from(base.subarray(0, PARAMETERS - 1));
    await expectRejected(envelopeToJson(await signed(0, { weights: short })), "shape_mismatch");
    const odd = await store.addFile(new Uint8Array([1, 2, 3]));
    await expectRejected(envelopeToJson(await signed(0, { update: { updateCid: odd } })), "shape_mismatch");
  });

  it("refuses non-finite values and updates beyond the norm bound", async () => {
    const poisoned = Float32Array.from(base);
    poisoned[7] = Number.NaN;
    await expectRejected(envelopeToJson(await signed(0, { weights: poisoned })), "non_finite");
    await expectRejected(envelopeToJson(await signed(0, { delta: 0.5 })), "norm_out_of_bounds");
  });

  it("under differential privacy, accepts an honest clipped and noised update that the plain bound would refuse", async () => {
    const policy = await f.as(f.wallets.auditor).models.read.policyOf([f.taskId]);
    const governance = f.as(f.wallets.governance).models;
    // Clip 0.5, σ 1, over the policy's 2 participants: noise std 0.35 a coordinate, a norm near 0.35·√64 = 2.8.
    await f.send(governance.write.setPolicy([f.taskId, { ...policy, dpClipNorm: 500_000, dpNoiseMultiplier: 1_000_000 }]));
    try {
      const { privatiseUpdate, seededGaussian } = await import("../../lib/privacy/dp.ts");
      const trained = Float32Array.from(base, (w) => w + 0.01);
      const noised = privatiseUpdate(base, trained, { clipNorm: 0.5, noiseMultiplier: 1, expectedParticipants: 2, delta: 1e-5 }, seededGaussian(3)).weights;
      const result = await checkUpdate(chainCheckContext(sources()), envelopeToJson(await signed(3, { weights: noised })));
      expect(result.ok, result.ok ? "" : result.message).to.equal(true);
      if (result.ok) expect(result.norm).to.be.greaterThan(1);
      await expectRejected(envelopeToJson(await signed(3, { delta: 1 })), "norm_out_of_bounds");
    } finally {
      await f.send(governance.write.setPolicy([f.taskId, policy]));
    }
  });

  it("under encryption, accepts a ciphertext under the active key and refuses garbage, another key and the wrong size", async () => {
    const { encryptVector, generateCkksKeys } = await import("../../lib/he/index.ts");
    const models = f.as(f.wallets.governance).models;
    const policy = await models.read.policyOf([f.taskId]);
    await f.send(models.write.setPolicy([f.taskId, { ...policy, encryptedAggregation: true }]));
    try {
      const { publicKey } = await generateCkksKeys();
      const keys = f.as(f.wallets.keyHolder).encryptionKeys;
      await f.send(keys.write.publishKey(["QmPublicKey", keccak256(publicKey), keccak256(toBytes("params"))]));
      const activeKeyId = await keys.read.activeKeyId();
      const encrypted = async (deviceIndex: number, content: Uint8Array) => {
        const cid = await store.addFile(content);
        return envelopeToJson(await signed(deviceIndex, { update: { updateCid: cid, weightsHash: keccak256(content) } }));
      };
      const accepted = await checkUpdate(chainCheckContext(sources()), await encrypted(4, await encryptVector(publicKey, activeKeyId, Float32Array.from(base))));
      expect(accepted.ok, accepted.ok ? "" : accepted.message).to.equal(true);
      if (accepted.ok) expect(accepted.weights, "an encrypted update's values stay hidden").to.equal(undefined);
      await expectRejected(await encrypted(4, new TextEncoder().encode("not a ciphertext at all")), "malformed_ciphertext");
      await expectRejected(await encrypted(4, await encryptVector(publicKey, activeKeyId + 7n, Float32Array.from(base))), "wrong_key");
      await expectRejected(await encrypted(4, await encryptVector(publicKey, activeKeyId, base.subarray(0, 10))), "shape_mismatch");
      await expectRejected(envelopeToJson(await signed(4, { weights: Float32Array.from(base) })), "malformed_ciphertext");
    } finally {
      await f.send(models.write.setPolicy([f.taskId, policy]));
    }
  });

  it("refuses updates once the round's participation is sealed", async () => {
    await commit(f, roundId, updateLeaves(f, 2));
    await expectRejected(envelopeToJson(await signed(2)), "round_not_open");
  });
});
