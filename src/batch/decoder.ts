/**
 * Reading a batch back into spans: the client's read-back, and the per-span helpers the store's
 * read path uses on a batch it has already validated. The store never calls these on append.
 */
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../constants.js';
import { TraceKvError } from '../errors.js';
import type { RawSpan, Resource, Scope, Span } from './types.js';
import { BatchView } from './batch-view.js';
import { decodeCommon } from './common.js';
import { decodeSpanRecord } from './span-codec.js';
import { type BatchLimits, validateBatch } from './validate.js';

export interface BatchCommon {
  resource: Resource;
  scope: Scope;
}

export interface DecodedBatch extends BatchCommon {
  spans: Span[];
}

export interface DecodedRawBatch extends BatchCommon {
  spans: RawSpan[];
}

/** Validates (limits default to the hard limits) and decodes every span. */
export function decodeBatch(bytes: Uint8Array, limits?: Partial<BatchLimits>): DecodedBatch {
  const view = openBatch(bytes, limits);
  const common = decodeCommon(view.commonBytes());
  const spans = new Array<Span>(view.spanCount);
  for (let i = 0; i < view.spanCount; i++) spans[i] = decodeSpanAt(view, i, common);
  return { resource: common.resource, scope: common.scope, spans };
}

/** Validates and returns every span's record bytes as stored, without decoding them. */
export function decodeBatchRaw(bytes: Uint8Array, limits?: Partial<BatchLimits>): DecodedRawBatch {
  const view = openBatch(bytes, limits);
  const common = decodeCommon(view.commonBytes());
  const spans = new Array<RawSpan>(view.spanCount);
  for (let i = 0; i < view.spanCount; i++) spans[i] = rawSpanAt(view, i);
  return { resource: common.resource, scope: common.scope, spans };
}

/** Validates `bytes` (§2.6) and returns a view over them. */
export function openBatch(bytes: Uint8Array, limits?: Partial<BatchLimits>): BatchView {
  const header = validateBatch(bytes, {
    batchBytesMax: limits?.batchBytesMax ?? BATCH_BYTES_LIMIT,
    batchSpansMax: limits?.batchSpansMax ?? BATCH_SPANS_LIMIT,
  });
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
export function rawSpanAt(view: BatchView, i: number): RawSpan {
  return {
    traceId: view.traceIdHex(i),
    spanId: view.spanIdHex(i),
    startTimeUnixNano: view.startTimeUnixNano(i),
    // Not slice(): on a Buffer (a batch read from a file) that would alias instead of copy.
    bytes: new Uint8Array(view.spanBytes(i)),
  };
}
