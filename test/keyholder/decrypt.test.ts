import { expect } from "chai";
import { network } from "hardhat";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, stringToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { noPrivacy } from "../../lib/chain/policy.ts";
import { signModelUpdate, type ModelUpdate } from "../../lib/chain/typed-data.ts";
import { buildUpdateTree } from "../../lib/chain/update-tree.ts";
import { aggregateEncryptedUpdates } from "../../lib/fl/encrypted-round.ts";
import { encodeSealedUpdates, type SealedUpdate } from "../../lib/fl/sealed-updates.ts";
import { encryptVector } from "../../lib/he/index.ts";
import { openContentStore, type ContentStore } from "../../lib/ipfs/store.ts";
import { bytesToWeights } from "../../lib/model/weights.ts";
import { decryptRoundAggregate, DecryptionRefused, type KeyHolderContext, type RefusalReason } from "../../keyholder/decrypt.ts";
import { generateAndPublishKey } from "../../keyholder/keygen.ts";
import { KeyStore } from "../../keyholder/keystore.ts";
import { makeFixture, type Fixture } from "../helpers/fixture.ts";
import { latestTimestamp, openRound, HOUR } from "../helpers/rounds.ts";

const connection = await network.create();
const { networkHelpers } = connection;
const deployAndSeed = makeFixture(connection);
const LENGTH = 5_000;
const SAMPLE_COUNTS = [100n, 200n, 300n];

function vector(seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: LENGTH }, () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2;
  });
}

