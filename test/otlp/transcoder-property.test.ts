/** Over arbitrary valid resources, scopes and spans (fixed seed), both OTLP transcoders write the batch ColumnarBatchEncoder writes for the same spans, byte for byte, once the few documented OTLP normalizations (data-format.md §7.1) are applied to the input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../src/constants.js';
import { ColumnarBatchEncoder } from '../../src/batch/index.js';
import type { ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';
import { transcodeJson, transcodeProtobuf } from '../../src/otlp/index.js';
import { exportRequest, exportRequestJson } from '../../scripts/testkit/otlp-request.js';
import { resource, scope, span } from '../helpers/span-arbitraries.js';

const SEED = 20_261_204;
const RUNS = 300;
const LIMITS = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };

/** proto3 has no "absent" string: '' is absent (§7.1). Everything else goes through unchanged. */
function otlpNormalized(input: SpanInput): SpanInput {
  const span = { ...input };
  if (span.traceState === '') delete span.traceState;
  if (span.links !== undefined) {
    span.links = span.links.map((link) => {
      const copy = { ...link };
      if (copy.traceState === '') delete copy.traceState;
      return copy;
    });
  }
  return span;
}

function normalizedResource(input: ResourceInput): ResourceInput {
  const copy = { ...input };
  if (copy.schemaUrl === '') delete copy.schemaUrl;
  return copy;
}

function normalizedScope(input: ScopeInput | undefined): ScopeInput | undefined {
  if (input === undefined) return undefined;
  const copy = { ...input };
  for (const key of ['name', 'version', 'schemaUrl'] as const) if (copy[key] === '') delete copy[key];
  return copy;
}

describe('OTLP transcoder properties', () => {
  it('arbitrary valid spans transcode to the encoder’s bytes, from protobuf and from JSON', () => {
    fc.assert(
      fc.property(resource, fc.option(scope, { nil: undefined }), fc.array(span, { minLength: 1, maxLength: 5 }), (resourceInput, scopeInput, spans) => {
        const group = { resource: resourceInput, ...(scopeInput !== undefined ? { scope: scopeInput } : {}), spans };
        const scopeWant = normalizedScope(scopeInput);
        const encoder = new ColumnarBatchEncoder({ resource: normalizedResource(resourceInput), ...(scopeWant !== undefined ? { scope: scopeWant } : {}) });
        for (const input of spans) encoder.add(otlpNormalized(input));
        const want = Buffer.from(encoder.finish()).toString('hex');
        const fromProtobuf = transcodeProtobuf(exportRequest([group]), LIMITS);
        expect(fromProtobuf.errorMessage).toBe('');
        expect(fromProtobuf.batches.map((batch) => Buffer.from(batch).toString('hex'))).toEqual([want]);
        const json = new TextEncoder().encode(JSON.stringify(exportRequestJson([group])));
        const fromJson = transcodeJson(json, LIMITS);
        expect(fromJson.errorMessage).toBe('');
        expect(fromJson.batches.map((batch) => Buffer.from(batch).toString('hex'))).toEqual([want]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
