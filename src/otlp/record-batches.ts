/**
 * What both OTLP transcoders (protobuf and JSON) do with the records they write: collect them into
 * batches, one or more per resource and scope group, and keep the partial-success account of the
 * spans they had to leave out. Also the one place that turns two u64 times into the record's
 * signed 64-bit difference.
 *
 * The transcoders write each span as a span record (data-format.md §2.5) into one reused buffer,
 * straight from the request's bytes; the batches they hand the store are version 2 (§2.7), which
 * ColumnarRecordEncoder builds from those records, column by column, without decoding a string.
 */
import { TRACE_ID_BYTES, SPAN_ID_BYTES, SPAN_RECORD_BYTES_MAX } from '../constants.js';
import { TraceKvError, assert } from '../errors.js';
import { ColumnarRecordEncoder, encodeCommon } from '../batch/index.js';
import { MsgpackWriter } from '../batch/msgpack-writer.js';
import type { TranscodeLimits, TranscodeResult } from './transcode-types.js';

export class RecordBatches {
  /** Where the span being transcoded is written, as a span record: one buffer, reused for every span. */
  readonly record = new MsgpackWriter();
  /** The common section of the group being transcoded. */
  readonly common = new MsgpackWriter();
  /** Trace id at 0, span id at 16: the span's ids, for the batch's run table and span ids. */
  readonly ids = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES);
  /** The first reason the group or span being written cannot be stored; '' while it can. */
  problem = '';
  /**
   * Set by endSpan() when the span's batch filled after its attributes went straight into it:
   * the batch is finished, and the transcoder writes the span again (startSpan first) into the next.
   */
  retrySpan = false;
  private wroteAttributes = false;
  private readonly encoder: ColumnarRecordEncoder;
  private batches: Uint8Array[] = [];
  private spans = 0;
  private rejectedSpans = 0;
  private errorMessage = '';
  private groupProblem = '';

  constructor(private readonly limits: TranscodeLimits) {
    // Its common section is replaced by each group's before any span is added.
    this.encoder = new ColumnarRecordEncoder({ common: encodeCommon({}, undefined), batchBytesMax: limits.batchBytesMax, batchSpansMax: limits.batchSpansMax });
  }

  /** Starts a request. */
  reset(): void {
    this.batches = [];
    this.spans = 0;
    this.rejectedSpans = 0;
    this.errorMessage = '';
    this.problem = '';
    this.encoder.reset();
  }

  /** Notes why the current group or span cannot be stored (the first reason counts). */
  reject(message: string): void {
    if (this.problem === '') this.problem = message;
  }

  /** Starts a group whose common section is in `this.common` (and whose problem, if any, in `problem`). */
  startGroup(spanCount: number): void {
    if (this.problem === '' && spanCount > 0) {
      try {
        // The encoder keeps a reference: the section must outlive this writer's next group.
        this.encoder.replaceCommon(this.common.bytes.slice(0, this.common.length));
      } catch (error) {
        if (!(error instanceof TraceKvError)) throw error;
        this.reject(error.message);
      }
    }
    this.groupProblem = this.problem;
  }

  /**
   * Starts a span, written into `this.record` from its start (and its attributes, if the
   * transcoder likes, straight into the batch: stringAttribute, recordAttributes); its problems
   * start as its group's.
   */
  startSpan(): void {
    this.problem = this.groupProblem;
    this.record.reset();
    this.retrySpan = false;
    this.wroteAttributes = false;
    if (this.encoder.openSpan()) return;
    // The batch holds batchSpansMax spans: it goes, and this span starts the next.
    this.batches.push(this.encoder.finish());
    const opened = this.encoder.openSpan();
    assert(opened, 'openSpan on an empty batch');
  }

  /** The span's name as UTF-8 in `source`: before stringAttribute or recordAttributes, when either is used. */
  spanName(source: Uint8Array, start: number, end: number): void {
    this.encoder.spanName(source, start, end);
  }

  /** An attribute of the span with a string value, its key and value as UTF-8 in `source` (checked, or the span rejected). */
  stringAttribute(source: Uint8Array, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    this.wroteAttributes = true;
    this.encoder.stringAttribute(source, keyStart, keyEnd, valueStart, valueEnd);
  }

  /** Attributes of the span as `count` msgpack key and AnyValue pairs (§2.5) in `source[start, end)`. */
  recordAttributes(source: Uint8Array, start: number, end: number, count: number): void {
    this.wroteAttributes = true;
    this.encoder.recordAttributes(source, start, end, count);
  }

  /** Ends a span whose record was written into `this.record` and ids into `this.ids`: adds it, or counts it rejected. */
  endSpan(startLo: number, startHi: number): void {
    const encoder = this.encoder;
    const record = this.record;
    const length = record.length;
    if (this.problem === '' && length > SPAN_RECORD_BYTES_MAX) this.reject(`encoded record got ${length} bytes; want ≤ ${SPAN_RECORD_BYTES_MAX}`);
    if (this.problem !== '') {
      encoder.abandonSpan();
      this.rejectSpan(this.problem);
      return;
    }
    if (!encoder.tryAddRecord(record.bytes, 0, length, this.ids, startLo, startHi)) {
      // The batch is full: it goes, and the span starts the next. Attributes written straight
      // into the batch went with the row, so the transcoder writes that span again (retrySpan);
      // a record alone is added again here. A span that does not fit an empty batch is left out.
      const full = encoder.spanCount > 0;
      if (full) this.batches.push(encoder.finish());
      if (full && this.wroteAttributes) {
        this.retrySpan = true;
        return;
      }
      if (!full || !encoder.tryAddRecord(record.bytes, 0, length, this.ids, startLo, startHi)) {
        this.rejectSpan(`encoded span of ${length} bytes and its attributes do not fit a batch of batchBytesMax ${this.limits.batchBytesMax}`);
        return;
      }
    }
    this.spans++;
  }

  endGroup(): void {
    if (this.encoder.spanCount > 0) this.batches.push(this.encoder.finish());
    this.problem = '';
  }

  result(): TranscodeResult {
    const result: TranscodeResult = { batches: this.batches, spans: this.spans, rejectedSpans: this.rejectedSpans, errorMessage: this.errorMessage };
    this.batches = [];
    return result;
  }

  private rejectSpan(message: string): void {
    this.rejectedSpans++;
    if (this.errorMessage === '') this.errorMessage = `span ${this.spans + this.rejectedSpans - 1} of the request: ${message}`;
  }
}

