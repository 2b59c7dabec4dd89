/**
 * Typed contract hooks for the web app, generated from the Hardhat artifacts by @wagmi/cli (`npm run build`
 * runs it after `hardhat build`). Addresses are not baked in: every deployment differs, so the app passes the
 * address from the deployment record it is served with.
 */
import { defineConfig } from "@wagmi/cli";
import { hardhat, react } from "@wagmi/cli/plugins";
import { fileURLToPath } from "node:url";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  out: fileURLToPath(new URL("src/generated/contracts.ts", import.meta.url)),
  plugins: [
    hardhat({
      project: repositoryRoot,
      // `npm run build` has just compiled the contracts; the plugin only reads the artifacts.
      commands: { build: false, clean: false, rebuild: false },
      include: [
        "contracts/ConsortiumRegistry.sol/*.json",
        "contracts/DeviceRegistry.sol/*.json",
        "contracts/ModelRegistry.sol/*.json",
        "contracts/UpdateLedger.sol/*.json",
        "contracts/Reputation.sol/*.json",
        "contracts/ProvenanceAnchor.sol/*.json",
        "contracts/DataSharingLedger.sol/*.json",
        "contracts/EncryptionKeyRegistry.sol/*.json",
        "@openzeppelin/contracts/access/manager/AccessManager.sol/AccessManager.json",
      ],
    }),
    react(),
  ],
});
