/** Telemetry provenance: pure checks (checks.ts), history folds (history.ts), chain and IPFS reads (chain.ts), the whole verification (verify.ts). */
export * from "./checks.ts";
export * from "./history.ts";
export * from "./chain.ts";
export * from "./verify.ts";
