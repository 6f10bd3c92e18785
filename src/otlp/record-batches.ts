/**
 * What both OTLP transcoders (protobuf and JSON) do with the records they write: collect them into
 * batches, one or more per resource and scope group, and keep the partial-success account of the
 * spans they had to leave out. Also the one place that turns two u64 times into the record's
 * signed 64-bit difference.
 */
import { TRACE_ID_BYTES, SPAN_ID_BYTES, SPAN_RECORD_BYTES_MAX } from '../constants.js';
import { TraceKvError } from '../errors.js';
import { BatchEncoder } from '../batch/index.js';
import { MsgpackWriter } from '../batch/msgpack-writer.js';
import type { TranscodeLimits, TranscodeResult } from './transcode-types.js';

export class RecordBatches {
  /** Where the span being transcoded is written: its batch's own records, in place (BatchEncoder.beginRecord). */
  record: MsgpackWriter;
  /** The common section of the group being transcoded. */
  readonly common = new MsgpackWriter();
  /** Trace id at 0, span id at 16: what addRecord copies into the trailer entry. */
  readonly ids = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES);
  /** The first reason the group or span being written cannot be stored; '' while it can. */
  problem = '';
  private readonly encoder: BatchEncoder;
  private batches: Uint8Array[] = [];
  private spans = 0;
  private rejectedSpans = 0;
  private errorMessage = '';
  private groupProblem = '';

  constructor(private readonly limits: TranscodeLimits) {
    // Its common section is replaced by each group's before any span is added.
    this.encoder = new BatchEncoder({ resource: {}, batchBytesMax: limits.batchBytesMax, batchSpansMax: limits.batchSpansMax });
    // The encoder's records writer: the same object for every span, which startSpan() opens a record in.
    this.record = this.encoder.beginRecord();
    this.encoder.abandonRecord();
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
    if (this.problem === '' && this.common.length > SPAN_RECORD_BYTES_MAX) {
      this.reject(`resource and scope: encoded size got ${this.common.length} bytes; want ≤ ${SPAN_RECORD_BYTES_MAX}`);
    }
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

  /** Starts a span, written into `this.record` from its current length: its problems start as its group's. */
  startSpan(): void {
    this.problem = this.groupProblem;
    this.record = this.encoder.beginRecord();
  }

  /** Ends a span whose record was written into `this.record` and ids into `this.ids`: adds it, or counts it rejected. */
  endSpan(startLo: number, startHi: number): void {
    const encoder = this.encoder;
    const length = encoder.openRecordLength;
    if (this.problem === '' && length > SPAN_RECORD_BYTES_MAX) this.reject(`encoded record got ${length} bytes; want ≤ ${SPAN_RECORD_BYTES_MAX}`);
    if (this.problem !== '') {
      encoder.abandonRecord();
      this.rejectSpan(this.problem);
      return;
    }
    if (!encoder.tryEndRecord(this.ids, startLo, startHi)) {
      // The batch is full: finish() keeps the open record as the first of the next one. A record
      // that does not fit an empty batch either is left out.
      if (encoder.spanCount > 0) this.batches.push(encoder.finish());
      if (!encoder.tryEndRecord(this.ids, startLo, startHi)) {
        encoder.abandonRecord();
        this.rejectSpan(`encoded record of ${length} bytes does not fit a batch of batchBytesMax ${this.limits.batchBytesMax}`);
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
