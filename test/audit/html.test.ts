import { expect } from "chai";
import { describe, it } from "node:test";
import { escapeHtml, renderHtmlReport } from "../../audit/html.ts";
import type { AuditCheck, AuditReport, LineageNode, SubjectReport } from "../../audit/report.ts";

const taskId = `0x${"ab".repeat(32)}` as const;
const cidOf = (i: number) => `Qm${"Y".repeat(43)}${i}`;
const hashOf = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as const;
const oracle = `0x${"11".repeat(20)}` as const;

function node(versionId: number, parent: number, extra: Partial<LineageNode> = {}): LineageNode {
  return {
    taskId,
    taskName: "cmapss-rul",
    versionId: String(versionId),
    parent: String(parent),
    roundId: String(Math.max(0, versionId - 1)),
    status: "validated",
    deployed: true,
    cid: cidOf(versionId),
    weightsHash: hashOf(versionId),
    proposer: oracle,
    attesters: [oracle],
    participants: 10,
    metric: 60 - versionId,
    ok: true,
    ...extra,
  };
}

// v1 genesis ← v2 ← v3 (deployed), v4 rejected off v3 (fails a check), v5 off v3.
const lineage: LineageNode[] = [
  node(1, 0),
  node(2, 1),
  node(3, 2),
  node(4, 3, { status: "rejected", deployed: false, ok: false, cid: `<img src=x onerror=alert(1)>` }),
  node(5, 3),
];

const report: AuditReport = {
  generatedAt: "2025-01-01T00:00:00.000Z",
  chainId: 31337,
  rpcUrl: "http://127.0.0.1:8545",
  addresses: {
    AccessManager: `0x${"01".repeat(20)}`,
    ConsortiumRegistry: `0x${"02".repeat(20)}`,
    DeviceRegistry: `0x${"03".repeat(20)}`,
    ModelRegistry: `0x${"04".repeat(20)}`,
    UpdateLedger: `0x${"05".repeat(20)}`,
    Reputation: `0x${"06".repeat(20)}`,
    ProvenanceAnchor: `0x${"07".repeat(20)}`,
    DataSharingLedger: `0x${"08".repeat(20)}`,
    EncryptionKeyRegistry: `0x${"09".repeat(20)}`,
  },
  ok: false,
  subjects: [
    ...lineage.map((n): SubjectReport => ({
      kind: "model",
      id: `cmapss-rul v${n.versionId}`,
      ok: n.ok,
      checks: [
        { name: "weights-hash", ok: true, evidence: { cid: n.cid, weightsHash: n.weightsHash, tx: hashOf(1000 + Number(n.versionId)) } },
        n.ok
          ? ({ name: "attestations", ok: true, evidence: { attesters: 2, quorum: 2 } } satisfies AuditCheck)
          : ({ name: "update-signature", ok: false, reason: "device 0x12 signed a different root <script>alert('x')</script>", evidence: { block: 12, device: "0x1234", note: null, sampled: true } } satisfies AuditCheck),
      ],
    })),
    { kind: "device", id: "0xdead", ok: true, checks: [{ name: "registered", ok: true, evidence: { block: 3 } }] },
    { kind: "reading", id: "window 12 #5", ok: false, checks: [{ name: "merkle-proof", ok: false, reason: "proof does not reach the anchored root", evidence: { root: hashOf(7) } }] },
  ],
  lineage,
  stats: { rpcCalls: 42, getLogsCalls: 7, ipfsFetches: 3, seconds: 1.25 },
};

