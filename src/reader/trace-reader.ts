/**
 * Serves every read of a TraceStore. The main thread plans (parse ids, look them up in the index
 * tails and the resident chunk filters, group the hits by record, order by disk position); the
 * readers (worker threads, or this thread with `readerThreads: 0`) read, decompress and slice the
 * records, each record exactly once per call; the main thread assembles traces in input order,
 * applies the limits and decodes.
 *
 * Visibility: a span is readable once its append() has resolved. The append pipeline publishes a
 * record's entries to the in-memory tail right after its fdatasync and before resolving; lookups
 * run on the main thread against that same tail, so every reader sees it.
 */
import { READ_CACHE_FILL_TRACES_MAX, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { TraceKvError, invalidArgument } from '../errors.js';
import { decodeCommon } from '../batch/common.js';
import type { BatchCommon } from '../batch/decoder.js';
import { bytesToHex, parseSpanId, parseTraceId } from '../batch/ids.js';
import { decodeSpanRecord } from '../batch/span-codec.js';
import { ProtobufBuilder } from '../codec/protobuf-builder.js';
import { SHARED_FIELDS_ENTRY, writeResourceSpans } from '../otlp/span-protobuf.js';
import {
  GET_SPAN_OPTION_KEYS,
  READ_OPTION_KEYS,
  boundsOf,
  readOptionsOf,
  type RawSpan,
  type ReadOptions,
  type OtlpTrace,
  type ReaderCacheStats,
  type Span,
  type SpanIdInput,
  type StreamedOtlpTrace,
  type StreamedTrace,
  type Trace,
  type TraceIdInput,
  type TraceQuery,
} from '../api/index.js';
import type { ResolvedOptions } from '../options.js';
import type { IndexLookup } from './index-lookup.js';
import { parseQueries, planRead, type ParsedQuery, type PlannedRecord } from './read-plan.js';
import { createExecutor, type RecordExecutor } from './reader-pool.js';
import { NO_BOUNDS, NO_ROW, SPAN_FIELDS, type RecordTask, type RecordTaskResult } from './record-task.js';

/** Ids per slice of a stream: a stream holds at most this many traces at once. */
export const STREAM_SLICE_TRACES = 256;

/** What the readers return per span: stored bytes (raw), decoded spans, or OTLP protobuf. */
type ReadMode = 'raw' | 'spans' | 'otlp';

export class TraceReader {
  private readonly executor: RecordExecutor;
  /** Puts OTLP reads' traces together (assembleOtlp); made on the first. */
  private otlpBuilder: ProtobufBuilder | null = null;

  constructor(
    private readonly index: IndexLookup,
    private readonly options: ResolvedOptions,
  ) {
    this.executor = createExecutor(options.readerThreads, options.fileLayer, options.readCacheBytesMax);
  }

  cacheStats(): ReaderCacheStats {
    return this.executor.cacheStats();
  }

  close(): Promise<void> {
    return this.executor.close();
  }

  async getTraces(ids: readonly (TraceIdInput | TraceQuery)[], input?: ReadOptions): Promise<(Trace<Span | RawSpan> | null)[]> {
    this.index.checkOpen();
    const options: ReadOptions = readOptionsOf(input, READ_OPTION_KEYS);
    this.checkIds(ids, 'getTraces');
    const deadline = this.deadlineOf(options);
    return this.execute(parseQueries(ids, boundsOf(options, 'options')), options.raw === true, deadline);
  }

  /** Yields every id's trace in input order, a slice at a time, so memory stays bounded for any number of ids. */
  async *getTracesStream(ids: Iterable<TraceIdInput | TraceQuery>, input?: ReadOptions): AsyncGenerator<StreamedTrace<Span | RawSpan>> {
    // A generator: a closed store or a bad option surfaces on the first next(), as every read's does.
    this.index.checkOpen();
    const options: ReadOptions = readOptionsOf(input, READ_OPTION_KEYS);
    yield* this.stream(ids, options, (queries) => this.execute(queries, options.raw === true, this.deadlineOf(options)));
  }

  /**
   * getTraces for the query faces: each trace as the fields of an OTLP TracesData, written by the
   * readers (otlp/span-protobuf.ts), so no span object crosses threads or is built on this one. The
   * same spans, limits and errors as a decoded read; `raw` is refused.
   */
  async getTracesOtlp(ids: readonly (TraceIdInput | TraceQuery)[], input?: ReadOptions): Promise<(OtlpTrace | null)[]> {
    this.index.checkOpen();
    const options = otlpReadOptions(input);
    this.checkIds(ids, 'getTracesOtlp');
    const deadline = this.deadlineOf(options);
    return this.executeOtlp(parseQueries(ids, boundsOf(options, 'options')), deadline);
  }

  /** getTracesStream, as getTracesOtlp reads. */
  async *getTracesOtlpStream(ids: Iterable<TraceIdInput | TraceQuery>, input?: ReadOptions): AsyncGenerator<StreamedOtlpTrace> {
    this.index.checkOpen();
    const options = otlpReadOptions(input);
    yield* this.stream(ids, options, (queries) => this.executeOtlp(queries, this.deadlineOf(options)));
  }

  /** Reads `ids` a slice at a time with `read`, yielding each trace with its index in input order. */
  private async *stream<T>(
    ids: Iterable<TraceIdInput | TraceQuery>,
    options: ReadOptions,
    read: (queries: ParsedQuery[]) => Promise<(T | null)[]>,
  ): AsyncGenerator<{ index: number; trace: T | null }> {
    const callBounds = boundsOf(options, 'options');
    let slice: (TraceIdInput | TraceQuery)[] = [];
    let first = 0;
    const runSlice = async () => {
      const traces = await read(parseQueries(slice, callBounds, first));
      const items = traces.map((trace, i) => ({ index: first + i, trace }));
      first += slice.length;
      slice = [];
      return items;
    };
    for (const id of ids) {
      slice.push(id);
      if (slice.length === STREAM_SLICE_TRACES) yield* await runSlice();
    }
    if (slice.length > 0) yield* await runSlice();
  }

  async getSpan(traceIdInput: TraceIdInput, spanIdInput: SpanIdInput, input?: Pick<ReadOptions, 'timeoutMs'>): Promise<Span | null> {
    this.index.checkOpen();
    const options: Pick<ReadOptions, 'timeoutMs'> = readOptionsOf(input, GET_SPAN_OPTION_KEYS);
    const traceId = new Uint8Array(TRACE_ID_BYTES);
    parseTraceId(traceIdInput, traceId, 0, 'traceId');
    const spanId = new Uint8Array(SPAN_ID_BYTES);
    parseSpanId(spanIdInput, spanId, 0, 'spanId');
    const wanted = bytesToHex(spanId, 0, SPAN_ID_BYTES);
    const [trace] = await this.execute([{ traceId, bounds: null }], false, this.deadlineOf(options));
    return ((trace?.spans ?? []) as Span[]).find((span) => span.spanId === wanted) ?? null;
  }

  /** A bulk call's ids: an array of at most requestTracesMax; the matching stream takes more. */
  private checkIds(ids: unknown, call: 'getTraces' | 'getTracesOtlp'): void {
    if (!Array.isArray(ids)) throw invalidArgument(`${call}(traceIds): want an array of trace ids`);
    if (ids.length > this.options.requestTracesMax) {
      throw new TraceKvError(
        'ERR_REQUEST_TOO_LARGE',
        `${call}: got ${ids.length} ids; want ≤ requestTracesMax (${this.options.requestTracesMax}); use ${call}Stream for more`,
      );
    }
  }

  private deadlineOf(options: Pick<ReadOptions, 'timeoutMs'>): number {
    const timeoutMs = options.timeoutMs ?? this.options.readTimeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw invalidArgument(`timeoutMs: got ${String(timeoutMs)}; want a positive number`);
    return performance.now() + timeoutMs;
  }

  private async execute(queries: ParsedQuery[], raw: boolean, deadline: number): Promise<(Trace<Span | RawSpan> | null)[]> {
    const results = await this.read(queries, raw ? 'raw' : 'spans', deadline);
    return this.checkTooLarge(assemble(queries, results, raw, this.options.traceBytesMax));
  }

  private async executeOtlp(queries: ParsedQuery[], deadline: number): Promise<(OtlpTrace | null)[]> {
    const results = await this.read(queries, 'otlp', deadline);
    return this.checkTooLarge(assembleOtlp(queries, results, this.options.traceBytesMax, (this.otlpBuilder ??= new ProtobufBuilder())));
  }

  /** The readers' results for `queries`, once their spans are known to fit requestBytesMax. */
  private async read(queries: ParsedQuery[], mode: ReadMode, deadline: number): Promise<RecordTaskResult[]> {
    const plan = planRead(this.index.readableGenerations(), queries);
    const slices = splitPlan(plan, this.executor.threads);
    const results = await Promise.all(slices.map((slice) => this.executor.run(this.taskOf(slice, queries, mode), deadline)));
    let requestBytes = 0;
    for (const result of results) requestBytes += result.returnedBytes;
    if (requestBytes > this.options.requestBytesMax) {
      throw new TraceKvError(
        'ERR_REQUEST_TOO_LARGE',
        `the requested traces hold more than requestBytesMax (${this.options.requestBytesMax}) bytes of spans; ask for fewer ids or use getTracesStream`,
      );
    }
    return results;
  }

  /** `traces`, unless one is partial and the store rejects such traces whole. */
  private checkTooLarge<T extends { traceId: string; partial?: true }>(traces: (T | null)[]): (T | null)[] {
    if (this.options.traceTooLarge === 'reject') {
      const tooLarge = traces.find((trace) => trace?.partial === true);
      if (tooLarge !== undefined) {
        throw new TraceKvError('ERR_TRACE_TOO_LARGE', `trace ${tooLarge!.traceId} holds more than traceBytesMax (${this.options.traceBytesMax}) bytes of spans`);
      }
    }
    return traces;
  }

  private taskOf(slice: PlannedRecord[], queries: ParsedQuery[], mode: ReadMode): RecordTask {
    const traceIds = new Uint8Array(queries.length * TRACE_ID_BYTES);
    const bounds = new BigUint64Array(queries.length * 2);
    queries.forEach((query, q) => {
      traceIds.set(query.traceId, q * TRACE_ID_BYTES);
      bounds[2 * q] = query.bounds?.startTimeUnixNano ?? NO_BOUNDS[0];
      bounds[2 * q + 1] = query.bounds?.endTimeUnixNano ?? NO_BOUNDS[1];
    });
    const wants: number[] = [];
    for (const record of slice) {
      wants.push(record.queries.length);
      record.queries.forEach((q, k) => wants.push(q, record.spanCounts[k]!));
    }
    return {
      files: slice.map((record) => record.generation.segmentPath(record.segmentId)),
      fileOffsets: slice.map((record) => record.fileOffset),
      recordLengths: slice.map((record) => record.recordLength),
      planIndexes: slice.map((record) => record.planIndex),
      traceIds,
      bounds,
      wants: Uint32Array.from(wants),
      traceBytesMax: this.options.traceBytesMax,
      requestBytesMax: this.options.requestBytesMax,
      retentionEpoch: this.index.retentionEpoch,
      raw: mode === 'raw',
      otlp: mode === 'otlp',
      fillCache: queries.length <= READ_CACHE_FILL_TRACES_MAX,
    };
  }
}

/** Contiguous runs of the disk-ordered plan, one per reader, balanced by bytes to read. */
function splitPlan(plan: PlannedRecord[], threads: number): PlannedRecord[][] {
  const parts = Math.min(Math.max(threads, 1), plan.length);
  if (parts <= 1) return plan.length === 0 ? [] : [plan];
  let total = 0;
  for (const record of plan) total += record.recordLength;
  const slices: PlannedRecord[][] = [];
  let current: PlannedRecord[] = [];
  let bytes = 0;
  for (const [i, record] of plan.entries()) {
    current.push(record);
    bytes += record.recordLength;
    const recordsLeft = plan.length - i - 1;
    const slicesLeft = parts - slices.length - 1;
    if (slicesLeft > 0 && (bytes >= (total * (slices.length + 1)) / parts || recordsLeft === slicesLeft)) {
      slices.push(current);
      current = [];
    }
  }
  if (current.length > 0) slices.push(current);
  return slices;
}

/**
 * Traces in input order from the readers' results. Slices are contiguous runs of the disk-ordered
 * plan, so taking results slice by slice and spans in order gives every trace's storage order;
 * traceBytesMax keeps exactly the storage-order prefix that fits.
 */
function assemble(queries: ParsedQuery[], results: RecordTaskResult[], raw: boolean, traceBytesMax: number): (Trace<Span | RawSpan> | null)[] {
  // `partial` closes a trace: once one span is left out, every later one is too (a prefix).
  const traces = queries.map((query) => ({
    traceId: bytesToHex(query.traceId, 0, TRACE_ID_BYTES),
    spans: [] as (Span | RawSpan)[],
    bytes: 0,
    partial: false,
    batches: [] as Uint8Array[],
    batchIndexes: new Map<Uint8Array, number>(),
  }));
  for (const result of results) {
    const commons = new Map<number, BatchCommon>();
    // One copy of a version-2 batch per record per call, shared by every trace that has rows in it.
    const batchCopies = new Map<number, Uint8Array>();
    for (let s = 0; s < result.spans.length / SPAN_FIELDS; s++) {
      const at = s * SPAN_FIELDS;
      const [record, q, where, size, row] = [result.spans[at]!, result.spans[at + 1]!, result.spans[at + 2]!, result.spans[at + 3]!, result.spans[at + 4]!];
      const trace = traces[q]!;
      if (trace.partial) continue;
      if (trace.bytes + size > traceBytesMax) {
        trace.partial = true;
        continue;
      }
      trace.bytes += size;
      if (row !== NO_ROW && !raw) {
        trace.spans.push(result.decoded[where]!);
        continue;
      }
      const spanId = bytesToHex(result.spanIds, s * SPAN_ID_BYTES, SPAN_ID_BYTES);
      const start = result.starts[s]!;
      if (row !== NO_ROW) {
        let batch = batchCopies.get(record);
        if (batch === undefined) {
          batch = result.bytes.slice(result.batches[2 * record]!, result.batches[2 * record]! + result.batches[2 * record + 1]!);
          batchCopies.set(record, batch);
        }
        let index = trace.batchIndexes.get(batch);
        if (index === undefined) {
          index = trace.batches.push(batch) - 1;
          trace.batchIndexes.set(batch, index);
        }
        trace.spans.push({ traceId: trace.traceId, spanId, startTimeUnixNano: start, batch: index, row });
        continue;
      }
      const bytes = result.bytes.subarray(where, where + size);
      if (raw) {
        trace.spans.push({ traceId: trace.traceId, spanId, startTimeUnixNano: start, bytes: bytes.slice() });
        continue;
      }
      let common = commons.get(record);
      if (common === undefined) {
        common = decodeCommon(result.bytes.subarray(result.commons[2 * record]!, result.commons[2 * record]! + result.commons[2 * record + 1]!));
        commons.set(record, common);
      }
      trace.spans.push(decodeSpanRecord(bytes, trace.traceId, spanId, start, common.resource, common.scope));
    }
    // The reader left out this trace's later spans in its records; later records come after them.
    for (const [q, flag] of result.truncated.entries()) if (flag === 1) traces[q]!.partial = true;
  }
  return traces.map((trace) => {
    if (trace.spans.length === 0 && !trace.partial) return null;
    const out: Trace<Span | RawSpan> = { traceId: trace.traceId, spans: trace.spans };
    if (trace.partial) {
      out.partial = true;
      out.partialReason = 'traceBytesMax';
    }
    if (trace.batches.length > 0) out.batches = trace.batches;
    return out;
  });
}

/** getTracesOtlp's options: a read's, but not `raw`, which has its own shape of result. */
function otlpReadOptions(input: ReadOptions | undefined): ReadOptions {
  const options: ReadOptions = readOptionsOf(input, READ_OPTION_KEYS);
  if (options.raw === true) throw invalidArgument('getTracesOtlp: raw got true; want a decoded read (use getTraces for raw spans)');
  return options;
}

/**
 * assemble() for OTLP reads: per trace, its kept spans' Span fields in storage order, put together
 * as one ResourceSpans per record (the records' shared fields written once by their reader), with
 * the same traceBytesMax prefix rule. The result is what writeTracesData writes for the decoded
 * spans of a decoded read.
 */
function assembleOtlp(queries: ParsedQuery[], results: RecordTaskResult[], traceBytesMax: number, builder: ProtobufBuilder): (OtlpTrace | null)[] {
  const traces = queries.map(() => ({ bytes: 0, spans: 0, partial: false, groups: [] as { result: RecordTaskResult; record: number; ranges: number[] }[] }));
  for (const result of results) {
    for (let s = 0; s < result.spans.length / SPAN_FIELDS; s++) {
      const at = s * SPAN_FIELDS;
      const record = result.spans[at]!;
      const trace = traces[result.spans[at + 1]!]!;
      const where = result.spans[at + 2]!;
      const size = result.spans[at + 3]!;
      if (trace.partial) continue;
      if (trace.bytes + size > traceBytesMax) {
        trace.partial = true;
        continue;
      }
      trace.bytes += size;
      trace.spans++;
      // A reader yields a record's spans together, so a trace's spans of one record are adjacent.
      let group = trace.groups[trace.groups.length - 1];
      if (group === undefined || group.result !== result || group.record !== record) {
        group = { result, record, ranges: [] };
        trace.groups.push(group);
      }
      group.ranges.push(where, where + result.spans[at + 5]!);
    }
    for (const [q, flag] of result.truncated.entries()) if (flag === 1) traces[q]!.partial = true;
  }
  return traces.map((trace, q) => {
    if (trace.spans === 0 && !trace.partial) return null;
    builder.reset();
    for (const { result, record, ranges } of trace.groups) writeResourceSpans(builder, result.bytes, result.shared, record * SHARED_FIELDS_ENTRY, ranges);
    const out: OtlpTrace = { traceId: bytesToHex(queries[q]!.traceId, 0, TRACE_ID_BYTES), tracesData: builder.finish() };
    if (trace.partial) {
      out.partial = true;
      out.partialReason = 'traceBytesMax';
    }
    return out;
  });
}
