/**
 * TraceStore: the embedded API. Opening runs recovery; append() resolves once the batch is
 * durable; reads go index → segment → decompress → slice.
 */
import path from 'node:path';
import { RETENTION_CHECK_INTERVAL_MS, SEGMENT_HEADER_BYTES } from '../constants.js';
import { invalidOption, ioError } from '../errors.js';
import { LOCK_FILE, STORE_MARKER_FILE, TMP_SUFFIX, join } from '../filenames.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { resolveOptions, type ResolvedOptions, type TraceStoreOptions } from '../options.js';
import type {
  AppendResult,
  EmbeddedTraceStoreApi,
  OtlpTrace,
  RecoveryReport,
  RawSpan,
  ReadOptions,
  Span,
  SpanIdInput,
  StoreStats,
  StreamedOtlpTrace,
  StreamedTrace,
  Trace,
  TraceIdInput,
  TraceQuery,
} from '../api/index.js';
import { AppendPipeline } from './append-pipeline.js';
import { Generation } from './generation.js';
import { acquireLock, type StoreLock } from './lock.js';
import { checkStoreMarker, encodeStoreMarker } from './meta-files.js';
import { TraceReader } from '../reader/trace-reader.js';
import { recover } from './recovery.js';
import { Retention } from './retention.js';
import { StoreState } from './store-state.js';

