import { z } from "zod";
import type { DeviceMetadata } from "./seed.ts";
import { parseJsonDocument } from "../json-document.ts";

const deviceMetadataSchema = z.object({
  deviceType: z.string().min(1),
  sensors: z
    .array(z.object({ name: z.string().min(1), unit: z.string(), min: z.number(), max: z.number() }).refine((s) => s.min <= s.max, { message: "min must not exceed max" }))
    .min(1)
    .refine((sensors) => new Set(sensors.map((s) => s.name)).size === sensors.length, { message: "sensor names must be unique" }),
}) satisfies z.ZodType<DeviceMetadata>;

/** Parses and validates a device metadata document (the JSON its on-chain digest names). */
export function parseDeviceMetadata(bytes: Uint8Array): DeviceMetadata {
  return parseJsonDocument(bytes, deviceMetadataSchema, "device metadata");
}
