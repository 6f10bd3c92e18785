/**
 * `tracekv repair`: fixes what makes recovery cut or refuse a store (data-format.md §5.5), under
 * the store lock, and reports what it did.
 *
 * 1. A torn tail of a generation's last segment is truncated (the one in-place change, the same
 *    cut recovery makes on open: bytes that were never acknowledged).
 * 2. A segment with mid-file corruption is copied to `<name>.broken` (synced, directory synced),
 *    its valid records are written into `<name>.tmp` behind a fresh header, and that file is
 *    synced and renamed over the segment.
 * 3. Index chunks that cover changed bytes are renamed to `.broken`; recovery pass 4 re-derives
 *    them, so repair ends by opening and closing the store, which also seals the index.
 *
 * Durable steps run in an order that a crash at any point leaves safe: the evidence copy first,
 * then the stale chunks go, and only then do new segment files replace old ones, so a chunk
 * pointing at offsets that moved never meets the new files. Re-running repair finishes the job.
 */
import { TraceKvError, assert } from '../errors.js';
import { LOCK_FILE, join } from '../filenames.js';
import { nodeFileLayer, type FileLayer } from '../io/file-layer.js';
import { acquireLock } from '../store/lock.js';
import { TraceStore } from '../store/trace-store.js';
import { planStore, type GenerationPlan, type PlannedSegment, type ProgressCallback } from './repair-plan.js';
import type { DamagedStretch } from './repair-scan.js';
import {
  copyFileDurably,
  fsyncDirOrThrow,
  renameOrThrow,
  truncateSegment,
  unlinkOrThrow,
  writeSalvagedSegment,
} from './repair-write.js';
import { readStoreLayout } from '../store/store-layout.js';

/**
 * generationHours for the closing open. The daemon's own setting is unknown here, and repair must
 * not close a generation for its age: the largest value options.ts accepts leaves that to the daemon.
 */
const REOPEN_GENERATION_HOURS = 24 * 366;

export interface RepairOptions {
  dir: string;
  /** Report what would be done; take no lock and write nothing. */
  dryRun?: boolean;
  /** Set aside and re-derive every index chunk, not only those covering changed bytes. */
  rebuildIndex?: boolean;
  fs?: FileLayer;
  /** createdAtMs of a salvaged segment whose old header is unreadable. */
  clock?: () => number;
  onProgress?: ProgressCallback;
}

export interface SegmentRepair {
  generationId: number;
  segmentId: number;
  path: string;
  action: 'truncate' | 'salvage' | 'remove';
  bytesBefore: number;
  bytesAfter: number;
  recordsKept: number;
  spansKept: number;
  /**
   * Lower bounds. Records lie back to back, so a stretch with a valid record after it held at
   * least one record. A stretch that runs to the end of the file counts only when a whole record
   * (valid header, body present, bad body CRC or invalid batch) starts it: otherwise it may be a partial append
   * that was never acknowledged, or junk. Spans come from valid record headers at stretch starts.
   */
  recordsLost: number;
  spansLost: number;
  /** Lost records whose header is damaged too, so their spans are not in spansLost. */
  lostRecordsWithUnknownSpans: number;
  bytesLost: number;
  damage: DamagedStretch[];
  /** The byte-identical copy of the damaged file, for a salvage. */
  brokenCopy: string | null;
}

export interface IndexRepair {
  generationId: number;
  chunksKept: number;
  chunksSetAside: { path: string; brokenPath: string }[];
}

export type ReindexOutcome =
  | { status: 'done'; records: number; spans: number; entries: number }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; code: string; message: string };

export interface RepairReport {
  dir: string;
  dryRun: boolean;
  generations: number;
  segmentsChecked: number;
  /** Valid records and spans in the store after repair. */
  recordsKept: number;
  spansKept: number;
  recordsLost: number;
  spansLost: number;
  lostRecordsWithUnknownSpans: number;
  bytesLost: number;
  /** Only the segments that change. */
  segments: SegmentRepair[];
  /** Only the generations whose index chunks are set aside. */
  indexes: IndexRepair[];
  reindex: ReindexOutcome;
}

export async function repairStore(options: RepairOptions): Promise<RepairReport> {
  const fs = options.fs ?? nodeFileLayer;
  const { dir } = options;
  const rebuildIndex = options.rebuildIndex === true;
  // Fails on a directory that is not a store before a LOCK file is created in it.
  const layout = readStoreLayout(dir, fs);
  if (options.dryRun === true) {
    const plans = await planStore(fs, layout, rebuildIndex, options.onProgress);
    return buildReport(dir, true, plans, { status: 'skipped', reason: 'dry run' });
  }
  const lock = acquireLock(fs, join(dir, LOCK_FILE));
  let plans: GenerationPlan[];
  try {
    // Planned again under the lock: from here on no writer changes the files under us.
    plans = await planStore(fs, readStoreLayout(dir, fs), rebuildIndex, options.onProgress);
    const clock = options.clock ?? Date.now;
    for (const plan of plans) await applyPlan(fs, plan, clock());
  } finally {
    lock.release();
  }
  const changed = plans.some((plan) => plan.changed.length > 0 || plan.staleChunks.length > 0);
  const reindex = changed || rebuildIndex ? await reopen(dir, fs) : ({ status: 'skipped', reason: 'nothing changed' } as const);
  return buildReport(dir, false, plans, reindex);
}

