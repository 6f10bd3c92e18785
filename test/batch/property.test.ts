// Proves, over arbitrary valid resources, scopes and spans (fixed seed), that a batch decodes back to exactly the normalized input and that its trailer agrees with the spans.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch, openBatch } from '../../src/batch/decoder.js';
import { traceIdFromInput } from '../../src/batch/ids.js';
import { expectedResource, expectedScope, expectedSpan, idHex } from '../helpers/expected.js';
import { resource, scope, span } from '../helpers/span-arbitraries.js';

const SEED = 20_240_601;
const RUNS = 200;

describe('batch properties', () => {
  it('arbitrary valid spans round-trip', () => {
    fc.assert(
      fc.property(resource, fc.option(scope, { nil: undefined }), fc.array(span, { minLength: 1, maxLength: 6 }), (resourceInput, scopeInput, spans) => {
        const encoder = new BatchEncoder({ resource: resourceInput, scope: scopeInput });
        for (const input of spans) encoder.add(input);
        const byteLength = encoder.byteLength;
        const batch = encoder.finish();
        expect(batch.length).toBe(byteLength);

        const decoded = decodeBatch(batch);
        const wantResource = expectedResource(resourceInput);
        const wantScope = expectedScope(scopeInput);
        expect(decoded.resource).toStrictEqual(wantResource);
        expect(decoded.scope).toStrictEqual(wantScope);
        expect(decoded.spans).toStrictEqual(spans.map((input) => expectedSpan(input, wantResource, wantScope)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the trailer agrees with the spans', () => {
    fc.assert(
      fc.property(fc.array(span, { minLength: 1, maxLength: 8 }), (spans) => {
        const encoder = new BatchEncoder({ resource: {} });
        for (const input of spans) encoder.add(input);
        const view = openBatch(encoder.finish());
        const starts = spans.map((input) => input.startTimeUnixNano);
        expect(view.header.minStartTimeUnixNano).toBe(starts.reduce((a, b) => (a < b ? a : b)));
        expect(view.header.maxStartTimeUnixNano).toBe(starts.reduce((a, b) => (a > b ? a : b)));
        spans.forEach((input, i) => {
          expect(view.traceIdEquals(i, traceIdFromInput(input.traceId), 0)).toBe(true);
          expect(view.spanIdHex(i)).toBe(idHex(input.spanId, 8));
          expect(view.startTimeUnixNano(i)).toBe(input.startTimeUnixNano);
        });
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });
});
