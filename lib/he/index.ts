/** CKKS homomorphic encryption for aggregating model updates without seeing them. */
export { ckksParametersHash, DEFAULT_CKKS_PARAMETERS, MAX_ABS_VALUE, MAX_TOTAL_WEIGHT, ciphertextCount, slotsPerCiphertext, validateCkksParameters, type CkksParameters } from "./parameters.ts";
export { decodeEncryptedVector, encodeEncryptedVector, HeFormatError, type DecodedEncryptedVector, type EncryptedVector, type EncryptedVectorKind } from "./container.ts";
export { decryptVector, encryptVector, generateCkksKeys, type CkksKeyPair } from "./ckks.ts";
export {
  aggregateEncrypted,
  checkEncryptedUpdate,
  createEncryptedAccumulator,
  EncryptedUpdateError,
  type AccumulatorExpectations,
  type EncryptedAccumulator,
  type UpdateRefusalReason,
} from "./accumulator.ts";
export { ckksRuntime, createCkksRuntime, loadSeal, type CkksRuntime } from "./seal.ts";
