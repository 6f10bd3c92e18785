// Proves BatchAssembler seals every span it accepted into a batch of its own resource and scope, also past OTEL_GROUPS_MAX groups, when it drops its encoders and starts over; that a span it drops, or that throws mid-record, leaves no byte in the batch it was written into; and that writing names and attributes straight into the columns gives the bytes of walking whole span records.
import { describe, expect, it } from 'vitest';
import { ColumnarRecordEncoder, decodeBatch, encodeCommon } from '../../src/batch/index.js';
import { resourceInput, scopeInput } from '../../src/otel/common-input.js';
import { SpanRecordWriter } from '../../src/otel/span-writer.js';
import { BatchAssembler, OTEL_GROUPS_MAX } from '../../src/otel/batch-assembler.js';
import { emitTrace, providerWith, type ReadableSpan } from './sdk-spans.js';

const LIMITS = { batchBytesMax: 1024 * 1024, batchSpansMax: 1000 };

describe('BatchAssembler', () => {
  it('keeps each span with its own resource across more than OTEL_GROUPS_MAX groups', () => {
    const { provider, captured } = providerWith([]);
    emitTrace(provider);
    const template = captured.getFinishedSpans()[1]!;
    const groups = OTEL_GROUPS_MAX + 44;
    // One resource object per group, as tracer providers of distinct services would have; the
    // first group comes back after the assembler has started over.
    const resources = Array.from({ length: groups }, (_, i) => ({ ...template.resource, attributes: { 'service.name': `svc-${i}` } }));
    const spans: ReadableSpan[] = [];
    for (let i = 0; i < groups; i++) spans.push(withResource(template, resources[i]!), withResource(template, resources[i]!));
    spans.push(withResource(template, resources[0]!));
    const sealed: Uint8Array[] = [];
    const assembler = new BatchAssembler(LIMITS, (batch) => sealed.push(batch));
    for (const span of spans) expect(assembler.add(span)).toBe(true);
    assembler.sealAll();
    expect(assembler.openSpans).toBe(0);
    const services = sealed.flatMap((batch) => {
      const decoded = decodeBatch(batch);
      return decoded.spans.map(() => decoded.resource.attributes['service.name']);
    });
    expect(services).toHaveLength(spans.length);
    expect(services.filter((name) => name === 'svc-0')).toHaveLength(3);
    expect(services.filter((name) => name === `svc-${groups - 1}`)).toHaveLength(2);
  });
});

describe('BatchAssembler adds whole records', () => {
  it('leaves no trace of a dropped span, nor of one whose object throws mid-record, and goes on', () => {
    const { provider, captured } = providerWith([]);
    emitTrace(provider);
    const [first, second, third] = captured.getFinishedSpans() as [ReadableSpan, ReadableSpan, ReadableSpan];
    const sealed: Uint8Array[] = [];
    const assembler = new BatchAssembler(LIMITS, (batch) => sealed.push(batch));
    expect(assembler.add(first)).toBe(true);
    // Written as far as its attributes, then dropped: a lone surrogate in a value.
    expect(assembler.add(withProperties(second, { attributes: { ok: 'yes', bad: 'x\ud800' } }))).toBe(false);
    // Throws from inside the record: events is read after the attributes are written.
    const throwing = withProperties(second, {});
    Object.defineProperty(throwing, 'events', { get: () => { throw new Error('an SDK object of another shape'); } });
    expect(() => assembler.add(throwing)).toThrow('another shape');
    expect(assembler.add(third)).toBe(true);
    assembler.sealAll();
    expect(sealed).toHaveLength(1);
    const decoded = decodeBatch(sealed[0]!);
    expect(decoded.spans.map((span) => span.name)).toEqual([first.name, third.name]);
    expect(assembler.openSpans).toBe(0);
  });

  it('moves a record that does not fit its batch into the next one, and drops one that fits no batch', () => {
    const { provider, captured } = providerWith([]);
    emitTrace(provider);
    const template = captured.getFinishedSpans()[0]!;
    const sealed: Uint8Array[] = [];
    const limits = { batchBytesMax: 4096, batchSpansMax: 1000 };
    // Distinct pads: a version-2 batch keeps one copy of a repeated string.
    const assembler = new BatchAssembler(limits, (batch) => sealed.push(batch));
    const spans = Array.from({ length: 12 }, (_, i) => withProperties(template, { name: `span-${i}`, attributes: { pad: `${i}`.padEnd(600, 'p') } }));
    for (const span of spans) expect(assembler.add(span)).toBe(true);
    expect(assembler.add(withProperties(template, { attributes: { pad: 'p'.repeat(8192) } }))).toBe(false);
    assembler.sealAll();
    expect(sealed.length).toBeGreaterThan(1);
    for (const batch of sealed) expect(batch.length).toBeLessThanOrEqual(limits.batchBytesMax);
    expect(sealed.flatMap((batch) => decodeBatch(batch).spans.map((span) => span.name))).toEqual(spans.map((span) => span.name));
  });
});

