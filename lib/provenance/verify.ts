/**
 * A reading's whole chain of evidence, from public data only (chain RPC and IPFS): the anchor event and the
 * stored digest, the window document by its anchored CID, the document against the anchor, the rows against
 * the signed root, the device's signature, leaf and proof (here and through the contract's view), the gateway's
 * GATEWAY role and the device's status and firmware at the anchor, rebuilt from logs.
 */
import type { Address, Hex } from "viem";
import type { ContractAddresses } from "../chain/deployment.ts";
import { createLogReader, type LogPosition, type LogReader } from "../chain/logs.ts";
import { Role } from "../chain/roles.ts";
import type { ContentStore } from "../ipfs/store.ts";
import {
  checkAnchorDigest,
  checkNames,
  checkReadingOffchain,
  failed,
  notChecked,
  passed,
  type AnchoredHeader,
  type CheckName,
  type ProvenanceCheck,
  type ReadingValues,
} from "./checks.ts";
import {
  blockTimestamp,
  fetchWindowDocument,
  findWindowAnchor,
  readDeviceStateAt,
  readRoleMembershipAt,
  readWindowDigest,
  verifyReadingOnChain,
  type ProvenanceClient,
  type WindowAnchor,
} from "./chain.ts";
import type { DeviceStateAt, RoleMembershipAt } from "./history.ts";

export interface ProvenanceSources {
  client: ProvenanceClient;
  store: Pick<ContentStore, "cat">;
  addresses: Pick<ContractAddresses, "AccessManager" | "DeviceRegistry" | "ProvenanceAnchor">;
  /** Where to start scanning logs (the suite's deployment block, when known); default 0. */
  fromBlock?: bigint;
  /** A shared log reader (its stats then count across calls); default a new one with `maxBlockRange`. */
  reader?: LogReader;
  maxBlockRange?: bigint;
  /** How long to wait for the window document; default the store's. */
  catTimeoutMs?: number;
}

export interface ProvenanceEvidence {
  windowId: bigint;
  blockNumber: bigint | null;
  logIndex: number | null;
  blockTimestamp: bigint | null;
  transactionHash: Hex | null;
  gateway: Address | null;
  device: Address | null;
  /** The device's firmware hash in force when the window was anchored (from its DeviceRegistry events). */
  firmwareHash: Hex | null;
  dataCid: string | null;
  /** The anchored root. */
  root: Hex | null;
  leaf: Hex | null;
  proof: Hex[] | null;
  header: AnchoredHeader | null;
  deviceState: DeviceStateAt | null;
  gatewayRole: RoleMembershipAt | null;
}

export interface ProvenanceReport {
  /** Every check passed. */
  ok: boolean;
  /** The reading as the device sent it and as the gateway normalised it (null when the document is unavailable or lacks the row). */
  reading: ReadingValues | null;
  evidence: ProvenanceEvidence;
  /** One entry per check in `checkNames` order; failures carry a reason (and a code). */
  checks: ProvenanceCheck[];
  /** The JSON-RPC requests this verification sent (eth_getLogs among them) and the logs it read. */
  rpc: { calls: number; getLogsCalls: number; refusedRanges: number };
}

