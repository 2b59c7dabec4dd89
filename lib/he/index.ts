/** CKKS homomorphic encryption for aggregating model updates without seeing them. */
export { ckksParametersHash, DEFAULT_CKKS_PARAMETERS, MAX_ABS_VALUE, MAX_TOTAL_WEIGHT, ciphertextCount, slotsPerCiphertext, validateCkksParameters, type CkksParameters } from "./parameters.ts";
export { decodeEncryptedVector, encodeEncryptedVector, HeFormatError, type DecodedEncryptedVector, type EncryptedVector, type EncryptedVectorKind } from "./container.ts";
export {
  aggregateEncrypted,
  createEncryptedAccumulator,
  decryptVector,
  encryptVector,
  EncryptedUpdateError,
  generateCkksKeys,
  type AccumulatorExpectations,
  type CkksKeyPair,
  type EncryptedAccumulator,
  type UpdateRefusalReason,
} from "./ckks.ts";
export { ckksRuntime, createCkksRuntime, loadSeal, type CkksRuntime } from "./seal.ts";
