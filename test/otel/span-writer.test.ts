// Proves SpanRecordWriter writes, for real SDK spans, the very bytes BatchEncoder.add() writes for the span an OTLP round trip means, and drops (never throws on) spans the format cannot hold.
import { describe, expect, it } from 'vitest';
import { encodeSpanRecord } from '../../src/batch/index.js';
import { SpanRecordWriter } from '../../src/otel/index.js';
import { parseHexId } from '../../src/otel/span-writer.js';
import { spanInputOf } from './otlp-mapping.js';
import { emitTrace, providerWith, type ReadableSpan } from './sdk-spans.js';

function sdkSpans(): ReadableSpan[] {
  const { provider, captured } = providerWith([]);
  emitTrace(provider);
  emitTrace(provider, 1);
  return captured.getFinishedSpans();
}

const READABLE_FIELDS: (keyof ReadableSpan)[] = [
  'name', 'kind', 'spanContext', 'parentSpanContext', 'startTime', 'endTime', 'status', 'attributes', 'links', 'events',
  'duration', 'ended', 'resource', 'instrumentationScope', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount',
];

/** A plain ReadableSpan with `span`'s fields (its getters read once), some of them replaced. */
function withFields(span: ReadableSpan, fields: Partial<Record<keyof ReadableSpan, unknown>>): ReadableSpan {
  const copy: Record<string, unknown> = {};
  for (const key of READABLE_FIELDS) copy[key] = key === 'spanContext' ? () => span.spanContext() : span[key];
  return { ...copy, ...fields } as unknown as ReadableSpan;
}

