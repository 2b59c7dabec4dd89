"use client";
/** The deployment the app serves (addresses, chain id, services), given by the server layout to every page. */
import { createContext, useContext, type ReactNode } from "react";
import type { PublicAppConfig } from "./server-config";

const AppConfigContext = createContext<PublicAppConfig | null>(null);

export function AppConfigProvider({ config, children }: { config: PublicAppConfig; children: ReactNode }) {
  return <AppConfigContext.Provider value={config}>{children}</AppConfigContext.Provider>;
}

export function useAppConfig(): PublicAppConfig {
  const config = useContext(AppConfigContext);
  if (!config) throw new Error("useAppConfig needs an AppConfigProvider (the root layout provides it)");
  return config;
}
