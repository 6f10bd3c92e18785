/**
 * TraceStore options: one defaults table, and validation whose messages name the option.
 */
import {
  BATCH_BYTES_LIMIT,
  BATCH_BYTES_MAX_DEFAULT,
  BATCH_BYTES_MIN,
  BATCH_SPANS_LIMIT,
  BATCH_SPANS_MAX_DEFAULT,
  COMPRESSION_LEVEL_DEFAULT,
  COMPRESSION_LEVEL_MAX,
  COMPRESSION_LEVEL_MIN,
  GENERATION_BYTES_MAX_DEFAULT,
  GENERATION_HOURS_DEFAULT,
  INDEX_FLUSH_ENTRIES_DEFAULT,
  INDEX_FLUSH_ENTRIES_MAX,
  INDEX_FLUSH_ENTRIES_MIN,
  PARTITIONS_DEFAULT,
  READ_CACHE_BYTES_MAX_DEFAULT,
  READER_THREADS_MAX,
  READ_TIMEOUT_MS_DEFAULT,
  REQUEST_BYTES_MAX_DEFAULT,
  REQUEST_TRACES_MAX_DEFAULT,
  TRACE_BYTES_MAX_DEFAULT,
  PARTITIONS_MAX,
  RETENTION_HOURS_DEFAULT,
  SEGMENT_BYTES_LIMIT,
  SEGMENT_BYTES_MAX_DEFAULT,
  SEGMENT_BYTES_MAX_MIN,
} from './constants.js';
import os from 'node:os';
import { invalidOption } from './errors.js';
import { checkKnownOptions, knownKeys } from './known-keys.js';
import { nodeFileLayer, type FileLayer } from './io/file-layer.js';

export type Durability = 'fsync' | 'none';
/** What a read does with a trace larger than traceBytesMax. */
export type TraceTooLarge = 'truncate' | 'reject';

/** One structured log line; recovery passes and lifecycle events are reported through it. */
export type Logger = (event: Record<string, unknown>) => void;

/**
 * Told how long each append took (append() called → resolved, compression, write and sync
 * included) and each group commit's fdatasync, in seconds: the daemon's /metrics histograms.
 */
export type LatencyObserver = (what: 'append' | 'fsync', seconds: number) => void;

export interface TraceStoreOptions {
  /** Store directory; created if absent. */
  dir: string;
  /** 'fsync' (default): append() resolves after fdatasync. 'none': for benchmarks only. */
  durability?: Durability;
  /** zstd level for records. */
  compressionLevel?: number;
  /** A segment rolls before a record would take it past this size. */
  segmentBytesMax?: number;
  /** Largest batch append() accepts. */
  batchBytesMax?: number;
  /** Most spans in one batch append() accepts. */
  batchSpansMax?: number;
  /** Index hash partitions for new generations. */
  partitions?: number;
  /** Index entries held in memory before they are sealed into a chunk file. */
  indexFlushEntries?: number;
  /** A generation rolls after this many hours. */
  generationHours?: number;
  /** A generation also rolls at this many bytes of segments. */
  generationBytesMax?: number;
  /** Closed generations older than this are dropped. 0 keeps everything. */
  retentionHours?: number;
  /** Reader worker threads. Default: the number of cores. 0 reads on the calling thread (tiny embedded uses). */
  readerThreads?: number;
  /** Bytes of decompressed records kept in the read cache, split over the readers. 0 turns it off. */
  readCacheBytesMax?: number;
  /** Span bytes one trace may return. */
  traceBytesMax?: number;
  /** 'truncate' (default): return the first spans, flagged `partial: true`. 'reject': ERR_TRACE_TOO_LARGE. */
  traceTooLarge?: TraceTooLarge;
  /** Span bytes one getTraces call (or one slice of a stream) may return. */
  requestBytesMax?: number;
  /** Ids one getTraces call may ask for. */
  requestTracesMax?: number;
  /** Default deadline of a read call; each call may pass its own `timeoutMs`. */
  readTimeoutMs?: number;
  /**
   * Open without the lock and without writing anything: appends fail with ERR_READ_ONLY, recovery
   * leaves torn tails and broken chunks where they are. Safe beside a live writer (the CLI).
   */
  readOnly?: boolean;
  /** The file layer; tests inject faults through it. */
  fileLayer?: FileLayer;
  /** Wall clock in ms; tests move time to exercise generation rolls and retention. */
  clock?: () => number;
  /** Receives recovery and lifecycle events; silent by default. */
  logger?: Logger;
  /** Receives append and fdatasync latencies; none by default. */
  latencyObserver?: LatencyObserver;
}

export type ResolvedOptions = Required<TraceStoreOptions>;

