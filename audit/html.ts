/**
 * The audit report as one self-contained HTML page: a summary, a lineage graph per task (inline SVG), and every
 * subject with every check and its evidence. No external assets and no script: the "failures only" and per-kind
 * filters are CSS (`:has()`), so the page works offline and from a file. Every piece of text that comes from the
 * chain, IPFS or the auditor (CIDs, reasons, task names, evidence) goes through `escapeHtml`.
 */
import type { AuditCheck, AuditReport, EvidenceValue, LineageNode, SubjectKind, SubjectReport } from "./report.ts";

const kinds: readonly SubjectKind[] = ["model", "device", "reading"];
const kindTitles: Record<SubjectKind, string> = { model: "Model versions", device: "Devices", reading: "Readings" };

/** Escapes text for HTML element content and for quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

const esc = escapeHtml;

/** Strings shown in monospace: hex (hashes, addresses, transaction hashes) and CIDs. */
function isMachineString(value: string): boolean {
  return /^0x[0-9a-fA-F]+$/.test(value) || /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/.test(value) || /^b[a-z2-7]{50,}$/.test(value);
}

function isMachineKey(key: string): boolean {
  return /(hash|cid|tx|transaction|address|root|signature|signer|device|account|proposer|attester|oracle|gateway|leaf|digest)/i.test(key);
}

function renderValue(key: string, value: EvidenceValue): string {
  if (value === null) return `<span class="muted">null</span>`;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return esc(String(value));
  if (isMachineString(value) || (isMachineKey(key) && !/\s/.test(value))) return `<code>${esc(value)}</code>`;
  return esc(value);
}

function renderEvidence(evidence: Record<string, EvidenceValue>): string {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return `<span class="muted">—</span>`;
  return `<dl class="evidence">${entries.map(([key, value]) => `<dt>${esc(key)}</dt><dd>${renderValue(key, value)}</dd>`).join("")}</dl>`;
}

function renderCheck(check: AuditCheck): string {
  return (
    `<tr class="check ${check.ok ? "pass" : "fail"}">` +
    `<td class="mark" title="${check.ok ? "passed" : "failed"}">${check.ok ? "✔" : "✘"}</td>` +
    `<td class="name"><code>${esc(check.name)}</code></td>` +
    `<td class="reason">${check.reason === undefined ? "" : esc(check.reason)}</td>` +
    `<td>${renderEvidence(check.evidence)}</td>` +
    `</tr>`
  );
}

/** A stable, safe element id for subject `index` (ids never contain report text). */
const subjectAnchor = (index: number) => `subject-${index}`;

function renderSubject(subject: SubjectReport, index: number): string {
  const failed = subject.checks.filter((check) => !check.ok).length;
  const counts = failed === 0 ? `${subject.checks.length} checks passed` : `${failed} of ${subject.checks.length} checks failed`;
  return (
    `<details class="subject ${subject.ok ? "ok" : "failed"} kind-${subject.kind}" id="${subjectAnchor(index)}"${subject.ok ? "" : " open"}>` +
    `<summary><span class="mark">${subject.ok ? "✔" : "✘"}</span> <span class="kind">${esc(subject.kind)}</span> <span class="subject-id">${esc(subject.id)}</span> <span class="muted">${counts}</span></summary>` +
    `<table class="checks"><thead><tr><th></th><th>check</th><th>reason</th><th>evidence</th></tr></thead><tbody>` +
    subject.checks.map(renderCheck).join("") +
    `</tbody></table></details>`
  );
}

function formatMetric(metric: number): string {
  if (!Number.isFinite(metric)) return String(metric);
  if (Number.isInteger(metric)) return String(metric);
  return String(Number(metric.toPrecision(5)));
}

const NODE_W = 96;
const NODE_H = 40;
const COL = 136;
const ROW = 64;
const PAD = 16;

interface Placed {
  node: LineageNode;
  x: number;
  y: number;
}

/** Depth of each version (genesis and versions whose parent is not in the lineage are depth 0). */
function depths(nodes: readonly LineageNode[]): Map<string, number> {
  const byId = new Map(nodes.map((node) => [node.versionId, node]));
  const depth = new Map<string, number>();
  const depthOf = (node: LineageNode): number => {
    const known = depth.get(node.versionId);
    if (known !== undefined) return known;
    // Walk up iteratively (a lineage can be hundreds deep) and guard against a malformed cycle.
    const chain: LineageNode[] = [];
    const seen = new Set<string>();
    let current: LineageNode | undefined = node;
    let base = -1;
    while (current && !seen.has(current.versionId)) {
      const cached = depth.get(current.versionId);
      if (cached !== undefined) {
        base = cached;
        break;
      }
      seen.add(current.versionId);
      chain.push(current);
      current = current.parent === "0" || current.parent === current.versionId ? undefined : byId.get(current.parent);
    }
    for (let i = chain.length - 1; i >= 0; i--) depth.set(chain[i]!.versionId, ++base);
    return depth.get(node.versionId)!;
  };
  for (const node of nodes) depthOf(node);
  return depth;
}

