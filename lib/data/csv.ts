/**
 * A generic CSV loader: a column mapping (validated with zod) turns any sensor log into a FederatedData task.
 * Parsing is pure over the text. Rows with missing or non-numeric values are skipped but always counted and
 * reported; too many of them is an error rather than a silently shrunken dataset.
 */
import { z } from "zod";
import { assignRoundRobin, deriveSeed, makeDataset, mulberry32, normaliseFederated, permutation, type Dataset, type FederatedData, type TaskKind } from "./dataset.ts";

/** RFC-4180-style split: double-quoted fields may contain the separator and doubled quotes. No multi-line fields. */
export function splitCsvLine(line: string, separator: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === separator) {
      fields.push(field);
      field = "";
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

export interface CsvTable {
  header: string[];
  /** [lineNumber (1-based in the file), fields] for each non-empty data line. */
  rows: { line: number; fields: string[] }[];
}

export function parseCsvTable(text: string, separator = ","): CsvTable {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== "");
  if (headerIndex < 0) throw new Error("the CSV is empty");
  const header = splitCsvLine(lines[headerIndex]!, separator).map((h) => h.trim());
  const rows: CsvTable["rows"] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === "") continue;
    rows.push({ line: i + 1, fields: splitCsvLine(lines[i]!, separator) });
  }
  return { header, rows };
}

/** Index of each named column; one error listing every missing column. */
export function columnIndices(header: readonly string[], wanted: readonly string[], context = "CSV"): number[] {
  const missing = wanted.filter((name) => !header.includes(name));
  if (missing.length > 0) throw new Error(`${context} is missing column(s) ${missing.map((m) => `"${m}"`).join(", ")}; it has: ${header.map((h) => `"${h}"`).join(", ")}`);
  return wanted.map((name) => header.indexOf(name));
}

export const CsvMappingSchema = z
  .object({
    separator: z.string().length(1, "separator must be a single character").default(","),
    timestampColumn: z.string().min(1).optional(),
    sensorColumns: z.array(z.string().min(1)).min(1, "sensorColumns needs at least one column"),
    labelColumn: z.string().min(1),
    unitColumn: z.string().min(1).optional(),
    kind: z.enum(["regression", "classification"]),
  })
  .refine((m) => new Set(m.sensorColumns).size === m.sensorColumns.length, { message: "sensorColumns has duplicates" })
  .refine((m) => !m.sensorColumns.includes(m.labelColumn), { message: "labelColumn must not also be a sensor column (it would leak the label)" });

export type CsvMapping = z.input<typeof CsvMappingSchema>;

export interface CsvOptions {
  devices: number;
  seed: number;
  /** On-chain task name (default: "csv-<labelColumn>"). */
  taskName?: string;
  validationFraction?: number;
  testFraction?: number;
  /** Fail if more than this share of rows is malformed (default 0.05). */
  maxBadRowFraction?: number;
}

export interface BadRow {
  line: number;
  reason: string;
}

export interface CsvLoadResult {
  data: FederatedData;
  /** Malformed rows that were skipped: the total count and the first few with their reasons. */
  badRows: { count: number; totalRows: number; examples: BadRow[] };
}

interface ParsedRow {
  unit: string;
  time: number;
  features: number[];
  label: number;
}

function parseNumber(text: string | undefined): number {
  const trimmed = (text ?? "").trim();
  return trimmed === "" ? NaN : Number(trimmed);
}

