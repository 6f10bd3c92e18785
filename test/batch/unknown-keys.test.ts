// Proves that BatchEncoder refuses every key it does not know, in the resource, scope, span, event, link and status objects and in its own options, with a message that names the key and where it belongs, instead of storing the object without it.
import { describe, expect, it } from 'vitest';
import { BatchEncoder, type BatchEncoderOptions } from '../../src/batch/encoder.js';
import { decodeBatch } from '../../src/batch/decoder.js';
import { EVENT_KEYS, LINK_KEYS, SPAN_KEYS, STATUS_KEYS } from '../../src/batch/input-keys.js';
import type { SpanInput } from '../../src/batch/types.js';
import { catchTraceKvError, plainSpan, richSpan } from './samples.js';

/** A span with extra fields; the cast is the point of the test. */
function span(overrides: Record<string, unknown>): SpanInput {
  return { ...plainSpan(0), ...overrides } as SpanInput;
}

function addError(input: SpanInput): { code: string; message: string } {
  const encoder = new BatchEncoder({ resource: {} });
  const error = catchTraceKvError(() => encoder.add(input));
  // A refused span leaves the encoder as it was.
  expect(encoder.spanCount).toBe(0);
  return error;
}

function encoderError(options: Record<string, unknown>): { code: string; message: string; option?: string } {
  return catchTraceKvError(() => new BatchEncoder(options as unknown as BatchEncoderOptions));
}

const LINK = { traceId: '1'.repeat(32), spanId: '2'.repeat(16) };

