/**
 * Every span of a store, straight from the segment files (data-format.md §3), for `tracekv dump`:
 * no index is loaded, no lock taken, nothing written, so it runs beside a live writer.
 *
 * What is dumped is the store as it was when the dump started: the segment list and each
 * segment's size are read once (readStoreLayout), and bytes appended later are not read. A record
 * cut off at that size (a writer mid-append) is a torn tail of the generation's last segment, and
 * the scan stops there, as recovery would (§5.5); damage anywhere else fails with
 * ERR_SEGMENT_CORRUPT. Each record is read once and decompressed once, and only the spans that
 * pass the filter are decoded; a record whose [minStart, maxStart] misses the time filter is not
 * even decompressed.
 *
 * Memory stays bounded: records are scanned in slices of about DUMP_SLICE_BODY_BYTES, and at most
 * RECORD_LOADS_IN_FLIGHT_MAX of them are decompressed at once.
 */
import type { BatchView } from '../batch/batch-view.js';
import { decodeCommon } from '../batch/common.js';
import { decodeSpanAt, openBatch } from '../batch/decoder.js';
import type { Span } from '../batch/types.js';
import { u64Hi, u64Lo } from '../codec/little-endian.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT, DUMP_SLICE_BODY_BYTES, RECORD_LOADS_IN_FLIGHT_MAX, UNIX_NANO_MAX } from '../constants.js';
import { segmentCorrupt, TraceKvError } from '../errors.js';
import { nodeFileLayer, type FileLayer } from '../io/file-layer.js';
import { decodeRecordBody } from '../segment/record-codec.js';
import { scanSegment, type ScannedRecord, type ScanResult } from '../segment/segment-scan.js';
import { readStoreLayout, type SegmentFile } from '../store/store-layout.js';

/** Stored batches were validated against at most the hard limits when appended. */
const STORED_BATCH_LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };

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

/** Thrown from onRecord to end a scan slice; scanSegment lets onRecord's errors through. */
class SlicePause {}

interface ScannedBody {
  record: ScannedRecord;
  body: Uint8Array;
}

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

  recordMayMatch(record: ScannedRecord): boolean {
    return record.header.maxStartTimeUnixNano >= this.since && record.header.minStartTimeUnixNano <= this.until;
  }

  spanMatches(view: BatchView, i: number): boolean {
    if (this.traceId !== null && !view.traceIdEquals(i, this.traceId, 0)) return false;
    return !this.hasTime || view.startTimeInRange(i, ...this.halves);
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
  const fs = sizeCappedLayer(baseLayer, segment.bytes);
  let fromOffset = 0;
  for (;;) {
    const slice: ScannedBody[] = [];
    let sliceBytes = 0;
    let nextOffset = -1;
    let result: ScanResult | undefined;
    try {
      result = scanSegment(fs, segment.path, {
        fromOffset,
        isLastSegment,
        onRecord: (record, body) => {
          slice.push({ record, body });
          sliceBytes += body.length;
          if (sliceBytes >= DUMP_SLICE_BODY_BYTES) {
            nextOffset = record.fileOffset + record.recordLength;
            throw new SlicePause();
          }
        },
      });
    } catch (error) {
      if (!(error instanceof SlicePause)) throw error;
    }
    await emitSlice(segment.path, slice, filter, sink, report);
    if (result !== undefined) {
      if (result.tornBytes > 0) report.tornTails.push({ file: segment.path, offset: result.endOffset, bytes: result.tornBytes });
      onProgress(segment.bytes);
      return;
    }
    onProgress(nextOffset);
    fromOffset = nextOffset;
  }
}

/** Decompresses up to RECORD_LOADS_IN_FLIGHT_MAX records ahead, and hands their spans over in order. */
async function emitSlice(path: string, slice: ScannedBody[], filter: CompiledFilter, sink: SpanSink, report: DumpReport): Promise<void> {
  const pending: Promise<Span[]>[] = [];
  const drainOne = async () => {
    const spans = await pending.shift()!;
    report.spans += spans.length;
    if (spans.length > 0) await sink(spans);
  };
  for (const { record, body } of slice) {
    report.records++;
    if (!filter.recordMayMatch(record)) {
      report.recordsSkipped++;
      continue;
    }
    const decoding = decodeRecordSpans(path, record, body, filter);
    // Handled when its turn comes; this keeps a failure while an earlier one is awaited from
    // counting as unhandled.
    decoding.catch(() => {});
    pending.push(decoding);
    if (pending.length >= RECORD_LOADS_IN_FLIGHT_MAX) await drainOne();
  }
  while (pending.length > 0) await drainOne();
}

async function decodeRecordSpans(path: string, record: ScannedRecord, body: Uint8Array, filter: CompiledFilter): Promise<Span[]> {
  const batch = await decodeRecordBody(record.header, body, path, record.fileOffset);
  let view;
  try {
    view = openBatch(batch, STORED_BATCH_LIMITS);
  } catch (error) {
    throw segmentCorrupt(path, record.fileOffset, `stored batch is invalid: ${(error as Error).message}`);
  }
  if (view.spanCount !== record.header.spanCount) {
    throw segmentCorrupt(path, record.fileOffset, `record says ${record.header.spanCount} spans; its batch holds ${view.spanCount}`);
  }
  const common = decodeCommon(view.commonBytes());
  const spans: Span[] = [];
  for (let i = 0; i < view.spanCount; i++) {
    if (filter.spanMatches(view, i)) spans.push(decodeSpanAt(view, i, common));
  }
  return spans;
}
