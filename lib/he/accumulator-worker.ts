/**
 * Worker side of the encrypted accumulator (accumulator.ts): keeps PartialSums for ranges of ciphertext positions,
 * in its own SEAL instance, and answers every request with { seq, ok } (plus records, or an error).
 * Requests are handled strictly in arrival order, so an "open" that is still loading SEAL is never overtaken.
 */
import { parentPort } from "node:worker_threads";
import { errorMessage } from "./ciphertexts.ts";
import { HeFormatError } from "./container.ts";
import type { CkksParameters } from "./parameters.ts";
import { PartialSum } from "./partial-sum.ts";
import { ckksRuntime } from "./seal.ts";

export type WorkerRequest = { seq: number; id: number } & (
  | { op: "open"; parameters: CkksParameters; from: number; to: number }
  | { op: "prepare"; records: Uint8Array[]; weight: number }
  | { op: "commit" }
  | { op: "abort" }
  | { op: "finish" }
  | { op: "drop" }
);

export type WorkerReply = { seq: number } & ({ ok: true; records?: Uint8Array[] } | { ok: false; error: { message: string; format: boolean } });

const port = parentPort;
if (!port) throw new Error("accumulator-worker.ts runs as a worker thread only");

const sums = new Map<number, PartialSum>();

function sumFor(id: number): PartialSum {
  const sum = sums.get(id);
  if (!sum) throw new Error(`no open accumulator ${id} in this worker`);
  return sum;
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  const { seq, id } = request;
  switch (request.op) {
    case "open":
      sums.get(id)?.free();
      sums.set(id, new PartialSum(await ckksRuntime(request.parameters), request.from, request.to));
      return { seq, ok: true };
    case "prepare":
      sumFor(id).prepare(request.records, request.weight);
      return { seq, ok: true };
    case "commit":
      sumFor(id).commit();
      return { seq, ok: true };
    case "abort":
      sumFor(id).abort();
      return { seq, ok: true };
    case "finish": {
      const records = sumFor(id).finish();
      sums.delete(id);
      return { seq, ok: true, records };
    }
    case "drop":
      sums.get(id)?.free();
      sums.delete(id);
      return { seq, ok: true };
  }
}

let queue = Promise.resolve();
port.on("message", (request: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      reply = await handle(request);
    } catch (error) {
      reply = { seq: request.seq, ok: false, error: { message: errorMessage(error), format: error instanceof HeFormatError } };
    }
    port.postMessage(reply, reply.ok && reply.records ? reply.records.map((record) => record.buffer as ArrayBuffer) : []);
  });
});