describe('span keys', () => {
  it("rejects a span's `attrs` that was silently dropped with its attributes", () => {
    const error = addError(span({ attrs: { 'http.method': 'GET' } }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('span: unknown key "attrs"; did you mean span.attributes?');
  });

  it('rejects a flat `statusCode: 2` that was silently stored as status UNSET', () => {
    const error = addError(span({ statusCode: 2 }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('span: unknown key "statusCode"; the status code goes in span.status.code');
  });

  it('rejects `parentId` that silently turned a child span into a root', () => {
    expect(addError(span({ parentId: '3'.repeat(16) })).message).toBe('span: unknown key "parentId"; did you mean span.parentSpanId?');
  });

  it('rejects a dotted attribute name at the top of a span, where it was silently dropped', () => {
    expect(addError(span({ 'http.method': 'GET' })).message).toBe('span: unknown key "http.method"; span attributes go in span.attributes');
  });

  it('rejects snake_case and differently-cased field names, suggesting the field meant', () => {
    expect(addError(span({ parent_span_id: '3'.repeat(16) })).message).toBe('span: unknown key "parent_span_id"; did you mean span.parentSpanId?');
    expect(addError(span({ traceState: undefined, tracestate: 'a=b' })).message).toBe('span: unknown key "tracestate"; did you mean span.traceState?');
    expect(addError(span({ event: [] })).message).toBe('span: unknown key "event"; did you mean span.events?');
  });

  it('rejects a resource or scope on the span, pointing to the encoder options', () => {
    expect(addError(span({ resource: {} })).message).toContain('span: unknown key "resource"; the resource goes in the BatchEncoder options');
    expect(addError(span({ scope: {} })).message).toContain('span: unknown key "scope"; the scope goes in the BatchEncoder options');
  });

  it('rejects an arbitrary unknown key, listing the known ones', () => {
    expect(addError(span({ zzz: 1 })).message).toBe(
      'span: unknown key "zzz"; want one of traceId, spanId, parentSpanId, name, kind, startTimeUnixNano, endTimeUnixNano, attributes, ' +
        'droppedAttributesCount, events, droppedEventsCount, links, droppedLinksCount, status, traceState, flags',
    );
  });

  it('rejects an unknown key even when its value is undefined', () => {
    expect(addError(span({ attrs: undefined })).message).toBe('span: unknown key "attrs"; did you mean span.attributes?');
  });

  it('treats a known key set to undefined as absent', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const keys = Object.keys(richSpan());
    const optional = keys.filter((key) => !['traceId', 'spanId', 'name', 'startTimeUnixNano', 'endTimeUnixNano'].includes(key));
    encoder.add(span(Object.fromEntries(optional.map((key) => [key, undefined]))));
    encoder.add({ ...richSpan(), events: [{ timeUnixNano: 1n, name: 'e', attributes: undefined, droppedAttributesCount: undefined }], status: { code: 1, message: undefined } });
    expect(decodeBatch(encoder.finish()).spans).toHaveLength(2);
  });

  it('accepts every key of each table in the hot-path switches (the cases and the tables agree)', () => {
    const base = plainSpan(0) as unknown as Record<string, unknown>;
    const event: Record<string, unknown> = { timeUnixNano: 1n, name: 'e' };
    const status: Record<string, unknown> = { code: 1 };
    const encoder = new BatchEncoder({ resource: {} });
    for (const key of SPAN_KEYS.keys) encoder.add(span({ [key]: base[key] }));
    for (const key of EVENT_KEYS.keys) encoder.add(span({ events: [{ ...event, [key]: event[key] }] }));
    for (const key of LINK_KEYS.keys) encoder.add(span({ links: [{ ...LINK, [key]: (LINK as Record<string, unknown>)[key] }] }));
    for (const key of STATUS_KEYS.keys) encoder.add(span({ status: { ...status, [key]: status[key] } }));
    expect(encoder.spanCount).toBe(SPAN_KEYS.keys.length + EVENT_KEYS.keys.length + LINK_KEYS.keys.length + STATUS_KEYS.keys.length);
  });

  it('checks inherited enumerable keys too, as field reads see them', () => {
    const inherited = Object.create({ attrs: { a: 1 } }) as Record<string, unknown>;
    Object.assign(inherited, plainSpan(0));
    expect(addError(inherited as unknown as SpanInput).message).toBe('span: unknown key "attrs"; did you mean span.attributes?');
  });

  it('leaves attribute maps free-form: any key is an attribute', () => {
    const encoder = new BatchEncoder({ resource: { attributes: { attrs: 1, statusCode: 2, 'service.name': 's' } } });
    encoder.add(span({ attributes: { attrs: 1, statusCode: 2, parentId: 'x', traceId: 'y' }, events: [{ timeUnixNano: 1n, name: 'e', attributes: { time: 1 } }] }));
    expect(decodeBatch(encoder.finish()).spans[0]!.attributes).toEqual({ attrs: 1, statusCode: 2, parentId: 'x', traceId: 'y' });
  });
});

describe('event, link and status keys', () => {
  it('rejects an event `time` that was silently dropped, naming the event', () => {
    const events = [{ timeUnixNano: 1n, name: 'ok' }, { timeUnixNano: 2n, name: 'retry', time: 3n }];
    const error = addError(span({ events }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('span.events[1]: unknown key "time"; did you mean span.events[1].timeUnixNano?');
  });

  it('rejects event `attrs` and dotted event keys', () => {
    expect(addError(span({ events: [{ timeUnixNano: 1n, name: 'e', attrs: {} }] })).message).toBe('span.events[0]: unknown key "attrs"; did you mean span.events[0].attributes?');
    expect(addError(span({ events: [{ timeUnixNano: 1n, name: 'e', 'exception.type': 'E' }] })).message).toBe(
      'span.events[0]: unknown key "exception.type"; event attributes go in span.events[0].attributes',
    );
  });

  it('rejects a link `traceID` and a link `attrs` that were silently dropped', () => {
    const error = addError(span({ links: [LINK, { ...LINK, attrs: { k: 'v' } }] }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('span.links[1]: unknown key "attrs"; did you mean span.links[1].attributes?');
    expect(addError(span({ links: [{ spanId: LINK.spanId, traceId: LINK.traceId, traceID: LINK.traceId }] })).message).toBe(
      'span.links[0]: unknown key "traceID"; did you mean span.links[0].traceId?',
    );
  });

  it('rejects a link key unknown to everything, listing the known ones', () => {
    expect(addError(span({ links: [{ ...LINK, weight: 1 }] })).message).toBe(
      'span.links[0]: unknown key "weight"; want one of traceId, spanId, traceState, attributes, droppedAttributesCount, flags',
    );
  });

  it('rejects a status `description` (the OTel Java name) that silently lost the message', () => {
    const error = addError(span({ status: { code: 2, description: 'boom' } }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('span.status: unknown key "description"; did you mean span.status.message?');
    expect(addError(span({ status: { code: 2, statusCode: 2 } })).message).toBe('span.status: unknown key "statusCode"; did you mean span.status.code?');
    expect(addError(span({ status: { code: 0, extra: true } })).message).toBe('span.status: unknown key "extra"; want one of code, message');
  });
});

describe('resource, scope and encoder option keys', () => {
  it("rejects a flat resource { 'service.name' } that was silently dropped", () => {
    const error = encoderError({ resource: { 'service.name': 'checkout' } });
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('resource: unknown key "service.name"; resource attributes go in resource.attributes');
  });

  it('rejects a resource `serviceName` and `attrs`', () => {
    expect(encoderError({ resource: { serviceName: 'checkout' } }).message).toBe(
      `resource: unknown key "serviceName"; the service name goes in resource.attributes['service.name']`,
    );
    expect(encoderError({ resource: { attrs: {} } }).message).toBe('resource: unknown key "attrs"; did you mean resource.attributes?');
    expect(encoderError({ resource: { ttl: 1 } }).message).toBe('resource: unknown key "ttl"; want one of attributes, droppedAttributesCount, schemaUrl');
  });

  it('rejects scope keys that were silently dropped', () => {
    const error = encoderError({ resource: {}, scope: { name: 'lib', 'otel.scope.kind': 'x' } });
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('scope: unknown key "otel.scope.kind"; scope attributes go in scope.attributes');
    expect(encoderError({ resource: {}, scope: { name: 'lib', schemaURL: 'x' } }).message).toBe('scope: unknown key "schemaURL"; did you mean scope.schemaUrl?');
    expect(encoderError({ resource: {}, scope: { id: 1 } }).message).toBe('scope: unknown key "id"; want one of name, version, attributes, droppedAttributesCount, schemaUrl');
  });

  it('rejects an encoder option it does not know, naming it, instead of ignoring it', () => {
    const error = encoderError({ resource: {}, maxBatchBytes: 1024 });
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.option).toBe('maxBatchBytes');
    expect(error.message).toBe('option maxBatchBytes: unknown BatchEncoder option; did you mean batchBytesMax?');
    expect(encoderError({ resource: {}, batchspansmax: 5 }).message).toBe('option batchspansmax: unknown BatchEncoder option; did you mean batchSpansMax?');
    expect(encoderError({ resource: {}, compress: true }).message).toBe('option compress: unknown BatchEncoder option; want one of resource, scope, batchBytesMax, batchSpansMax');
  });

  it('rejects resource attributes given straight in the encoder options', () => {
    expect(encoderError({ 'service.name': 'checkout', resource: {} }).message).toBe(
      'option service.name: unknown BatchEncoder option; resource attributes go in resource.attributes',
    );
    expect(encoderError({ service: 'checkout', resource: {} }).message).toBe(
      `option service: unknown BatchEncoder option; the service name goes in resource.attributes['service.name']`,
    );
  });
});