/** The lineage of one task as an SVG: columns by depth, versions as nodes, one arrow per child→parent link. */
export function renderLineageSvg(nodes: readonly LineageNode[], subjectIndex: ReadonlyMap<string, number> = new Map(), graphIndex = 0): string {
  const arrowId = `arrow-${graphIndex}`;
  const depth = depths(nodes);
  const rowsAt = new Map<number, number>();
  const placed = new Map<string, Placed>();
  const ordered = [...nodes].sort((a, b) => compareIds(a.versionId, b.versionId));
  for (const node of ordered) {
    const d = depth.get(node.versionId) ?? 0;
    const row = rowsAt.get(d) ?? 0;
    rowsAt.set(d, row + 1);
    placed.set(node.versionId, { node, x: PAD + d * COL, y: PAD + row * ROW });
  }
  const columns = Math.max(1, ...[...depth.values()].map((d) => d + 1));
  const rows = Math.max(1, ...rowsAt.values());
  const width = PAD * 2 + (columns - 1) * COL + NODE_W;
  const height = PAD * 2 + (rows - 1) * ROW + NODE_H;

  const edges: string[] = [];
  for (const { node, x, y } of placed.values()) {
    const parent = node.parent === "0" ? undefined : placed.get(node.parent);
    if (!parent) continue;
    // From the child's left edge to the parent's right edge (or a curve when they share a column).
    const x1 = x;
    const y1 = y + NODE_H / 2;
    const x2 = parent.x + NODE_W;
    const y2 = parent.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    edges.push(`<path class="edge" data-child="${esc(node.versionId)}" data-parent="${esc(node.parent)}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" marker-end="url(#${arrowId})"/>`);
  }

  const boxes: string[] = [];
  for (const { node, x, y } of placed.values()) {
    const classes = ["node", node.ok ? "ok" : "failed", node.deployed ? "deployed" : "", node.status].filter(Boolean).join(" ");
    const tooltip = [
      `${node.taskName} v${node.versionId} (round ${node.roundId}, parent v${node.parent})`,
      `status: ${node.status}${node.deployed ? ", deployed" : ""}${node.ok ? "" : ", FAILED CHECKS"}`,
      `metric: ${formatMetric(node.metric)}, participants: ${node.participants}`,
      `CID: ${node.cid}`,
      `weights hash: ${node.weightsHash}`,
      `proposer: ${node.proposer}`,
      `attesters: ${node.attesters.join(", ") || "none"}`,
    ].join("\n");
    const target = subjectIndex.get(`${node.taskId}:${node.versionId}`);
    const inner =
      `<title>${esc(tooltip)}</title>` +
      `<rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="6"/>` +
      `<text x="${x + NODE_W / 2}" y="${y + 16}" class="label">v${esc(node.versionId)}${node.deployed ? " ★" : ""}</text>` +
      `<text x="${x + NODE_W / 2}" y="${y + 32}" class="metric">${esc(formatMetric(node.metric))}</text>`;
    boxes.push(
      `<g class="${esc(classes)}" data-version="${esc(node.versionId)}">` +
        (target === undefined ? inner : `<a href="#${subjectAnchor(target)}">${inner}</a>`) +
        `</g>`,
    );
  }
  return (
    `<svg class="lineage" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="lineage graph">` +
    `<defs><marker id="${arrowId}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>` +
    edges.join("") +
    boxes.join("") +
    `</svg>`
  );
}

