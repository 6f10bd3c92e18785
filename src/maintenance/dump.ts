/**
 * Every span of a store, straight from the segment files (data-format.md §3), for `tracekv dump`:
 * no index is loaded, no lock taken, nothing written, so it runs beside a live writer.
 *
 * What is dumped is the store as it was when the dump started: the segment list and each
 * segment's size are read once (readStoreLayout), and bytes appended later are not read. A record
 * cut off at that size (a writer mid-append) is a torn tail of the generation's last segment, and
 * the walk stops there, as recovery would (§3.4, §5.5); damage anywhere else fails with
 * ERR_SEGMENT_CORRUPT. Each record is read once and decompressed once, and only the spans that
 * pass the filter are decoded; a record whose [minStart, maxStart] misses the time filter is not
 * even decompressed.
 *
 * Memory stays bounded: the record cursor is pulled for slices of about DUMP_SLICE_BODY_BYTES of
 * bodies, each handed over before the next is read, and at most RECORD_LOADS_IN_FLIGHT_MAX records
 * are decompressed at once.
 */
import type { BatchView } from '../batch/batch-view.js';
import { decodeCommon } from '../batch/common.js';
import { decodeSpanAt } from '../batch/decoder.js';
import { decodeColumnarCommon, decodeColumnarRun } from '../batch/columnar-decoder.js';
import type { ColumnarView } from '../batch/columnar-view.js';
import type { Span } from '../batch/types.js';
import { u64Hi, u64Lo } from '../codec/little-endian.js';
import { DUMP_SLICE_BODY_BYTES, RECORD_LOADS_IN_FLIGHT_MAX, UNIX_NANO_MAX } from '../constants.js';
import { segmentCorrupt, TraceKvError } from '../errors.js';
import { nodeFileLayer, type FileLayer } from '../io/file-layer.js';
import { describeDamage, RecordCursor, type CursorRecord } from '../segment/record-cursor.js';
import type { RecordHeader } from '../segment/record-header.js';
import { loadStoredBatch } from '../segment/stored-batch.js';
import { readStoreLayout, type SegmentFile } from '../store/store-layout.js';

export interface SpanFilter {
  /** Lowercase hex, 32 characters. */
  traceId?: string;
  /** Inclusive bounds on the span's start time. */
  sinceUnixNano?: bigint;
  untilUnixNano?: bigint;
}

export interface TornTail {
  file: string;
  offset: number;
  bytes: number;
}

export interface DumpReport {
  generations: number;
  segments: number;
  /** Records read; recordsSkipped of them were not decompressed (outside the time filter). */
  records: number;
  recordsSkipped: number;
  /** Spans handed to the sink (those that passed the filter). */
  spans: number;
  /** Segment bytes read, up to each segment's size at the start. */
  bytes: number;
  /** Where a last segment ended in an incomplete record (normal beside a live writer). */
  tornTails: TornTail[];
}

export interface DumpOptions {
  filter?: SpanFilter;
  fileLayer?: FileLayer;
  /** Called with the segment bytes done so far, after each slice. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/** One record's spans that passed the filter, in storage order; awaited before the next. */
export type SpanSink = (spans: Span[]) => void | Promise<void>;

/** Checks a filter once, in the forms the per-span tests need (bytes, u32 halves). */
class CompiledFilter {
  readonly traceId: Uint8Array | null;
  readonly since: bigint;
  readonly until: bigint;
  private readonly halves: [number, number, number, number];

  constructor(filter: SpanFilter) {
    this.traceId = filter.traceId === undefined ? null : Buffer.from(filter.traceId, 'hex');
    if (this.traceId !== null && this.traceId.length !== 16) {
      throw new TraceKvError('ERR_INVALID_ARGUMENT', `dump filter traceId got "${filter.traceId}"; want 32 hex characters`);
    }
    this.since = filter.sinceUnixNano ?? 0n;
    this.until = filter.untilUnixNano ?? UNIX_NANO_MAX;
    this.halves = [u64Hi(this.since), u64Lo(this.since), u64Hi(this.until), u64Lo(this.until)];
  }

  get hasTime(): boolean {
    return this.since > 0n || this.until < UNIX_NANO_MAX;
  }

  recordMayMatch(header: RecordHeader): boolean {
    return header.maxStartTimeUnixNano >= this.since && header.minStartTimeUnixNano <= this.until;
  }

  spanMatches(view: BatchView, i: number): boolean {
    if (this.traceId !== null && !view.traceIdEquals(i, this.traceId, 0)) return false;
    return !this.hasTime || view.startTimeInRange(i, ...this.halves);
  }

  /** Version 2: whether run `run` is of the filtered trace (every run is, without one). */
  runMatches(view: ColumnarView, run: number): boolean {
    return this.traceId === null || view.runTraceIdEquals(run, this.traceId, 0);
  }