/**
 * Writes `end − start` of two u64 times given as halves, as the record's signed 64-bit int (§2.5);
 * returns false, writing 0, when the difference does not fit an int64.
 */
export function writeTimeDifference(w: MsgpackWriter, endLo: number, endHi: number, startLo: number, startHi: number): boolean {
  const lo = (endLo - startLo) >>> 0;
  const borrow = endLo < startLo ? 1 : 0;
  const hi = (endHi - startHi - borrow) >>> 0;
  const negative = endHi < startHi || (endHi === startHi && endLo < startLo);
  // The two's-complement result has its sign bit set exactly when the true difference is negative, unless it left int64.
  if (hi >= 0x8000_0000 !== negative) {
    w.uint32(0);
    return false;
  }
  w.compactInt64(lo, hi);
  return true;
}

/**
 * Writes a msgpack array whose trailing default fields are cut, as the encoder writes records and
 * common sections (§2.4, §2.5): after each field the writer says whether it held its default.
 */
export class Fields {
  private w!: MsgpackWriter;
  private mark = 0;
  private kept = 0;
  private keptEnd = 0;

  /** Starts an array in `w`; one Fields serves array after array. */
  start(w: MsgpackWriter): this {
    this.w = w;
    this.mark = w.beginArray();
    this.kept = 0;
    this.keptEnd = w.length;
    return this;
  }

  /** Call right after writing field `index`. */
  keep(index: number, isDefault: boolean): void {
    if (isDefault) return;
    this.kept = index + 1;
    this.keptEnd = this.w.length;
  }

  end(): void {
    this.w.truncate(this.keptEnd);
    this.w.endArray(this.mark, this.kept);
  }
}
