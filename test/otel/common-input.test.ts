// Proves an SDK resource and scope become the ResourceInput and ScopeInput an OTLP round trip of them means, empty values (null, undefined) included: left out, and counted when they are a whole attribute (data-format.md §7.1).
import { describe, expect, it } from 'vitest';
import { encodeCommon } from '../../src/batch/common.js';
import { resourceInput, scopeInput } from '../../src/otel/common-input.js';
import type { OtelResource, OtelScope } from '../../src/otel/otel-types.js';

describe('resourceInput and scopeInput', () => {
  it('leave out empty values and count the top-level ones as dropped', () => {
    const resource = { attributes: { 'service.name': 'svc', gone: null, list: ['x', null, 'y', undefined], nested: { a: 1, b: null }, missing: undefined }, schemaUrl: '' } as unknown as OtelResource;
    expect(resourceInput(resource)).toEqual({ attributes: { 'service.name': 'svc', list: ['x', 'y'], nested: { a: 1n } }, droppedAttributesCount: 2 });
    const scope = { name: 'lib', version: '1.0', attributes: { kept: 2.5, gone: null } } as unknown as OtelScope;
    expect(scopeInput(scope)).toEqual({ name: 'lib', version: '1.0', attributes: { kept: 2.5 }, droppedAttributesCount: 1 });
    // Both encode: an empty value never reaches the encoder, which would refuse it.
    expect(() => encodeCommon(resourceInput(resource), scopeInput(scope))).not.toThrow();
  });

  it('add no dropped count when nothing is empty', () => {
    const resource = { attributes: { 'service.name': 'svc', cores: 8 }, schemaUrl: 'https://example.com/s' } as unknown as OtelResource;
    expect(resourceInput(resource)).toEqual({ attributes: { 'service.name': 'svc', cores: 8n }, schemaUrl: 'https://example.com/s' });
    expect(scopeInput({ name: 'lib' } as OtelScope)).toEqual({ name: 'lib' });
  });
});
