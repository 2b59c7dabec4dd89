/**
 * The running sum Σ_k w_k · c_k,i over updates k for a contiguous range of ciphertext positions i: the arithmetic of
 * an encrypted accumulator, on one thread. The accumulator runs one over all positions, or splits the positions
 * between the calling thread and a worker; each position's sum is the same exact modular arithmetic either way, so
 * the result does not depend on the split.
 *
 * An update is added in two steps so that a bad ciphertext anywhere in it (on any thread) leaves every sum as it was:
 * prepare() loads and multiplies, touching no sum; commit() adds; abort() discards.
 */
import type { CipherText } from "node-seal/implementation/cipher-text.js";
import { loadCiphertext, saveCiphertext, withScope } from "./ciphertexts.ts";
import type { CkksRuntime } from "./seal.ts";

/** Rounds a weight to the plaintext grid, so its plaintext is the exact integer constant weight · 2^scaleBits. */
export function quantiseWeight(weight: number, scale: number): number {
  return Math.round(weight * scale) / scale;
}

export class PartialSum {
  private readonly runtime: CkksRuntime;
  /** First position (index of the ciphertext within an update) and one past the last. */
  readonly from: number;
  readonly to: number;
  private sums: CipherText[] | undefined;
  private pending: CipherText[] | undefined;
  private readonly weightSlots: Float64Array;

  constructor(runtime: CkksRuntime, from: number, to: number) {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to)) throw new Error(`bad ciphertext range [${from}, ${to})`);
    this.runtime = runtime;
    this.from = from;
    this.to = to;
    this.weightSlots = new Float64Array(runtime.slots);
  }

  /**
   * Loads `records` (the update's ciphertexts from..to-1) and multiplies each by `weight` (already validated).
   * Throws HeFormatError naming the first bad ciphertext by its position in the update; the sums are untouched.
   */
  prepare(records: readonly Uint8Array[], weight: number): void {
    this.abort();
    if (records.length !== this.to - this.from) throw new Error(`expected ${this.to - this.from} ciphertexts, got ${records.length}`);
    const { runtime } = this;
    const products: CipherText[] = [];
    try {
      withScope((own) => {
        const plain = own(runtime.seal.PlainText());
        this.weightSlots.fill(quantiseWeight(weight, runtime.freshScale));
        runtime.encoder.encode(this.weightSlots, runtime.freshScale, plain);
        for (const [offset, record] of records.entries()) {
          const loaded = own(loadCiphertext(runtime, record, runtime.fresh, runtime.freshScale, `ciphertext ${this.from + offset}`));
          const product = runtime.seal.CipherText();
          products.push(product);
          runtime.evaluator.multiplyPlain(loaded, plain, product);
        }
      });
    } catch (error) {
      for (const product of products) product.delete();
      throw error;
    }
    this.pending = products;
  }

  /** Adds the prepared products to the sums. */
  commit(): void {
    const pending = this.pending;
    if (!pending) throw new Error("nothing prepared to commit");
    this.pending = undefined;
    if (!this.sums) {
      this.sums = pending;
      return;
    }
    const sums = this.sums;
    try {
      pending.forEach((product, i) => this.runtime.evaluator.add(sums[i]!, product, sums[i]));
    } finally {
      for (const product of pending) product.delete();
    }
  }

  abort(): void {
    for (const product of this.pending ?? []) product.delete();
    this.pending = undefined;
  }

  get empty(): boolean {
    return this.sums === undefined;
  }

  /** Rescales each sum once and returns the wire records of the aggregate's ciphertexts; frees everything. */
  finish(): Uint8Array[] {
    const sums = this.sums;
    if (!sums) throw new Error("nothing to aggregate: no update was added");
    const { runtime } = this;
    try {
      return withScope((own) => {
        const rescaled = own(runtime.seal.CipherText());
        return sums.map((sum) => {
          runtime.evaluator.rescaleToNext(sum, rescaled);
          if (rescaled.scale !== runtime.aggregateScale) throw new Error(`rescaled scale ${rescaled.scale} differs from the expected ${runtime.aggregateScale}`);
          return saveCiphertext(runtime, rescaled, runtime.rescaled);
        });
      });
    } finally {
      this.free();
    }
  }

  free(): void {
    this.abort();
    for (const sum of this.sums ?? []) sum.delete();
    this.sums = undefined;
  }
}
