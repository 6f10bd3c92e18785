/**
 * The shapes the embedded store, the TCP client and the daemon share: arguments, results, stats
 * and the `TraceStoreApi` interface. They live here, above the engine, so the client and the daemon
 * depend on what a call takes and returns, never on the modules that implement it.
 */
import type { RawSpan, Span, SpanIdInput, TraceIdInput } from '../batch/types.js';

export type { RawSpan, Span, SpanIdInput, TraceIdInput } from '../batch/types.js';

/** A place between records: (segmentId, fileOffset), ordered lexicographically (data-format.md §1). */
export interface Position {
  segmentId: number;
  fileOffset: number;
}

/** Time bounds of a read as given: either end may be left out. */
export interface TimeBoundsInput {
  startTimeUnixNano?: bigint;
  endTimeUnixNano?: bigint;
}

/** Validated time bounds of a read, inclusive, in UnixNano. */
export interface TimeBounds {
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

/** One id of a bulk call, with optional time bounds of its own (Jaeger v2 GetTraceParams style). */
export interface TraceQuery {
  traceId: TraceIdInput;
  startTimeUnixNano?: bigint;
  endTimeUnixNano?: bigint;
}

export interface ReadOptions extends TimeBoundsInput {
  /** Return spans as stored (RawSpan: record bytes, or a version-2 batch and row) instead of decoded spans. */
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
  /**
   * Raw reads only: the version-2 batches the trace's RawRowSpans point into (`span.batch` is an
   * index here), each the whole batch as appended. Absent when no span came from a version-2 batch.
   */
  batches?: Uint8Array[];
}

/**
 * A trace as OTLP protobuf, for the query faces (TraceStore.getTracesOtlp; not part of
 * TraceStoreApi): the fields of a TracesData, one ResourceSpans per stored batch the trace has spans
 * in, written by the reader workers (data-format.md §8.2).
 */
export interface OtlpTrace {
  traceId: string;
  /** Repeated TracesData.resource_spans fields; Tempo's Trace message has the same field 1. */
  tracesData: Buffer;
  partial?: true;
  partialReason?: string;
}

/** One item of getTracesOtlpStream, as StreamedTrace. */
export interface StreamedOtlpTrace {
  index: number;
  trace: OtlpTrace | null;
}

/** One item of getTracesStream: the position of the id in the request, and its trace or null. */
export interface StreamedTrace<S = Span> {
  index: number;
  trace: Trace<S> | null;
}

export interface AppendResult {
  /** Spans in the batch. */
  spans: number;
  generationId: number;
  segmentId: number;
  /** Offset of the record in its segment file. */
  fileOffset: number;
}

export interface ReaderCacheStats {
  hits: number;
  misses: number;
  /** Bytes held, summed over readers, as each last reported. */
  bytes: number;
  bytesMax: number;
}

/** What recovery on open did, pass by pass (data-format.md §5.5). */
export interface RecoveryReport {
  removedTempFiles: number;
  droppedDeletingGenerations: number;
  generations: number;
  segments: number;
  chunks: number;
  /** Chunk files that failed their checks and were renamed to `.broken`; their coverage was re-derived. */
  brokenChunks: string[];
  truncatedBytes: number;
  /** Files whose torn tail was cut (read-only: would be cut), or removed when not even their header was complete. */
  truncatedFiles: string[];
  reindexedRecords: number;
  reindexedSpans: number;
  reindexedEntries: number;
  durationMs: number;
}

export interface StoreStats {
  generations: number;
  segments: number;
  /** Bytes of valid segment data on disk. */
  storedBytes: number;
  indexChunks: number;
  indexChunkBytes: number;
  indexSealedEntries: number;
  indexTailEntries: number;
  /** Memory held for sealed chunks: filters and bucket directories. */
  indexResidentBytes: number;
  /** Since open. */
  appends: number;
  appendedSpans: number;
  appendedRawBytes: number;
  appendedStoredBytes: number;
  groupCommits: number;
  chunksSealed: number;
  generationsDropped: number;
  failed: boolean;
  readCache: ReaderCacheStats;
  recovery: RecoveryReport;
}

/** The daemon's STATS reply (0x86): the store's stats() and the daemon's own counters. */
export interface RemoteStats {
  store: StoreStats;
  server: Record<string, unknown>;
}

/**
 * The interface the embedded store and the TCP client share, so code runs embedded or remote
 * unchanged. `stats()` is awaited: it is synchronous on the store and a round trip on the client.
 */
export interface TraceStoreApi {
  append(batch: Uint8Array): Promise<AppendResult>;
  getSpan(traceId: TraceIdInput, spanId: SpanIdInput, options?: Pick<ReadOptions, 'timeoutMs'>): Promise<Span | null>;
  getTrace(traceId: TraceIdInput, options: ReadOptions & { raw: true }): Promise<Trace<RawSpan> | null>;
  getTrace(traceId: TraceIdInput, options?: ReadOptions & { raw?: false }): Promise<Trace<Span> | null>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options: ReadOptions & { raw: true }): Promise<(Trace<RawSpan> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions & { raw?: false }): Promise<(Trace<Span> | null)[]>;
  stats(): unknown;
  close(): Promise<void>;
}

/**
 * The embedded store's side of the interface, which the daemon serves: `stats()` answers at once,
 * reads take options whose `raw` is only known at run time (it comes off the wire), the query
 * server's bulk read streams, and its protobuf replies read traces as OTLP (getTraceOtlp,
 * getTracesOtlpStream). The daemon needs nothing else of the store.
 */
export interface EmbeddedTraceStoreApi extends TraceStoreApi {
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options: ReadOptions & { raw: true }): Promise<(Trace<RawSpan> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions & { raw?: false }): Promise<(Trace<Span> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions): Promise<(Trace<Span | RawSpan> | null)[]>;
  getTracesStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options: ReadOptions & { raw: true }): AsyncGenerator<StreamedTrace<RawSpan>>;
  getTracesStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options?: ReadOptions & { raw?: false }): AsyncGenerator<StreamedTrace<Span>>;
  getTraceOtlp(traceId: TraceIdInput, options?: ReadOptions): Promise<OtlpTrace | null>;
  getTracesOtlpStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options?: ReadOptions): AsyncGenerator<StreamedOtlpTrace>;
  stats(): StoreStats;
}
