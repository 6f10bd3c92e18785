/** Shared inputs for the batch tests: a span that uses every field, and small helpers. */
import { crc32c } from '../../src/codec/crc32c.js';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { HEADER_OFFSET } from '../../src/batch/header.js';
import type { ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';
import { SpanKind, StatusCode } from '../../src/batch/types.js';
import { TraceKvError } from '../../src/errors.js';

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;

export const RICH_RESOURCE: ResourceInput = {
  attributes: {
    'service.name': 'checkout',
    'host.cpu.count': 8n,
    'deployment.tags': ['blue', 'eu-west-1'],
    nested: { a: { b: { c: [1.5, true, 'x', -3n] } } },
  },
  droppedAttributesCount: 2,
  schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
};

export const RICH_SCOPE: ScopeInput = {
  name: 'io.opentelemetry.http',
  version: '1.2.3',
  attributes: { 'scope.attr': 'yes' },
  droppedAttributesCount: 1,
  schemaUrl: 'https://example.com/scope-schema',
};

/** A span with every field set, including int64 extremes, bytes, nesting and non-ASCII text. */
export function richSpan(overrides: Partial<SpanInput> = {}): SpanInput {
  const start = 1_700_000_000_123_456_789n;
  return {
    traceId: '0AF7651916CD43DD8448EB211C80319C',
    spanId: new Uint8Array([0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31]),
    parentSpanId: '00f067aa0ba902b7',
    name: 'GET /cart/{id} — 購物車 🛒',
    kind: SpanKind.SERVER,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 12_345_678_901n,
    attributes: {
      'http.method': 'GET',
      'http.status_code': 200,
      'http.ratio': 0.25,
      'http.nan': Number.NaN,
      'http.inf': -Infinity,
      'int.max': INT64_MAX,
      'int.min': INT64_MIN,
      'int.negative': -42n,
      'int.zero': 0n,
      'int.small': 7n,
      'bytes.value': new Uint8Array([0, 1, 2, 254, 255]),
      'bytes.empty': new Uint8Array(0),
      'bool.true': true,
      'bool.false': false,
      'string.empty': '',
      'string.unicode': 'naïve café — 日本語 — 🚀',
      list: [1, 2n, 'three', [4, [5n]], { six: 6 }],
      map: { inner: { deeper: [new Uint8Array([9]), -1n] }, empty: {} },
      '': 'empty key',
      __proto__key: 'not special',
    },
    droppedAttributesCount: 3,
    events: [
      { timeUnixNano: start + 1n, name: 'cache miss', attributes: { key: 'cart:1' }, droppedAttributesCount: 1 },
      { timeUnixNano: start - 5n, name: 'before start (clock skew)' },
      { timeUnixNano: start + 10_000_000_000n, name: 'far later', attributes: { big: INT64_MAX } },
    ],
    droppedEventsCount: 4,
    links: [
      {
        traceId: new Uint8Array(16).fill(0xab),
        spanId: 'FFFFFFFFFFFFFFFF',
        traceState: 'vendor=value',
        attributes: { 'link.kind': 'follows' },
        droppedAttributesCount: 2,
        flags: 0x101,
      },
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
    ],
    droppedLinksCount: 5,
    status: { code: StatusCode.ERROR, message: 'payment declined ✗' },
    traceState: 'congo=t61rcWkgMzE',
    flags: 0x301,
    ...overrides,
  };
}

/** A minimal span: only the required fields. */
export function plainSpan(index: number, start = 1_000_000_000n): SpanInput {
  return {
    traceId: (index + 1).toString(16).padStart(32, '0'),
    spanId: (index + 1).toString(16).padStart(16, '0'),
    name: `span-${index}`,
    startTimeUnixNano: start + BigInt(index),
    endTimeUnixNano: start + BigInt(index) + 1000n,
  };
}

export function smallBatch(spanCount = 3): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 's' } } });
  for (let i = 0; i < spanCount; i++) encoder.add(plainSpan(i));
  return encoder.finish();
}

/** Rewrites both CRCs after a test edits a batch, so the edit reaches the checks behind them. */
export function reseal(batch: Uint8Array): Uint8Array {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  view.setUint32(HEADER_OFFSET.headerCrc, crc32c(batch, 0, HEADER_OFFSET.headerCrc), true);
  view.setUint32(batch.length - 8, crc32c(batch, 0, batch.length - 8), true);
  return batch;
}

/** Runs `action` and returns the TraceKvError it throws; fails the test if it returns or throws anything else. */
export function catchTraceKvError(action: () => unknown): TraceKvError {
  try {
    action();
  } catch (error) {
    if (error instanceof TraceKvError) return error;
    throw new Error(`want a TraceKvError; got ${String(error)}`, { cause: error });
  }
  throw new Error('want a TraceKvError; got a normal return');
}
