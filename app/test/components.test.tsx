import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { BarChart } from "@/components/charts/BarChart";
import { LineChart } from "@/components/charts/LineChart";
import { niceTicks } from "@/components/charts/scale";
import { DataState } from "@/components/DataState";

describe("DataState", () => {
  it("marks data as loaded only when it renders the data", () => {
    const { container, rerender } = render(<DataState label="devices" loading={true}><p>rows</p></DataState>);
    expect(screen.getByRole("status").textContent).toContain("Loading devices");
    expect(container.querySelector("[data-loaded]")).toBeNull();
    rerender(<DataState label="devices" loading={false} empty={true}><p>rows</p></DataState>);
    expect(screen.getByText("No devices yet.")).toBeTruthy();
    rerender(<DataState label="devices" loading={false}><p>rows</p></DataState>);
    expect(container.querySelector("[data-loaded='true']")?.textContent).toBe("rows");
  });

  it("shows the error instead of stale content", () => {
    render(<DataState label="rounds" loading={false} error={new Error("the chain does not answer")}><p>rows</p></DataState>);
    expect(screen.getByRole("alert").textContent).toBe("Could not load rounds: the chain does not answer");
    expect(screen.queryByText("rows")).toBeNull();
  });
});

describe("charts", () => {
  it("picks round ticks that cover the range", () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.13, 0.92, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it("describes a line chart for screen readers and keeps its numbers in a table", () => {
    render(<LineChart title="RMSE per round" xLabel="round" yLabel="RMSE" series={[{ name: "deployed", points: [{ x: 1, y: 30 }, { x: 2, y: 20 }] }]} />);
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("RMSE per round: 1 series, 2 points, RMSE from 20 to 30");
    expect(screen.getAllByRole("row")).toHaveLength(3);
  });

  it("orders bars by magnitude", () => {
    const { container } = render(<BarChart title="importance" valueLabel="Δ RMSE" bars={[{ label: "a", value: 0.1 }, { label: "b", value: -0.5 }, { label: "c", value: 0.3 }]} />);
    const labels = [...container.querySelectorAll("g > text:first-child")].map((node) => node.textContent);
    expect(labels).toEqual(["b", "c", "a"]);
    expect(container.querySelectorAll("rect.bar-negative")).toHaveLength(1);
  });
});