export const DEFAULT_OPTIONS: Omit<ResolvedOptions, 'dir'> = {
  durability: 'fsync',
  compressionLevel: COMPRESSION_LEVEL_DEFAULT,
  segmentBytesMax: SEGMENT_BYTES_MAX_DEFAULT,
  batchBytesMax: BATCH_BYTES_MAX_DEFAULT,
  batchSpansMax: BATCH_SPANS_MAX_DEFAULT,
  partitions: PARTITIONS_DEFAULT,
  indexFlushEntries: INDEX_FLUSH_ENTRIES_DEFAULT,
  generationHours: GENERATION_HOURS_DEFAULT,
  generationBytesMax: GENERATION_BYTES_MAX_DEFAULT,
  retentionHours: RETENTION_HOURS_DEFAULT,
  readerThreads: os.availableParallelism(),
  readCacheBytesMax: READ_CACHE_BYTES_MAX_DEFAULT,
  traceBytesMax: TRACE_BYTES_MAX_DEFAULT,
  traceTooLarge: 'truncate',
  requestBytesMax: REQUEST_BYTES_MAX_DEFAULT,
  requestTracesMax: REQUEST_TRACES_MAX_DEFAULT,
  readTimeoutMs: READ_TIMEOUT_MS_DEFAULT,
  readOnly: false,
  fileLayer: nodeFileLayer,
  clock: Date.now,
  logger: () => {},
  latencyObserver: () => {},
};

const KNOWN_OPTIONS = knownKeys('TraceStore.open', ['dir', ...Object.keys(DEFAULT_OPTIONS)], {
  aliases: {
    timeoutMs: 'readTimeoutMs',
    path: 'dir',
    directory: 'dir',
    threads: 'readerThreads',
    readers: 'readerThreads',
    workers: 'readerThreads',
    compression: 'compressionLevel',
    fsync: 'durability',
  },
});

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `got ${String(value)}; want an integer from ${min} to ${max}`);
  }
  return value;
}

function numberIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidOption(name, `got ${String(value)}; want a number from ${min} to ${max}`);
  }
  return value;
}

export function resolveOptions(input: TraceStoreOptions): ResolvedOptions {
  if (input === null || typeof input !== 'object') throw invalidOption('options', 'want an object with at least { dir }');
  checkKnownOptions(input, KNOWN_OPTIONS);
  const merged = { ...DEFAULT_OPTIONS, ...stripUndefined(input) } as ResolvedOptions;
  if (typeof merged.dir !== 'string' || merged.dir.length === 0) throw invalidOption('dir', 'want a non-empty path');
  if (merged.durability !== 'fsync' && merged.durability !== 'none') {
    throw invalidOption('durability', `got ${String(merged.durability)}; want 'fsync' or 'none'`);
  }
  integerIn('compressionLevel', merged.compressionLevel, COMPRESSION_LEVEL_MIN, COMPRESSION_LEVEL_MAX);
  integerIn('segmentBytesMax', merged.segmentBytesMax, SEGMENT_BYTES_MAX_MIN, SEGMENT_BYTES_LIMIT);
  integerIn('batchBytesMax', merged.batchBytesMax, BATCH_BYTES_MIN, BATCH_BYTES_LIMIT);
  integerIn('batchSpansMax', merged.batchSpansMax, 1, BATCH_SPANS_LIMIT);
  integerIn('partitions', merged.partitions, 1, PARTITIONS_MAX);
  integerIn('indexFlushEntries', merged.indexFlushEntries, INDEX_FLUSH_ENTRIES_MIN, INDEX_FLUSH_ENTRIES_MAX);
  numberIn('generationHours', merged.generationHours, 1 / 3600, 24 * 366);
  integerIn('generationBytesMax', merged.generationBytesMax, SEGMENT_BYTES_MAX_MIN, Number.MAX_SAFE_INTEGER);
  numberIn('retentionHours', merged.retentionHours, 0, 24 * 366 * 100);
  integerIn('readerThreads', merged.readerThreads, 0, READER_THREADS_MAX);
  integerIn('readCacheBytesMax', merged.readCacheBytesMax, 0, Number.MAX_SAFE_INTEGER);
  integerIn('traceBytesMax', merged.traceBytesMax, 1, Number.MAX_SAFE_INTEGER);
  if (merged.traceTooLarge !== 'truncate' && merged.traceTooLarge !== 'reject') {
    throw invalidOption('traceTooLarge', `got ${String(merged.traceTooLarge)}; want 'truncate' or 'reject'`);
  }
  integerIn('requestBytesMax', merged.requestBytesMax, 1, Number.MAX_SAFE_INTEGER);
  integerIn('requestTracesMax', merged.requestTracesMax, 1, Number.MAX_SAFE_INTEGER);
  numberIn('readTimeoutMs', merged.readTimeoutMs, 1, 24 * 3_600_000);
  if (typeof merged.readOnly !== 'boolean') throw invalidOption('readOnly', `got ${String(merged.readOnly)}; want a boolean`);
  if (typeof merged.clock !== 'function') throw invalidOption('clock', 'want a function returning ms since the epoch');
  if (typeof merged.logger !== 'function') throw invalidOption('logger', 'want a function');
  if (typeof merged.latencyObserver !== 'function') throw invalidOption('latencyObserver', 'want a function');
  if (typeof merged.fileLayer !== 'object' || merged.fileLayer === null) throw invalidOption('fileLayer', 'want a FileLayer');
  return merged;
}

function stripUndefined<T extends object>(input: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
