import { createRequire } from "node:module";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";
import { defineConfig } from "hardhat/config";

// solc comes from the npm `solc` package (solcjs), so a build never downloads a compiler.
const require = createRequire(import.meta.url);
const solcVersion: string = require("solc/package.json").version;

export default defineConfig({
  plugins: [hardhatToolboxViem],
  solidity: {
    version: solcVersion,
    path: require.resolve("solc/soljson.js"),
    // OpenZeppelin's AccessManager is deployed as it ships, not wrapped.
    npmFilesToBuild: ["@openzeppelin/contracts/access/manager/AccessManager.sol"],
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Prague is the newest fork both Hardhat's EDR and Anvil run by default.
      evmVersion: "prague",
    },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1", hardfork: "prague" },
    localhost: { type: "http", chainType: "l1", url: process.env.RPC_URL ?? "http://127.0.0.1:8545" },
  },
});
