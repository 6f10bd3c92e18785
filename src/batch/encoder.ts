/**
 * BatchEncoder: the client side of data-format.md §2. Each add() serializes one span record into
 * a growable spans buffer and writes its trailer entry into a growable trailer buffer in the same
 * step, so finish() only concatenates: there is no second pass over spans.
 *
 * Every add() is all-or-nothing: the span is encoded and its ids parsed into scratch space, and
 * only when every check (input, then size limits) has passed is anything copied into the batch.
 * A rejected span, whether bad input or ERR_BATCH_TOO_LARGE, leaves the encoder exactly as it was,
 * so the caller can finish() the batch and add the span to the next one.
 */
import {
  BATCH_BYTES_LIMIT,
  BATCH_BYTES_MAX_DEFAULT,
  BATCH_END_MAGIC,
  BATCH_FOOTER_BYTES,
  BATCH_HEADER_BYTES,
  BATCH_SPANS_LIMIT,
  BATCH_SPANS_MAX_DEFAULT,
  SPAN_ID_BYTES,
  SPAN_RECORD_BYTES_MAX,
  TRACE_ID_BYTES,
  TRAILER_ENTRY_BYTES,
} from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { assert, invalidArgument, invalidOption, TraceKvError } from '../errors.js';
import { checkKnownOptions } from '../known-keys.js';
import type { ResourceInput, ScopeInput, SpanIdInput, SpanInput, TraceIdInput } from './types.js';
import { encodeCommon } from './common.js';
import { writeBatchHeader } from './header.js';
import { parseSpanId, parseTraceId } from './ids.js';
import { checkObject, checkUnixNano, describe, fail } from './input-checks.js';
import { ENCODER_OPTION_KEYS } from './input-keys.js';
import { u64Below, u64Hi, u64Lo, writeU32LE } from '../codec/little-endian.js';
import { packSpanRecord } from './span-codec.js';
import { copyBytes } from './byte-stream.js';
import { MsgpackWriter } from './msgpack-writer.js';
import { TRAILER_OFFSET } from './validate.js';

import { BATCH_BYTES_MIN } from '../constants.js';
export { BATCH_BYTES_MIN };
/** Starting size of the spans buffer: ~200 typical spans before the first doubling. */
const SPANS_BUFFER_BYTES_INITIAL = 64 * 1024;
/** Starting size of the trailer buffer, in entries. */
const TRAILER_ENTRIES_INITIAL = 256;

/** Field names for error messages, fixed strings so a good span builds none. */
interface TrailerFieldNames {
  traceId: string;
  spanId: string;
  startTimeUnixNano: string;
}
const SPAN_FIELDS: TrailerFieldNames = { traceId: 'span.traceId', spanId: 'span.spanId', startTimeUnixNano: 'span.startTimeUnixNano' };
const ADD_RAW_FIELDS: TrailerFieldNames = { traceId: 'addRaw.traceId', spanId: 'addRaw.spanId', startTimeUnixNano: 'addRaw.startTimeUnixNano' };

export interface BatchEncoderOptions {
  resource: ResourceInput;
  scope?: ScopeInput;
  /** Largest batch finish() may return, in bytes. Default BATCH_BYTES_MAX_DEFAULT. */
  batchBytesMax?: number;
  /** Most spans in one batch. Default BATCH_SPANS_MAX_DEFAULT. */
  batchSpansMax?: number;
}

