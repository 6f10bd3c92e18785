// Proves a real SDK span reads back the same whichever way it came: through our exporter's serializer, or as the OTLP protobuf the OpenTelemetry exporter sends (@opentelemetry/otlp-transformer) through our OTLP transcoder, empty values (null, undefined) included.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../src/constants.js';
import { decodeBatch, type Span } from '../../src/batch/index.js';
import { transcodeProtobuf } from '../../src/otlp/index.js';
import { BatchAssembler } from '../../src/otel/batch-assembler.js';
import { emitTrace, providerWith, type ReadableSpan } from './sdk-spans.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };

/** Every span of `batches`, by span id. */
function bySpanId(batches: Uint8Array[]): Map<string, Span> {
  const out = new Map<string, Span>();
  for (const batch of batches) for (const span of decodeBatch(batch).spans) out.set(span.spanId, span);
  return out;
}

function viaExporter(spans: ReadableSpan[]): Map<string, Span> {
  const batches: Uint8Array[] = [];
  const assembler = new BatchAssembler(LIMITS, (batch) => batches.push(batch));
  for (const span of spans) expect(assembler.add(span), span.name).toBe(true);
  assembler.sealAll();
  return bySpanId(batches);
}

function viaOtlp(spans: ReadableSpan[]): Map<string, Span> {
  const request = ProtobufTraceSerializer.serializeRequest(spans)!;
  const result = transcodeProtobuf(request, LIMITS);
  expect(result).toMatchObject({ spans: spans.length, rejectedSpans: 0 });
  return bySpanId(result.batches);
}

/** A span with empty values everywhere OTel JS lets them through (array elements), and in hand-set map entries. */
function spansWithEmpties(): ReadableSpan[] {
  const captured = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'parity', list: ['a', null, 'b'] as string[] }),
    spanProcessors: [new SimpleSpanProcessor(captured)],
  });
  const span = provider.getTracer('parity-lib').startSpan('with empties', { attributes: { sparse: [1, null, 2.5, undefined] as number[], words: [null, 'x'] as string[] } });
  span.addEvent('event', { a: 1 });
  // The SDK refuses null attributes and nested maps; an instrumentation can still put them on the object.
  const readable = span as unknown as ReadableSpan;
  Object.assign(readable.attributes, { gone: null, nested: { kept: 1, empty: null } });
  (readable.events[0]!.attributes as Record<string, unknown>).empty = undefined;
  span.end();
  return captured.getFinishedSpans();
}

describe('our exporter and the OTLP proto exporter store the same span', () => {
  it('for SDK spans with every field', () => {
    const { provider, captured } = providerWith([]);
    emitTrace(provider, 1);
    const spans = captured.getFinishedSpans();
    expect(viaExporter(spans)).toEqual(viaOtlp(spans));
  });

  it('for empty values in arrays, maps, events and the resource', () => {
    const spans = spansWithEmpties();
    const ours = viaExporter(spans);
    expect(ours).toEqual(viaOtlp(spans));
    const stored = [...ours.values()][0]!;
    expect(stored.attributes).toEqual({ sparse: [1n, 2.5], words: ['x'], nested: { kept: 1n } });
    expect(stored.droppedAttributesCount).toBe(1);
    expect(stored.events[0]!.droppedAttributesCount).toBe(1);
    expect(stored.resource.attributes).toEqual({ 'service.name': 'parity', list: ['a', 'b'] });
  });
});
