"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { WagmiProvider } from "wagmi";
import { AppConfigProvider } from "@/lib/app-config";
import type { PublicAppConfig } from "@/lib/server-config";
import { getConfig } from "@/lib/wagmi";

export function Providers({ config, children }: { config: PublicAppConfig; children: ReactNode }) {
  const [wagmiConfig] = useState(() =>
    getConfig({ chainId: config.chainId, rpcUrl: typeof window === "undefined" ? "http://127.0.0.1/api/rpc" : `${window.location.origin}/api/rpc` }),
  );
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 2_000, retry: 1, refetchOnWindowFocus: false } } }));
  return (
    <WagmiProvider config={wagmiConfig}>
      <QueryClientProvider client={queryClient}>
        <AppConfigProvider config={config}>{children}</AppConfigProvider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}
