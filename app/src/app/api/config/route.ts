import { NextResponse } from "next/server";
import { publicConfig, readAppConfig } from "@/lib/server-config";

export const dynamic = "force-dynamic";

/** The deployment the app is serving, for scripts and health checks. */
export function GET() {
  const result = readAppConfig();
  if (!result.ok) return NextResponse.json({ error: "not_configured", message: result.reason }, { status: 503 });
  return NextResponse.json(publicConfig(result.config));
}
