// Proves that validateBatch rejects every truncation and every single-byte flip of a batch with a typed error, and that a damaged span record never decodes to a wrongly typed span.
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch } from '../../src/batch/decoder.js';
import { decodeCommon, encodeCommon } from '../../src/batch/common.js';
import { decodeSpanRecord, encodeSpanRecord } from '../../src/batch/span-codec.js';
import { validateBatch } from '../../src/batch/validate.js';
import type { Attributes, AttributeValue, Span } from '../../src/batch/types.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../../src/constants.js';
import { TraceKvError } from '../../src/errors.js';
import { RICH_RESOURCE, RICH_SCOPE, catchTraceKvError, plainSpan, richSpan } from './samples.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };
const BATCH_ERROR_CODES = ['ERR_BATCH_CORRUPT', 'ERR_BATCH_TOO_LARGE'];

function sampleBatch(): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'flip' } }, scope: { name: 's' } });
  encoder.add(plainSpan(0));
  encoder.add({ ...plainSpan(1), attributes: { k: 'v' } });
  encoder.add(plainSpan(2));
  return encoder.finish();
}

describe('batch corruption', () => {
  it('rejects every proper prefix', () => {
    const batch = sampleBatch();
    expect(() => validateBatch(batch, LIMITS)).not.toThrow();
    for (let length = 0; length < batch.length; length++) {
      const error = catchTraceKvError(() => validateBatch(batch.subarray(0, length), LIMITS));
      expect(BATCH_ERROR_CODES, `prefix of ${length} bytes: ${error.message}`).toContain(error.code);
    }
  });

  it('rejects a flip of every byte: the CRCs cover all but the footer, which is the CRC and magic', () => {
    const batch = sampleBatch();
    for (let at = 0; at < batch.length; at++) {
      const damaged = batch.slice();
      damaged[at] ^= 0xff;
      const error = catchTraceKvError(() => validateBatch(damaged, LIMITS));
      expect(BATCH_ERROR_CODES, `flip at ${at}: ${error.message}`).toContain(error.code);
    }
  });

  it('rejects a batch with trailing bytes', () => {
    const batch = sampleBatch();
    const longer = new Uint8Array(batch.length + 1);
    longer.set(batch);
    expect(catchTraceKvError(() => validateBatch(longer, LIMITS)).code).toBe('ERR_BATCH_CORRUPT');
  });
});

describe('span record corruption', () => {
  it('a flip of any byte gives ERR_SPAN_CORRUPT or a well-typed span', () => {
    const input = richSpan();
    const record = encodeSpanRecord(input);
    const common = decodeCommon(encodeCommon(RICH_RESOURCE, RICH_SCOPE));
    let corrupt = 0;
    for (let at = 0; at < record.length; at++) {
      for (const mask of [0xff, 0x01, 0x80]) {
        const damaged = record.slice();
        damaged[at] ^= mask;
        let span: Span;
        try {
          span = decodeSpanRecord(damaged, 'ab'.repeat(16), 'cd'.repeat(8), input.startTimeUnixNano, common.resource, common.scope);
        } catch (error) {
          if (!(error instanceof TraceKvError) || error.code !== 'ERR_SPAN_CORRUPT') {
            throw new Error(`flip ${mask} at ${at}: want ERR_SPAN_CORRUPT; got ${String(error)}`, { cause: error });
          }
          corrupt++;
          continue;
        }
        expectWellTyped(span);
      }
    }
    expect(corrupt).toBeGreaterThan(0);
  });

  it('every prefix of a record gives ERR_SPAN_CORRUPT', () => {
    const input = richSpan();
    const record = encodeSpanRecord(input);
    const common = decodeCommon(encodeCommon({}, undefined));
    for (let length = 0; length < record.length; length++) {
      const error = catchTraceKvError(() =>
        decodeSpanRecord(record.subarray(0, length), 'ab'.repeat(16), 'cd'.repeat(8), 1n, common.resource, common.scope),
      );
      expect(error.code).toBe('ERR_SPAN_CORRUPT');
    }
  });

  it('rejects trailing bytes, wrong shapes and non-spec msgpack types', () => {
    const common = decodeCommon(encodeCommon({}, undefined));
    const decode = (hex: string) =>
      catchTraceKvError(() => decodeSpanRecord(Buffer.from(hex, 'hex'), 'ab'.repeat(16), 'cd'.repeat(8), 10n, common.resource, common.scope));
    const cases: [string, string][] = [
      ['91a16100', 'trailing byte'],
      ['a161', 'not an array'],
      ['90', 'no name'],
      ['9101', 'name not a string'],
      ['92a16106', 'kind 6'],
      ['93a16100c403000000', 'parent of 3 bytes'],
      ['93a16100c4080000000000000000', 'all-zero parent'],
      ['94a16100c0cb3ff8000000000000', 'fractional duration'],
      ['94a16100c0d3ffffffffffffff00', 'end before epoch'],
      ['95a16100c0008101a162', 'attribute key not a string'],
      ['95a16100c00081a162c0', 'nil attribute'],
      ['95a16100c00081a162d7ff0000000000000000', 'timestamp extension attribute'],
      ['95a16100c00081a162c70374010203', 'typed-array extension attribute'],
      ['95a16100c00081a162cf8000000000000000', 'uint64 attribute above int64'],
      ['95a16100c00090', 'attributes not a map'],
      ['97a16100c0008000919300a16580', 'event of 3 fields'],
      ['9ba16100c00080009000900092a16100', 'status of a non-uint code'],
      ['9ba16100c0008000900090009203a0', 'status code 3'],
      ['9da16100c000800090009000c0c0cf0000000100000000', 'flags above u32'],
      ['9ea16100c000800090009000c0c0c0c0', 'array of 14 fields'],
      ['92a161d40000', 'undefined extension as kind'],
    ];
    for (const [hex, why] of cases) {
      const error = decode(hex);
      expect(error.code, `${why}: ${error.message}`).toBe('ERR_SPAN_CORRUPT');
    }
  });

  it('turns a msgpack nesting bomb into ERR_SPAN_CORRUPT', () => {
    const bomb = new Uint8Array(200_000).fill(0x91);
    bomb[bomb.length - 1] = 0;
    const common = decodeCommon(encodeCommon({}, undefined));
    const error = catchTraceKvError(() => decodeSpanRecord(bomb, 'ab'.repeat(16), 'cd'.repeat(8), 1n, common.resource, common.scope));
    expect(error.code).toBe('ERR_SPAN_CORRUPT');
  });

  it('reports a corrupt common section as ERR_BATCH_CORRUPT', () => {
    for (const hex of ['', 'c1', '9100', '91c0', '9281a101a1', 'a0', '99808080808080808080', '90ff']) {
      const error = catchTraceKvError(() => decodeCommon(Buffer.from(hex, 'hex')));
      expect(error.code, hex).toBe('ERR_BATCH_CORRUPT');
    }
  });

  it('decodeBatch names the span whose record is corrupt', () => {
    const encoder = new BatchEncoder({ resource: {} });
    encoder.add(plainSpan(0));
    encoder.addRaw(plainSpan(1).traceId, plainSpan(1).spanId, plainSpan(1).startTimeUnixNano, new Uint8Array([0x91, 0x01]));
    const error = catchTraceKvError(() => decodeBatch(encoder.finish()));
    expect(error.code).toBe('ERR_SPAN_CORRUPT');
    expect(error.message).toMatch(/^span 1 at batch offset \d+: span record: name: got 1; want a string$/);
    expect(error.offset).toBeGreaterThan(48);
  });
});