describe("key holder: decrypts only the aggregate of a committed round's updates", () => {
  const directories: string[] = [];
  let store: ContentStore;
  const temporary = () => {
    const directory = mkdtempSync(join(tmpdir(), "twinledger-keyholder-"));
    directories.push(directory);
    return directory;
  };
  before(async () => {
    store = (await openContentStore({ dataDir: temporary(), inMemory: true })).store;
  });
  after(async () => {
    await store.close();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  /**
   * An encrypted task (minimum `minParticipants`), a published key, a round with `devices` real encrypted and signed
   * updates sealed on IPFS and committed on chain (unless `commit` is false).
   */
  async function encryptedRound(options: { devices?: number; minParticipants?: number; encrypted?: boolean; commit?: boolean } = {}) {
    const f: Fixture = await networkHelpers.loadFixture(deployAndSeed);
    const devices = options.devices ?? 3;
    const governance = f.as(f.wallets.governance);
    await f.send(governance.models.write.setPolicy([f.taskId, { metricId: stringToHex("rmse", { size: 32 }), higherIsBetter: false, threshold: 20_000_000n, minImprovement: 0n, minParticipants: options.minParticipants ?? 2, quorum: 2, ...noPrivacy, encryptedAggregation: options.encrypted ?? true }]));
    const keystore = new KeyStore(join(temporary(), "keys"));
    const keyHolder = f.as(f.wallets.keyHolder);
    const key = await generateAndPublishKey({ clients: f.clients, contracts: keyHolder, store, keystore });
    const publicKey = await store.cat(key.publicKeyCid);
    const roundId = await openRound(f);
    const deadline = (await latestTimestamp(f)) + HOUR;
    const plaintexts = new Map<string, { values: Float32Array; sampleCount: bigint }>();
    const updates: SealedUpdate[] = [];
    for (let index = 0; index < devices; index++) {
      const device = f.seed.devices[index]!;
      const values = vector(index + 1);
      const content = await encryptVector(publicKey, key.keyId, values);
      const update: ModelUpdate = { taskId: f.taskId, roundId, baseVersion: 1n, updateCid: await store.addFile(content), weightsHash: keccak256(content), sampleCount: SAMPLE_COUNTS[index % 3]!, metrics: [], nonce: roundId, deadline };
      updates.push({ device: device.address, update, signature: await signModelUpdate(privateKeyToAccount(device.privateKey), f.clients.publicClient.chain.id, f.addresses.UpdateLedger, update) });
      plaintexts.set(device.address, { values, sampleCount: update.sampleCount });
    }
    const tree = buildUpdateTree(updates.map((u) => ({ device: u.device, contentHash: u.update.weightsHash, cid: u.update.updateCid, sampleCount: u.update.sampleCount, nonce: u.update.nonce })));
    const ordered = [...tree.entries()].map(([, value]) => updates.find((u) => u.device === value[0])!);
    const updatesCid = await store.addFile(encodeSealedUpdates({ taskId: f.taskId, roundId, updates: ordered }));
    if (options.commit ?? true) await f.send(f.as(f.wallets.oracles[0]!).updates.write.commitUpdates([roundId, tree.root as Hex, ordered.length, updatesCid]));
    const context: KeyHolderContext = { clients: f.clients, contracts: keyHolder, chainId: f.clients.publicClient.chain.id, updateLedger: f.addresses.UpdateLedger, store, keystore, catTimeoutMs: 5_000 };
    // What an oracle computes and sends: the FedAvg ciphertext of the committed updates.
    const refs = ordered.map((u) => ({ device: u.device, cid: u.update.updateCid, contentHash: u.update.weightsHash, sampleCount: u.update.sampleCount }));
    const honestAggregate = async () => store.addFile((await aggregateEncryptedUpdates((cid) => store.cat(cid), refs, { uniform: false, length: LENGTH, keyId: key.keyId })).bytes);
    return { f, roundId, context, ordered, refs, plaintexts, key, keyHolder, honestAggregate };
  }

  async function expectRefusal(action: Promise<unknown>, reason: RefusalReason, pattern?: RegExp) {
    let caught: unknown;
    try {
      await action;
    } catch (error) {
      caught = error;
    }
    expect(caught, `expected a refusal (${reason})`).to.be.instanceOf(DecryptionRefused);
    expect((caught as DecryptionRefused).reason).to.equal(reason);
    if (pattern) expect((caught as DecryptionRefused).message).to.match(pattern);
  }

  it("decrypts the FedAvg of exactly the committed updates within 1e-6, records it on chain, and answers again from the record", async () => {
    const { f, roundId, context, ordered, plaintexts, key, keyHolder, honestAggregate } = await encryptedRound();
    const aggregateCid = await honestAggregate();
    const decryption = await decryptRoundAggregate(context, roundId, aggregateCid);
    expect(decryption.fresh).to.equal(true);
    expect(decryption.keyId).to.equal(key.keyId);

    const total = ordered.reduce((sum, u) => sum + Number(u.update.sampleCount), 0);
    const expected = new Float64Array(LENGTH);
    for (const { values, sampleCount } of plaintexts.values()) for (let i = 0; i < LENGTH; i++) expected[i]! += (Number(sampleCount) / total) * values[i]!;
    const result = bytesToWeights(await store.cat(decryption.resultCid));
    expect(keccak256(await store.cat(decryption.resultCid))).to.equal(decryption.resultHash);
    let maxError = 0;
    for (let i = 0; i < LENGTH; i++) maxError = Math.max(maxError, Math.abs(result[i]! - expected[i]!));
    // float32 rounding of the result is ≤ 6e-8 for |x| ≤ 1; CKKS adds about 1e-8.
    expect(maxError).to.be.below(1e-6);

    const record = await keyHolder.encryptionKeys.read.decryptionOf([roundId]);
    expect(record).to.deep.include({ keyId: key.keyId, holder: f.wallets.keyHolder.account.address, aggregateHash: decryption.aggregateHash, resultHash: decryption.resultHash, resultCid: decryption.resultCid });
    const again = await decryptRoundAggregate(context, roundId, aggregateCid);
    expect(again).to.deep.include({ fresh: false, resultCid: decryption.resultCid, aggregateHash: decryption.aggregateHash });
  });

  it("refuses a single update, or a sum of fewer updates, passed off as the aggregate, and records nothing", async () => {
    const { roundId, context, ordered, refs, key, keyHolder } = await encryptedRound();
    await expectRefusal(decryptRoundAggregate(context, roundId, ordered[0]!.update.updateCid), "aggregate_mismatch", /is not|hashes to/);
    const partial = await aggregateEncryptedUpdates((cid) => store.cat(cid), refs.slice(0, 2), { uniform: false, length: LENGTH, keyId: key.keyId });
    await expectRefusal(decryptRoundAggregate(context, roundId, await store.addFile(partial.bytes)), "aggregate_mismatch");
    expect((await keyHolder.encryptionKeys.read.decryptionOf([roundId])).keyId).to.equal(0n);
  });

  it("refuses rounds that are not committed, too small, unknown, or of a plaintext task", async () => {
    const small = await encryptedRound({ devices: 2, minParticipants: 3 });
    await expectRefusal(decryptRoundAggregate(small.context, small.roundId, await small.honestAggregate()), "too_few_updates", /minimum is 3/);
    await expectRefusal(decryptRoundAggregate(small.context, 99n, "QmWhatever"), "unknown_round");

    const open = await encryptedRound({ commit: false });
    await expectRefusal(decryptRoundAggregate(open.context, open.roundId, "QmWhatever"), "round_not_committed");

    const plaintext = await encryptedRound({ encrypted: false });
    await expectRefusal(decryptRoundAggregate(plaintext.context, plaintext.roundId, await plaintext.honestAggregate()), "not_encrypted_task");
  });

  it("refuses when it does not hold the key the updates were encrypted under", async () => {
    const { roundId, context, honestAggregate } = await encryptedRound();
    const stranger = { ...context, keystore: new KeyStore(join(temporary(), "other-keys")) };
    await expectRefusal(decryptRoundAggregate(stranger, roundId, await honestAggregate()), "unknown_key");
  });

  it("rotates keys: a new key becomes active, the old round's record still names the old key, and both stay held", async () => {
    const { f, roundId, context, key, keyHolder, honestAggregate } = await encryptedRound();
    const first = await decryptRoundAggregate(context, roundId, await honestAggregate());
    const rotated = await generateAndPublishKey({ clients: f.clients, contracts: keyHolder, store, keystore: context.keystore });
    expect(rotated.keyId).to.equal(key.keyId + 1n);
    expect(await keyHolder.encryptionKeys.read.activeKeyId()).to.equal(rotated.keyId);
    expect(context.keystore.keyIds()).to.deep.equal([key.keyId, rotated.keyId]);
    expect((await keyHolder.encryptionKeys.read.decryptionOf([roundId])).keyId).to.equal(key.keyId);
    expect((await keyHolder.encryptionKeys.read.key([key.keyId])).publicKeyCid).to.equal(key.publicKeyCid);
    const again = await decryptRoundAggregate(context, roundId, "QmIgnoredOnceRecorded");
    expect(again).to.deep.include({ fresh: false, keyId: key.keyId, resultHash: first.resultHash });
  });

  it("keeps secret keys durably: 0600 files, a pending key adopted once the chain shows it", async () => {
    const directory = join(temporary(), "keys");
    const keystore = new KeyStore(directory);
    const publicKeyHash = keccak256(new Uint8Array([1, 2, 3]));
    keystore.savePending(publicKeyHash, new Uint8Array([9, 9, 9]));
    expect(keystore.keyIds()).to.deep.equal([]);
    expect(keystore.adoptPublished(new Map([[publicKeyHash, 4n]]))).to.deep.equal([4n]);
    expect(keystore.keyIds()).to.deep.equal([4n]);
    expect([...keystore.load(4n)]).to.deep.equal([9, 9, 9]);
    expect(statSync(join(directory, "key-4.secret")).mode & 0o777).to.equal(0o600);
    expect(readdirSync(directory)).to.deep.equal(["key-4.secret"]);
    expect(() => keystore.load(5n)).to.throw(/no secret key 5/);
  });
});
