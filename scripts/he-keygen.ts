/**
 * npm run he:keygen -- --key 0x… [--rpc URL] [--deployment PATH] [--data-dir DIR] [--ipfs-peers URL,…]
 * Generates a CKKS key pair for the consortium and publishes it: the secret into the key holder's key store
 * (DIR/keys, kept durably before anything is published), the public key on IPFS (DIR's embedded node, which the
 * key holder serves), its CID and hash on chain as the new active key. Run it again to rotate: older keys stay in
 * the store and on chain, so rounds aggregated under them remain decryptable and verifiable.
 * The key holder must not be running on the same DIR (they would share one blockstore).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Hex } from "viem";
import { connectRpc } from "../lib/chain/clients.ts";
import { suiteContracts } from "../lib/chain/contracts.ts";
import { readDeployment } from "../lib/chain/deployment.ts";
import { openContentStore } from "../lib/ipfs/store.ts";
import { generateAndPublishKey } from "../keyholder/keygen.ts";
import { KeyStore } from "../keyholder/keystore.ts";

const { values } = parseArgs({ options: { rpc: { type: "string" }, deployment: { type: "string" }, key: { type: "string" }, "data-dir": { type: "string" }, "ipfs-peers": { type: "string" } } });
const privateKey = values.key ?? process.env["KEYHOLDER_KEY"];
if (!privateKey || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
  console.error("he:keygen needs --key 0x… (or KEYHOLDER_KEY): the key holder's account, which must hold KEY_HOLDER");
  process.exit(2);
}
const deployment = readDeployment(values.deployment ?? ".twinledger/deployment.json");
const dataDir = values["data-dir"] ?? ".twinledger/keyholder";
const clients = await connectRpc(values.rpc ?? deployment.rpcUrl);
const contracts = suiteContracts(clients.publicClient, deployment.addresses, clients.walletFor(privateKey as Hex));
const { store } = await openContentStore({ dataDir, peers: (values["ipfs-peers"] ?? "").split(",").filter(Boolean) });
try {
  const published = await generateAndPublishKey({ clients, contracts, store, keystore: new KeyStore(join(dataDir, "keys")) });
  console.log(`published CKKS key ${published.keyId}: ${published.publicKeyCid} (public key hash ${published.publicKeyHash}, tx ${published.transactionHash})`);
  console.log(`secret key kept in ${join(dataDir, "keys", `key-${published.keyId}.secret`)}; start the key holder on ${dataDir} to serve it`);
} catch (error) {
  console.error(`he:keygen failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await store.close();
}
