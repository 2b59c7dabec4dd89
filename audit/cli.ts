/**
 * The auditor's command line: `node audit/cli.ts <command> [options]`. It verifies from the chain and IPFS alone
 * and prints ✔/✘ per check with the reason (or the report as JSON). Exit codes: 0 every check passed, 1 a check
 * failed, 2 a usage or connection error (one line on stderr).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Presets, SingleBar } from "cli-progress";
import { z } from "zod";
import { auditAll, reportOf } from "./all.ts";
import { auditDevice } from "./device.ts";
import { renderHtmlReport } from "./html.ts";
import { auditModel, type UpdateContentMode } from "./model.ts";
import { auditReading } from "./reading.ts";
import { exitCodeOf, type AuditReport, type SubjectReport } from "./report.ts";
import { openAuditSources, SourceError, type AuditSources } from "./sources.ts";
import { stopSignerPool } from "./core/signers.ts";

const usage = `twinledger auditor: verify models, devices and readings from the chain and IPFS alone

usage: node audit/cli.ts <command> [options]

commands:
  model <task> <version>     one model version (task by name or 0x id): content, lineage, oracles, policy, updates
  device <address>           a device's registration, firmware, status and reputation history, against its state now
  reading <window> <index>   one telemetry reading's chain of evidence
  all                        every version of every task
  report [--out FILE]        'all', written as a self-contained HTML report (default audit-report.html)

options:
  --rpc URL                  JSON-RPC node (default: the deployment record's)
  --deployment PATH          deployment record (default .twinledger/deployment.json)
  --ipfs-api URL             a Kubo RPC API (also IPFS_API_URL)
  --ipfs-gateway URL         a trustless HTTP gateway (blocks are verified against their CIDs)
  --ipfs-peers URL,...       twinledger gateways for the embedded IPFS node
  --data-dir DIR             embedded node and cache (default .twinledger/audit)
  --max-block-range N        widest eth_getLogs span (default 2000; shrinks by itself if the node refuses)
  --update-content MODE      all | none | N (fetch and hash a sample of N updates per version); default all
  --no-cache                 read everything again, ignore and keep no local cache
  --json                     print the report as JSON
  -h, --help                 this text

exit codes: 0 all checks pass, 1 a check failed, 2 usage or connection error`;

class UsageError extends Error {}

const optionsSchema = z.object({
  rpc: z.string().url().optional(),
  deployment: z.string().min(1).optional(),
  "ipfs-api": z.string().url().optional(),
  "ipfs-gateway": z.string().url().optional(),
  "ipfs-peers": z.string().optional(),
  "data-dir": z.string().min(1).optional(),
  "max-block-range": z.string().regex(/^[1-9]\d*$/, "a positive integer").optional(),
  "update-content": z.string().regex(/^(all|none|[1-9]\d*)$/, "all, none or a positive integer").optional(),
  out: z.string().min(1).optional(),
  "no-cache": z.boolean().optional(),
  json: z.boolean().optional(),
  help: z.boolean().optional(),
});
type CliOptions = z.infer<typeof optionsSchema>;

function parse(argv: string[]): { command: string | undefined; positionals: string[]; options: CliOptions } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        rpc: { type: "string" },
        deployment: { type: "string" },
        "ipfs-api": { type: "string" },
        "ipfs-gateway": { type: "string" },
        "ipfs-peers": { type: "string" },
        "data-dir": { type: "string" },
        "max-block-range": { type: "string" },
        "update-content": { type: "string" },
        out: { type: "string" },
        "no-cache": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options = optionsSchema.safeParse(parsed.values);
  if (!options.success) throw new UsageError(z.prettifyError(options.error).replace(/\n/g, " "));
  const [command, ...positionals] = parsed.positionals;
  return { command, positionals, options: options.data };
}

function contentMode(value: string | undefined): UpdateContentMode {
  if (value === undefined || value === "all") return "all";
  if (value === "none") return "none";
  return Number(value);
}

function argCount(positionals: string[], count: number, what: string): void {
  if (positionals.length !== count) throw new UsageError(`expected ${what}`);
}

/** One subject as lines: a heading, then ✔/✘ per check with the reason. */
export function formatSubject(subject: SubjectReport): string[] {
  const lines = [`${subject.ok ? "✔" : "✘"} ${subject.kind} ${subject.id}`];
  for (const check of subject.checks) lines.push(`    ${check.ok ? "✔" : "✘"} ${check.name.padEnd(18)}${check.reason ? ` ${check.reason}` : ""}`);
  return lines;
}

