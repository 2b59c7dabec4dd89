import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useState } from "react";
import type { TwinState } from "../../twin/asset-twin.ts";
import { LiveTelemetry } from "@/components/twins/LiveTelemetry";
import { TwinDataState } from "@/components/twins/TwinDataState";
import { useTwinEvents } from "@/components/twins/use-twin-events";
import { TwinUnavailableError, type FollowedEvent } from "@/components/twins/twin-api";

/** An EventSource the test drives: open, deliver named events, fail. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readonly url: string;
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly listeners = new Map<string, ((message: MessageEvent<string>) => void)[]>();
  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, listener: (message: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  open() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.();
  }
  emit(type: string, data: unknown) {
    for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.onerror?.();
  }
}

const device = "0x5048294Ec4c533EcE409557A9844ABE3Bd55bFD7";
const latestSource = () => FakeEventSource.instances[FakeEventSource.instances.length - 1]!;

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.stubGlobal("EventSource", FakeEventSource);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function Probe({ assetId, onEvent }: { assetId: number | null; onEvent: (event: FollowedEvent) => void }) {
  return <p data-testid="status">{useTwinEvents(assetId, onEvent)}</p>;
}

describe("useTwinEvents", () => {
  it("follows the asset's stream, reports its state, reconnects after the browser gives up, and closes on unmount", async () => {
    vi.useFakeTimers();
    const events: FollowedEvent[] = [];
    const view = render(<Probe assetId={4} onEvent={(event) => events.push(event)} />);
    const first = latestSource();
    expect(first.url).toBe("/api/twin/events?assetId=4");
    expect(screen.getByTestId("status").textContent).toBe("connecting");

    act(() => first.open());
    expect(screen.getByTestId("status").textContent).toBe("live");
    act(() => first.emit("readings", { type: "readings", assetId: 4, device, windowId: 9, rows: 40, timestamp: 1, values: { s1: 1 } }));
    act(() => first.emit("readings", { type: "readings", assetId: 4, rows: "bad" }));
    expect(events.map((event) => event.type)).toEqual(["readings"]);

    // A dropped stream: the hook closes it and reopens it after 1 s, then 2 s if that fails too.
    act(() => first.fail(false));
    expect(screen.getByTestId("status").textContent).toBe("reconnecting");
    expect(first.readyState).toBe(FakeEventSource.CLOSED);
    await act(async () => vi.advanceTimersByTime(999));
    expect(FakeEventSource.instances).toHaveLength(1);
    await act(async () => vi.advanceTimersByTime(1));
    expect(FakeEventSource.instances).toHaveLength(2);
    act(() => latestSource().fail(true));
    await act(async () => vi.advanceTimersByTime(1_999));
    expect(FakeEventSource.instances).toHaveLength(2);
    await act(async () => vi.advanceTimersByTime(1));
    expect(FakeEventSource.instances).toHaveLength(3);
    const second = latestSource();
    act(() => second.open());
    expect(screen.getByTestId("status").textContent).toBe("live");
    act(() => second.emit("anomaly", { type: "anomaly", anomaly: { assetId: 4, device, windowId: 9, timestamp: 2, kind: "bounds", row: 1, sensor: "s1", unit: "K", value: 1, min: 2, max: 3 } }));
    expect(events.map((event) => event.type)).toEqual(["readings", "anomaly"]);

    view.unmount();
    expect(second.readyState).toBe(FakeEventSource.CLOSED);
    expect(FakeEventSource.instances.every((source) => source.readyState === FakeEventSource.CLOSED)).toBe(true);
  });

  it("opens nothing without an asset", () => {
    render(<Probe assetId={null} onEvent={() => {}} />);
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(screen.getByTestId("status").textContent).toBe("off");
  });
});

describe("LiveTelemetry", () => {
  const state: TwinState = {
    assetId: 1,
    organisationId: 1,
    label: "turbofan-0001",
    devices: [{ address: device, deviceType: "turbofan-ecu", metadataCid: "Qm", sensors: [{ name: "s1", unit: "K", min: 470, max: 480 }] }],
    latest: { s1: { value: 475, unit: "K", timestamp: 10_000, device, windowId: 3 } },
    health: { predictedRul: 80, predictedAt: 10_000, predictionModel: null, cycle: 5, unitsSeen: 1, maintenanceDue: false, anomalyCounts: { bounds: 0, residual: 0, drift: 0 }, driftScore: 0, driftBySensor: {} },
    model: null,
    windowsApplied: 3,
    readingsApplied: 120,
    lastWindowId: 3,
  };

  it("seeds the chart from the history, counts readings arriving on the stream and fills each window's rows", async () => {
    const requests: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      requests.push(url);
      const from = Number(new URL(url, "http://app").searchParams.get("from"));
      const rows = from < 10_000 ? [9_950, 10_000] : [10_050, 10_100];
      return new Response(JSON.stringify({ assetId: 1, from, to: null, readings: rows.map((timestamp) => ({ timestamp, windowId: 3, device, values: { s1: 470 + (timestamp % 7) } })) }));
    });
    render(<LiveTelemetry assetId={1} state={state} />);
    await waitFor(() => expect(screen.getByTestId("telemetry-charts")).toBeTruthy());
    // 30 s before the latest reading (10 s), clamped at 0.
    expect(requests[0]).toBe("/api/twin/assets/1/history?from=0&limit=1000");
    expect(screen.getByTestId("telemetry-count").textContent).toBe("0");

    const source = latestSource();
    act(() => source.open());
    expect(screen.getByTestId("stream-status").getAttribute("data-status")).toBe("live");
    act(() => source.emit("readings", { type: "readings", assetId: 1, device, windowId: 4, rows: 2, timestamp: 10_100, values: { s1: 476 } }));
    expect(screen.getByTestId("telemetry-count").textContent).toBe("2");
    await waitFor(() => expect(requests).toContain("/api/twin/assets/1/history?from=10001&to=10100&limit=1000"));
    await waitFor(() => expect(screen.getByText(/The last 4 readings per sensor/)).toBeTruthy());
    act(() => source.emit("readings", { type: "readings", assetId: 1, device, windowId: 5, rows: 40, timestamp: 12_000, values: { s1: 476 } }));
    expect(screen.getByTestId("telemetry-count").textContent).toBe("42");
  });
});

describe("TwinDataState", () => {
  function Counter() {
    const [count, setCount] = useState(0);
    return <button type="button" onClick={() => setCount(count + 1)}>clicked {count}</button>;
  }

  it("keeps the last data (and its live children) on screen when a refresh fails, with a notice", () => {
    const view = render(<TwinDataState label="twin" loading={false} hasData><Counter /></TwinDataState>);
    act(() => screen.getByRole("button").click());
    view.rerender(<TwinDataState label="twin" loading={false} hasData error={new TwinUnavailableError("the twin service does not answer")}><Counter /></TwinDataState>);
    expect(screen.getByRole("button").textContent).toBe("clicked 1");
    expect(screen.getByTestId("twin-stale").textContent).toMatch(/not answering \(the twin service does not answer\)/);
  });

  it("says so when the twin is unavailable before any data arrived", () => {
    render(<TwinDataState label="twin" loading={false} error={new TwinUnavailableError("no digital-twin service runs in this network")}><Counter /></TwinDataState>);
    expect(screen.getByTestId("twin-unavailable").textContent).toMatch(/not available: no digital-twin service/);
    expect(screen.queryByRole("button")).toBeNull();
  });
});
