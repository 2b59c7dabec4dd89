import { z } from "zod";

/**
 * Parses a JSON document from bytes (IPFS content, a file) against a schema, with an error that names the
 * document and what is wrong: every reader of untrusted documents goes through here.
 */
export function parseJsonDocument<Schema extends z.ZodType>(bytes: Uint8Array, schema: Schema, what: string): z.infer<Schema> {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${what} is malformed: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