export function formatReport(report: AuditReport): string {
  const failed = report.subjects.filter((subject) => !subject.ok).length;
  const { stats } = report;
  return [
    ...report.subjects.flatMap(formatSubject),
    "",
    `${report.ok ? "✔ every check passed" : `✘ ${failed} of ${report.subjects.length} subjects failed`} — ${report.subjects.length} subjects, ${stats.rpcCalls} RPC calls (${stats.getLogsCalls} eth_getLogs), ${stats.ipfsFetches} IPFS fetches, ${stats.seconds} s`,
  ].join("\n");
}


function progressBar(enabled: boolean) {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({ format: "auditing [{bar}] {value}/{total} versions {label}", stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  let started = false;
  return {
    update(done: number, total: number, label: string) {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { label });
    },
    stop: () => started && bar.stop(),
  };
}

export async function main(argv: string[]): Promise<number> {
  const { command, positionals, options } = parse(argv);
  if (options.help || command === undefined || command === "help") {
    process.stdout.write(`${usage}\n`);
    return command === undefined && !options.help ? 2 : 0;
  }
  let run: (sources: AuditSources) => Promise<AuditReport>;
  const startedAt = performance.now();
  const mode = contentMode(options["update-content"]);
  switch (command) {
    case "model": {
      argCount(positionals, 2, "model <task> <version>");
      const version = positionals[1]!;
      if (!/^\d+$/.test(version)) throw new UsageError(`version must be a number, got ${version}`);
      run = async (sources) => {
        const { subject, lineage } = await auditModel(sources, positionals[0]!, BigInt(version), { verifyUpdateContent: mode });
        return reportOf(sources, [subject], startedAt, lineage);
      };
      break;
    }
    case "device":
      argCount(positionals, 1, "device <address>");
      run = async (sources) => reportOf(sources, [await auditDevice(sources, positionals[0]!)], startedAt);
      break;
    case "reading": {
      argCount(positionals, 2, "reading <window> <index>");
      const [window, index] = positionals as [string, string];
      if (!/^\d+$/.test(window) || !/^\d+$/.test(index)) throw new UsageError("window and index must be numbers");
      run = async (sources) => reportOf(sources, [await auditReading(sources, BigInt(window), Number(index))], startedAt);
      break;
    }
    case "all":
    case "report": {
      argCount(positionals, 0, `${command} with no arguments`);
      const bar = progressBar(process.stderr.isTTY === true);
      run = async (sources) => {
        let lastLine = 0;
        try {
          return await auditAll(sources, {
            verifyUpdateContent: mode,
            onProgress: (done, total, label) => {
              bar.update(done, total, label);
              // Without a terminal, a line every 10% (or each version for short runs) instead of a bar.
              if (process.stderr.isTTY !== true && (done === total || done - lastLine >= Math.max(1, Math.ceil(total / 10)))) {
                lastLine = done;
                process.stderr.write(`audited ${done}/${total} versions\n`);
              }
            },
          });
        } finally {
          bar.stop();
        }
      };
      break;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
  if (options.out !== undefined && command !== "report") throw new UsageError("--out applies to the report command only");

  const sources = await openAuditSources({
    deploymentPath: options.deployment,
    rpcUrl: options.rpc,
    ipfsApiUrl: options["ipfs-api"],
    ipfsGatewayUrl: options["ipfs-gateway"],
    ipfsPeers: options["ipfs-peers"]?.split(",").map((peer) => peer.trim()).filter(Boolean),
    dataDir: options["data-dir"],
    maxBlockRange: options["max-block-range"] ? BigInt(options["max-block-range"]) : undefined,
    noCache: options["no-cache"],
  });
  let report: AuditReport;
  try {
    report = await run(sources);
  } finally {
    await sources.close();
    await stopSignerPool();
  }
  if (command === "report") {
    const out = options.out ?? "audit-report.html";
    writeFileSync(out, renderHtmlReport(report));
    process.stderr.write(`wrote ${out}\n`);
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2)}\n` : `${formatReport(report)}\n`);
  return exitCodeOf(report);
}

/** Errors that mean "could not audit" (usage, connection), as opposed to an audit that found a failure. */
function describeFatal(error: unknown): string {
  if (error instanceof UsageError) return `usage: ${error.message} (see --help)`;
  if (error instanceof SourceError) return error.message;
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
  return /fetch failed|ECONNREFUSED|HTTP request failed|timed? ?out/i.test(message) ? `cannot reach the node or IPFS: ${message}` : message;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`audit: ${describeFatal(error)}\n`);
      process.exit(2);
    },
  );
}