export class BatchEncoder {
  private common: Uint8Array;
  private readonly batchBytesMax: number;
  private readonly batchSpansMax: number;
  /** The span records, back to back: [0, spansLength). */
  private readonly spans = new MsgpackWriter(SPANS_BUFFER_BYTES_INITIAL);
  private spansLength = 0;
  private trailer: Uint8Array;
  private count = 0;
  /** The smallest and largest start times so far, as u64 halves, so that a span costs no bigint. */
  private minStartHi = 0;
  private minStartLo = 0;
  private maxStartHi = 0;
  private maxStartLo = 0;
  /** The next trailer entry's traceId and spanId, parsed here first so a bad id changes nothing. */
  private readonly ids = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES);

  constructor(options: BatchEncoderOptions) {
    ({ batchBytesMax: this.batchBytesMax, batchSpansMax: this.batchSpansMax, common: this.common } = resolveEncoderOptions(options));
    this.checkCommonFits();
    this.trailer = new Uint8Array(Math.min(TRAILER_ENTRIES_INITIAL, this.batchSpansMax) * TRAILER_ENTRY_BYTES);
  }

  get spanCount(): number {
    return this.count;
  }

  /** The exact length finish() would return now. */
  get byteLength(): number {
    return this.emptyByteLength() + this.spansLength + this.count * TRAILER_ENTRY_BYTES;
  }

  /**
   * Validates and adds one span. Throws ERR_INVALID_ARGUMENT for a bad span, and
   * ERR_BATCH_TOO_LARGE when the span does not fit: finish() this batch and add it to the next.
   */
  add(span: SpanInput): void {
    checkObject(span, 'span');
    // The record is in msgpackr's transient buffer; append() copies it before anything else packs.
    const record = packSpanRecord(span);
    this.append(span.traceId, span.spanId, span.startTimeUnixNano, record, SPAN_FIELDS);
  }

  /** Adds an already-encoded span record (opaque bytes, ≥ 1) with its trailer fields. */
  addRaw(traceId: TraceIdInput, spanId: SpanIdInput, startTimeUnixNano: bigint, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array) || bytes.length < 1 || bytes.length > SPAN_RECORD_BYTES_MAX) {
      fail('addRaw bytes', bytes, `a Uint8Array of 1..${SPAN_RECORD_BYTES_MAX} bytes`);
    }
    this.append(traceId, spanId, startTimeUnixNano, bytes, ADD_RAW_FIELDS);
  }

  /** Returns the batch (a new array the caller owns) and resets the encoder for the next one. */
  finish(): Uint8Array {
    if (this.count === 0) throw invalidArgument('finish: got a batch of 0 spans; want ≥ 1 (add a span first)');
    const total = this.byteLength;
    // Every byte is written below (the assert at the end counts them), so the buffer is not zeroed
    // first: a memset of the whole batch was 1% of the OTLP receiver's thread. Its own memory, never
    // a slice of Node's shared pool, so the caller may transfer it.
    const batch = new Uint8Array(Buffer.allocUnsafeSlow(total).buffer, 0, total);
    const trailerLength = this.count * TRAILER_ENTRY_BYTES;
    writeBatchHeader(batch, {
      spanCount: this.count,
      commonLength: this.common.length,
      spansLength: this.spansLength,
      trailerLength,
      minStartTimeUnixNano: (BigInt(this.minStartHi) << 32n) | BigInt(this.minStartLo),
      maxStartTimeUnixNano: (BigInt(this.maxStartHi) << 32n) | BigInt(this.maxStartLo),
    });
    let at = BATCH_HEADER_BYTES;
    batch.set(this.common, at);
    at += this.common.length;
    batch.set(this.spans.bytes.subarray(0, this.spansLength), at);
    at += this.spansLength;
    batch.set(this.trailer.subarray(0, trailerLength), at);
    at += trailerLength;
    writeU32LE(batch, at, crc32c(batch, 0, at));
    writeU32LE(batch, at + 4, BATCH_END_MAGIC);
    assert(at + BATCH_FOOTER_BYTES === total, `batch assembled to ${at + BATCH_FOOTER_BYTES} bytes; want ${total}`);
    this.reset();
    return batch;
  }

  /** Drops the spans added so far. Buffers keep their capacity for the next batch. */
  reset(): void {
    this.count = 0;
    this.spansLength = 0;
    this.spans.reset();
  }

  private checkCommonFits(): void {
    const smallest = this.emptyByteLength() + TRAILER_ENTRY_BYTES + 1;
    if (smallest > this.batchBytesMax) {
      throw invalidArgument(
        `resource and scope: encoded common section got ${this.common.length} bytes; want a size that leaves room for one span within batchBytesMax ${this.batchBytesMax}`,
      );
    }
  }

  private emptyByteLength(): number {
    return BATCH_HEADER_BYTES + this.common.length + BATCH_FOOTER_BYTES;
  }

  /** Checks, then commits: nothing the batch holds changes before the last check has passed. */
  private append(traceId: TraceIdInput, spanId: SpanIdInput, start: bigint, record: Uint8Array, names: TrailerFieldNames): void {
    checkUnixNano(start, names.startTimeUnixNano);
    parseTraceId(traceId, this.ids, TRAILER_OFFSET.traceId, names.traceId);
    parseSpanId(spanId, this.ids, TRAILER_OFFSET.spanId, names.spanId);
    this.checkFits(record.length);
    this.commit(this.ids, record, record.length, u64Lo(start), u64Hi(start));
  }

  /** Copies one checked record and its trailer entry into the batch. */
  private commit(ids: Uint8Array, record: Uint8Array, recordLength: number, startLo: number, startHi: number): void {
    const spans = this.spans;
    spans.ensure(recordLength);
    copyBytes(record, 0, recordLength, spans.bytes, spans.length);
    spans.length += recordLength;
    this.addTrailerEntry(ids, recordLength, startLo, startHi);
  }

  /** Writes the trailer entry of the record at spansLength (already in the spans buffer) and counts it in. */
  private addTrailerEntry(ids: Uint8Array, recordLength: number, startLo: number, startHi: number): void {
    const entry = this.count * TRAILER_ENTRY_BYTES;
    this.trailer = grown(this.trailer, entry + TRAILER_ENTRY_BYTES, this.batchSpansMax * TRAILER_ENTRY_BYTES);
    copyBytes(ids, 0, TRACE_ID_BYTES + SPAN_ID_BYTES, this.trailer, entry);
    writeU32LE(this.trailer, entry + TRAILER_OFFSET.offset, this.spansLength);
    writeU32LE(this.trailer, entry + TRAILER_OFFSET.length, recordLength);
    writeU32LE(this.trailer, entry + TRAILER_OFFSET.startTimeUnixNano, startLo);
    writeU32LE(this.trailer, entry + TRAILER_OFFSET.startTimeUnixNano + 4, startHi);
    if (this.count === 0 || u64Below(startHi, startLo, this.minStartHi, this.minStartLo)) {
      this.minStartHi = startHi;
      this.minStartLo = startLo;
    }
    if (this.count === 0 || u64Below(this.maxStartHi, this.maxStartLo, startHi, startLo)) {
      this.maxStartHi = startHi;
      this.maxStartLo = startLo;
    }
    this.spansLength += recordLength;
    this.count++;
  }

  private fits(recordLength: number): boolean {
    return this.count + 1 <= this.batchSpansMax && this.byteLength + recordLength + TRAILER_ENTRY_BYTES <= this.batchBytesMax;
  }

  private checkFits(recordLength: number): void {
    if (this.fits(recordLength)) return;
    if (this.count + 1 > this.batchSpansMax) {
      throw new TraceKvError(
        'ERR_BATCH_TOO_LARGE',
        `batch spanCount got ${this.count + 1} with this span; want ≤ batchSpansMax ${this.batchSpansMax} (finish this batch and start another)`,
      );
    }
    const after = this.byteLength + recordLength + TRAILER_ENTRY_BYTES;
    if (after > this.batchBytesMax) {
      const hint = this.count === 0 ? 'this span does not fit even in an empty batch' : 'finish this batch and start another';
      throw new TraceKvError(
        'ERR_BATCH_TOO_LARGE',
        `batch length got ${after} bytes with this ${recordLength}-byte span record; want ≤ batchBytesMax ${this.batchBytesMax} (${hint})`,
      );
    }
  }
}

