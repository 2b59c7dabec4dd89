/**
 * Privacy accounting for DP-FedAvg rounds with distributed Gaussian noise (see dp.ts, docs/privacy.md): Rényi DP of
 * the Gaussian mechanism (Mironov 2017), composed additively over rounds, converted to (ε, δ) with the conversion of
 * Balle et al. 2020 / Canonne, Kamath & Steinke 2020, minimised over a fixed grid of orders.
 *
 * No subsampling amplification: every device of a round takes part in it, so no round is "missed" by chance and
 * each round costs a device its full Gaussian-mechanism RDP.
 */

export const ACCOUNTANT_NAME = "rdp-gaussian (Mironov 2017; conversion Balle et al. 2020), no subsampling";

/** dp_accounting's (TF Privacy's) DEFAULT_RDP_ORDERS: 1.1 to 10.9 in steps of 0.1, 11 to 63, 128, 256, 512, 1024. */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 53 }, (_, x) => 11 + x),
  128,
  256,
  512,
  1024,
]);

function requireOrder(order: number): void {
  if (!(Number.isFinite(order) && order > 1)) throw new Error(`RDP order must be a finite number > 1, got ${order}`);
}

function requireNoiseMultiplier(noiseMultiplier: number): void {
  if (typeof noiseMultiplier !== "number" || !(noiseMultiplier >= 0)) throw new Error(`noise multiplier must be a number ≥ 0, got ${noiseMultiplier}`);
}

function requireDelta(delta: number): void {
  if (typeof delta !== "number" || !(delta > 0 && delta < 1)) throw new Error(`delta must be strictly between 0 and 1, got ${delta}`);
}

/** RDP of the Gaussian mechanism with sensitivity 1 and noise std σ at order α: α / (2σ²); σ = 0 gives ∞. */
export function gaussianRdp(noiseMultiplier: number, order: number): number {
  requireNoiseMultiplier(noiseMultiplier);
  requireOrder(order);
  return noiseMultiplier === 0 ? Infinity : order / (2 * noiseMultiplier * noiseMultiplier);
}

/**
 * σ_eff = σ·√(actual/expected): each device adds variance (σC)²/K, so `actual` noise-adding devices leave
 * (σC)²·actual/K on the sum. Count only updates that were aggregated, and leave out devices assumed to collude
 * (a device that skips its share lowers the noise for everyone).
 *
 * This is the noise protecting a device only if nobody sees individual updates (CKKS, only the sum decrypted).
 * When updates are published in the clear, use publishedUpdateNoiseMultiplier.
 */
export function effectiveNoiseMultiplier(noiseMultiplier: number, expectedParticipants: number, actualParticipants: number): number {
  requireNoiseMultiplier(noiseMultiplier);
  if (!Number.isSafeInteger(expectedParticipants) || expectedParticipants < 1) throw new Error(`expected participants must be an integer ≥ 1, got ${expectedParticipants}`);
  if (!Number.isSafeInteger(actualParticipants) || actualParticipants < 1) {
    throw new Error(`actual participants must be an integer ≥ 1 (a round that aggregated nothing released nothing: do not account it), got ${actualParticipants}`);
  }
  return noiseMultiplier * Math.sqrt(actualParticipants / expectedParticipants);
}

/**
 * σ/√K: the noise multiplier protecting a device whose own noised update is visible (published on IPFS in the
 * clear). The aggregate is post-processing of these updates, so this, not effectiveNoiseMultiplier, is what a
 * cleartext round costs each device.
 */
export function publishedUpdateNoiseMultiplier(noiseMultiplier: number, expectedParticipants: number): number {
  return effectiveNoiseMultiplier(noiseMultiplier, expectedParticipants, 1);
}

export interface PrivacySpent {
  /** ∞ if some round had no noise. */
  epsilon: number;
  delta: number;
  /** The RDP order that gave the smallest ε; NaN when no order does better than another (no rounds, or ε = ∞). */
  order: number;
  rounds: number;
  accountant: string;
}

/** The (ε, δ) conversion, minimised over the orders; `rdp[i]` is the composed RDP at `orders[i]`. */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): { epsilon: number; order: number } {
  requireDelta(delta);
  if (orders.length !== rdp.length) throw new Error(`${orders.length} orders but ${rdp.length} RDP values`);
  let epsilon = Infinity;
  let order = Number.NaN;
  const logDelta = Math.log(delta);
  for (let i = 0; i < orders.length; i++) {
    const alpha = orders[i]!;
    // Balle et al. 2020, Thm 21: ε = RDP(α) + log((α−1)/α) − (log δ + log α)/(α−1).
    const candidate = rdp[i]! + Math.log((alpha - 1) / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1);
    if (candidate < epsilon) {
      epsilon = candidate;
      order = alpha;
    }
  }
  return { epsilon: Math.max(0, epsilon), order };
}

