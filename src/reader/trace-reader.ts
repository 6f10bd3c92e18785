/**
 * Executes read plans: record → cache or (pread → CRC → decompress) → one trailer walk → slices of
 * the requested traces → (optionally) decode. Enforces the read limits so that a limit is a typed
 * error or a flagged partial trace, never an out-of-memory.
 *
 * A span is readable once its append() has resolved: lookups consult the index tail, to which the
 * append pipeline publishes a record right after its fdatasync and before it resolves the append.
 */
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { TraceKvError, invalidArgument, segmentCorrupt } from '../errors.js';
import { BatchView } from '../batch/batch-view.js';
import { decodeCommon } from '../batch/common.js';
import { decodeSpanAt, rawSpanAt, type BatchCommon } from '../batch/decoder.js';
import { bytesToHex, parseSpanId, parseTraceId } from '../batch/ids.js';
import type { RawSpan, Span, SpanIdInput, TraceIdInput } from '../batch/types.js';
import { validateBatch } from '../batch/validate.js';
import { readU32LE } from '../codec/little-endian.js';
import { decodeRecordBody } from '../segment/record-codec.js';
import { readRecordAt } from '../segment/segment-reader.js';
import type { ResolvedOptions } from '../options.js';
import type { StoreState } from '../store/store-state.js';
import { RecordCache } from './record-cache.js';
import { boundsOf, parseQueries, planRead, recordKey, type ParsedQuery, type PlannedRecord, type TimeBoundsInput, type TraceQuery } from './read-plan.js';

export interface ReadOptions extends TimeBoundsInput {
  /** Return the stored record bytes instead of decoded spans. */
  raw?: boolean;
  /** Fail with ERR_TIMEOUT once the call has run this long. Default: the store's `readTimeoutMs`. */
  timeoutMs?: number;
}

export interface Trace<S = Span> {
  traceId: string;
  spans: S[];
  /** Set when spans were left out because the trace passed `traceBytesMax`. */
  partial?: true;
  partialReason?: string;
}

/** One item of getTracesStream: the position of the id in the request, and its trace or null. */
export interface StreamedTrace<S = Span> {
  index: number;
  trace: Trace<S> | null;
}

/** Stored batches were fully validated on append; the hard limits apply on read. */
const STORED_BATCH_LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };

/** Ids per slice of a stream: bounds what a stream holds at once to this many traces. */
export const STREAM_SLICE_TRACES = 256;

interface Picks {
  views: BatchView[];
  indexes: number[];
  bytes: number;
  partial: boolean;
}

export class TraceReader {
  readonly cache: RecordCache;
  private readonly options: ResolvedOptions;

  constructor(private readonly state: StoreState) {
    this.options = state.options;
    this.cache = new RecordCache(state.options.readCacheBytesMax);
  }

  async getTraces(ids: readonly (TraceIdInput | TraceQuery)[], options: ReadOptions = {}): Promise<(Trace<Span | RawSpan> | null)[]> {
    this.state.checkOpen();
    if (!Array.isArray(ids)) throw invalidArgument('getTraces(traceIds): want an array of trace ids');
    if (ids.length > this.options.requestTracesMax) {
      throw new TraceKvError(
        'ERR_REQUEST_TOO_LARGE',
        `getTraces: got ${ids.length} ids; want ≤ requestTracesMax (${this.options.requestTracesMax}); use getTracesStream for more`,
      );
    }
    const queries = parseQueries(ids, boundsOf(options, 'options'));
    return this.execute(queries, options.raw === true, this.deadlineOf(options));
  }

  /** Yields every id's trace in input order, a slice at a time, so memory stays bounded for any number of ids. */
  async *getTracesStream(ids: Iterable<TraceIdInput | TraceQuery>, options: ReadOptions = {}): AsyncGenerator<StreamedTrace<Span | RawSpan>> {
    this.state.checkOpen();
    const callBounds = boundsOf(options, 'options');
    let slice: (TraceIdInput | TraceQuery)[] = [];
    let first = 0;
    const flush = async function* (this: TraceReader) {
      const traces = await this.execute(parseQueries(slice, callBounds, first), options.raw === true, this.deadlineOf(options));
      for (let i = 0; i < traces.length; i++) yield { index: first + i, trace: traces[i]! };
      first += slice.length;
      slice = [];
    };
    for (const id of ids) {
      slice.push(id);
      if (slice.length === STREAM_SLICE_TRACES) yield* flush.call(this);
    }
    if (slice.length > 0) yield* flush.call(this);
  }

  async getSpan(traceIdInput: TraceIdInput, spanIdInput: SpanIdInput, options: Pick<ReadOptions, 'timeoutMs'> = {}): Promise<Span | null> {
    this.state.checkOpen();
    const traceId = new Uint8Array(TRACE_ID_BYTES);
    parseTraceId(traceIdInput, traceId, 0, 'traceId');
    const spanId = new Uint8Array(SPAN_ID_BYTES);
    parseSpanId(spanIdInput, spanId, 0, 'spanId');
    const deadline = this.deadlineOf(options);
    for (const record of planRead([...this.state.generations], [{ traceId, bounds: null }])) {
      const view = await this.load(record, deadline);
      for (let i = 0; i < view.spanCount; i++) {
        if (view.traceIdEquals(i, traceId, 0) && view.spanIdEquals(i, spanId, 0)) return decodeSpanAt(view, i, decodeCommon(view.commonBytes()));
      }
    }
    return null;
  }

  private deadlineOf(options: Pick<ReadOptions, 'timeoutMs'>): number {
    const timeoutMs = options.timeoutMs ?? this.options.readTimeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw invalidArgument(`timeoutMs: got ${String(timeoutMs)}; want a positive number`);
    return performance.now() + timeoutMs;
  }

