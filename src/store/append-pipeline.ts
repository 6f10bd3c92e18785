/**
 * The write path: validate (header, footer, trailer; version 2 also its dictionary and search
 * section; no span is decoded) → compress (up to COMPRESSIONS_IN_FLIGHT_MAX at once) → write in
 * call order → one fdatasync for every record written since the last one (group commit) →
 * publish index entries → resolve.
 *
 * Index entries are published only after the sync, so a reader never sees a span that a crash
 * could still take away; a span is readable once its append() has resolved.
 */
import { CODEC_NONE, CODEC_ZSTD, COMPRESSIONS_IN_FLIGHT_MAX, SEGMENT_HEADER_BYTES } from '../constants.js';
import { TraceKvError, assert, internalError, invalidArgument } from '../errors.js';
import type { AppendResult } from '../api/index.js';
import { type AnyBatchView, openAnyBatch } from '../batch/batch-versions.js';
import { zstdCompress } from '../codec/zstd.js';
import { encodeRecord } from '../segment/record-codec.js';
import type { Generation } from './generation.js';
import type { StoreState } from './store-state.js';

interface AppendJob {
  /** The batch as validated: either version, its trailer read in place at publish. */
  view: AnyBatchView;
  /** performance.now() when append() was called. */
  startedAtMs: number;
  /** Header + body, set once compression finishes. */
  record: Uint8Array | null;
  compression: Promise<void>;
  generation: Generation | null;
  segmentId: number;
  fileOffset: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

type Roll = 'generation' | 'segment' | 'start-segment' | null;

const MS_PER_SECOND = 1000;

export interface GenerationRoller {
  /** Closes the active generation (if any) and opens the next one. */
  rollGeneration(): Promise<Generation>;
}

export class AppendPipeline {
  private readonly queue: AppendJob[] = [];
  /** Jobs written but not yet synced and published. */
  private group: AppendJob[] = [];
  private running: Promise<void> | null = null;
  private compressionsInFlight = 0;
  private readonly compressionWaiters: (() => void)[] = [];

  constructor(
    private readonly state: StoreState,
    private readonly roller: GenerationRoller,
  ) {}

  append(batch: Uint8Array): Promise<AppendResult> {
    this.state.checkWritable();
    if (!(batch instanceof Uint8Array)) {
      throw invalidArgument(`append(batch): got ${typeof batch}; want a Uint8Array from BatchEncoder.finish()`);
    }
    const { batchBytesMax, batchSpansMax } = this.state.options;
    const view = openAnyBatch(batch, { batchBytesMax, batchSpansMax });
    return new Promise<AppendResult>((resolve, reject) => {
      const job: AppendJob = {
        view,
        startedAtMs: performance.now(),
        record: null,
        compression: Promise.resolve(),
        generation: null,
        segmentId: 0,
        fileOffset: 0,
        resolve,
        reject,
      };
      job.compression = this.compress(job);
      this.queue.push(job);
      this.kick();
    });
  }

  /** Resolves once every queued append has settled. */
  async drain(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private kick(): void {
    if (this.running !== null) return;
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async compress(job: AppendJob): Promise<void> {
    if (this.compressionsInFlight >= COMPRESSIONS_IN_FLIGHT_MAX) {
      await new Promise<void>((wake) => this.compressionWaiters.push(wake));
    }
    this.compressionsInFlight++;
    try {
      const { view } = job;
      const batch = view.bytes;
      const compressed = await zstdCompress(batch, this.state.options.compressionLevel);
      // Incompressible batches (already-compressed payloads, random bytes) are stored as they are.
      const useZstd = compressed.length < batch.length;
      job.record = encodeRecord(
        batch,
        useZstd ? CODEC_ZSTD : CODEC_NONE,
        useZstd ? compressed : batch,
        view.minStartTimeUnixNano,
        view.maxStartTimeUnixNano,
        view.spanCount,
      );
    } finally {
      this.compressionsInFlight--;
      this.compressionWaiters.shift()?.();
    }
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // A background seal may have failed the store; nothing more may be acknowledged then.
        if (this.state.failure !== null) throw this.state.failure;
        await this.writeReadyJobs();
        await this.commit();
        await this.sealIfFull();
      }
    } catch (error) {
      this.failAll(error);
    }
  }