/**
 * What both batch versions' encoders take from their options: the checked limits, and the common
 * section, encoded once since it is the same for every batch of the encoder.
 */
export function resolveEncoderOptions(options: BatchEncoderOptions): { batchBytesMax: number; batchSpansMax: number; common: Uint8Array } {
  checkObject(options, 'options');
  checkKnownOptions(options, ENCODER_OPTION_KEYS);
  return {
    batchBytesMax: integerOption(options.batchBytesMax, 'batchBytesMax', BATCH_BYTES_MAX_DEFAULT, BATCH_BYTES_MIN, BATCH_BYTES_LIMIT),
    batchSpansMax: integerOption(options.batchSpansMax, 'batchSpansMax', BATCH_SPANS_MAX_DEFAULT, 1, BATCH_SPANS_LIMIT),
    common: encodeCommon(options.resource, options.scope),
  };
}

/** An encoder option: `fallback` when absent, else an integer in [min, max] (ERR_INVALID_OPTION). */
function integerOption(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `got ${describe(value)}; want an integer in [${min}, ${max}]`);
  }
  return value;
}

/** `buffer` if it holds `needed` bytes, else a copy with capacity doubled (never past `limit`). */
function grown(buffer: Uint8Array, needed: number, limit: number): Uint8Array {
  if (needed <= buffer.length) return buffer;
  if (needed > limit) assert(false, `buffer of ${needed} bytes requested past its limit ${limit}`);
  const next = new Uint8Array(Math.min(Math.max(needed, buffer.length * 2), limit));
  next.set(buffer);
  return next;
}
