/**
 * The fleet's telemetry: every simulated device streams its own run-to-failure readings (the raw series its
 * training partition was built from) to a fog gateway, one reading per cycle at a steady rate, in windows it
 * signs. Devices are spread over the gateways; progress goes to stdout as JSON lines.
 *
 *   node edge/telemetry-fleet.ts --rpc URL --deployment PATH --devices 20 --seed 7 --gateways URL,URL [--rate 20]
 */
import { parseArgs } from "node:util";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { readDeployment } from "../lib/chain/deployment.ts";
import { deviceKey } from "../lib/chain/dev-accounts.ts";
import { syntheticTelemetry } from "../lib/data/telemetry.ts";
import { TelemetryStreamer } from "./telemetry-stream.ts";

const list = (value: string | undefined) => (value ? value.split(",").map((item) => item.trim()).filter(Boolean) : []);
const { values } = parseArgs({
  options: {
    deployment: { type: "string" }, "device-seed": { type: "string" }, devices: { type: "string" }, seed: { type: "string" }, units: { type: "string" },
    gateways: { type: "string" }, rate: { type: "string" }, "window-readings": { type: "string" }, "window-ms": { type: "string" },
  },
});
const config = z
  .object({
    deploymentPath: z.string(),
    deviceSeed: z.string().min(1),
    devices: z.coerce.number().int().positive(),
    seed: z.coerce.number().int(),
    unitsPerDevice: z.coerce.number().int().positive().optional(),
    gateways: z.array(z.string().url()).min(1),
    /** Readings per second per device (one reading is one cycle of the simulated machine). */
    rate: z.coerce.number().positive().max(1000),
    windowReadings: z.coerce.number().int().positive(),
    windowMs: z.coerce.number().int().positive(),
  })
  .parse({
    deploymentPath: values.deployment ?? ".twinledger/deployment.json", deviceSeed: values["device-seed"] ?? "fleet", devices: values.devices,
    seed: values.seed ?? 7, unitsPerDevice: values.units, gateways: list(values.gateways), rate: values.rate ?? 20,
    windowReadings: values["window-readings"] ?? 50, windowMs: values["window-ms"] ?? 2000,
  });

const emit = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
const deployment = readDeployment(config.deploymentPath);
const telemetryOptions = { seed: config.seed, devices: config.devices, ...(config.unitsPerDevice ? { minUnits: config.unitsPerDevice, maxUnits: config.unitsPerDevice } : {}) };

const devices = Array.from({ length: config.devices }, (_, index) => {
  const series = syntheticTelemetry(telemetryOptions, index);
  const streamer = new TelemetryStreamer({
    device: privateKeyToAccount(deviceKey(config.deviceSeed, index)),
    chainId: deployment.chainId,
    provenanceAnchor: deployment.addresses.ProvenanceAnchor,
    gatewayUrl: config.gateways[index % config.gateways.length]!,
    channels: series.schema.map(({ name, unit }) => ({ name, unit })),
    timeFormat: "epoch-ms",
    windowReadings: config.windowReadings,
    windowMs: config.windowMs,
  });
  return { series, streamer, next: 0 };
});

let running = true;
const width = (index: number) => devices[index]!.series.schema.length;
const intervalMs = 1000 / config.rate;
let tick = 0;
const started = Date.now();
emit("ready", { devices: config.devices, gateways: config.gateways.length, rate: config.rate });

// One reading per device per tick; a device that reaches the end of its recorded life starts over (a new unit).
const timer = setInterval(() => {
  if (!running) return;
  const now = Date.now();
  tick++;
  devices.forEach((device, index) => {
    const { series } = device;
    const w = width(index);
    const offset = device.next * w;
    const row: number[] = [now];
    for (let c = 0; c < w; c++) row.push(Math.round(series.rows[offset + c]! * 1e4) / 1e4);
    device.next = (device.next + 1) % series.rowCount;
    void device.streamer.push(row, now);
  });
  if (tick % Math.max(1, Math.round(config.rate * 5)) === 0) report();
}, intervalMs);

function report(): void {
  const totals = devices.reduce(
    (sum, { streamer }) => {
      sum.windowsDelivered += streamer.stats.windowsDelivered;
      sum.readingsDelivered += streamer.stats.readingsDelivered;
      sum.retries += streamer.stats.retries;
      for (const [reason, count] of Object.entries(streamer.stats.refused)) sum.refused[reason] = (sum.refused[reason] ?? 0) + count;
      return sum;
    },
    { windowsDelivered: 0, readingsDelivered: 0, retries: 0, refused: {} as Record<string, number> },
  );
  emit("progress", { ...totals, seconds: (Date.now() - started) / 1000 });
}

const shutdown = async () => {
  running = false;
  clearInterval(timer);
  await Promise.all(devices.map(({ streamer }) => streamer.flush(5_000)));
  report();
  emit("stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
