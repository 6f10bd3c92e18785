// Proves BatchAssembler seals every span it accepted into a batch of its own resource and scope, also past OTEL_GROUPS_MAX groups, when it drops its encoders and starts over.
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../src/batch/index.js';
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

function withResource(span: ReadableSpan, resource: ReadableSpan['resource']): ReadableSpan {
  return Object.assign(Object.create(Object.getPrototypeOf(span) as object) as ReadableSpan, span, { resource });
}