describe('SpanRecordWriter', () => {
  it('writes the same record bytes as encodeSpanRecord of the OTLP mapping, and the same trailer fields', () => {
    const writer = new SpanRecordWriter();
    const spans = sdkSpans();
    expect(spans).toHaveLength(10);
    for (const span of spans) {
      expect(writer.write(span), span.name).toBe(true);
      const input = spanInputOf(span);
      const bytes = writer.writer.bytes.subarray(0, writer.writer.length);
      expect(Buffer.from(bytes).toString('hex'), span.name).toBe(Buffer.from(encodeSpanRecord(input)).toString('hex'));
      expect(Buffer.from(writer.ids).toString('hex')).toBe(`${input.traceId}${input.spanId}`);
      expect((BigInt(writer.startHi) << 32n) | BigInt(writer.startLo)).toBe(input.startTimeUnixNano);
    }
  });

  it('drops, returning false, every span the format cannot hold', () => {
    const writer = new SpanRecordWriter();
    const span = sdkSpans()[0]!;
    const context = span.spanContext();
    const cases: [string, Partial<Record<keyof ReadableSpan, unknown>>][] = [
      ['lone surrogate in the name', { name: 'a\ud800b' }],
      ['lone surrogate in an attribute value', { attributes: { k: 'x\udc00' } }],
      ['lone surrogate in an attribute key', { attributes: { 'k\ud800': 1 } }],
      ['lone surrogate in an array element', { attributes: { k: ['ok', '\ud800'] } }],
      ['a function as a value', { attributes: { k: () => 1 } }],
      ['lone surrogate in an event name', { events: [{ name: '\ud800', time: span.startTime }] }],
      ['all-zero trace id', { spanContext: () => ({ ...context, traceId: '0'.repeat(32) }) }],
      ['all-zero span id', { spanContext: () => ({ ...context, spanId: '0'.repeat(16) }) }],
      ['short trace id', { spanContext: () => ({ ...context, traceId: 'abc' }) }],
      ['non-hex span id', { spanContext: () => ({ ...context, spanId: 'zzzzzzzzzzzzzzzz' }) }],
      ['non-hex parent span id', { parentSpanContext: { ...context, spanId: 'g'.repeat(16) } }],
      ['all-zero link trace id', { links: [{ context: { ...context, traceId: '0'.repeat(32) } }] }],
      ['negative start time', { startTime: [-1, 0] }],
      ['fractional end time', { endTime: [1_700_000_000, 0.5] }],
      ['kind out of range', { kind: 9 }],
      ['status code out of range', { status: { code: 3 } }],
      ['negative dropped count', { droppedAttributesCount: -1 }],
      ['nesting past ATTRIBUTE_NESTING_MAX', { attributes: { deep: nested(70) } }],
    ];
    for (const [what, fields] of cases) expect(writer.write(withFields(span, fields)), what).toBe(false);
    // The writer is reusable after a refusal.
    expect(writer.write(span)).toBe(true);
    expect(Buffer.from(writer.writer.bytes.subarray(0, writer.writer.length))).toEqual(Buffer.from(encodeSpanRecord(spanInputOf(span))));
  });

  it('keeps a well-formed surrogate pair and nesting at the limit', () => {
    const writer = new SpanRecordWriter();
    const span = sdkSpans()[0]!;
    const fields = { name: 'pair 🙂', attributes: { ok: '🙂', deep: nested(63) } };
    expect(writer.write(withFields(span, fields))).toBe(true);
    expect(Buffer.from(writer.writer.bytes.subarray(0, writer.writer.length))).toEqual(Buffer.from(encodeSpanRecord(spanInputOf(withFields(span, fields)))));
  });

  it('treats null and undefined as OTLP empty values (data-format.md §7.1): left out, and counted when they are a whole attribute', () => {
    const writer = new SpanRecordWriter();
    const span = sdkSpans()[0]!;
    const context = span.spanContext();
    const withEmpties = withFields(span, {
      droppedAttributesCount: 2,
      attributes: { gone: null, list: [1, null, 2, undefined], words: [null, 'a'], map: { kept: 'x', empty: null, inner: [null] }, missing: undefined, ok: true },
      events: [{ name: 'e', time: span.startTime, attributes: { a: null, b: 1 }, droppedAttributesCount: 1 }],
      links: [{ context, attributes: { c: undefined } }],
    });
    expect(writer.write(withEmpties)).toBe(true);
    const got = Buffer.from(writer.writer.bytes.subarray(0, writer.writer.length));
    // What the receivers store for the OTLP request the transformer makes of this span, spelled out.
    const input = spanInputOf(span);
    input.attributes = { list: [1n, 2n], words: ['a'], map: { kept: 'x', inner: [] }, ok: true };
    input.droppedAttributesCount = 2 + 2;
    input.events = [{ timeUnixNano: input.startTimeUnixNano, name: 'e', attributes: { b: 1n }, droppedAttributesCount: 1 + 1 }];
    const state = context.traceState?.serialize();
    input.links = [{ traceId: context.traceId, spanId: context.spanId, ...(state ? { traceState: state } : {}), attributes: {}, droppedAttributesCount: 1, flags: 0x100 | context.traceFlags }];
    expect(got.toString('hex')).toBe(Buffer.from(encodeSpanRecord(input)).toString('hex'));
    // The independent mapping says the same.
    expect(got.toString('hex')).toBe(Buffer.from(encodeSpanRecord(spanInputOf(withEmpties))).toString('hex'));
  });
});

describe('parseHexId', () => {
  it('accepts exactly hex digits of either case, tried with every UTF-16 code at the first and last place', () => {
    const into = new Uint8Array(8);
    for (let code = 0; code < 0x1_0000; code++) {
      for (const place of [0, 15]) {
        const chars = [...'0123456789abcdef'];
        chars[place] = String.fromCharCode(code);
        const hex = chars.join('');
        const want = /^[0-9a-fA-F]{16}$/.test(hex);
        if (parseHexId(hex, into, 0, 8) !== want) expect.fail(`code 0x${code.toString(16)} at ${place}: got ${!want}; want ${want}`);
        if (want) expect(Buffer.from(into).toString('hex')).toBe(hex.toLowerCase());
      }
    }
    expect(parseHexId('0'.repeat(16), into, 0, 8)).toBe(false);
    expect(parseHexId('ABCDEF0123456789', into, 0, 8)).toBe(true);
  });
});

/** Arrays nested `depth` deep around a string. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