/** Composes Gaussian rounds in RDP at a fixed grid of orders. */
export class RdpAccountant {
  readonly #orders: readonly number[];
  readonly #rdp: number[];
  #rounds = 0;

  constructor(orders: readonly number[] = DEFAULT_ORDERS) {
    if (orders.length === 0) throw new Error("an RDP accountant needs at least one order");
    orders.forEach(requireOrder);
    this.#orders = Object.freeze([...orders]);
    this.#rdp = orders.map(() => 0);
  }

  get rounds(): number {
    return this.#rounds;
  }

  get orders(): readonly number[] {
    return this.#orders;
  }

  /** One round of the Gaussian mechanism at the round's σ_eff (see effectiveNoiseMultiplier). */
  addGaussianRound(effectiveNoiseMultiplier: number): void {
    requireNoiseMultiplier(effectiveNoiseMultiplier);
    for (let i = 0; i < this.#orders.length; i++) this.#rdp[i] = this.#rdp[i]! + gaussianRdp(effectiveNoiseMultiplier, this.#orders[i]!);
    this.#rounds++;
  }

  /** (ε, δ) spent so far; 0 before any round (nothing has been released). */
  spent(delta: number): PrivacySpent {
    requireDelta(delta);
    if (this.#rounds === 0) return { epsilon: 0, delta, order: Number.NaN, rounds: 0, accountant: ACCOUNTANT_NAME };
    const { epsilon, order } = epsilonFromRdp(this.#orders, this.#rdp, delta);
    return { epsilon, delta, order: Number.isFinite(epsilon) ? order : Number.NaN, rounds: this.#rounds, accountant: ACCOUNTANT_NAME };
  }

  /** RDP values may be Infinity, which JSON.stringify writes as null; fromJSON reads null back as Infinity. */
  toJSON(): { rdp: number[]; orders: number[]; rounds: number } {
    return { rdp: [...this.#rdp], orders: [...this.#orders], rounds: this.#rounds };
  }

  static fromJSON(json: { rdp: readonly (number | null)[]; orders: readonly number[]; rounds: number }): RdpAccountant {
    if (!Array.isArray(json.orders) || !Array.isArray(json.rdp)) throw new Error("accountant state needs arrays `orders` and `rdp`");
    if (json.rdp.length !== json.orders.length) throw new Error(`accountant state has ${json.orders.length} orders but ${json.rdp.length} RDP values`);
    if (!Number.isSafeInteger(json.rounds) || json.rounds < 0) throw new Error(`accountant state: rounds must be an integer ≥ 0, got ${json.rounds}`);
    const accountant = new RdpAccountant(json.orders);
    json.rdp.forEach((value, i) => {
      const rdp = value === null ? Infinity : value;
      if (typeof rdp !== "number" || !(rdp >= 0)) throw new Error(`accountant state: RDP at order ${json.orders[i]} must be a number ≥ 0 or null (∞), got ${value}`);
      accountant.#rdp[i] = rdp;
    });
    accountant.#rounds = json.rounds;
    return accountant;
  }
}

/** ε after `rounds` rounds at noise multiplier σ, at δ, over DEFAULT_ORDERS. */
export function epsilonFor(noiseMultiplier: number, delta: number, rounds: number): number {
  requireNoiseMultiplier(noiseMultiplier);
  if (rounds === 0) return 0;
  // Equal rounds compose to rounds·α/(2σ²) at each order.
  const rdp = DEFAULT_ORDERS.map((alpha) => rounds * gaussianRdp(noiseMultiplier, alpha));
  return epsilonFromRdp(DEFAULT_ORDERS, rdp, delta).epsilon;
}

/**
 * The σ for which `rounds` rounds spend exactly `targetEpsilon` at δ (bisection; ε falls strictly as σ grows).
 * Throws if the target is below what any σ reaches on the order grid (ε has a floor > 0 as σ → ∞).
 */
export function noiseMultiplierFor(targetEpsilon: number, delta: number, rounds: number): number {
  if (!(Number.isFinite(targetEpsilon) && targetEpsilon > 0)) throw new Error(`target epsilon must be a finite number > 0, got ${targetEpsilon}`);
  requireDelta(delta);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`rounds must be an integer ≥ 1, got ${rounds}`);
  const floor = epsilonFor(Infinity, delta, rounds);
  if (targetEpsilon <= floor) throw new Error(`target epsilon ${targetEpsilon} is unreachable at delta ${delta}: the order grid bottoms out at ${floor}`);
  let low = 1e-3;
  let high = 1;
  while (epsilonFor(low, delta, rounds) < targetEpsilon) low /= 2;
  while (epsilonFor(high, delta, rounds) > targetEpsilon) high *= 2;
  // Bisect until the bracket cannot shrink in float64.
  for (;;) {
    const middle = (low + high) / 2;
    if (middle <= low || middle >= high) return high;
    if (epsilonFor(middle, delta, rounds) > targetEpsilon) low = middle;
    else high = middle;
  }
}