async function applyPlan(fs: FileLayer, plan: GenerationPlan, clockMs: number): Promise<void> {
  const dir = plan.generation.dir;
  const salvages = plan.changed.filter((planned) => planned.analysis.action === 'salvage');
  // Evidence first: the damaged bytes survive whatever happens next.
  for (const planned of salvages) await copyFileDurably(fs, planned.analysis.path, planned.brokenCopy!);
  if (salvages.length > 0) await fsyncDirOrThrow(fs, dir);
  const tmpPaths = new Map<PlannedSegment, string>();
  for (const planned of salvages) tmpPaths.set(planned, await writeSalvagedSegment(fs, planned.analysis, clockMs));

  for (const chunk of plan.staleChunks) renameOrThrow(fs, chunk.path, chunk.brokenPath);
  if (plan.staleChunks.length > 0) await fsyncDirOrThrow(fs, dir);

  for (const planned of plan.changed) {
    const { action, path, bytesAfter } = planned.analysis;
    if (action === 'salvage') renameOrThrow(fs, tmpPaths.get(planned)!, path);
    else if (action === 'truncate') await truncateSegment(fs, path, bytesAfter);
    else if (action === 'remove') unlinkOrThrow(fs, path);
  }
  if (plan.changed.length > 0) await fsyncDirOrThrow(fs, dir);
}

/**
 * Opens the store (recovery pass 4 re-derives the set-aside index) and closes it (sealing the
 * re-derived entries into chunks). The lock was released first: the open takes it itself. If a
 * daemon got there first, its own open re-derives the index, and that is not a repair failure.
 */
async function reopen(dir: string, fs: FileLayer): Promise<ReindexOutcome> {
  let store: TraceStore;
  try {
    store = await TraceStore.open({ dir, fileLayer: fs, readerThreads: 0, generationHours: REOPEN_GENERATION_HOURS });
  } catch (error) {
    if (!(error instanceof TraceKvError)) throw error;
    if (error.code === 'ERR_STORE_LOCKED') return { status: 'skipped', reason: `another process opened the store first: ${error.message}` };
    return { status: 'failed', code: error.code, message: error.message };
  }
  const recovery = store.stats().recovery;
  await store.close();
  return { status: 'done', records: recovery.reindexedRecords, spans: recovery.reindexedSpans, entries: recovery.reindexedEntries };
}

function buildReport(dir: string, dryRun: boolean, plans: GenerationPlan[], reindex: ReindexOutcome): RepairReport {
  const segments = plans.flatMap((plan) => plan.changed.map(segmentRepairOf));
  const analyses = plans.flatMap((plan) => plan.analyses);
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    dir,
    dryRun,
    generations: plans.length,
    segmentsChecked: analyses.length,
    recordsKept: sum(analyses.map((analysis) => analysis.recordsKept)),
    spansKept: sum(analyses.map((analysis) => analysis.spansKept)),
    recordsLost: sum(segments.map((segment) => segment.recordsLost)),
    spansLost: sum(segments.map((segment) => segment.spansLost)),
    lostRecordsWithUnknownSpans: sum(segments.map((segment) => segment.lostRecordsWithUnknownSpans)),
    bytesLost: sum(segments.map((segment) => segment.bytesLost)),
    segments,
    indexes: plans
      .filter((plan) => plan.staleChunks.length > 0)
      .map((plan) => ({ generationId: plan.generation.id, chunksKept: plan.chunksKept, chunksSetAside: plan.staleChunks })),
    reindex,
  };
}

function segmentRepairOf({ analysis, brokenCopy }: PlannedSegment): SegmentRepair {
  let recordsLost = 0;
  let spansLost = 0;
  let lostRecordsWithUnknownSpans = 0;
  for (const stretch of analysis.damage) {
    const followedByRecord = stretch.offset + stretch.bytes < analysis.fileBytes;
    const lostRecord = stretch.kind !== 'segment-header' && (followedByRecord || stretch.wholeRecord);
    if (!lostRecord) continue;
    recordsLost++;
    if (stretch.spans === null) lostRecordsWithUnknownSpans++;
    else spansLost += stretch.spans;
  }
  const action = analysis.action;
  assert(action !== 'none', `unchanged segment ${analysis.path} in the repair list`);
  return {
    generationId: analysis.generationId,
    segmentId: analysis.segmentId,
    path: analysis.path,
    action,
    bytesBefore: analysis.fileBytes,
    bytesAfter: analysis.bytesAfter,
    recordsKept: analysis.recordsKept,
    spansKept: analysis.spansKept,
    recordsLost,
    spansLost,
    lostRecordsWithUnknownSpans,
    bytesLost: analysis.damage.reduce((total, stretch) => total + stretch.bytes, 0),
    damage: analysis.damage,
    brokenCopy,
  };
}
