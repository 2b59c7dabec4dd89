import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { Nav } from "@/components/Nav";
import { Providers } from "@/components/Providers";
import { WalletPanel } from "@/components/WalletPanel";
import { publicConfig, readAppConfig } from "@/lib/server-config";
import "./globals.css";

// The network the app serves is read per request (its configuration file), so nothing is prerendered.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "twinledger", template: "%s · twinledger" },
  description: "Federated learning for industrial digital twins, with the chain as the system of record",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  const result = readAppConfig();
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">Skip to content</a>
        {result.ok ? (
          <Providers config={publicConfig(result.config)}>
            <header className="top">
              <div className="brand">
                <span className="logo" aria-hidden="true">◆</span> twinledger
              </div>
              <WalletPanel />
            </header>
            <Nav />
            <main id="main" tabIndex={-1}>{children}</main>
          </Providers>
        ) : (
          <main id="main" className="unconfigured">
            <h1>twinledger</h1>
            <p role="alert">This app is not connected to a twinledger network. {result.reason}</p>
          </main>
        )}
      </body>
    </html>
  );
}