  /** Writes queued jobs in call order until one is still compressing or needs a roll. */
  private async writeReadyJobs(): Promise<void> {
    const head = this.queue[0]!;
    try {
      await head.compression;
    } catch (error) {
      // A compression error concerns this batch only; nothing of it reached the disk. No file is
      // involved: zstd.ts makes a binding failure ERR_INTERNAL, and anything else here is a bug.
      this.queue.shift();
      head.reject(error instanceof TraceKvError ? error : internalError('compressing a batch', error));
      return;
    }
    while (this.queue.length > 0 && this.queue[0]!.record !== null) {
      const job = this.queue[0]!;
      const roll = this.rollNeeded(job.record!.length);
      if (roll !== null && this.group.length > 0) return; // sync what is written before rolling
      if (roll === 'generation') await this.roller.rollGeneration();
      if (roll !== null) await this.startSegment();
      this.write(job);
      this.queue.shift();
      this.group.push(job);
    }
  }

  private rollNeeded(recordBytes: number): Roll {
    const { options } = this.state;
    const generation = this.state.activeGeneration;
    if (generation === null) return 'generation';
    const ageMs = options.clock() - generation.meta.createdAtMs;
    const hasData = generation.storedBytes > 0;
    if (hasData && ageMs >= options.generationHours * 3_600_000) return 'generation';
    if (hasData && generation.storedBytes + recordBytes > options.generationBytesMax) return 'generation';
    const writeOffset = generation.writeOffset;
    if (writeOffset === null) return 'start-segment';
    if (writeOffset > SEGMENT_HEADER_BYTES && writeOffset + recordBytes > options.segmentBytesMax) return 'segment';
    return null;
  }

  /** Starts the next segment of the active generation; the previous one is synced first (§3.3). */
  private async startSegment(): Promise<void> {
    const generation = this.state.activeGeneration;
    assert(generation !== null, 'startSegment without an active generation');
    await generation.closeSegment();
    await generation.startSegment(this.state.options.clock());
  }

  private write(job: AppendJob): void {
    const generation = this.state.activeGeneration!;
    const at = generation.appendRecord(job.record!);
    job.generation = generation;
    job.segmentId = at.segmentId;
    job.fileOffset = at.fileOffset;
  }

  /** One fdatasync for the whole group, then publish and acknowledge every job in it. */
  private async commit(): Promise<void> {
    if (this.group.length === 0) return;
    const generation = this.group[0]!.generation!;
    if (this.state.options.durability === 'fsync') {
      const syncStartMs = performance.now();
      await generation.syncSegment();
      this.state.options.latencyObserver('fsync', (performance.now() - syncStartMs) / MS_PER_SECOND);
    }
    const group = this.group;
    this.group = [];
    this.state.counters.groupCommits++;
    for (const job of group) this.publish(job);
  }

  private publish(job: AppendJob): void {
    const { view, record } = job;
    const generation = job.generation!;
    generation.publishRecord({ segmentId: job.segmentId, fileOffset: job.fileOffset }, record!.length, view);
    const counters = this.state.counters;
    counters.appends++;
    counters.appendedSpans += view.spanCount;
    counters.appendedRawBytes += view.bytes.length;
    counters.appendedStoredBytes += record!.length;
    this.state.options.latencyObserver('append', (performance.now() - job.startedAtMs) / MS_PER_SECOND);
    job.resolve({ spans: view.spanCount, generationId: generation.id, segmentId: job.segmentId, fileOffset: job.fileOffset });
  }

  /** Seals a full tail in the background; waits only if the previous seal has not finished. */
  private async sealIfFull(): Promise<void> {
    const generation = this.state.activeGeneration;
    if (generation === null || !generation.tailIsFull) return;
    await generation.sealSettled();
    if (this.state.options.durability === 'none') await generation.syncSegment();
    generation.sealInBackground(
      () => {
        this.state.counters.chunksSealed++;
      },
      (error: unknown) => {
        this.state.fail(error);
      },
    );
  }

  private failAll(error: unknown): void {
    const failure = this.state.fail(error);
    for (const job of this.group) job.reject(failure);
    this.group = [];
    for (const job of this.queue.splice(0)) job.reject(failure);
  }
}
