import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

// The app imports the repository's shared code (lib/) and its node_modules, both one level up.
const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  outputFileTracingRoot: repositoryRoot,
  turbopack: { root: repositoryRoot },
  devIndicators: false,
  // Separate build folders let several builds of this app run side by side (development helpers, benchmarks).
  distDir: process.env.TWINLEDGER_NEXT_DIST ?? ".next",
};

export default config;