export class TraceStore implements EmbeddedTraceStoreApi {
  private readonly pipeline: AppendPipeline;
  private readonly reader: TraceReader;
  private readonly retention: Retention;
  private closing: Promise<void> | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly state: StoreState,
    private readonly lock: StoreLock,
    private readonly recovery: RecoveryReport,
  ) {
    this.pipeline = new AppendPipeline(state, { rollGeneration: () => this.rollGeneration() });
    this.reader = new TraceReader(state, state.options);
    this.retention = new Retention(state, state.options.dir);
  }

  static async open(options: TraceStoreOptions): Promise<TraceStore> {
    const resolved = resolveOptions(options);
    if (resolved.readOnly) checkExistingStore(resolved);
    else await prepareDirectory(resolved);
    // Read-only opens take no lock: they write nothing, so they may run beside a live writer.
    const lock = resolved.readOnly ? { release() {} } : acquireLock(resolved.fileLayer, join(resolved.dir, LOCK_FILE));
    const state = new StoreState(resolved);
    try {
      const recovery = await recover(state, resolved.dir);
      const store = new TraceStore(state, lock, recovery);
      await store.finishOpen();
      return store;
    } catch (error) {
      for (const generation of state.generations) generation.closeFiles();
      lock.release();
      throw error;
    }
  }

  /** After recovery: close generations whose time is up, seal re-derived tails of closed ones, drop expired ones. */
  private async finishOpen(): Promise<void> {
    const { options } = this.state;
    if (options.readOnly) {
      options.logger({ event: 'open', dir: options.dir, readOnly: true, generations: this.state.generations.length, recovery: this.recovery });
      return;
    }
    const now = options.clock();
    const generations = this.state.generations;
    for (const [i, generation] of generations.entries()) {
      const isLast = i === generations.length - 1;
      const timeIsUp = now - generation.meta.createdAtMs >= options.generationHours * 3_600_000;
      if (generation.isOpen && (!isLast || timeIsUp)) await this.closeGeneration(generation);
      else if (!generation.isOpen) await generation.seal();
    }
    await this.retention.run();
    if (options.retentionHours > 0) {
      this.retentionTimer = setInterval(() => {
        this.retention.run().catch((error: unknown) => this.state.fail(error));
      }, RETENTION_CHECK_INTERVAL_MS);
      this.retentionTimer.unref();
    }
    options.logger({ event: 'open', dir: options.dir, generations: generations.length, recovery: this.recovery });
  }

  private async closeGeneration(generation: Generation): Promise<void> {
    const { options } = this.state;
    await generation.close(options.clock);
    options.logger({ event: 'generation_closed', generationId: generation.id });
  }

  private async rollGeneration(): Promise<Generation> {
    const { options } = this.state;
    const active = this.state.activeGeneration;
    if (active !== null) await this.closeGeneration(active);
    const last = this.state.generations[this.state.generations.length - 1];
    const generation = await Generation.create(
      options.fileLayer,
      options.dir,
      { generationId: (last?.id ?? 0) + 1, partitionCount: options.partitions, createdAtMs: options.clock(), closedAtMs: 0 },
      options.indexFlushEntries,
    );
    this.state.generations.push(generation);
    options.logger({ event: 'generation_opened', generationId: generation.id });
    await this.retention.run();
    return generation;
  }

  /** Resolves once the batch is durable (with durability 'fsync') and its spans are readable. */
  async append(batch: Uint8Array): Promise<AppendResult> {
    return this.pipeline.append(batch);
  }

  async getSpan(traceId: TraceIdInput, spanId: SpanIdInput, options?: Pick<ReadOptions, 'timeoutMs'>): Promise<Span | null> {
    return this.reader.getSpan(traceId, spanId, options);
  }

  getTrace(traceId: TraceIdInput, options: ReadOptions & { raw: true }): Promise<Trace<RawSpan> | null>;
  getTrace(traceId: TraceIdInput, options?: ReadOptions & { raw?: false }): Promise<Trace<Span> | null>;
  getTrace(traceId: TraceIdInput, options?: ReadOptions): Promise<Trace<Span | RawSpan> | null>;
  async getTrace(traceId: TraceIdInput, options?: ReadOptions): Promise<Trace<Span | RawSpan> | null> {
    const [trace] = await this.reader.getTraces([traceId], options);
    return trace ?? null;
  }

  /**
   * Results in input order, null for a miss. An id may carry its own time bounds:
   * `{ traceId, startTimeUnixNano?, endTimeUnixNano? }`.
   */
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options: ReadOptions & { raw: true }): Promise<(Trace<RawSpan> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions & { raw?: false }): Promise<(Trace<Span> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions): Promise<(Trace<Span | RawSpan> | null)[]>;
  async getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions): Promise<(Trace<Span | RawSpan> | null)[]> {
    return this.reader.getTraces(traceIds, options);
  }

  /** Any number of ids, yielded in input order as `{ index, trace }`, holding only a slice in memory at a time. */
  getTracesStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options: ReadOptions & { raw: true }): AsyncGenerator<StreamedTrace<RawSpan>>;
  getTracesStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options?: ReadOptions & { raw?: false }): AsyncGenerator<StreamedTrace<Span>>;
  getTracesStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options?: ReadOptions): AsyncGenerator<StreamedTrace<Span | RawSpan>>;
  getTracesStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options?: ReadOptions): AsyncGenerator<StreamedTrace<Span | RawSpan>> {
    return this.reader.getTracesStream(traceIds, options);
  }

  /**
   * For the query faces, not part of TraceStoreApi: the trace as the fields of an OTLP TracesData,
   * written by the reader workers, so that a protobuf reply copies bytes instead of building span
   * objects. The same spans, limits and errors as getTrace.
   */
  async getTraceOtlp(traceId: TraceIdInput, options?: ReadOptions): Promise<OtlpTrace | null> {
    const [trace] = await this.reader.getTracesOtlp([traceId], options);
    return trace ?? null;
  }

  /** getTracesStream, as getTraceOtlp reads. */
  getTracesOtlpStream(traceIds: Iterable<TraceIdInput | TraceQuery>, options?: ReadOptions): AsyncGenerator<StreamedOtlpTrace> {
    return this.reader.getTracesOtlpStream(traceIds, options);
  }

  /** Drops expired generations now (it also runs on open, on every generation roll and once a minute). */
  async enforceRetention(): Promise<number[]> {
    this.state.checkWritable();
    return this.retention.run();
  }

  stats(): StoreStats {
    const { generations, counters } = this.state;
    let segments = 0;
    let storedBytes = 0;
    let indexChunks = 0;
    let indexChunkBytes = 0;
    let indexSealedEntries = 0;
    let indexTailEntries = 0;
    let indexResidentBytes = 0;
    for (const generation of generations) {
      segments += generation.segmentIds.length;
      storedBytes += generation.storedBytes - generation.segmentIds.length * SEGMENT_HEADER_BYTES;
      indexChunks += generation.chunks.length;
      for (const chunk of generation.chunks) {
        indexChunkBytes += chunk.fileBytes;
        indexSealedEntries += chunk.entryCount;
        indexResidentBytes += chunk.residentBytes;
      }
      indexTailEntries += generation.tailEntryCount;
    }
    return {
      generations: generations.length,
      segments,
      storedBytes,
      indexChunks,
      indexChunkBytes,
      indexSealedEntries,
      indexTailEntries,
      indexResidentBytes,
      ...counters,
      failed: this.state.failure !== null,
      readCache: this.reader.cacheStats(),
      recovery: this.recovery,
    };
  }

  /** Waits for queued appends, seals the index tail (so the next open scans nothing), syncs, releases the lock. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const state = this.state;
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    // New calls are refused from here on; appends already queued still complete.
    state.closed = true;
    await this.pipeline.drain();
    await this.retention.idle();
    try {
      const active = state.activeGeneration;
      if (state.failure === null && active !== null && !state.options.readOnly) {
        await active.sealSettled();
        await active.syncSegment();
        if (state.failure === null) await active.seal();
      }
    } finally {
      await this.reader.close();
      for (const generation of state.generations) generation.closeFiles();
      this.lock.release();
    }
  }
}

/** Read-only opens create nothing: the directory must already be a store. */
function checkExistingStore(options: ResolvedOptions): void {
  const markerPath = join(options.dir, STORE_MARKER_FILE);
  const marker = options.fileLayer.isDirectory(options.dir) ? options.fileLayer.readFile(markerPath) : null;
  if (marker === null) throw invalidOption('dir', `${options.dir} is not a tracekv store (no ${STORE_MARKER_FILE})`);
  checkStoreMarker(marker, markerPath);
}