describe("HTML audit report", () => {
  const html = renderHtmlReport(report);

  it("is a standalone HTML document with no external assets", () => {
    expect(html.startsWith("<!DOCTYPE html>")).to.equal(true);
    expect(html).to.match(/<html lang="en">[\s\S]*<\/html>\s*$/);
    expect(html).to.include("<style>");
    expect(html).not.to.match(/<link\b/i);
    // Attributes inside tags only (escaped text may well say "src=", as the injected CID here does).
    expect(html).not.to.match(/<[^>]*\ssrc\s*=/i);
    expect(html).not.to.match(/<[^>]*\shref\s*=\s*"(?!#)/i);
    expect(html).not.to.match(/<[^>]*\son[a-z]+\s*=/i);
    expect(html).not.to.match(/url\(\s*['"]?(?!#)/i);
    expect(html).not.to.match(/@import/i);
    expect(html).not.to.match(/<script\b/i);
  });

  it("shows the failing reasons, and escapes what came from the chain", () => {
    expect(html).to.include("proof does not reach the anchored root");
    expect(html).to.include("signed a different root &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    expect(html).not.to.include("<script>alert");
    expect(html).not.to.include("<img src=x");
    expect(html).to.include("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).to.include("✘");
    expect(html).to.include("✔");
  });

  it("summarises counts per subject kind, the chain and the stats", () => {
    expect(html).to.include("Some checks failed");
    expect(html).to.match(/<tr><th>Model versions<\/th><td>5<\/td><td class="pass">4<\/td><td class="fail">1<\/td>/);
    expect(html).to.match(/<tr><th>Devices<\/th><td>1<\/td><td class="pass">1<\/td><td class="">0<\/td>/);
    expect(html).to.include("31337");
    expect(html).to.include(report.addresses.ModelRegistry);
    expect(html).to.include("2025-01-01T00:00:00.000Z");
    expect(html).to.include("42 (getLogs: 7)");
  });

  it("puts transaction hashes and CIDs in monospace, and evidence as a key/value list", () => {
    expect(html).to.include(`<dt>tx</dt><dd><code>${hashOf(1002)}</code></dd>`);
    expect(html).to.include(`<dt>cid</dt><dd><code>${cidOf(2)}</code></dd>`);
    expect(html).to.include(`<dt>attesters</dt><dd>2</dd>`);
    expect(html).to.include(`<dt>note</dt><dd><span class="muted">null</span></dd>`);
  });

  it("draws the lineage as one SVG node per version and one edge per parent link", () => {
    const svgs = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).to.have.length(1);
    const svg = svgs[0]!;
    expect(svg.match(/<g class="node\b/g)).to.have.length(lineage.length);
    const edges = [...svg.matchAll(/<path class="edge" data-child="(\d+)" data-parent="(\d+)"/g)].map((m) => `${m[1]}→${m[2]}`);
    expect(edges.sort()).to.deep.equal(["2→1", "3→2", "4→3", "5→3"]);
    // Failed versions red, deployed ones highlighted; tooltips carry CID and weights hash.
    expect(svg).to.match(/<g class="node failed rejected" data-version="4">/);
    expect(svg).to.match(/<g class="node ok deployed validated" data-version="3">/);
    expect(svg).to.include(`CID: ${cidOf(2)}`);
    expect(svg).to.include(`weights hash: ${hashOf(2)}`);
    expect(svg).to.include(">v3 ★</text>");
    expect(svg).to.include(">57</text>");
    // v4 and v5 share a parent, so they sit in the same column at different rows.
    const position = (v: number) => svg.match(new RegExp(`data-version="${v}">(?:<a [^>]*>)?<title>[^<]*</title><rect x="(\\d+)" y="(\\d+)"`))!.slice(1).map(Number);
    expect(position(4)[0]).to.equal(position(5)[0]);
    expect(position(4)[1]).not.to.equal(position(5)[1]);
    expect(position(3)[0]).to.be.lessThan(position(4)[0]!);
  });

  it("escapes every special character", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("renders a clean report with no failures section and an empty lineage", () => {
    const clean = renderHtmlReport({ ...report, ok: true, lineage: [], subjects: [report.subjects[5]!] });
    expect(clean).to.include("Every check passed");
    expect(clean).not.to.include("Failed checks");
    expect(clean).to.include("No model versions in this audit.");
  });

  it("lays out a long lineage without recursion limits", () => {
    const long = Array.from({ length: 2000 }, (_, i) => node(i + 1, i));
    const big = renderHtmlReport({ ...report, lineage: long, subjects: [] });
    expect(big.match(/<g class="node\b/g)).to.have.length(2000);
    expect(big.match(/<path class="edge"/g)).to.have.length(1999);
  });
});
