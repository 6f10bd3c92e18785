// Proves that real production traces (the Zipkin fixtures, one batch per service per file) round-trip through a batch exactly.
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch } from '../../src/batch/decoder.js';
import type { ResourceInput, ScopeInput } from '../../src/batch/types.js';
import { loadZipkinFixtures } from '../helpers/zipkin.js';
import { expectedResource, expectedScope, expectedSpan } from '../helpers/expected.js';

const fixtures = loadZipkinFixtures();
const SCOPE: ScopeInput = { name: 'zipkin-fixture', version: '2' };

describe('zipkin fixtures', () => {
  it('finds every fixture file', () => {
    expect(fixtures.map((fixture) => fixture.file)).toEqual([
      'ascend.json',
      'messaging-kafka.json',
      'messaging2.json',
      'smartthings-oauth-authorization.json',
      'yelp.json',
    ]);
    const spans = fixtures.map((fixture) => [...fixture.spansByService.values()].reduce((n, list) => n + list.length, 0));
    expect(spans).toEqual([8, 28, 11, 175, 16]);
  });

  for (const { file, spansByService } of fixtures) {
    it(`round-trips ${file}`, () => {
      for (const [service, spans] of spansByService) {
        const resource: ResourceInput = { attributes: { 'service.name': service } };
        const encoder = new BatchEncoder({ resource, scope: SCOPE });
        for (const span of spans) encoder.add(span);
        const decoded = decodeBatch(encoder.finish());
        const wantResource = expectedResource(resource);
        const wantScope = expectedScope(SCOPE);
        expect(decoded.resource).toStrictEqual(wantResource);
        expect(decoded.spans).toStrictEqual(spans.map((span) => expectedSpan(span, wantResource, wantScope)));
      }
    });
  }
});