/** Creates the directory and its marker, or checks that an existing one is a tracekv store (§5.3). */
async function prepareDirectory(options: ResolvedOptions): Promise<void> {
  const fs = options.fileLayer;
  const markerPath = join(options.dir, STORE_MARKER_FILE);
  const dir = path.resolve(options.dir);
  const created: string[] = [];
  for (let missing = dir; !fs.exists(missing); missing = path.dirname(missing)) created.push(missing);
  try {
    if (created.length > 0) fs.mkdir(dir);
  } catch (error) {
    throw ioError(options.dir, 'mkdir', error);
  }
  if (!fs.isDirectory(dir)) throw invalidOption('dir', `${options.dir} is not a directory`);
  // A directory's entry lives in its parent. Without these syncs a power loss can take the whole
  // store, acknowledged batches and all; the parent of an existing store is synced too, because
  // an earlier open may have crashed after creating the directory and before syncing its parent.
  for (const parent of new Set([...created.map((d) => path.dirname(d)), path.dirname(dir)])) {
    try {
      await fs.fsyncDir(parent);
    } catch (error) {
      throw ioError(parent, 'fsync directory', error);
    }
  }
  const marker = fs.readFile(markerPath);
  if (marker !== null) {
    checkStoreMarker(marker, markerPath);
    return;
  }
  // Our own leftovers from a crash while creating the store do not make the directory foreign.
  const ownLeftovers = new Set([STORE_MARKER_FILE + TMP_SUFFIX, LOCK_FILE]);
  const entries = fs.readdir(options.dir).filter((name) => !ownLeftovers.has(name));
  if (entries.length > 0) {
    throw invalidOption('dir', `${options.dir} is not empty and holds no ${STORE_MARKER_FILE} marker; refusing to adopt foreign files`);
  }
  if (fs.exists(markerPath + TMP_SUFFIX)) fs.unlink(markerPath + TMP_SUFFIX);
  await writeFileAtomic(fs, markerPath, encodeStoreMarker());
}