function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? BigInt(a) : undefined;
  const nb = /^\d+$/.test(b) ? BigInt(b) : undefined;
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Matches a lineage node to the model subject that audits it ("<task> v<id>", the library's naming). */
function modelSubjectIndex(report: AuditReport): Map<string, number> {
  const bySubjectId = new Map<string, number>();
  report.subjects.forEach((subject, index) => {
    if (subject.kind === "model") bySubjectId.set(subject.id, index);
  });
  const result = new Map<string, number>();
  for (const node of report.lineage) {
    const index = bySubjectId.get(`${node.taskName} v${node.versionId}`) ?? bySubjectId.get(`v${node.versionId}`);
    if (index !== undefined) result.set(`${node.taskId}:${node.versionId}`, index);
  }
  return result;
}

function renderSummary(report: AuditReport): string {
  const rows = kinds.map((kind) => {
    const subjects = report.subjects.filter((subject) => subject.kind === kind);
    const failed = subjects.filter((subject) => !subject.ok).length;
    const checks = subjects.reduce((sum, subject) => sum + subject.checks.length, 0);
    const failedChecks = subjects.reduce((sum, subject) => sum + subject.checks.filter((check) => !check.ok).length, 0);
    return `<tr><th>${kindTitles[kind]}</th><td>${subjects.length}</td><td class="pass">${subjects.length - failed}</td><td class="${failed ? "fail" : ""}">${failed}</td><td>${checks}</td><td class="${failedChecks ? "fail" : ""}">${failedChecks}</td></tr>`;
  });
  const contracts = Object.entries(report.addresses).map(([name, address]) => `<tr><th>${esc(name)}</th><td><code>${esc(String(address))}</code></td></tr>`);
  const { stats } = report;
  return (
    `<section class="summary"><div class="verdict ${report.ok ? "pass" : "fail"}">${report.ok ? "✔ Every check passed" : "✘ Some checks failed"}</div>` +
    `<div class="grid">` +
    `<div><h2>Subjects</h2><table class="counts"><thead><tr><th></th><th>subjects</th><th>ok</th><th>failed</th><th>checks</th><th>failed checks</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>` +
    `<div><h2>Chain</h2><dl class="evidence">` +
    `<dt>chain id</dt><dd><code>${esc(String(report.chainId))}</code></dd>` +
    `<dt>RPC</dt><dd><code>${esc(report.rpcUrl)}</code></dd>` +
    `<dt>generated at</dt><dd>${esc(report.generatedAt)}</dd>` +
    `<dt>audit time</dt><dd>${esc(stats.seconds.toFixed(2))} s</dd>` +
    `<dt>RPC calls</dt><dd>${esc(String(stats.rpcCalls))} (getLogs: ${esc(String(stats.getLogsCalls))})</dd>` +
    `<dt>IPFS fetches</dt><dd>${esc(String(stats.ipfsFetches))}</dd>` +
    `</dl></div>` +
    `<div><h2>Contracts</h2><table class="contracts"><tbody>${contracts.join("")}</tbody></table></div>` +
    `</div></section>`
  );
}

function renderFailures(report: AuditReport): string {
  const items: string[] = [];
  report.subjects.forEach((subject, index) => {
    for (const check of subject.checks) {
      if (check.ok) continue;
      items.push(`<li><a href="#${subjectAnchor(index)}">${esc(subject.kind)} ${esc(subject.id)}</a>: <code>${esc(check.name)}</code> — ${esc(check.reason ?? "failed")}</li>`);
    }
  });
  if (items.length === 0) return "";
  const shown = items.slice(0, 200);
  const more = items.length > shown.length ? `<li class="muted">… and ${items.length - shown.length} more (below)</li>` : "";
  return `<section class="failures"><h2>Failed checks (${items.length})</h2><ul>${shown.join("")}${more}</ul></section>`;
}

function renderLineage(report: AuditReport): string {
  if (report.lineage.length === 0) return `<section><h2>Lineage</h2><p class="muted">No model versions in this audit.</p></section>`;
  const tasks = new Map<string, LineageNode[]>();
  for (const node of report.lineage) {
    const list = tasks.get(node.taskId) ?? [];
    list.push(node);
    tasks.set(node.taskId, list);
  }
  const index = modelSubjectIndex(report);
  const parts = [...tasks.values()].map((nodes, graphIndex) => {
    const first = nodes[0]!;
    const deployed = nodes.filter((node) => node.deployed).map((node) => `v${node.versionId}`);
    const failed = nodes.filter((node) => !node.ok).length;
    return (
      `<figure class="task"><figcaption><strong>${esc(first.taskName)}</strong> <code>${esc(first.taskId)}</code> — ${nodes.length} versions, deployed: ${esc(deployed.join(", ") || "none")}${failed ? `, <span class="fail">${failed} failed</span>` : ""}</figcaption>` +
      `<div class="scroll">${renderLineageSvg(nodes, index, graphIndex)}</div></figure>`
    );
  });
  return (
    `<section><h2>Lineage</h2><p class="legend"><span class="swatch deployed"></span> deployed ★ <span class="swatch plain"></span> proposed / rejected <span class="swatch failed"></span> failed checks. Arrows point from a version to its parent; hover a node for its CID and weights hash.</p>` +
    parts.join("") +
    `</section>`
  );
}

function renderSubjects(report: AuditReport): string {
  const filters =
    `<div class="filters">` +
    `<label><input type="checkbox" id="only-failed"> failures only</label> ` +
    `<label><input type="radio" name="kind" id="kind-all" checked> all</label> ` +
    kinds.map((kind) => `<label><input type="radio" name="kind" id="kind-${kind}"> ${kindTitles[kind].toLowerCase()}</label>`).join(" ") +
    `</div>`;
  const sections = kinds
    .map((kind) => {
      const entries = report.subjects.map((subject, index) => ({ subject, index })).filter(({ subject }) => subject.kind === kind);
      if (entries.length === 0) return "";
      return `<section class="kind-section kind-${kind}"><h2>${kindTitles[kind]} (${entries.length})</h2>${entries.map(({ subject, index }) => renderSubject(subject, index)).join("")}</section>`;
    })
    .join("");
  return `<section class="subjects">${filters}${sections || `<p class="muted">No subjects.</p>`}</section>`;
}

const css = `
:root{--ok:#1a7f37;--fail:#cf222e;--muted:#6e7781;--line:#d0d7de;--bg:#f6f8fa;--dep:#0969da}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:16px 24px;max-width:1400px;color:#1f2328}
h1{font-size:22px;margin:0 0 8px}h2{font-size:16px;margin:16px 0 8px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.muted{color:var(--muted)}.pass{color:var(--ok)}.fail{color:var(--fail)}
.verdict{font-size:18px;font-weight:600;padding:8px 12px;border-radius:6px;background:var(--bg);display:inline-block}
.verdict.pass{border-left:4px solid var(--ok)}.verdict.fail{border-left:4px solid var(--fail)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
.counts td{text-align:right}
dl.evidence{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
dl.evidence dt{color:var(--muted)}dl.evidence dd{margin:0}
.failures ul{margin:0;padding-left:20px}.failures{border:1px solid var(--fail);border-radius:6px;padding:4px 16px 12px;margin:16px 0}
figure.task{margin:0 0 16px}.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:#fff}
svg.lineage .edge{fill:none;stroke:#8c959f;stroke-width:1.5}svg.lineage .arrowhead{fill:#8c959f}
svg.lineage .node rect{fill:#fff;stroke:#8c959f;stroke-width:1.5}
svg.lineage .node.deployed rect{fill:#ddf4ff;stroke:var(--dep);stroke-width:3}
svg.lineage .node.rejected rect{stroke-dasharray:4 3}
svg.lineage .node.failed rect{fill:#ffebe9;stroke:var(--fail);stroke-width:3}
svg.lineage text{text-anchor:middle;font:12px ui-monospace,monospace;fill:#1f2328}svg.lineage text.metric{fill:var(--muted);font-size:11px}
.legend .swatch{display:inline-block;width:12px;height:12px;border:2px solid #8c959f;vertical-align:middle;margin-left:8px}
.legend .swatch.deployed{background:#ddf4ff;border-color:var(--dep)}.legend .swatch.failed{background:#ffebe9;border-color:var(--fail)}
.filters{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid var(--line);z-index:1}
details.subject{border:1px solid var(--line);border-radius:6px;margin:6px 0}
details.subject.failed{border-color:var(--fail)}
details.subject>summary{cursor:pointer;padding:6px 10px;background:var(--bg)}
details.subject.ok .mark{color:var(--ok)}details.subject.failed .mark{color:var(--fail)}
.subject-id{font-family:ui-monospace,monospace;font-weight:600}.kind{color:var(--muted);text-transform:uppercase;font-size:11px}
table.checks{width:100%}table.checks td.mark{width:1.5em;font-weight:700}
tr.check.pass td.mark{color:var(--ok)}tr.check.fail td.mark{color:var(--fail)}tr.check.fail td.reason{color:var(--fail)}
body:has(#only-failed:checked) details.subject.ok{display:none}
body:has(#kind-model:checked) .kind-section:not(.kind-model),body:has(#kind-device:checked) .kind-section:not(.kind-device),body:has(#kind-reading:checked) .kind-section:not(.kind-reading){display:none}
`;

/** The whole report as one standalone HTML document. */
export function renderHtmlReport(report: AuditReport): string {
  const title = `twinledger audit — chain ${report.chainId} — ${report.ok ? "ok" : "FAILED"}`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${css}</style></head><body>` +
    `<h1>twinledger audit report</h1>` +
    renderSummary(report) +
    renderFailures(report) +
    renderLineage(report) +
    renderSubjects(report) +
    `<footer class="muted"><p>Generated ${esc(report.generatedAt)} from the chain at <code>${esc(report.rpcUrl)}</code> and IPFS.</p></footer>` +
    `</body></html>\n`
  );
}
