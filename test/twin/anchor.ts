/** Test helper: what a device and a fog gateway do for one telemetry window, up to the anchor on chain. */
import type { Hex } from "viem";
import { confirm, type ChainClients, type Wallet } from "../../lib/chain/clients.ts";
import { suiteContracts } from "../../lib/chain/contracts.ts";
import type { ContractAddresses } from "../../lib/chain/deployment.ts";
import { privateKeyToAccount } from "viem/accounts";
import type { SensorBounds } from "../../lib/chain/seed.ts";
import type { ContentStore } from "../../lib/ipfs/store.ts";
import { encodeWindowDocument, windowDocument, type WindowDocument } from "../../lib/telemetry/document.ts";
import type { RawRow } from "../../lib/telemetry/merkle.ts";
import { signWindow, type Channel } from "../../lib/telemetry/window.ts";
import { wrangleWindow } from "../../lib/telemetry/wrangle.ts";

/** The chain to anchor on, and the gateway account that anchors. */
export interface AnchorChain {
  clients: ChainClients;
  addresses: ContractAddresses;
  gateway: Wallet;
}

export interface TestWindow {
  devicePrivateKey: Hex;
  sequence: number;
  channels: Channel[];
  /** [Unix ms, one value per channel]. */
  rows: RawRow[];
  /** The schema the gateway wrangles with (normally the device's on-chain one). */
  gatewaySchema: SensorBounds[];
  /** Changes the stored document after signing (a lying gateway). */
  tamper?: (document: WindowDocument) => void;
}

/** Signs the window as the device, stores its document on IPFS and anchors it as the gateway; returns the window id. */
export async function anchorTestWindow(chain: AnchorChain, store: ContentStore, window: TestWindow): Promise<{ windowId: number; dataCid: string; root: Hex }> {
  const device = privateKeyToAccount(window.devicePrivateKey);
  const startTime = window.rows[0]![0] as number;
  const endTime = window.rows[window.rows.length - 1]![0] as number;
  const signed = await signWindow(device, chain.clients.publicClient.chain.id, chain.addresses.ProvenanceAnchor, { sequence: window.sequence, startTime, endTime, timeFormat: "epoch-ms", channels: window.channels, rows: window.rows });
  const document = windowDocument(signed, wrangleWindow(signed, window.gatewaySchema), chain.gateway.account.address, Date.now());
  window.tamper?.(document);
  const dataCid = await store.addFile(encodeWindowDocument(document));
  const { provenance } = suiteContracts(chain.clients.publicClient, chain.addresses, chain.gateway);
  await confirm(chain.clients.publicClient, await provenance.write.anchorWindow([{ deviceAccount: device.address, startTime: BigInt(startTime), endTime: BigInt(endTime), readingCount: window.rows.length, root: signed.root, dataCid }]));
  return { windowId: Number(await provenance.read.windowCount()), dataCid, root: signed.root };
}
