/**
 * Reading a batch back into spans: the client's read-back, and the per-span helpers the store's
 * read path uses on a batch it has already validated. The store never calls these on append.
 */
import { TraceKvError } from '../errors.js';
import type { RawRecordSpan, RawRowSpan, RawSpan, Resource, Scope, Span } from './types.js';
import { BatchView } from './batch-view.js';
import { openAnyBatch } from './batch-versions.js';
import { decodeColumnarCommon, decodeColumnarRows } from './columnar-decoder.js';
import type { ColumnarView } from './columnar-view.js';
import { decodeCommon } from './common.js';
import { decodeSpanRecord } from './span-codec.js';
import { type BatchLimits, resolveBatchLimits, validateBatch } from './validate.js';

export interface BatchCommon {
  resource: Resource;
  scope: Scope;
}

export interface DecodedBatch extends BatchCommon {
  spans: Span[];
}

export interface DecodedRawBatch extends BatchCommon {
  spans: RawSpan[];
  /** Version 2: the batch itself (a copy), which every RawRowSpan's `batch: 0` names. */
  batches?: Uint8Array[];
}

/**
 * Validates a batch of either version (limits default to the hard limits) and decodes every span:
 * version 1 in the order they were added, version 2 in row order (trace run by trace run, §2.7).
 */
export function decodeBatch(bytes: Uint8Array, limits?: Partial<BatchLimits>): DecodedBatch {
  const view = openAnyBatch(bytes, limits);
  if (view.version === 2) {
    const common = decodeColumnarCommon(view);
    return { resource: common.resource, scope: common.scope, spans: decodeColumnarRows(view, common, 0, view.spanCount) };
  }
  const common = decodeCommon(view.commonBytes());
  const spans = new Array<Span>(view.spanCount);
  for (let i = 0; i < view.spanCount; i++) spans[i] = decodeSpanAt(view, i, common);
  return { resource: common.resource, scope: common.scope, spans };
}

/** Validates a batch of either version and returns every span as stored, without decoding it. */
export function decodeBatchRaw(bytes: Uint8Array, limits?: Partial<BatchLimits>): DecodedRawBatch {
  const view = openAnyBatch(bytes, limits);
  const spans = new Array<RawSpan>(view.spanCount);
  if (view.version === 2) {
    const common = decodeColumnarCommon(view);
    for (let row = 0; row < view.spanCount; row++) spans[row] = rawRowAt(view, row, 0);
    return { resource: common.resource, scope: common.scope, spans, batches: [new Uint8Array(bytes)] };
  }
  const common = decodeCommon(view.commonBytes());
  for (let i = 0; i < view.spanCount; i++) spans[i] = rawSpanAt(view, i);
  return { resource: common.resource, scope: common.scope, spans };
}

/** Validates `bytes` (§2.6) and returns a view over them. */
export function openBatch(bytes: Uint8Array, limits?: Partial<BatchLimits>): BatchView {
  const header = validateBatch(bytes, resolveBatchLimits(limits));
  return new BatchView(bytes, header);
}

/** Decodes span `i`; an ERR_SPAN_CORRUPT names the span index and its offset in the batch. */
export function decodeSpanAt(view: BatchView, i: number, common: BatchCommon): Span {
  try {
    return decodeSpanRecord(
      view.spanBytes(i),
      view.traceIdHex(i),
      view.spanIdHex(i),
      view.startTimeUnixNano(i),
      common.resource,
      common.scope,
    );
  } catch (error) {
    if (!(error instanceof TraceKvError) || error.code !== 'ERR_SPAN_CORRUPT') throw error;
    const offset = view.spanOffset(i);
    throw new TraceKvError('ERR_SPAN_CORRUPT', `span ${i} at batch offset ${offset}: ${error.message}`, {
      offset,
      cause: error,
    });
  }
}

/** Span `i` as stored. The bytes are a copy, so the span outlives a reused or cached batch buffer. */
export function rawSpanAt(view: BatchView, i: number): RawRecordSpan {
  return {
    traceId: view.traceIdHex(i),
    spanId: view.spanIdHex(i),
    startTimeUnixNano: view.startTimeUnixNano(i),
    // Not slice(): on a Buffer (a batch read from a file) that would alias instead of copy.
    bytes: new Uint8Array(view.spanBytes(i)),
  };
}

/** Row `row` of a version-2 batch as stored: ids and start from the trailer and search section, `batch` as given. */
export function rawRowAt(view: ColumnarView, row: number, batch: number): RawRowSpan {
  return {
    traceId: view.runTraceIdHex(view.runOf(row)),
    spanId: view.spanIdHex(row),
    startTimeUnixNano: view.startTimeUnixNano(row),
    batch,
    row,
  };
}
