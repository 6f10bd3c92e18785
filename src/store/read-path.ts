/**
 * The read path: index entry → segment pread → CRC check → decompress → trailer walk → slice →
 * (optionally) decode. Each record is read and decompressed at most once per call, however many
 * of the requested traces it serves.
 */
import { TRACE_ID_BYTES, SPAN_ID_BYTES } from '../constants.js';
import { TraceKvError, invalidArgument, segmentCorrupt } from '../errors.js';
import { BatchView } from '../batch/batch-view.js';
import { decodeCommon } from '../batch/common.js';
import { decodeSpanAt, rawSpanAt } from '../batch/decoder.js';
import { bytesToHex, parseSpanId, parseTraceId } from '../batch/ids.js';
import type { RawSpan, Resource, Scope, Span, SpanIdInput, TraceIdInput } from '../batch/types.js';
import { validateBatch } from '../batch/validate.js';
import { traceHash } from '../codec/trace-hash.js';
import { LocationList } from '../index/location-list.js';
import { decodeRecordBody } from '../segment/record-codec.js';
import { readRecordAt } from '../segment/segment-reader.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../constants.js';
import type { Generation, TimeBounds } from './generation.js';
import type { StoreState } from './store-state.js';

export interface ReadOptions {
  /** Only spans that start at or after this time. Also skips generations and chunks that cannot match. */
  startTimeUnixNano?: bigint;
  /** Only spans that start at or before this time. */
  endTimeUnixNano?: bigint;
  /** Return the stored record bytes instead of decoded spans. */
  raw?: boolean;
}

export interface Trace<S = Span> {
  traceId: string;
  spans: S[];
}

interface LoadedRecord {
  view: BatchView;
  common: { resource: Resource; scope: Scope } | null;
}

/** Stored batches were fully validated on append; the hard limits apply on read. */
const STORED_BATCH_LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };

function boundsOf(options: ReadOptions | undefined): TimeBounds | null {
  if (options === undefined) return null;
  const { startTimeUnixNano, endTimeUnixNano } = options;
  if (startTimeUnixNano === undefined && endTimeUnixNano === undefined) return null;
  for (const [name, value] of [['startTimeUnixNano', startTimeUnixNano], ['endTimeUnixNano', endTimeUnixNano]] as const) {
    if (value !== undefined && typeof value !== 'bigint') throw invalidArgument(`${name}: got ${typeof value}; want a bigint`);
  }
  const bounds = { startTimeUnixNano: startTimeUnixNano ?? 0n, endTimeUnixNano: endTimeUnixNano ?? (1n << 64n) - 1n };
  if (bounds.startTimeUnixNano > bounds.endTimeUnixNano) {
    throw invalidArgument(`startTimeUnixNano ${bounds.startTimeUnixNano} is after endTimeUnixNano ${bounds.endTimeUnixNano}`);
  }
  return bounds;
}

export class ReadPath {
  /** Shared by all calls: it is filled and copied out without an await in between. */
  private readonly locations = new LocationList();

  constructor(private readonly state: StoreState) {}

  async getTraces(traceIds: TraceIdInput[], options?: ReadOptions): Promise<(Trace<Span | RawSpan> | null)[]> {
    this.state.checkOpen();
    if (!Array.isArray(traceIds)) throw invalidArgument('getTraces(traceIds): want an array of trace ids');
    const bounds = boundsOf(options);
    const ids = traceIds.map((id, i) => {
      const bytes = new Uint8Array(TRACE_ID_BYTES);
      parseTraceId(id, bytes, 0, `traceIds[${i}]`);
      return bytes;
    });
    const cache = new Map<string, Promise<LoadedRecord>>();
    const results: (Trace<Span | RawSpan> | null)[] = [];
    for (const id of ids) results.push(await this.readTrace(id, bounds, options?.raw === true, null, cache));
    return results;
  }

