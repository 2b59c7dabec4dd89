import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { LineageGraph } from "@/components/tasks/LineageGraph";
import { PrivacyBudget } from "@/components/tasks/PrivacyBudget";
import { deriveTaskHistories } from "@/components/tasks/task-history";
import { taskEvents } from "./fixtures/task-history";
import { parseOracleReport } from "@/components/tasks/oracle-report";
import { privacyPoints } from "@/components/tasks/task-series";
import { privacyOf } from "../../lib/chain/policy.ts";
import { policy } from "./fixtures/task-history";

const versions = deriveTaskHistories(taskEvents)[0]!.versions;

describe("LineageGraph", () => {
  it("renders one focusable node per version and marks the deployed one", () => {
    render(<LineageGraph versions={versions} metric="rmse" selected={3n} onSelect={() => {}} />);
    const nodes = screen.getAllByTestId("lineage-node");
    expect(nodes.map((node) => node.getAttribute("data-version"))).toEqual(["1", "2", "3", "4", "5"]);
    expect(nodes.every((node) => node.getAttribute("tabindex") === "0" && node.getAttribute("role") === "button")).toBe(true);
    const deployed = nodes.filter((node) => node.getAttribute("data-status") === "deployed");
    expect(deployed.map((node) => node.getAttribute("data-version"))).toEqual(["3"]);
    // The name is the node's visible text; origin and rejection reason are its description.
    const v3 = screen.getByRole("button", { name: "v3 · round 2 deployed rmse 27.3581" });
    expect(v3).toBe(deployed[0]);
    expect(v3.getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("button", { name: /^v3 ·/, description: "trained in round 2 from v2" })).toBe(v3);
    expect(screen.getByRole("button", { name: /^v4 · round 3\s+rejected/, description: "trained in round 3 from v3; rejected: threshold not met" })).toBeTruthy();
    expect(screen.getByRole("button", { name: /^v1 · genesis/ }).getAttribute("aria-pressed")).toBe("false");
  });

  it("draws an edge per round, from its base version", () => {
    render(<LineageGraph versions={versions} metric="rmse" selected={undefined} onSelect={() => {}} />);
    expect(screen.getAllByTestId("lineage-edge").map((edge) => `${edge.getAttribute("data-from")}→${edge.getAttribute("data-to")}`)).toEqual(["1→2", "2→3", "3→4", "3→5"]);
  });

  it("selects a version by click, Enter or Space", () => {
    const onSelect = vi.fn();
    render(<LineageGraph versions={versions} metric="rmse" selected={3n} onSelect={onSelect} />);
    fireEvent.click(screen.getByRole("button", { name: /^v2 ·/ }));
    fireEvent.keyDown(screen.getByRole("button", { name: /^v5 ·/ }), { key: "Enter" });
    fireEvent.keyDown(screen.getByRole("button", { name: /^v1 ·/ }), { key: " " });
    fireEvent.keyDown(screen.getByRole("button", { name: /^v4 ·/ }), { key: "a" });
    expect(onSelect.mock.calls).toEqual([[2n], [5n], [1n]]);
  });
});

describe("PrivacyBudget", () => {
  it("says so when the task has no differential privacy", () => {
    render(<PrivacyBudget privacy={privacyOf({ ...policy, dpClipNorm: 0, dpNoiseMultiplier: 0 })} points={[]} roundsWithoutAccounting={[]} reportsLoading={false} />);
    expect(screen.getByTestId("no-dp").textContent).toMatch(/^No differential privacy/);
  });

  it("shows the current ε with δ, σ effective, clip norm and encryption under DP", () => {
    const report = parseOracleReport({ privacy: { epsilon: 120.0217, delta: 0.00001, effectiveNoiseMultiplier: 0.1732, rounds: 4, clipNorm: 5, noiseMultiplier: 0.3, encrypted: false } }).report;
    render(<PrivacyBudget privacy={privacyOf(policy)} points={privacyPoints([{ versionId: 5n, roundId: 4n, report }])} roundsWithoutAccounting={[2n]} reportsLoading={false} />);
    const current = screen.getByTestId("privacy-current");
    expect(screen.getByTestId("epsilon").textContent).toBe("ε = 120.0");
    expect(current.textContent).toMatch(/δ = 0.00001 after 4 rounds/);
    expect(current.textContent).toMatch(/0.173σ effective/);
    expect(current.textContent).toMatch(/5clip norm/);
    expect(current.textContent).toMatch(/noencrypted aggregation/);
    expect(screen.getByTestId("privacy-missing").textContent).toMatch(/round 2/);
  });
});
