/**
 * Worker side of signers.ts: recovers the signer of each (digest, signature) pair it is sent. A signature that does
 * not recover (malformed r/s/v) gives null, never an exception.
 */
import { parentPort } from "node:worker_threads";
import { recoverSignersHere, type RecoverJob } from "./signers.ts";

parentPort?.on("message", (job: RecoverJob) => {
  void recoverSignersHere(job.digests, job.signatures).then((signers) => parentPort?.postMessage({ id: job.id, signers }));
});
