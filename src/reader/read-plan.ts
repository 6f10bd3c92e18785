/**
 * Plans a read of many traces: parse the ids, look every one up in the index (chunk filters and
 * buckets, then the in-memory tails), and group the hits by record. Each record is then read and
 * decompressed once however many of the requested traces it holds, in (generation, segment, file
 * offset) order: the order of the files on disk, and the storage order of every trace's spans.
 */
import { TRACE_ID_BYTES, UNIX_NANO_MAX } from '../constants.js';
import { invalidArgument } from '../errors.js';
import { checkKnownKeys, checkKnownOptions, knownKeys, type KnownKeys } from '../known-keys.js';
import { parseTraceId } from '../batch/ids.js';
import type { TraceIdInput } from '../batch/types.js';
import { traceHash } from '../codec/trace-hash.js';
import { LocationList } from '../index/location-list.js';
import type { Generation, TimeBounds } from '../store/generation.js';
import type { ReadOptions } from './trace-reader.js';

/** One id of a bulk call, with optional time bounds of its own (Jaeger v2 GetTraceParams style). */
export interface TraceQuery {
  traceId: TraceIdInput;
  startTimeUnixNano?: bigint;
  endTimeUnixNano?: bigint;
}

export interface TimeBoundsInput {
  startTimeUnixNano?: bigint;
  endTimeUnixNano?: bigint;
}

const BOUNDS_ALIASES = { start: 'startTimeUnixNano', end: 'endTimeUnixNano', startTime: 'startTimeUnixNano', endTime: 'endTimeUnixNano' };

/** The keys of the options of getTrace, getTraces and getTracesStream, embedded and remote. */
export const READ_OPTION_KEYS = knownKeys(
  'read',
  { startTimeUnixNano: true, endTimeUnixNano: true, raw: true, timeoutMs: true } satisfies Record<keyof ReadOptions, true>,
  { aliases: { ...BOUNDS_ALIASES, timeout: 'timeoutMs' } },
);

/** getSpan takes a deadline only: it reads one span, decoded, whatever its time. */
export const GET_SPAN_OPTION_KEYS = knownKeys('getSpan', { timeoutMs: true } satisfies Record<keyof Pick<ReadOptions, 'timeoutMs'>, true>);

export const TRACE_QUERY_KEYS = knownKeys(
  'trace query',
  { traceId: true, startTimeUnixNano: true, endTimeUnixNano: true } satisfies Record<keyof TraceQuery, true>,
  { aliases: BOUNDS_ALIASES },
);

/**
 * `options` of a read call, checked the same way embedded and remote: absent is {}; anything but
 * an object of `known` keys is refused, so each call site reads its fields safely.
 */
export function readOptionsOf<T extends object>(options: T | undefined, known: KnownKeys = READ_OPTION_KEYS): T | Record<string, never> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalidArgument(`options: got ${String(options)}; want an object`);
  checkKnownOptions(options, known);
  return options;
}

export interface ParsedQuery {
  traceId: Uint8Array;
  bounds: TimeBounds | null;
}

/** One record to read, and which queries want spans from it. */
export interface PlannedRecord {
  /** Position in the plan's disk order. */
  planIndex: number;
  generation: Generation;
  segmentId: number;
  fileOffset: number;
  recordLength: number;
  /** Query indexes, each with the span count its index entry promises. */
  queries: number[];
  spanCounts: number[];
}

/** Validated bounds, or null for none. Inclusive at both ends. */
export function boundsOf(input: TimeBoundsInput | undefined, what: string): TimeBounds | null {
  if (input === undefined) return null;
  const { startTimeUnixNano, endTimeUnixNano } = input;
  if (startTimeUnixNano === undefined && endTimeUnixNano === undefined) return null;
  for (const [name, value] of [['startTimeUnixNano', startTimeUnixNano], ['endTimeUnixNano', endTimeUnixNano]] as const) {
    if (value !== undefined && (typeof value !== 'bigint' || value < 0n || value > UNIX_NANO_MAX)) {
      throw invalidArgument(`${what}.${name}: got ${typeof value === 'bigint' ? value : typeof value}; want a bigint in u64 range`);
    }
  }
  const bounds = { startTimeUnixNano: startTimeUnixNano ?? 0n, endTimeUnixNano: endTimeUnixNano ?? UNIX_NANO_MAX };
  if (bounds.startTimeUnixNano > bounds.endTimeUnixNano) {
    throw invalidArgument(`${what}: startTimeUnixNano ${bounds.startTimeUnixNano} is after endTimeUnixNano ${bounds.endTimeUnixNano}`);
  }
  return bounds;
}

function isQuery(value: unknown): value is TraceQuery {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'traceId' in value;
}

/** Per-id bounds replace the call's bounds for that id. */
export function parseQueries(ids: readonly (TraceIdInput | TraceQuery)[], callBounds: TimeBounds | null, offset = 0): ParsedQuery[] {
  return ids.map((item, i) => {
    const what = `traceIds[${offset + i}]`;
    const traceId = new Uint8Array(TRACE_ID_BYTES);
    if (isQuery(item)) {
      checkKnownKeys(item, TRACE_QUERY_KEYS, what);
      parseTraceId(item.traceId, traceId, 0, `${what}.traceId`);
      return { traceId, bounds: boundsOf(item, what) ?? callBounds };
    }
    parseTraceId(item, traceId, 0, what);
    return { traceId, bounds: callBounds };
  });
}

function recordKey(generationId: number, segmentId: number, fileOffset: number): string {
  return `${generationId}/${segmentId}/${fileOffset}`;
}

/**
 * Looks every query up (synchronously: the index cannot change under it) and returns the records
 * to read in disk order.
 */
export function planRead(generations: readonly Generation[], queries: readonly ParsedQuery[]): PlannedRecord[] {
  const records = new Map<string, PlannedRecord>();
  const hashes = new Uint32Array(3);
  const hits = new LocationList();
  queries.forEach((query, queryIndex) => {
    traceHash(query.traceId, 0, hashes);
    for (const generation of generations) {
      if (!generation.mayHold(query.bounds)) continue;
      hits.clear();
      generation.lookup(query.traceId, hashes, query.bounds, hits);
      for (let i = 0; i < hits.length; i++) {
        const segmentId = hits.segmentIds[i]!;
        const fileOffset = hits.fileOffsets[i]!;
        const key = recordKey(generation.id, segmentId, fileOffset);
        let record = records.get(key);
        if (record === undefined) {
          record = { planIndex: 0, generation, segmentId, fileOffset, recordLength: hits.recordLengths[i]!, queries: [], spanCounts: [] };
          records.set(key, record);
        }
        record.queries.push(queryIndex);
        record.spanCounts.push(hits.spanCounts[i]!);
      }
    }
  });
  const plan = [...records.values()].sort(
    (a, b) => a.generation.id - b.generation.id || a.segmentId - b.segmentId || a.fileOffset - b.fileOffset,
  );
  plan.forEach((record, i) => (record.planIndex = i));
  return plan;
}