export function loadCsv(text: string, mapping: CsvMapping, options: CsvOptions): CsvLoadResult {
  const parsedMapping = CsvMappingSchema.safeParse(mapping);
  if (!parsedMapping.success) throw new Error(`invalid CSV mapping: ${parsedMapping.error.issues.map((i) => `${i.path.join(".") || "mapping"}: ${i.message}`).join("; ")}`);
  const m = parsedMapping.data;
  const kind: TaskKind = m.kind;
  const validationFraction = options.validationFraction ?? 0.15;
  const testFraction = options.testFraction ?? 0.15;
  const maxBad = options.maxBadRowFraction ?? 0.05;
  if (!Number.isInteger(options.devices) || options.devices < 1) throw new Error(`devices must be a positive integer, got ${options.devices}`);
  if (!(validationFraction > 0 && testFraction > 0 && validationFraction + testFraction < 1)) throw new Error("validationFraction and testFraction must be positive and sum to less than 1");

  const table = parseCsvTable(text, m.separator);
  const sensorIdx = columnIndices(table.header, m.sensorColumns);
  const [labelIdx] = columnIndices(table.header, [m.labelColumn]) as [number];
  const unitIdx = m.unitColumn === undefined ? undefined : columnIndices(table.header, [m.unitColumn])[0]!;
  const timeIdx = m.timestampColumn === undefined ? undefined : columnIndices(table.header, [m.timestampColumn])[0]!;

  const bad: BadRow[] = [];
  const good: ParsedRow[] = [];
  for (const { line, fields } of table.rows) {
    if (fields.length !== table.header.length) {
      bad.push({ line, reason: `${fields.length} fields, header has ${table.header.length}` });
      continue;
    }
    const features = sensorIdx.map((i) => parseNumber(fields[i]));
    const badSensor = features.findIndex((x) => !Number.isFinite(x));
    if (badSensor >= 0) {
      bad.push({ line, reason: `column "${m.sensorColumns[badSensor]}" is not a number: "${fields[sensorIdx[badSensor]!]}"` });
      continue;
    }
    const label = parseNumber(fields[labelIdx]);
    if (!Number.isFinite(label) || (kind === "classification" && label !== 0 && label !== 1)) {
      bad.push({ line, reason: `label "${fields[labelIdx]}" is not ${kind === "classification" ? "0 or 1" : "a number"}` });
      continue;
    }
    let time = line;
    if (timeIdx !== undefined) {
      const raw = (fields[timeIdx] ?? "").trim();
      time = raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : Date.parse(raw);
      if (!Number.isFinite(time)) {
        bad.push({ line, reason: `timestamp "${raw}" is neither a number nor a date` });
        continue;
      }
    }
    good.push({ unit: unitIdx === undefined ? "" : (fields[unitIdx] ?? "").trim(), time, features, label });
  }
  const totalRows = table.rows.length;
  const badRows = { count: bad.length, totalRows, examples: bad.slice(0, 10) };
  if (totalRows === 0) throw new Error("the CSV has a header but no data rows");
  if (bad.length > maxBad * totalRows) {
    throw new Error(`${bad.length} of ${totalRows} rows are malformed (more than ${(maxBad * 100).toFixed(1)}%); first: ${bad.slice(0, 3).map((b) => `line ${b.line}: ${b.reason}`).join("; ")}`);
  }

  const toDataset = (rows: readonly ParsedRow[]): Dataset =>
    makeDataset(Float32Array.from(rows.flatMap((r) => r.features)), Float32Array.from(rows.map((r) => r.label)), m.sensorColumns);
  const random = mulberry32(deriveSeed(options.seed >>> 0, 21));
  let groups: ParsedRow[][];
  if (unitIdx !== undefined) {
    // Whole units go to one split and one device, so a unit's history never straddles train and test.
    const byUnit = new Map<string, ParsedRow[]>();
    for (const row of good) {
      const list = byUnit.get(row.unit) ?? [];
      list.push(row);
      byUnit.set(row.unit, list);
    }
    groups = [...byUnit.keys()].sort().map((u) => byUnit.get(u)!.sort((a, b) => a.time - b.time));
  } else {
    const order = permutation(good.length, random);
    groups = Array.from(order, (i) => [good[i]!]);
  }
  const shuffled = Array.from(permutation(groups.length, random), (i) => groups[i]!);
  const validationCount = Math.max(1, Math.round(shuffled.length * validationFraction));
  const testCount = Math.max(1, Math.round(shuffled.length * testFraction));
  const deviceGroups = shuffled.slice(validationCount + testCount);
  if (deviceGroups.length < options.devices) {
    throw new Error(`only ${deviceGroups.length} ${unitIdx === undefined ? "rows" : "units"} are left for training, fewer than ${options.devices} devices`);
  }
  const perDevice = assignRoundRobin(deviceGroups, options.devices, random).map((g) => toDataset(g.flat()));
  const { normaliser: _normaliser, ...data } = normaliseFederated({
    kind,
    taskName: options.taskName ?? `csv-${m.labelColumn}`,
    featureNames: [...m.sensorColumns],
    devices: perDevice,
    validation: toDataset(shuffled.slice(0, validationCount).flat()),
    test: toDataset(shuffled.slice(validationCount, validationCount + testCount).flat()),
  });
  return { data, badRows };
}