  async getSpan(traceIdInput: TraceIdInput, spanIdInput: SpanIdInput): Promise<Span | null> {
    this.state.checkOpen();
    const traceId = new Uint8Array(TRACE_ID_BYTES);
    parseTraceId(traceIdInput, traceId, 0, 'traceId');
    const spanId = new Uint8Array(SPAN_ID_BYTES);
    parseSpanId(spanIdInput, spanId, 0, 'spanId');
    const trace = await this.readTrace(traceId, null, false, spanId, new Map());
    return trace === null ? null : (trace.spans[0] as Span);
  }

  /**
   * Every span of the trace (or the one span, when spanId is given), in storage order: generation,
   * then record, then trailer order.
   */
  private async readTrace(
    traceId: Uint8Array,
    bounds: TimeBounds | null,
    raw: boolean,
    spanId: Uint8Array | null,
    cache: Map<string, Promise<LoadedRecord>>,
  ): Promise<Trace<Span | RawSpan> | null> {
    // Per call, not shared: lookups of one trace span several awaits, and other calls run in between.
    const hashes = new Uint32Array(3);
    traceHash(traceId, 0, hashes);
    const spans: (Span | RawSpan)[] = [];
    for (const generation of [...this.state.generations]) {
      if (!generation.mayHold(bounds)) continue;
      const locations = this.locations;
      locations.clear();
      generation.lookup(traceId, hashes, bounds, locations);
      // Copy the hits out: the shared list is reused by the next lookup after the awaits below.
      const hits = [];
      for (let i = 0; i < locations.length; i++) {
        hits.push([locations.segmentIds[i]!, locations.fileOffsets[i]!, locations.recordLengths[i]!, locations.spanCounts[i]!] as const);
      }
      for (const [segmentId, fileOffset, recordLength, spanCount] of hits) {
        const key = `${generation.id}/${segmentId}/${fileOffset}`;
        let loading = cache.get(key);
        if (loading === undefined) {
          loading = this.loadRecord(generation, segmentId, fileOffset, recordLength);
          cache.set(key, loading);
        }
        const record = await loading;
        const found = this.collect(record, traceId, spanId, bounds, raw, spans);
        if (spanId === null && found !== spanCount) {
          const file = generation.segmentPath(segmentId);
          throw new TraceKvError(
            'ERR_INDEX_CORRUPT',
            `index entry for trace ${bytesToHex(traceId, 0, TRACE_ID_BYTES)} says ${spanCount} spans in ${file} at offset ${fileOffset}; got ${found}`,
            { file, offset: fileOffset },
          );
        }
        if (spanId !== null && spans.length > 0) return { traceId: bytesToHex(traceId, 0, TRACE_ID_BYTES), spans };
      }
    }
    return spans.length === 0 ? null : { traceId: bytesToHex(traceId, 0, TRACE_ID_BYTES), spans };
  }

  /** Appends the matching spans of one record; returns how many spans of the trace it holds. */
  private collect(
    record: LoadedRecord,
    traceId: Uint8Array,
    spanId: Uint8Array | null,
    bounds: TimeBounds | null,
    raw: boolean,
    out: (Span | RawSpan)[],
  ): number {
    const view = record.view;
    let found = 0;
    for (let i = 0; i < view.spanCount; i++) {
      if (!view.traceIdEquals(i, traceId, 0)) continue;
      found++;
      if (spanId !== null && !view.spanIdEquals(i, spanId, 0)) continue;
      if (bounds !== null) {
        const start = view.startTimeUnixNano(i);
        if (start < bounds.startTimeUnixNano || start > bounds.endTimeUnixNano) continue;
      }
      if (raw) {
        out.push(rawSpanAt(view, i));
      } else {
        record.common ??= decodeCommon(view.commonBytes());
        out.push(decodeSpanAt(view, i, record.common));
      }
    }
    return found;
  }

  private async loadRecord(generation: Generation, segmentId: number, fileOffset: number, recordLength: number): Promise<LoadedRecord> {
    const fs = this.state.fs;
    const file = generation.segmentPath(segmentId);
    const { header, body } = readRecordAt(fs, generation.readFd(segmentId), file, fileOffset, recordLength);
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
    return { view: new BatchView(batch, batchHeader), common: null };
  }
}
