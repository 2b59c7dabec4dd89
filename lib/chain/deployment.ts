import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an 0x-prefixed 20-byte address") as z.ZodType<`0x${string}`>;

export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  rpcUrl: z.string().url(),
  deploymentId: z.string(),
  deployedAt: z.string(),
  addresses: z.object({
    AccessManager: address,
    ConsortiumRegistry: address,
    DeviceRegistry: address,
    ModelRegistry: address,
    UpdateLedger: address,
    Reputation: address,
    ProvenanceAnchor: address,
    DataSharingLedger: address,
    EncryptionKeyRegistry: address,
  }),
});

export type Deployment = z.infer<typeof deploymentSchema>;
export type ContractAddresses = Deployment["addresses"];

/** Reads and validates a deployment record (written by scripts/deploy.ts). */
export function readDeployment(path: string): Deployment {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new Error(`cannot read the deployment record ${path}; deploy first (npm run deploy)`, { cause });
  }
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid deployment record ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function writeDeployment(path: string, deployment: Deployment): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(deploymentSchema.parse(deployment), null, 2) + "\n");
}