/** Builds the report for reading `index` of window `windowId`. Never throws for bad evidence; RPC failures do throw. */
export async function verifyReadingProvenance(sources: ProvenanceSources, windowId: bigint, index: number): Promise<ProvenanceReport> {
  const { client, addresses } = sources;
  const reader = sources.reader ?? createLogReader(client, { maxBlockRange: sources.maxBlockRange });
  const start = { ...reader.stats };
  let calls = 0;
  const checks = new Map<CheckName, ProvenanceCheck>();
  const record = (check: ProvenanceCheck) => checks.set(check.name, check);
  const evidence: ProvenanceEvidence = {
    windowId,
    blockNumber: null,
    logIndex: null,
    blockTimestamp: null,
    transactionHash: null,
    gateway: null,
    device: null,
    firmwareHash: null,
    dataCid: null,
    root: null,
    leaf: null,
    proof: null,
    header: null,
    deviceState: null,
    gatewayRole: null,
  };
  let reading: ReadingValues | null = null;

  const finish = (): ProvenanceReport => {
    const ordered = checkNames.map((name) => checks.get(name) ?? notChecked(name, "an earlier check failed"));
    return {
      ok: ordered.every((check) => check.ok),
      reading,
      evidence,
      checks: ordered,
      rpc: {
        calls: calls + reader.stats.rpcCalls - start.rpcCalls,
        getLogsCalls: reader.stats.getLogsCalls - start.getLogsCalls,
        refusedRanges: reader.stats.refused - start.refused,
      },
    };
  };

  const anchor: WindowAnchor | null = await findWindowAnchor(reader, addresses.ProvenanceAnchor, windowId, { fromBlock: sources.fromBlock });
  if (!anchor) {
    record(failed("anchor", "no-anchor", `no WindowAnchored event for window ${windowId} on ProvenanceAnchor ${addresses.ProvenanceAnchor} from block ${sources.fromBlock ?? 0n}`));
    for (const name of checkNames) if (name !== "anchor") record(notChecked(name, `window ${windowId} was never anchored`));
    return finish();
  }
  record(passed("anchor"));
  Object.assign(evidence, {
    blockNumber: anchor.blockNumber,
    logIndex: anchor.logIndex,
    transactionHash: anchor.transactionHash,
    gateway: anchor.gateway,
    device: anchor.header.deviceAccount,
    dataCid: anchor.header.dataCid,
    root: anchor.header.root,
    header: anchor.header,
  });

  calls++;
  record(checkAnchorDigest(await readWindowDigest(client, addresses.ProvenanceAnchor, windowId), anchor.header, anchor.gateway));

  // State at the anchor: just before the WindowAnchored log, so a change later in the same block does not count.
  const at: LogPosition = { blockNumber: anchor.blockNumber, logIndex: anchor.logIndex };
  calls++;
  const timestamp = await blockTimestamp(client, anchor.blockNumber);
  evidence.blockTimestamp = timestamp;
  const role = await readRoleMembershipAt(reader, client, addresses.AccessManager, Role.GATEWAY, anchor.gateway, at, { timestamp, fromBlock: sources.fromBlock });
  evidence.gatewayRole = role;
  record(
    role.member
      ? passed("gateway-role")
      : failed(
          "gateway-role",
          "gateway-not-authorised",
          role.pending
            ? `${anchor.gateway} had been granted GATEWAY, but the grant only took effect at ${role.since} (block ${anchor.blockNumber} is at ${timestamp})`
            : role.revokedAt
              ? `${anchor.gateway} did not hold GATEWAY at block ${anchor.blockNumber}: it was revoked at block ${role.revokedAt.blockNumber}`
              : `${anchor.gateway} never held GATEWAY before block ${anchor.blockNumber}`,
        ),
  );

  const device = await readDeviceStateAt(reader, addresses.DeviceRegistry, anchor.header.deviceAccount, at, sources.fromBlock);
  evidence.deviceState = device;
  evidence.firmwareHash = device.firmwareHash;
  record(
    device.active
      ? passed("device-active")
      : failed(
          "device-active",
          device.registered ? "device-not-active" : "device-unregistered",
          device.registered
            ? `device ${device.device} was ${device.statusName} at block ${anchor.blockNumber} (since block ${device.statusSince?.blockNumber})`
            : `device ${device.device} was not registered at block ${anchor.blockNumber}`,
        ),
  );

  const fetched = await fetchWindowDocument(sources.store, anchor.header.dataCid, { timeoutMs: sources.catTimeoutMs });
  if (!fetched.ok) {
    record(failed("document", fetched.code, fetched.reason));
    for (const name of ["document-matches-anchor", "window-root", "device-signature", "reading-index", "normalised-reading", "proof-offchain", "proof-onchain"] as const) {
      record(notChecked(name, "the window document is unavailable"));
    }
    return finish();
  }
  record(passed("document"));

  calls++;
  const chainId = await client.getChainId();
  const offchain = await checkReadingOffchain(fetched.document, anchor.header, index, { chainId, provenanceAnchor: addresses.ProvenanceAnchor, gateway: anchor.gateway });
  for (const check of offchain.checks) record(check);
  reading = offchain.reading;
  evidence.leaf = offchain.leaf;
  evidence.proof = offchain.proof;

  if (offchain.leaf === null || offchain.proof === null) {
    record(notChecked("proof-onchain", `reading ${index} is not in the window`));
  } else {
    calls++;
    const accepted = await verifyReadingOnChain(client, addresses.ProvenanceAnchor, anchor, offchain.leaf, offchain.proof);
    record(
      accepted
        ? passed("proof-onchain")
        : failed("proof-onchain", "contract-rejects-proof", `ProvenanceAnchor.verifyReading rejects reading ${index}'s leaf and proof for window ${windowId} as anchored by ${anchor.gateway}`),
    );
  }
  return finish();
}

/** A one-line summary per check, for logs and CLIs. */
export function describeReport(report: ProvenanceReport): string[] {
  return report.checks.map((check) => `${check.ok ? "✔" : "✘"} ${check.name}${check.ok ? "" : `: ${check.reason ?? check.code ?? "failed"}`}`);
}
