import { expect } from "chai";
import { before, describe, it } from "node:test";
import { keccak256 } from "viem";
import { mulberry32 } from "../../lib/data/dataset.ts";
import { packCiphertext, packedCiphertextSize, unpackCiphertext } from "../../lib/he/ciphertext-codec.ts";
import {
  aggregateEncrypted,
  checkEncryptedUpdate,
  ckksParametersHash,
  createCkksRuntime,
  createEncryptedAccumulator,
  decodeEncryptedVector,
  decryptVector,
  DEFAULT_CKKS_PARAMETERS,
  encodeEncryptedVector,
  EncryptedUpdateError,
  encryptVector,
  generateCkksKeys,
  HeFormatError,
  validateCkksParameters,
  type CkksKeyPair,
  type CkksRuntime,
} from "../../lib/he/index.ts";
import { ckksRuntime } from "../../lib/he/seal.ts";

const KEY_ID = 3n;
const SLOTS = DEFAULT_CKKS_PARAMETERS.polyModulusDegree / 2;

function randomVector(length: number, seed: number, amplitude = 3): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => (random() * 2 - 1) * amplitude);
}

/** Random weights that sum to 1, like FedAvg's n_k / n. */
function randomWeights(count: number, seed: number): number[] {
  const random = mulberry32(seed);
  const raw = Array.from({ length: count }, () => 0.1 + random());
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((x) => x / total);
}

function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).to.equal(expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  return max;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

async function refusal(promise: Promise<unknown>): Promise<EncryptedUpdateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(EncryptedUpdateError);
    return error as EncryptedUpdateError;
  }
  throw new Error("expected the accumulator to refuse the update");
}

function formatError(run: () => unknown): HeFormatError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(HeFormatError);
    return error as HeFormatError;
  }
  throw new Error("expected a HeFormatError");
}

