/**
 * A paginated event-log reader. Nodes cap eth_getLogs (by block span, by result count, or by response size) and
 * say so with an error; the reader asks for at most `maxBlockRange` blocks at a time, halves the span and asks
 * again when the node refuses one, keeps the smaller span for the rest of the scan, and returns the decoded logs
 * in block and log order. One query may name several events of one ABI (one request per chunk, their
 * signatures OR-ed in topic 0) provided their indexed filter lines up.
 *
 * Every request the reader sends is counted (`LogReader.stats`), so a benchmark can report the RPC cost of a
 * scan. A transport that retries refused requests itself (viem retries code -32005 by default) makes each
 * refusal cost more than one request underneath the count; give log readers a transport with `retryCount: 0`.
 */
import {
  BaseError,
  encodeEventTopics,
  numberToHex,
  parseEventLogs,
  type Abi,
  type Address,
  type ContractEventName,
  type EncodeEventTopicsParameters,
  type GetEventArgs,
  type Hex,
  type ParseEventLogsReturnType,
  type PublicClient,
} from "viem";

/** What the reader needs of a client: raw requests and the head block. */
export type LogClient = Pick<PublicClient, "request" | "getBlockNumber">;

/** A point in the chain's history: before the log at `logIndex` of block `blockNumber`, or after the whole block. */
export interface LogPosition {
  blockNumber: bigint;
  /** When set, the position is just before this log of the block; when absent, after every log of the block. */
  logIndex?: number;
}

/** True when a log at (blockNumber, logIndex) comes strictly before `position`. */
export function isBefore(log: { blockNumber: bigint; logIndex: number }, position: LogPosition): boolean {
  if (log.blockNumber !== position.blockNumber) return log.blockNumber < position.blockNumber;
  return position.logIndex === undefined || log.logIndex < position.logIndex;
}

export interface LogReadStats {
  /** Every JSON-RPC request the reader sent (eth_getLogs and eth_blockNumber). */
  rpcCalls: number;
  /** eth_getLogs requests, refused ones included. */
  getLogsCalls: number;
  /** eth_getLogs requests the node refused for their range (each followed by a smaller retry). */
  refused: number;
  /** Logs returned. */
  logs: number;
}

export interface LogReaderOptions {
  /** The widest span asked for in one request, in blocks (inclusive count). Default 2,000. */
  maxBlockRange?: bigint;
  /** Decides whether an error is the node refusing the range (then the span is halved) or a real failure. */
  isRangeRefusal?: (error: unknown) => boolean;
}

export const DEFAULT_MAX_BLOCK_RANGE = 2_000n;

/** The events queried: one name or several of the same ABI. */
type EventNames<abi extends Abi> = ContractEventName<abi> | readonly [ContractEventName<abi>, ...ContractEventName<abi>[]];
type NameOf<abi extends Abi, names extends EventNames<abi>> = names extends readonly (infer name)[] ? name & ContractEventName<abi> : names & ContractEventName<abi>;

export interface LogQuery<abi extends Abi, names extends EventNames<abi>> {
  address: Address | readonly Address[];
  abi: abi;
  /** One event, or several whose indexed parameters filtered by `args` are at the same topic positions. */
  eventName: names;
  /** Filter on indexed parameters (a value, or an array of alternatives), as in viem's getLogs. */
  args?: GetEventArgs<abi, NameOf<abi, names>, { EnableUnion: true; IndexedOnly: true; Required: false }>;
  /** First block to read (default 0). */
  fromBlock?: bigint;
  /** Last block to read, inclusive (default the head, read once at the start). */
  toBlock?: bigint | "latest";
  /** Stop after the chunk in which this many logs have been found (the result may hold a few more). */
  limit?: number;
}

export type EventLogs<abi extends Abi, names extends EventNames<abi>> = ParseEventLogsReturnType<abi, NameOf<abi, names>, true>;

/** Messages nodes give when they refuse a range (geth, Erigon, Nethermind, Besu, Alchemy, Infura, QuickNode, Ankr...). */
const rangeRefusalPattern =
  /block range|range (is )?too (large|wide|big|long)|max(imum)?[ _-]?(block[ _-]?)?range|too many (blocks|results|logs)|more than \d+ (results|logs|blocks)|limit exceeded|exceeds? (the )?(max|limit|range)|response (size|is too big)|query timeout|timed? ?out|took too long|returned more than/i;

/** The default refusal test: code -32005 (limit exceeded), or a message that says the range or result was too large. */
export function isRangeRefusal(error: unknown): boolean {
  const texts: string[] = [];
  let code: number | undefined;
  const visit = (candidate: unknown) => {
    if (typeof candidate !== "object" || candidate === null) return;
    const { message, details, shortMessage } = candidate as { message?: unknown; details?: unknown; shortMessage?: unknown };
    for (const text of [message, details, shortMessage]) if (typeof text === "string") texts.push(text);
    const candidateCode = (candidate as { code?: unknown }).code;
    if (typeof candidateCode === "number" && code === undefined) code = candidateCode;
  };
  if (error instanceof BaseError) {
    error.walk((cause) => {
      visit(cause);
      return false;
    });
  } else {
    visit(error);
  }
  if (code === -32005) return true;
  return texts.some((text) => rangeRefusalPattern.test(text));
}