  rowMatches(view: ColumnarView, row: number): boolean {
    return !this.hasTime || view.startTimeInRange(row, ...this.halves);
  }
}

/**
 * Hands every span of the store in `dir` that passes `options.filter` to `sink`, record by
 * record, generations and segments in id order. Resolves with what was read.
 */
export async function dumpSpans(dir: string, sink: SpanSink, options: DumpOptions = {}): Promise<DumpReport> {
  const fs = options.fileLayer ?? nodeFileLayer;
  const filter = new CompiledFilter(options.filter ?? {});
  const layout = readStoreLayout(dir, fs);
  const report: DumpReport = { generations: layout.generations.length, segments: 0, records: 0, recordsSkipped: 0, spans: 0, bytes: 0, tornTails: [] };
  const bytesTotal = layout.generations.reduce((sum, g) => sum + g.segments.reduce((n, s) => n + s.bytes, 0), 0);
  let bytesBefore = 0;
  for (const generation of layout.generations) {
    for (const [k, segment] of generation.segments.entries()) {
      const isLastSegment = k === generation.segments.length - 1;
      await dumpSegment(fs, segment, isLastSegment, filter, sink, report, (bytes) => options.onProgress?.(bytesBefore + bytes, bytesTotal));
      report.segments++;
      bytesBefore += segment.bytes;
    }
  }
  report.bytes = bytesBefore;
  return report;
}

/** A view of the file layer where `size` never passes the size seen at the start of the dump. */
function sizeCappedLayer(fs: FileLayer, bytesMax: number): FileLayer {
  // Inherits every other method, whether the layer is a plain object or a class instance.
  const capped = Object.create(fs) as FileLayer;
  capped.size = (fd) => Math.min(fs.size(fd), bytesMax);
  return capped;
}

async function dumpSegment(
  baseLayer: FileLayer,
  segment: SegmentFile,
  isLastSegment: boolean,
  filter: CompiledFilter,
  sink: SpanSink,
  report: DumpReport,
  onProgress: (bytes: number) => void,
): Promise<void> {
  const segmentFile = RecordCursor.open(sizeCappedLayer(baseLayer, segment.bytes), segment.path, { isLastSegment, bodies: true });
  try {
    if (segmentFile.tornCreation) {
      // The last segment was being created: nothing in it was acknowledged. An empty one is no tail.
      if (segmentFile.fileSize > 0) report.tornTails.push({ file: segment.path, offset: 0, bytes: segmentFile.fileSize });
    } else {
      if (segmentFile.segmentHeader === null) throw segmentCorrupt(segment.path, 0, segmentFile.segmentHeaderProblem!);
      // One cursor for the whole segment, pulled a slice at a time as the sink keeps up.
      for (;;) {
        const slice = nextSlice(segment.path, segmentFile, report);
        if (slice.length === 0) break;
        await emitSlice(segment.path, slice, filter, sink, report);
        const last = slice[slice.length - 1]!;
        onProgress(last.fileOffset + last.recordLength);
      }
    }
  } finally {
    segmentFile.close();
  }
  onProgress(segment.bytes);
}

/**
 * The next records, up to about DUMP_SLICE_BODY_BYTES of bodies; none at the end of the segment.
 * A torn tail ends the segment (reported); any other damage fails the dump before the slice it
 * falls in is handed over, as the first invalid record always has.
 */
function nextSlice(path: string, segmentFile: RecordCursor, report: DumpReport): CursorRecord[] {
  const slice: CursorRecord[] = [];
  let sliceBytes = 0;
  while (sliceBytes < DUMP_SLICE_BODY_BYTES) {
    const item = segmentFile.next();
    if (item === null) break;
    if (item.kind === 'damage') {
      if (!item.torn) throw segmentCorrupt(path, item.fileOffset, describeDamage(item));
      report.tornTails.push({ file: path, offset: item.fileOffset, bytes: item.bytes });
      break;
    }
    slice.push(item);
    sliceBytes += item.body!.length;
  }
  return slice;
}

/** Decompresses up to RECORD_LOADS_IN_FLIGHT_MAX records ahead, and hands their spans over in order. */
async function emitSlice(path: string, slice: CursorRecord[], filter: CompiledFilter, sink: SpanSink, report: DumpReport): Promise<void> {
  const pending: Promise<Span[]>[] = [];
  const drainOne = async () => {
    const spans = await pending.shift()!;
    report.spans += spans.length;
    if (spans.length > 0) await sink(spans);
  };
  for (const record of slice) {
    report.records++;
    if (!filter.recordMayMatch(record.header)) {
      report.recordsSkipped++;
      continue;
    }
    const decoding = decodeRecordSpans(path, record, filter);
    // Handled when its turn comes; this keeps a failure while an earlier one is awaited from
    // counting as unhandled.
    decoding.catch(() => {});
    pending.push(decoding);
    if (pending.length >= RECORD_LOADS_IN_FLIGHT_MAX) await drainOne();
  }
  while (pending.length > 0) await drainOne();
}

async function decodeRecordSpans(path: string, record: CursorRecord, filter: CompiledFilter): Promise<Span[]> {
  // The batch CRC too, as dump always has: a maintenance read checks everything it reads.
  const view = await loadStoredBatch(record.header, record.body!, path, record.fileOffset, { bodyCrcChecked: true, batchCrc: true });
  if (view.version === 2) return decodeMatchingRuns(view, filter);
  const common = decodeCommon(view.commonBytes());
  const spans: Span[] = [];
  for (let i = 0; i < view.spanCount; i++) {
    if (filter.spanMatches(view, i)) spans.push(decodeSpanAt(view, i, common));
  }
  return spans;
}

/** Version 2: only the runs of the filtered trace (all runs without one) are decoded; rows then pass the time filter. */
function decodeMatchingRuns(view: ColumnarView, filter: CompiledFilter): Span[] {
  const common = decodeColumnarCommon(view);
  const spans: Span[] = [];
  for (let run = 0; run < view.runCount; run++) {
    if (!filter.runMatches(view, run)) continue;
    const first = view.runFirstRow(run);
    const rows = decodeColumnarRun(view, common, run);
    for (let k = 0; k < rows.length; k++) if (filter.rowMatches(view, first + k)) spans.push(rows[k]!);
  }
  return spans;
}