function withProperties(span: ReadableSpan, properties: Partial<Record<keyof ReadableSpan, unknown>>): ReadableSpan {
  return Object.assign(Object.create(Object.getPrototypeOf(span) as object) as ReadableSpan, span, properties);
}

function withResource(span: ReadableSpan, resource: ReadableSpan['resource']): ReadableSpan {
  return Object.assign(Object.create(Object.getPrototypeOf(span) as object) as ReadableSpan, span, { resource });
}

describe('BatchAssembler writes names and attributes straight into the columns', () => {
  it('writes the bytes a span record walked into the batch gives, for spans of every shape', () => {
    const { provider, captured } = providerWith([]);
    for (let seq = 0; seq < 3; seq++) emitTrace(provider, seq);
    const templates = captured.getFinishedSpans();
    // Attribute values of every kind, a repeated string, non-ASCII text, a nested map and empty values.
    const spans = [
      ...templates,
      withProperties(templates[1]!, { name: 'naïve 🙂', attributes: { 'key ü': 'välue', again: 'välue', n: 1.5, big: 2 ** 40, list: ['a', null, 'a'], nested: { inner: { deep: 'x', gone: null } }, gone: undefined, bytes: new Uint8Array([1, 2]) } }),
    ];
    const direct: Uint8Array[] = [];
    const assembler = new BatchAssembler(LIMITS, (batch) => direct.push(batch));
    for (const span of spans) expect(assembler.add(span)).toBe(true);
    assembler.sealAll();
    // The other way: each span's whole record, attributes included, walked by the encoder.
    const writer = new SpanRecordWriter();
    const encoder = new ColumnarRecordEncoder({ common: encodeCommon(resourceInput(spans[0]!.resource), scopeInput(spans[0]!.instrumentationScope)), ...LIMITS });
    for (const span of spans) {
      expect(writer.write(span)).toBe(true);
      expect(encoder.tryAddRecord(writer.writer.bytes, 0, writer.writer.length, writer.ids, writer.startLo, writer.startHi)).toBe(true);
    }
    expect(direct).toHaveLength(1);
    expect(Buffer.from(direct[0]!).toString('hex')).toBe(Buffer.from(encoder.finish()).toString('hex'));
  });

  it('drops a span with a lone surrogate in its name or an attribute, leaving nothing of it in the batch', () => {
    const { provider, captured } = providerWith([]);
    emitTrace(provider);
    const [first, second] = captured.getFinishedSpans() as [ReadableSpan, ReadableSpan];
    const batches: Uint8Array[] = [];
    const assembler = new BatchAssembler(LIMITS, (batch) => batches.push(batch));
    expect(assembler.add(withProperties(second, { name: 'bad \ud800' }))).toBe(false);
    expect(assembler.add(withProperties(second, { attributes: { fresh: 'new string', 'bad \udc00': 'x' } }))).toBe(false);
    expect(assembler.add(withProperties(second, { attributes: { fresh: 'new string', ok: 'bad \ud800' } }))).toBe(false);
    expect(assembler.add(first)).toBe(true);
    assembler.sealAll();
    const alone: Uint8Array[] = [];
    const reference = new BatchAssembler(LIMITS, (batch) => alone.push(batch));
    reference.add(first);
    reference.sealAll();
    expect(Buffer.from(batches[0]!).toString('hex')).toBe(Buffer.from(alone[0]!).toString('hex'));
  });
});
