/** The OpenAPI 3.1 description of the twin's HTTP API (served at GET /openapi.json). */

const json = (schema: object, description = "OK") => ({ description, content: { "application/json": { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  "400": json(ref("Error"), "Bad request: a malformed path parameter or query"),
  "404": json(ref("Error"), "No such asset"),
};
const assetIdParameter = { name: "assetId", in: "path", required: true, description: "The asset's id in the DeviceRegistry", schema: { type: "integer", minimum: 1 } };
const limitParameter = (fallback: number, max: number) => ({ name: "limit", in: "query", required: false, description: `At most this many items, the newest (default ${fallback})`, schema: { type: "integer", minimum: 1, maximum: max } });
const nullable = (schema: object) => ({ oneOf: [schema, { type: "null" }] });
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" };
const origin = {
  assetId: { type: "integer" },
  device: address,
  windowId: { type: "integer", description: "The on-chain window id (ProvenanceAnchor) the reading came from" },
  timestamp: { type: "integer", description: "Unix ms of the reading" },
};
const originRequired = ["assetId", "device", "windowId", "timestamp"];

/** Builds the document; `serverUrl` is where this twin listens. */
export function openApiDocument(serverUrl?: string): object {
  return {
    openapi: "3.1.0",
    info: {
      title: "twinledger digital twin",
      version: "1.0.0",
      description:
        "Digital twins of the consortium's registered assets, fed by telemetry windows anchored on chain (ProvenanceAnchor) and verified against their roots, with operating bounds from each device's on-chain metadata and RUL predictions from the task's deployed model version.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths: {
      "/health": { get: { summary: "Liveness and ingestion progress", operationId: "health", responses: { "200": json(ref("Health")) } } },
      "/openapi.json": { get: { summary: "This document", operationId: "openApi", responses: { "200": json({ type: "object" }) } } },
      "/assets": { get: { summary: "Every twin, one per registered asset", operationId: "listAssets", responses: { "200": json({ type: "object", required: ["assets"], properties: { assets: { type: "array", items: ref("AssetSummary") } } }) } } },
      "/assets/{assetId}": { get: { summary: "A twin's state: latest readings, health indicators, model in use", operationId: "getAsset", parameters: [assetIdParameter], responses: { "200": json(ref("TwinState")), ...errors } } },
      "/assets/{assetId}/history": {
        get: {
          summary: "Readings applied to the twin in a time range (oldest first; the twin keeps a bounded history)",
          operationId: "getHistory",
          parameters: [
            assetIdParameter,
            { name: "from", in: "query", required: false, description: "Unix ms, inclusive (default 0)", schema: { type: "integer", minimum: 0 } },
            { name: "to", in: "query", required: false, description: "Unix ms, inclusive (default: no limit)", schema: { type: "integer", minimum: 0 } },
            { name: "limit", in: "query", required: false, description: "At most this many readings, the oldest in the range (default 1000)", schema: { type: "integer", minimum: 1, maximum: 10000 } },
          ],
          responses: { "200": json({ type: "object", required: ["assetId", "from", "to", "readings"], properties: { assetId: { type: "integer" }, from: { type: "integer" }, to: nullable({ type: "integer" }), readings: { type: "array", items: ref("HistoryEntry") } } }), ...errors },
        },
      },
      "/assets/{assetId}/anomalies": {
        get: {
          summary: "Anomalies the twin recorded (oldest first)",
          operationId: "getAnomalies",
          parameters: [assetIdParameter, limitParameter(100, 1000), { name: "kind", in: "query", required: false, schema: { type: "string", enum: ["bounds", "residual", "drift"] } }],
          responses: { "200": json({ type: "object", required: ["assetId", "total", "anomalies"], properties: { assetId: { type: "integer" }, total: { type: "integer", description: "Anomalies ever recorded for the asset" }, anomalies: { type: "array", items: ref("Anomaly") } } }), ...errors },
        },
      },
      "/assets/{assetId}/predictions": {
        get: {
          summary: "RUL predictions, each with the model version and window it came from (oldest first)",
          operationId: "getPredictions",
          parameters: [assetIdParameter, limitParameter(100, 1000)],
          responses: { "200": json({ type: "object", required: ["assetId", "total", "predictions"], properties: { assetId: { type: "integer" }, total: { type: "integer" }, predictions: { type: "array", items: ref("Prediction") } } }), ...errors },
        },
      },
      "/assets/{assetId}/decisions": {
        get: {
          summary: "Maintenance recommendations and calibration events (oldest first)",
          operationId: "getDecisions",
          parameters: [assetIdParameter, limitParameter(100, 1000)],
          responses: { "200": json({ type: "object", required: ["assetId", "total", "decisions"], properties: { assetId: { type: "integer" }, total: { type: "integer" }, decisions: { type: "array", items: ref("Decision") } } }), ...errors },
        },
      },
      "/events": {
        get: {
          summary: "Server-sent events of live updates",
          description:
            "One SSE message per update; the SSE event name is the update's type (readings, anomaly, prediction, decision, model-switched, model-load-failed, window-rejected, error) and the data is the TwinEvent as JSON. A comment line is sent every 15 s to keep the connection open.",
          operationId: "events",
          parameters: [{ name: "assetId", in: "query", required: false, description: "Only updates of this asset (model events are always sent)", schema: { type: "integer", minimum: 1 } }],
          responses: { "200": { description: "An event stream", content: { "text/event-stream": { schema: ref("TwinEvent") } } }, "400": errors["400"] },
        },
      },
    },
    components: {
      schemas: {
        Error: { type: "object", required: ["error", "message"], properties: { error: { type: "string", enum: ["bad_request", "not_found", "method_not_allowed", "internal"] }, message: { type: "string" } } },
        ModelRef: { type: "object", required: ["versionId", "cid"], properties: { versionId: { type: "integer" }, cid: { type: "string" } } },
        SensorBounds: { type: "object", required: ["name", "unit", "min", "max"], properties: { name: { type: "string" }, unit: { type: "string" }, min: { type: "number" }, max: { type: "number" } } },
        Health: {
          type: "object",
          required: ["status", "taskName", "model", "deployedVersion", "modelSwitches", "assets", "handledThroughBlock", "windows"],
          properties: {
            status: { type: "string", enum: ["ok"] },
            taskName: { type: "string" },
            model: nullable(ref("ModelRef")),
            deployedVersion: nullable({ type: "integer", description: "The version the chain has deployed for the task (the twin switches once it has loaded and verified it)" }),
            modelSwitches: { type: "array", description: "Every switch of model version since the twin started, oldest first", items: { type: "object", required: ["from", "to", "weightsHash", "switchedAt"], properties: { from: nullable(ref("ModelRef")), to: ref("ModelRef"), weightsHash: { type: "string" }, switchedAt: { type: "integer" } } } },
            assets: { type: "integer" },
            handledThroughBlock: { type: "integer" },
            windows: { type: "object", properties: { applied: { type: "integer" }, rejected: { type: "integer" }, unavailable: { type: "integer" } } },
          },
        },
        AssetSummary: {
          type: "object",
          required: ["assetId", "organisationId", "label", "devices", "predictedRul", "anomalyCount", "lastWindowId"],
          properties: { assetId: { type: "integer" }, organisationId: { type: "integer" }, label: { type: "string" }, devices: { type: "integer" }, predictedRul: nullable({ type: "number" }), anomalyCount: { type: "integer" }, lastWindowId: nullable({ type: "integer" }) },
        },
        TwinState: {
          type: "object",
          required: ["assetId", "organisationId", "label", "devices", "latest", "health", "model", "windowsApplied", "readingsApplied", "lastWindowId"],
          properties: {
            assetId: { type: "integer" },
            organisationId: { type: "integer" },
            label: { type: "string" },
            devices: { type: "array", items: { type: "object", required: ["address", "deviceType", "metadataCid", "sensors"], properties: { address, deviceType: { type: "string" }, metadataCid: { type: "string" }, sensors: { type: "array", items: ref("SensorBounds") } } } },
            latest: {
              type: "object",
              description: "The latest reading of each channel, in the schema's units",
              additionalProperties: { type: "object", required: ["value", "unit", "timestamp", "device", "windowId"], properties: { value: { type: "number" }, unit: { type: "string" }, timestamp: { type: "integer" }, device: address, windowId: { type: "integer" } } },
            },
            health: {
              type: "object",
              properties: {
                predictedRul: nullable({ type: "number" }),
                predictedAt: nullable({ type: "integer" }),
                predictionModel: nullable(ref("ModelRef")),
                cycle: nullable({ type: "number" }),
                unitsSeen: { type: "integer" },
                maintenanceDue: { type: "boolean" },
                anomalyCounts: { type: "object", properties: { bounds: { type: "integer" }, residual: { type: "integer" }, drift: { type: "integer" } } },
                driftScore: { type: "number", description: "The highest current CUSUM score over the asset's sensors" },
                driftBySensor: { type: "object", additionalProperties: { type: "number" } },
              },
            },
            model: nullable(ref("ModelRef")),
            windowsApplied: { type: "integer" },
            readingsApplied: { type: "integer" },
            lastWindowId: nullable({ type: "integer" }),
          },
        },
        HistoryEntry: { type: "object", required: ["timestamp", "windowId", "device", "values"], properties: { timestamp: { type: "integer" }, windowId: { type: "integer" }, device: address, values: { type: "object", additionalProperties: nullable({ type: "number" }) } } },
        Anomaly: {
          type: "object",
          required: [...originRequired, "kind", "row", "sensor", "unit", "value"],
          properties: {
            ...origin,
            kind: { type: "string", enum: ["bounds", "residual", "drift"] },
            row: { type: "integer", description: "The reading's row in its window" },
            sensor: { type: "string" },
            unit: { type: "string" },
            value: { type: "number" },
            min: { type: "number", description: "bounds: the operating bounds from the device's on-chain metadata" },
            max: { type: "number" },
            expected: { type: "number", description: "residual, drift: the twin's expectation (EWMA)" },
            zScore: { type: "number", description: "residual" },
            driftScore: { type: "number", description: "drift: the CUSUM score" },
            threshold: { type: "number" },
          },
        },
        Prediction: { type: "object", required: [...originRequired, "rul", "cycle", "model"], properties: { ...origin, rul: { type: "number", description: "Predicted remaining useful life, cycles" }, cycle: { type: "number" }, model: ref("ModelRef") } },
        Decision: {
          type: "object",
          required: [...originRequired, "kind", "model", "reason"],
          properties: {
            ...origin,
            kind: { type: "string", enum: ["maintenance", "calibration"] },
            model: nullable(ref("ModelRef")),
            reason: { type: "string" },
            rul: { type: "number", description: "maintenance" },
            horizon: { type: "number", description: "maintenance" },
            sensor: { type: "string", description: "calibration" },
            driftScore: { type: "number", description: "calibration" },
            threshold: { type: "number", description: "calibration" },
          },
        },
        TwinEvent: {
          type: "object",
          required: ["type"],
          properties: { type: { type: "string", enum: ["readings", "anomaly", "prediction", "decision", "model-switched", "model-load-failed", "window-rejected", "error"] } },
          additionalProperties: true,
        },
      },
    },
  };
}
