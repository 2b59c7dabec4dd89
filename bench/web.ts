/**
 * bench:web — how fast each page of the web app shows its data, in headless chromium against the production
 * build and a seeded network (app/e2e/network.ts: chain, oracles, fleet, gateways, twins; 2 rounds run first).
 *
 * Per page and run, in a fresh browser context (cold cache, no wallet): first contentful paint, and "data
 * loaded", the first moment a `[data-loaded]` element exists and no `[data-state=loading]` remains (observed in
 * the page by a MutationObserver, so it is the page's own clock, not a polling interval). Each page is measured
 * `--runs` times, interleaved, after one discarded warm-up visit; the median and the p90 are reported. The
 * baseline is the same app shell with no chain data: a 404 page, "ready" when the wallet panel has hydrated.
 *
 *   npm run bench:web [-- --runs 5] [-- --control-url http://127.0.0.1:PORT  (reuse a running app/e2e/network.ts)]
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium, type Browser } from "playwright-core";
import { z } from "zod";
import { startNetwork, type NetworkInfo, type RunningNetwork } from "../app/e2e/network-client.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    devices: { type: "string", default: "6" },
    rounds: { type: "string", default: "2" },
    "control-url": { type: "string" },
    out: { type: "string" },
    "timeout-ms": { type: "string", default: "30000" },
  },
});
const runs = z.coerce.number().int().min(1).max(100).parse(values.runs);
const goalMs = 1500;
const pages = ["/", "/organisations", "/devices", "/tasks", "/rounds", "/reputation", "/twins", "/audit"];
const baselinePath = "/bench-baseline-not-found";
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const outPath = values.out ?? join(fileURLToPath(new URL(".", import.meta.url)), "results", "web.json");

// Runs in the page before its own scripts: records when the page's data is first all there.
const observerScript = `(() => {
  const loaded = () => document.querySelector("[data-loaded]") !== null && document.querySelector("[data-state=loading]") === null;
  const hydrated = () => document.querySelector("[data-testid=wallet-readonly], [data-testid=wallet-connected], .wallet button") !== null;
  const check = () => {
    if (window.__benchDataAt === undefined && loaded()) window.__benchDataAt = performance.now();
    if (window.__benchShellAt === undefined && hydrated()) window.__benchShellAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-loaded", "data-state", "data-testid"] });
  document.addEventListener("DOMContentLoaded", check);
})();`;

const timingsSchema = z.object({ fcp: z.number().nullable(), data: z.number().nullable(), shell: z.number().nullable(), ttfb: z.number().nullable() });
/** ttfb_ms (server rendered the HTML) and shell_ms (the app hydrated: the wallet panel rendered) split data_ms. */
type Sample = { fcp_ms: number; data_ms: number; ttfb_ms: number; shell_ms: number };

async function measure(browser: Browser, url: string, readyOn: "data" | "shell"): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(observerScript);
    await page.goto(url, { waitUntil: "commit" });
    await page.waitForFunction(readyOn === "data" ? "window.__benchDataAt !== undefined" : "window.__benchShellAt !== undefined", undefined, { timeout: Number(values["timeout-ms"]), polling: 50 });
    // FCP is reported asynchronously; it has happened by now, its entry may lag a frame.
    await page.waitForFunction(`performance.getEntriesByName("first-contentful-paint").length > 0`, undefined, { timeout: 5_000 }).catch(() => undefined);
    const timings = timingsSchema.parse(await page.evaluate(`({
      fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
      data: window.__benchDataAt ?? null,
      shell: window.__benchShellAt ?? null,
      ttfb: performance.getEntriesByType("navigation")[0]?.responseStart ?? null,
    })`));
    const ready = readyOn === "data" ? timings.data : timings.shell;
    if (ready === null) throw new Error(`${url}: never ready`);
    return { fcp_ms: timings.fcp ?? Number.NaN, data_ms: ready, ttfb_ms: timings.ttfb ?? Number.NaN, shell_ms: timings.shell ?? Number.NaN };
  } finally {
    await context.close();
  }
}

const quantile = (samples: number[], q: number) => {
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (position - low);
};
const round1 = (value: number) => Math.round(value * 10) / 10;

async function networkInfo(): Promise<{ info: NetworkInfo; network?: RunningNetwork }> {
  if (values["control-url"]) {
    const response = await fetch(`${values["control-url"]}/info`);
    return { info: (await response.json()) as NetworkInfo };
  }
  process.stderr.write(`starting a network (${values.devices} devices, ${values.rounds} rounds) and the web app…\n`);
  const network = await startNetwork({ devices: Number(values.devices), rounds: Number(values.rounds), echo: false });
  return { info: network.info, network };
}