describe("CKKS encrypted aggregation (lib/he)", () => {
  let keys: CkksKeyPair;
  /** Three updates of 5,000 values (2 ciphertexts each) for the cheaper tests. */
  const small = [0, 1, 2].map((k) => randomVector(5_000, 100 + k));
  let smallUpdates: Uint8Array[];

  before(async () => {
    keys = await generateCkksKeys();
    smallUpdates = await Promise.all(small.map((values) => encryptVector(keys.publicKey, KEY_ID, values)));
  });

  describe("parameters", () => {
    it("hashes a canonical encoding: stable, and different for different parameters", () => {
      const hash = ckksParametersHash(DEFAULT_CKKS_PARAMETERS);
      expect(hash).to.match(/^0x[0-9a-f]{64}$/);
      expect(ckksParametersHash({ polyModulusDegree: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40 })).to.equal(hash);
      expect(ckksParametersHash({ polyModulusDegree: 8192, coeffModulusBits: [60, 40, 40, 60], scaleBits: 40 })).to.not.equal(hash);
      expect(ckksParametersHash({ polyModulusDegree: 16384, coeffModulusBits: [60, 40, 60], scaleBits: 40 })).to.not.equal(hash);
    });

    it("refuses parameters below 128-bit security or without room for the aggregate", () => {
      expect(() => validateCkksParameters({ polyModulusDegree: 4096, coeffModulusBits: [60, 40, 60], scaleBits: 40 })).to.throw(/exceeds the 109 bits allowed at 128-bit security/);
      expect(() => validateCkksParameters({ polyModulusDegree: 8192, coeffModulusBits: [40, 40, 60], scaleBits: 40 })).to.throw(/cannot hold values/);
      expect(() => validateCkksParameters({ polyModulusDegree: 8192, coeffModulusBits: [60, 60], scaleBits: 40 })).to.throw(/at least 3 primes/);
      expect(() => validateCkksParameters({ polyModulusDegree: 6000, coeffModulusBits: [60, 40, 60], scaleBits: 40 })).to.throw(/power of two/);
    });
  });

  describe("encryption", () => {
    it("round-trips a vector whose length is not a multiple of the slot count", async () => {
      const values = randomVector(SLOTS + 123, 7, 100);
      const bytes = await encryptVector(keys.publicKey, KEY_ID, values);
      const header = decodeEncryptedVector(bytes);
      expect(header).to.include({ kind: "update", keyId: KEY_ID, length: SLOTS + 123, slotsPerCiphertext: SLOTS, parametersHash: ckksParametersHash(DEFAULT_CKKS_PARAMETERS) });
      expect(header.ciphertexts).to.have.length(2);
      const decrypted = await decryptVector(keys.secretKey, bytes);
      expect(maxAbsDifference(decrypted, values)).to.be.below(1e-6);
    });

    it("encrypts with fresh randomness: the same vector twice gives different bytes", async () => {
      const again = await encryptVector(keys.publicKey, KEY_ID, small[0]!);
      expect(sameBytes(again, smallUpdates[0]!)).to.equal(false);
    });

    it("refuses values it cannot aggregate safely, and a public key for other parameters", async () => {
      const bad = new Float32Array([1, Number.NaN, 2]);
      await expectRejection(encryptVector(keys.publicKey, KEY_ID, bad), /value 1 is NaN/);
      await expectRejection(encryptVector(keys.publicKey, KEY_ID, new Float32Array([1e6])), /value 0 is 1000000/);
      await expectRejection(encryptVector(keys.publicKey, KEY_ID, new Float32Array(0)), /empty/);
      await expectRejection(encryptVector(keys.publicKey.subarray(0, 1000), KEY_ID, small[0]!), /record has 1000 bytes/);
    });
  });

  describe("weighted aggregation", () => {
    it("decrypts Σ w_k x_k with max absolute error < 1e-6 (10 updates of 20,000 values, |x| ≤ 3)", async () => {
      const length = 20_000;
      const vectors = Array.from({ length: 10 }, (_, k) => randomVector(length, 1_000 + k));
      const weights = randomWeights(10, 5);
      const updates = await Promise.all(vectors.map((values) => encryptVector(keys.publicKey, KEY_ID, values)));
      const aggregate = await aggregateEncrypted(updates.map((bytes, k) => ({ bytes, weight: weights[k]! })));
      const header = decodeEncryptedVector(aggregate);
      expect(header).to.include({ kind: "aggregate", keyId: KEY_ID, length });
      const decrypted = await decryptVector(keys.secretKey, aggregate);
      const expected = new Float64Array(length);
      for (const [k, values] of vectors.entries()) for (let i = 0; i < length; i++) expected[i] = expected[i]! + weights[k]! * values[i]!;
      const error = maxAbsDifference(decrypted, expected);
      console.log(`      measured max abs error of the decrypted weighted aggregate: ${error.toExponential(3)}`);
      expect(error).to.be.below(1e-6);
    });

    it("gives byte-identical aggregates whatever the order of the updates, and in a separate SEAL instance", async () => {
      const weights = [0.5, 0.3, 0.2];
      const forward = await aggregateEncrypted(smallUpdates.map((bytes, k) => ({ bytes, weight: weights[k]! })));
      const order = [2, 0, 1];
      const shuffled = await aggregateEncrypted(order.map((k) => ({ bytes: smallUpdates[k]!, weight: weights[k]! })));
      expect(keccak256(shuffled)).to.equal(keccak256(forward));

      const separate: CkksRuntime = await createCkksRuntime(DEFAULT_CKKS_PARAMETERS, { freshLibrary: true });
      try {
        expect(separate.seal).to.not.equal((await ckksRuntime(DEFAULT_CKKS_PARAMETERS)).seal);
        const accumulator = await createEncryptedAccumulator({ keyId: KEY_ID, length: 5_000, runtime: separate });
        for (const k of [1, 2, 0]) await accumulator.add(smallUpdates[k]!, weights[k]!);
        expect(accumulator.count).to.equal(3);
        expect(keccak256(await accumulator.finish())).to.equal(keccak256(forward));
      } finally {
        separate.delete();
      }
      const decrypted = await decryptVector(keys.secretKey, forward);
      const expected = Float64Array.from(small[0]!, (_, i) => 0.5 * small[0]![i]! + 0.3 * small[1]![i]! + 0.2 * small[2]![i]!);
      expect(maxAbsDifference(decrypted, expected)).to.be.below(1e-6);
    });

    it("gives byte-identical aggregates with the work split over 1, 2 or 3 threads", async () => {
      const length = 3 * SLOTS - 5;
      const vectors = [0, 1, 2, 3].map((k) => randomVector(length, 300 + k));
      const updates = await Promise.all(vectors.map((values) => encryptVector(keys.publicKey, KEY_ID, values)));
      const weights = randomWeights(4, 11);
      const hashes = await Promise.all(
        [1, 2, 3].map(async (threads) => keccak256(await aggregateEncrypted(updates.map((bytes, k) => ({ bytes, weight: weights[k]! })), DEFAULT_CKKS_PARAMETERS, { threads }))),
      );
      expect(new Set(hashes).size).to.equal(1);
    });

    it("accepts a zero weight (the update counts, adds nothing)", async () => {
      const aggregate = await aggregateEncrypted([
        { bytes: smallUpdates[0]!, weight: 1 },
        { bytes: smallUpdates[1]!, weight: 0 },
      ]);
      expect(maxAbsDifference(await decryptVector(keys.secretKey, aggregate), small[0]!)).to.be.below(1e-6);
    });
  });

  describe("accumulator refusals", () => {
    it("refuses a wrong key id, length, kind, parameter set or weight, and stays usable", async () => {
      const accumulator = await createEncryptedAccumulator({ keyId: KEY_ID, length: 5_000 });
      await accumulator.add(smallUpdates[0]!, 0.5);

      const otherKey = await encryptVector(keys.publicKey, KEY_ID + 1n, small[1]!);
      expect((await refusal(accumulator.add(otherKey, 0.5))).reason).to.equal("wrong_key");
      const shorter = await encryptVector(keys.publicKey, KEY_ID, small[1]!.subarray(0, 4_000));
      const tooShort = await refusal(accumulator.add(shorter, 0.5));
      expect(tooShort.reason).to.equal("wrong_length");
      expect(tooShort.message).to.match(/4000 values, expected 5000/);
      const aggregate = await aggregateEncrypted([{ bytes: smallUpdates[1]!, weight: 1 }]);
      expect((await refusal(accumulator.add(aggregate, 0.5))).reason).to.equal("wrong_kind");
      const header = decodeEncryptedVector(smallUpdates[1]!);
      const otherParameters = encodeEncryptedVector({ ...header, parametersHash: keccak256(new Uint8Array([1])) });
      expect((await refusal(accumulator.add(otherParameters, 0.5))).reason).to.equal("wrong_parameters");
      for (const weight of [Number.NaN, -0.1, 1.5, Number.POSITIVE_INFINITY]) {
        expect((await refusal(accumulator.add(smallUpdates[1]!, weight))).reason, `weight ${weight}`).to.equal("bad_weight");
      }

      // None of that changed the sum: the result equals a clean run.
      await accumulator.add(smallUpdates[1]!, 0.5);
      const clean = await aggregateEncrypted([
        { bytes: smallUpdates[0]!, weight: 0.5 },
        { bytes: smallUpdates[1]!, weight: 0.5 },
      ]);
      expect(accumulator.count).to.equal(2);
      expect(keccak256(await accumulator.finish())).to.equal(keccak256(clean));
      expect((await refusal(accumulator.add(smallUpdates[2]!, 0.1))).reason).to.equal("closed");
    });

    for (const threads of [1, 2]) {
      it(`refuses garbage ciphertexts cleanly, before any of the update is added (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
        const accumulator = await createEncryptedAccumulator({ keyId: KEY_ID, length: 5_000, threads });
        await accumulator.add(smallUpdates[0]!, 0.5);
        const header = decodeEncryptedVector(smallUpdates[1]!);
        const random = mulberry32(9);
        const record = header.ciphertexts[1]!;
        const wrongScale = record.slice();
        new DataView(wrongScale.buffer).setFloat64(1, 2 ** 41, true);
        const variants: [string, Uint8Array, RegExp][] = [
          ["random bytes", Uint8Array.from(record, () => Math.floor(random() * 256)), /ciphertext 1: .*(RNS components|not reduced)/],
          ["unreduced coefficients", Uint8Array.from(record, (byte, i) => (i < 9 ? byte : 0xff)), /ciphertext 1: .*not reduced modulo/],
          ["a truncated record", record.subarray(0, record.length - 100), /ciphertext 1: .*record has \d+ bytes, expected \d+/],
          ["a record at the wrong level", decodeEncryptedVector(await aggregateEncrypted([{ bytes: smallUpdates[1]!, weight: 1 }])).ciphertexts[1]!, /1 RNS components, expected 2/],
          ["a wrong scale", wrongScale, /ciphertext 1 has scale 2199023255552, expected 1099511627776/],
        ];
        for (const [what, bad, message] of variants) {
          // Ciphertext 0 is intact (and with 2 threads, handled by the calling thread): it must not be added either.
          const tampered = encodeEncryptedVector({ ...header, ciphertexts: [header.ciphertexts[0]!, bad] });
          const error = await refusal(accumulator.add(tampered, 0.5));
          expect(error.reason, what).to.equal("malformed");
          expect(error.message, what).to.match(message);
          // The same verdict without SEAL, as an oracle would check an update on arrival.
          const early = await refusal(checkEncryptedUpdate(tampered, { keyId: KEY_ID, length: 5_000 }));
          expect(early.reason, what).to.equal("malformed");
          expect(early.message, what).to.match(message);
        }
        expect((await checkEncryptedUpdate(smallUpdates[1]!, { keyId: KEY_ID, length: 5_000 })).ciphertexts).to.have.length(2);
        expect((await refusal(checkEncryptedUpdate(smallUpdates[1]!, { keyId: KEY_ID, length: 4_999 }))).reason).to.equal("wrong_length");
        expect((await refusal(accumulator.add(new Uint8Array([1, 2, 3]), 0.5))).reason).to.equal("malformed");
        await accumulator.add(smallUpdates[1]!, 0.5);
        const clean = await aggregateEncrypted([
          { bytes: smallUpdates[0]!, weight: 0.5 },
          { bytes: smallUpdates[1]!, weight: 0.5 },
        ]);
        expect(keccak256(await accumulator.finish())).to.equal(keccak256(clean));
      });
    }

    it("refuses weights summing far above 1, which could overflow the modulus", async () => {
      const accumulator = await createEncryptedAccumulator({ keyId: KEY_ID, length: 5_000 });
      for (let i = 0; i < 16; i++) await accumulator.add(smallUpdates[0]!, 1);
      expect((await refusal(accumulator.add(smallUpdates[0]!, 0.5))).message).to.match(/sum to 16.5, above 16/);
    });

    it("refuses to finish with nothing added", async () => {
      const accumulator = await createEncryptedAccumulator({ keyId: KEY_ID, length: 10 });
      await expectRejection(accumulator.finish(), /no update was added/);
    });
  });

  describe("container format", () => {
    it("round-trips and rejects bad magic, truncation, wrong counts, versions and trailing bytes precisely", () => {
      const bytes = smallUpdates[0]!;
      const decoded = decodeEncryptedVector(bytes);
      expect(sameBytes(encodeEncryptedVector(decoded), bytes)).to.equal(true);

      const badMagic = bytes.slice();
      badMagic[0] = 0x58;
      expect(formatError(() => decodeEncryptedVector(badMagic)).message).to.match(/magic "TLHE"/);
      expect(formatError(() => decodeEncryptedVector(bytes.subarray(0, 50))).message).to.match(/truncated encrypted vector: 50 bytes/);
      expect(formatError(() => decodeEncryptedVector(bytes.subarray(0, 100))).message).to.match(/truncated encrypted vector: ciphertext 0 declares/);
      expect(formatError(() => decodeEncryptedVector(bytes.subarray(0, bytes.length - 1))).message).to.match(/truncated encrypted vector: ciphertext 1 declares/);
      const header = 79;
      const firstEnd = header + 4 + decoded.ciphertexts[0]!.length;
      expect(formatError(() => decodeEncryptedVector(bytes.subarray(0, firstEnd))).message).to.match(/ciphertext 1 of 2 is missing/);

      const wrongCount = bytes.slice();
      new DataView(wrongCount.buffer).setUint32(71, 10_000); // 10,000 values need 3 ciphertexts; it holds 2
      expect(formatError(() => decodeEncryptedVector(wrongCount)).message).to.match(/wrong ciphertext count: 10000 values at 4096 per ciphertext take 3, the container has 2/);
      const version = bytes.slice();
      version[4] = 9;
      expect(formatError(() => decodeEncryptedVector(version)).message).to.match(/format version 9/);
      const kind = bytes.slice();
      kind[5] = 7;
      expect(formatError(() => decodeEncryptedVector(kind)).message).to.match(/kind code 7/);
      const trailing = new Uint8Array(bytes.length + 2);
      trailing.set(bytes);
      expect(formatError(() => decodeEncryptedVector(trailing)).message).to.match(/2 trailing bytes/);

      expect(() => encodeEncryptedVector({ ...decoded, length: 10_000 })).to.throw(/take 3 ciphertexts, got 2/);
    });

    it("packs SEAL ciphertexts losslessly to the primes' bit widths", async () => {
      const runtime = await ckksRuntime(DEFAULT_CKKS_PARAMETERS);
      const record = decodeEncryptedVector(smallUpdates[0]!).ciphertexts[0]!;
      expect(record.length).to.equal(packedCiphertextSize(runtime.fresh));
      // 2 polynomials × 8192 coefficients × (60 + 40) bits, plus a 9-byte header: 100/128 of SEAL's uncompressed size.
      expect(record.length).to.equal(9 + (2 * 8192 * 100) / 8);
      const { sealBytes, scale } = unpackCiphertext(record, runtime.fresh);
      expect(scale).to.equal(2 ** 40);
      expect(sameBytes(packCiphertext(sealBytes, runtime.fresh), record)).to.equal(true);
      expect(() => packCiphertext(sealBytes, runtime.rescaled)).to.throw(/expected/);
    });
  });

  describe("keys", () => {
    it("decrypting with another secret key gives noise, not the plaintext", async () => {
      const other = await generateCkksKeys();
      const decrypted = await decryptVector(other.secretKey, smallUpdates[0]!);
      const error = maxAbsDifference(decrypted, small[0]!);
      expect(error).to.be.above(1e3);
      expect(maxAbsDifference(await decryptVector(keys.secretKey, smallUpdates[0]!), small[0]!)).to.be.below(1e-6);
    });

    it("turns a damaged secret key into an error instead of aborting SEAL", async () => {
      await expectRejection(decryptVector(keys.secretKey.subarray(0, 5_000), smallUpdates[0]!), /header declares/);
      const garbage = keys.secretKey.slice();
      garbage[0] = 0;
      await expectRejection(decryptVector(garbage, smallUpdates[0]!), /not a SEAL object/);
    });
  });

  it("frees its SEAL objects: repeated aggregation of 100,000-value updates does not grow memory", async () => {
    const length = 100_000;
    const update = await encryptVector(keys.publicKey, KEY_ID, randomVector(length, 77));
    const aggregateOnce = async () => {
      const accumulator = await createEncryptedAccumulator({ keyId: KEY_ID, length });
      for (let i = 0; i < 10; i++) await accumulator.add(update, 0.1);
      return accumulator.finish();
    };
    await aggregateOnce(); // reaches the wasm heap's working size
    const before = process.memoryUsage().rss;
    for (let round = 0; round < 3; round++) await aggregateOnce();
    const grown = process.memoryUsage().rss - before;
    console.log(`      resident memory after 30 more additions of 25 ciphertexts: ${(grown / 1e6).toFixed(1)} MB more`);
    // One update's ciphertexts are ~6.5 MB in SEAL's memory; leaking them would add ~200 MB over 30 additions.
    expect(grown).to.be.below(100e6);
  });
});

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error instanceof Error ? error.message : String(error)).to.match(message);
    return;
  }
  throw new Error(`expected a rejection matching ${message}`);
}