/** Throws unless every field of `span` has its documented type (plain checks: this runs thousands of times). */
function expectWellTyped(span: Span): void {
  check(typeof span.traceId === 'string' && typeof span.spanId === 'string', 'ids');
  if (Object.hasOwn(span, 'parentSpanId')) check(/^[0-9a-f]{16}$/.test(span.parentSpanId!), 'parentSpanId');
  check(typeof span.name === 'string', 'name');
  check(Number.isInteger(span.kind) && span.kind >= 0 && span.kind <= 5, 'kind');
  checkU64(span.startTimeUnixNano);
  checkU64(span.endTimeUnixNano);
  checkAttributes(span.attributes);
  for (const count of [span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount]) checkU32(count);
  check(Array.isArray(span.events) && Array.isArray(span.links), 'events and links');
  for (const event of span.events) {
    checkU64(event.timeUnixNano);
    check(typeof event.name === 'string', 'event name');
    checkAttributes(event.attributes);
    checkU32(event.droppedAttributesCount);
  }
  for (const link of span.links) {
    check(/^[0-9a-f]{32}$/.test(link.traceId) && /^[0-9a-f]{16}$/.test(link.spanId), 'link ids');
    if (Object.hasOwn(link, 'traceState')) check(typeof link.traceState === 'string', 'link traceState');
    if (Object.hasOwn(link, 'flags')) checkU32(link.flags!);
    checkAttributes(link.attributes);
    checkU32(link.droppedAttributesCount);
  }
  check([0, 1, 2].includes(span.status.code), 'status code');
  if (Object.hasOwn(span.status, 'message')) check(typeof span.status.message === 'string', 'status message');
  if (Object.hasOwn(span, 'traceState')) check(typeof span.traceState === 'string', 'traceState');
  if (Object.hasOwn(span, 'flags')) checkU32(span.flags!);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`decoded span has a wrongly typed ${what}`);
}

function checkU64(value: bigint): void {
  check(typeof value === 'bigint' && value >= 0n && value < 1n << 64n, 'u64 time');
}

function checkU32(value: number): void {
  check(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, 'u32');
}

function checkAttributes(attributes: Attributes): void {
  check(Object.getPrototypeOf(attributes) === Object.prototype, 'attribute map');
  for (const value of Object.values(attributes)) checkAnyValue(value);
}

function checkAnyValue(value: AttributeValue): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return;
  if (typeof value === 'bigint') {
    check(value >= -(1n << 63n) && value < 1n << 63n, 'int64 attribute');
  } else if (value instanceof Uint8Array) {
    check(Object.getPrototypeOf(value) === Uint8Array.prototype, 'bytes attribute');
  } else if (Array.isArray(value)) {
    value.forEach(checkAnyValue);
  } else {
    checkAttributes(value);
  }
}