/** Topics for the query: topic 0 ORs the events' signatures, the rest must agree across events. */
function queryTopics(abi: Abi, names: readonly string[], args: unknown): (Hex | Hex[] | null)[] {
  const perEvent = names.map((eventName) => {
    const topics = encodeEventTopics({ abi, eventName, args } as EncodeEventTopicsParameters) as (Hex | Hex[] | null)[];
    while (topics.length > 1 && topics[topics.length - 1] === null) topics.pop();
    return topics;
  });
  const rest = perEvent[0]!.slice(1);
  for (const [i, topics] of perEvent.entries()) {
    if (JSON.stringify(topics.slice(1)) !== JSON.stringify(rest)) {
      throw new Error(`events ${names[0]} and ${names[i]} put the filtered indexed arguments at different topics; query them separately`);
    }
  }
  const signatures = perEvent.map((topics) => topics[0] as Hex);
  return [signatures.length === 1 ? signatures[0]! : signatures, ...rest];
}

type RawLogs = Parameters<typeof parseEventLogs>[0]["logs"];

export interface LogReader {
  read<const abi extends Abi, const names extends EventNames<abi>>(query: LogQuery<abi, names>): Promise<EventLogs<abi, names>>;
  /** Blocks per request now (smaller than the configured maximum after a refusal). */
  readonly blockRange: bigint;
  readonly stats: Readonly<LogReadStats>;
}

/** A reader that keeps its counters and its learnt span across queries (one per node, e.g. for a whole audit). */
export function createLogReader(client: LogClient, options: LogReaderOptions = {}): LogReader {
  const maxBlockRange = options.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE;
  if (maxBlockRange < 1n) throw new Error(`maxBlockRange must be at least 1 block, got ${maxBlockRange}`);
  const refusal = options.isRangeRefusal ?? isRangeRefusal;
  const stats: LogReadStats = { rpcCalls: 0, getLogsCalls: 0, refused: 0, logs: 0 };
  let span = maxBlockRange;

  async function read<const abi extends Abi, const names extends EventNames<abi>>(query: LogQuery<abi, names>): Promise<EventLogs<abi, names>> {
    const names: readonly string[] = typeof query.eventName === "string" ? [query.eventName] : (query.eventName as readonly string[]);
    if (names.length === 0) throw new Error("name at least one event");
    const topics = queryTopics(query.abi, names, query.args);
    const address = typeof query.address === "string" ? query.address : [...query.address];
    const fromBlock = query.fromBlock ?? 0n;
    let toBlock: bigint;
    if (query.toBlock === undefined || query.toBlock === "latest") {
      stats.rpcCalls++;
      toBlock = await client.getBlockNumber({ cacheTime: 0 });
    } else {
      toBlock = query.toBlock;
    }
    const collected: RawLogs = [];
    let from = fromBlock;
    while (from <= toBlock) {
      const to = from + span - 1n < toBlock ? from + span - 1n : toBlock;
      let chunk: RawLogs;
      try {
        stats.rpcCalls++;
        stats.getLogsCalls++;
        chunk = await client.request({
          method: "eth_getLogs",
          params: [{ address, topics, fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
        });
      } catch (error) {
        const asked = to - from + 1n;
        if (asked > 1n && refusal(error)) {
          stats.refused++;
          span = asked / 2n;
          continue;
        }
        const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
        throw new Error(`eth_getLogs for ${names.join(", ")} over blocks ${from}..${to} failed: ${why}`, { cause: error });
      }
      collected.push(...chunk);
      from = to + 1n;
      if (query.limit !== undefined && collected.length >= query.limit) break;
    }
    const parsed = parseEventLogs({ abi: query.abi as Abi, eventName: [...names], logs: collected, strict: true });
    parsed.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    stats.logs += parsed.length;
    return parsed as unknown as EventLogs<abi, names>;
  }

  return {
    read,
    get blockRange() {
      return span;
    },
    stats,
  };
}

/** Reads one query with a fresh reader; `stats` (if given) accumulates the requests it sent. */
export async function readEventLogs<const abi extends Abi, const names extends EventNames<abi>>(
  client: LogClient,
  query: LogQuery<abi, names>,
  options: LogReaderOptions & { stats?: LogReadStats } = {},
): Promise<EventLogs<abi, names>> {
  const reader = createLogReader(client, options);
  const logs = await reader.read(query);
  if (options.stats) {
    options.stats.rpcCalls += reader.stats.rpcCalls;
    options.stats.getLogsCalls += reader.stats.getLogsCalls;
    options.stats.refused += reader.stats.refused;
    options.stats.logs += reader.stats.logs;
  }
  return logs;
}