const started = Date.now();
const { info, network } = await networkInfo();
let browser: Browser | undefined;
try {
  browser = await chromium.launch({ executablePath: process.env.TWINLEDGER_CHROMIUM ?? "/usr/bin/chromium", args: chromiumArgs, headless: true });
  const errors: string[] = [];
  const loadBefore = loadavg()[0] ?? 0;
  // Warm-up: the server's first request per route loads its modules; that is start-up cost, not page speed.
  for (const path of [...pages, baselinePath]) await measure(browser, info.appUrl + path, path === baselinePath ? "shell" : "data").catch((error: unknown) => errors.push(`warm-up ${path}: ${String(error)}`));
  const samples = new Map<string, Sample[]>([...pages, baselinePath].map((path) => [path, []]));
  for (let run = 0; run < runs; run++) {
    for (const path of [...pages, baselinePath]) {
      try {
        samples.get(path)!.push(await measure(browser, info.appUrl + path, path === baselinePath ? "shell" : "data"));
      } catch (error) {
        errors.push(`${path} run ${run + 1}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      }
    }
  }
  const summary = (list: Sample[]) => ({
    fcp_ms: round1(quantile(list.map((s) => s.fcp_ms), 0.5)),
    data_ms: round1(quantile(list.map((s) => s.data_ms), 0.5)),
    fcp_p90_ms: round1(quantile(list.map((s) => s.fcp_ms), 0.9)),
    data_p90_ms: round1(quantile(list.map((s) => s.data_ms), 0.9)),
    ttfb_ms: round1(quantile(list.map((s) => s.ttfb_ms), 0.5)),
    shell_ms: round1(quantile(list.map((s) => s.shell_ms), 0.5)),
    samples: list.length,
  });
  const baseline = summary(samples.get(baselinePath)!);
  const pageResults = Object.fromEntries(
    pages.map((path) => {
      const result = summary(samples.get(path)!);
      return [path, { ...result, data_over_baseline: round1(result.data_ms / baseline.data_ms), met: result.samples > 0 && result.data_ms <= goalMs }];
    }),
  );
  const met = Object.values(pageResults).every((result) => result.met);
  const output = {
    pages: pageResults,
    goal_ms: goalMs,
    met,
    runs,
    baseline: {
      path: baselinePath,
      what: "the app shell with no chain data (a 404 page): data_ms = when the wallet panel has hydrated",
      ...baseline,
    },
    method: "headless Debian chromium (playwright-core), a fresh browser context per sample (cold cache, no wallet), pages interleaved, one discarded warm-up visit each; fcp_ms from the first-contentful-paint entry; data_ms when [data-loaded] exists and no [data-state=loading] remains (MutationObserver in the page); all from navigation start; ttfb_ms = server response, shell_ms = the app hydrated (wallet panel rendered), so data_ms - shell_ms is the page's own data loading; median (p90 beside)",
    network: { devices: Number(values.devices), rounds_before: Number(values.rounds), telemetry: "on (gateways and twins running during the measurement)", reused: values["control-url"] !== undefined },
    machine: {
      cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown"}`,
      memory_gb: round1(totalmem() / 2 ** 30),
      // Other work on the machine (builds, other networks) slows every number: read them with these.
      load_average_1m_before: round1(loadBefore),
      load_average_1m_after: round1(loadavg()[0] ?? 0),
      node: process.version,
      chromium: browser.version(),
    },
    errors,
    seconds: round1((Date.now() - started) / 1000),
  };
  writeFileSync(outPath, JSON.stringify(output, null, 2) + "\n");
  console.log(`\nbench:web: median of ${runs} cold loads per page (goal: data within ${goalMs} ms)\n`);
  const row = (result: ReturnType<typeof summary>, overBaseline: number, goalMet: boolean) => ({
    "FCP ms": result.fcp_ms,
    "data ms": result.data_ms,
    "data p90 ms": result.data_p90_ms,
    "TTFB ms": result.ttfb_ms,
    "hydrated ms": result.shell_ms,
    "× baseline": overBaseline,
    met: goalMet ? "yes" : "NO",
  });
  console.table({
    ...Object.fromEntries(Object.entries(pageResults).map(([path, result]) => [path, row(result, result.data_over_baseline, result.met)])),
    [`${baselinePath} (baseline)`]: row(baseline, 1, true),
  });
  if (errors.length > 0) console.log(`errors:\n  ${errors.join("\n  ")}`);
  console.log(`${met ? "goal met" : "goal NOT met"}; written to ${outPath}`);
} finally {
  await browser?.close();
  await network?.stop();
}