  private async execute(queries: ParsedQuery[], raw: boolean, deadline: number): Promise<(Trace<Span | RawSpan> | null)[]> {
    const plan = planRead([...this.state.generations], queries);
    const picks: Picks[] = queries.map(() => ({ views: [], indexes: [], bytes: 0, partial: false }));
    let requestBytes = 0;
    for (const record of plan) {
      const view = await this.load(record, deadline);
      requestBytes += this.pick(record, view, queries, picks);
      if (requestBytes > this.options.requestBytesMax) {
        throw new TraceKvError(
          'ERR_REQUEST_TOO_LARGE',
          `the requested traces hold more than requestBytesMax (${this.options.requestBytesMax}) bytes of spans; ask for fewer ids or use getTracesStream`,
        );
      }
    }
    return queries.map((query, q) => assemble(query, picks[q]!, raw));
  }

  /**
   * Walks the record's trailer once and hands each wanted span to its query, within traceBytesMax.
   * Returns the bytes of spans taken.
   */
  private pick(record: PlannedRecord, view: BatchView, queries: ParsedQuery[], picks: Picks[]): number {
    // Wanted traces by their first id word: a few entries per record, no allocation per span.
    const wanted = new Map<number, number[]>();
    const found = new Array<number>(record.queries.length).fill(0);
    record.queries.forEach((q, slot) => {
      const word = readU32LE(queries[q]!.traceId, 0);
      const list = wanted.get(word);
      if (list === undefined) wanted.set(word, [slot]);
      else list.push(slot);
    });
    let taken = 0;
    for (let i = 0; i < view.spanCount; i++) {
      const slots = wanted.get(readU32LE(view.bytes, view.trailerEntryOffset(i)));
      if (slots === undefined) continue;
      for (const slot of slots) {
        const query = queries[record.queries[slot]!]!;
        if (!view.traceIdEquals(i, query.traceId, 0)) continue;
        found[slot]!++;
        const bounds = query.bounds;
        if (bounds !== null) {
          const start = view.startTimeUnixNano(i);
          if (start < bounds.startTimeUnixNano || start > bounds.endTimeUnixNano) continue;
        }
        taken += this.take(picks[record.queries[slot]!]!, view, i, query);
      }
    }
    record.queries.forEach((q, slot) => {
      if (found[slot] !== record.spanCounts[slot]) {
        const file = record.generation.segmentPath(record.segmentId);
        throw new TraceKvError(
          'ERR_INDEX_CORRUPT',
          `index entry for trace ${bytesToHex(queries[q]!.traceId, 0, TRACE_ID_BYTES)} says ${record.spanCounts[slot]} spans in ${file} at offset ${record.fileOffset}; got ${found[slot]}`,
          { file, offset: record.fileOffset },
        );
      }
    });
    return taken;
  }

  private take(acc: Picks, view: BatchView, i: number, query: ParsedQuery): number {
    if (acc.partial) return 0;
    const size = view.spanLength(i);
    if (acc.bytes + size > this.options.traceBytesMax) {
      if (this.options.traceTooLarge === 'reject') {
        throw new TraceKvError(
          'ERR_TRACE_TOO_LARGE',
          `trace ${bytesToHex(query.traceId, 0, TRACE_ID_BYTES)} holds more than traceBytesMax (${this.options.traceBytesMax}) bytes of spans`,
        );
      }
      acc.partial = true;
      return 0;
    }
    acc.bytes += size;
    acc.views.push(view);
    acc.indexes.push(i);
    return size;
  }

  private async load(record: PlannedRecord, deadline: number): Promise<BatchView> {
    if (performance.now() > deadline) throw new TraceKvError('ERR_TIMEOUT', 'read did not finish within its timeout');
    const key = recordKey(record.generation.id, record.segmentId, record.fileOffset);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const { generation, segmentId, fileOffset, recordLength } = record;
    const file = generation.segmentPath(segmentId);
    const { header, body } = readRecordAt(this.options.fileLayer, generation.readFd(segmentId), file, fileOffset, recordLength);
    const batch = await decodeRecordBody(header, body, file, fileOffset);
    let batchHeader;
    try {
      batchHeader = validateBatch(batch, STORED_BATCH_LIMITS);
    } catch (error) {
      throw segmentCorrupt(file, fileOffset, `stored batch is invalid: ${(error as Error).message}`);
    }
    if (
      batchHeader.spanCount !== header.spanCount ||
      batchHeader.minStartTimeUnixNano !== header.minStartTimeUnixNano ||
      batchHeader.maxStartTimeUnixNano !== header.maxStartTimeUnixNano
    ) {
      throw segmentCorrupt(file, fileOffset, 'record header and stored batch disagree on span count or time range');
    }
    const view = new BatchView(batch, batchHeader);
    this.cache.set(key, view);
    return view;
  }
}

/** The trace of one query from its picked spans, decoded unless raw; null when nothing matched. */
function assemble(query: ParsedQuery, acc: Picks, raw: boolean): Trace<Span | RawSpan> | null {
  if (acc.views.length === 0 && !acc.partial) return null;
  const commons = new Map<BatchView, BatchCommon>();
  const spans = acc.views.map((view, k) => {
    const i = acc.indexes[k]!;
    if (raw) return rawSpanAt(view, i);
    let common = commons.get(view);
    if (common === undefined) {
      common = decodeCommon(view.commonBytes());
      commons.set(view, common);
    }
    return decodeSpanAt(view, i, common);
  });
  const trace: Trace<Span | RawSpan> = { traceId: bytesToHex(query.traceId, 0, TRACE_ID_BYTES), spans };
  if (acc.partial) {
    trace.partial = true;
    trace.partialReason = 'traceBytesMax';
  }
  return trace;
}
