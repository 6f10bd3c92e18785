// Proves that every kind of invalid span, resource or scope is refused with ERR_INVALID_ARGUMENT and a message that names the offending field.
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import type { ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';
import { catchTraceKvError, INT64_MAX, INT64_MIN, plainSpan, U64_MAX } from './samples.js';

/** Builds a span with one field made bad; the cast is the point of the test. */
function span(overrides: Record<string, unknown>): SpanInput {
  return { ...plainSpan(0), ...overrides } as SpanInput;
}

function cyclic(): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  object.self = object;
  return object;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('span validation', () => {
  const cases: [string, SpanInput, string][] = [
    ['non-object span', null as unknown as SpanInput, 'span: got null; want an object'],
    ['bad hex traceId', span({ traceId: 'xyz' }), 'span.traceId: got "xyz"'],
    ['short spanId', span({ spanId: new Uint8Array(7) }), 'span.spanId: got a Uint8Array of 7 bytes'],
    ['all-zero spanId', span({ spanId: '0000000000000000' }), 'span.spanId: got "0000000000000000"; want a non-zero id'],
    ['all-zero parent', span({ parentSpanId: '0000000000000000' }), 'span.parentSpanId'],
    ['number start time', span({ startTimeUnixNano: 1_700_000_000_000 }), 'span.startTimeUnixNano: got 1700000000000; want a bigint'],
    ['negative end time', span({ endTimeUnixNano: -1n }), 'span.endTimeUnixNano: got -1n'],
    ['end past u64', span({ endTimeUnixNano: U64_MAX + 1n }), 'span.endTimeUnixNano'],
    ['duration past int64', span({ startTimeUnixNano: 0n, endTimeUnixNano: U64_MAX }), 'span.endTimeUnixNano − span.startTimeUnixNano'],
    ['name missing', span({ name: undefined }), 'span.name: got undefined; want a string'],
    ['lone surrogate name', span({ name: 'a\ud800b' }), 'span.name: got "a\\ud800b"; want a well-formed string'],
    ['kind 6', span({ kind: 6 }), 'span.kind: got 6; want an integer in [0, 5]'],
    ['kind 1.5', span({ kind: 1.5 }), 'span.kind: got 1.5'],
    ['null attribute', span({ attributes: { 'http.url': null } }), 'span.attributes["http.url"]: got null; want a string, number'],
    ['undefined attribute', span({ attributes: { a: undefined } }), 'span.attributes["a"]: got undefined'],
    ['function attribute', span({ attributes: { f: () => 1 } }), 'span.attributes["f"]: got a function'],
    ['symbol attribute', span({ attributes: { s: Symbol('s') } }), 'span.attributes["s"]: got a symbol'],
    ['Date attribute', span({ attributes: { d: new Date(0) } }), 'span.attributes["d"]: got a Date'],
    ['Map attribute', span({ attributes: { m: new Map() } }), 'span.attributes["m"]: got a Map'],
    ['nested null', span({ attributes: { list: [1, [2, null]] } }), 'span.attributes["list"][1][1]: got null'],
    ['nested map null', span({ attributes: { m: { inner: { x: null } } } }), 'span.attributes["m"]["inner"]["x"]: got null'],
    ['bigint above int64', span({ attributes: { n: INT64_MAX + 1n } }), 'span.attributes["n"]: got 9223372036854775808n; want a bigint in the int64 range'],
    ['bigint below int64', span({ attributes: { n: INT64_MIN - 1n } }), 'span.attributes["n"]'],
    ['attributes not an object', span({ attributes: [1] }), 'span.attributes: got an array of 1; want a plain object'],
    ['cyclic attributes', span({ attributes: cyclic() }), 'nesting ≤ 64 levels'],
    ['too deep', span({ attributes: { deep: nested(65) } }), 'nesting ≤ 64 levels'],
    ['negative dropped count', span({ droppedAttributesCount: -1 }), 'span.droppedAttributesCount: got -1; want an integer in [0, 4294967295]'],
    ['fractional dropped events', span({ droppedEventsCount: 0.5 }), 'span.droppedEventsCount'],
    ['dropped links past u32', span({ droppedLinksCount: 2 ** 32 }), 'span.droppedLinksCount'],
    ['events not an array', span({ events: {} }), 'span.events: got an object; want an array'],
    ['event number time', span({ events: [{ timeUnixNano: 1, name: 'e' }] }), 'span.events[0].timeUnixNano: got 1'],
    ['event without name', span({ events: [{ timeUnixNano: 1n }] }), 'span.events[0].name'],
    ['event bad attribute', span({ events: [{ timeUnixNano: 1n, name: 'e', attributes: { x: null } }] }), 'span.events[0].attributes["x"]'],
    ['link bad traceId', span({ links: [{ traceId: 'nope', spanId: '1'.repeat(16) }] }), 'span.links[0].traceId: got "nope"'],
    ['link bad spanId', span({ links: [{ traceId: '1'.repeat(32), spanId: 7 }] }), 'span.links[0].spanId: got 7'],
    ['link bad flags', span({ links: [{ traceId: '1'.repeat(32), spanId: '1'.repeat(16), flags: -1 }] }), 'span.links[0].flags'],
    ['status code 3', span({ status: { code: 3 } }), 'span.status.code: got 3; want 0 (UNSET), 1 (OK) or 2 (ERROR)'],
    ['status message number', span({ status: { code: 2, message: 5 } }), 'span.status.message: got 5; want a string'],
    ['traceState number', span({ traceState: 1 }), 'span.traceState: got 1; want a string'],
    ['flags negative', span({ flags: -1 }), 'span.flags: got -1'],
    ['flags as bigint', span({ flags: 1n }), 'span.flags: got 1n'],
  ];
  for (const [why, input, message] of cases) {
    it(`refuses ${why}`, () => {
      const encoder = new BatchEncoder({ resource: {} });
      const error = catchTraceKvError(() => encoder.add(input));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toContain(message);
    });
  }

  it('accepts the largest nesting allowed', () => {
    const encoder = new BatchEncoder({ resource: {} });
    encoder.add(span({ attributes: { deep: nested(64) } }));
    expect(encoder.spanCount).toBe(1);
  });

  it('refuses bad addRaw arguments', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const bytes = new Uint8Array([1]);
    expect(catchTraceKvError(() => encoder.addRaw('1'.repeat(32), '1'.repeat(16), 5 as unknown as bigint, bytes)).message).toMatch(/^addRaw\.startTimeUnixNano: got 5;/);
    expect(catchTraceKvError(() => encoder.addRaw('0'.repeat(32), '1'.repeat(16), 5n, bytes)).message).toMatch(/^addRaw\.traceId:/);
    expect(catchTraceKvError(() => encoder.addRaw('1'.repeat(32), '1'.repeat(16), 5n, [1] as unknown as Uint8Array)).message).toMatch(/^addRaw bytes: got an array of 1;/);
  });

  it('refuses finishing an empty batch', () => {
    const error = catchTraceKvError(() => new BatchEncoder({ resource: {} }).finish());
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toMatch(/^finish: got a batch of 0 spans; want ≥ 1/);
  });
});

describe('resource and scope validation', () => {
  const cases: [ResourceInput, ScopeInput | undefined, string][] = [
    [undefined as unknown as ResourceInput, undefined, 'resource: got undefined; want an object'],
    [{ attributes: { x: null } } as unknown as ResourceInput, undefined, 'resource.attributes["x"]: got null'],
    [{ droppedAttributesCount: -2 }, undefined, 'resource.droppedAttributesCount: got -2'],
    [{ schemaUrl: 3 } as unknown as ResourceInput, undefined, 'resource.schemaUrl: got 3'],
    [{}, 'scope' as unknown as ScopeInput, 'scope: got "scope"; want an object'],
    [{}, { name: 1 } as unknown as ScopeInput, 'scope.name: got 1'],
    [{}, { version: null } as unknown as ScopeInput, 'scope.version: got null'],
    [{}, { attributes: { y: [undefined] } } as unknown as ScopeInput, 'scope.attributes["y"][0]: got undefined'],
    [{}, { droppedAttributesCount: 1.5 }, 'scope.droppedAttributesCount: got 1.5'],
  ];
  for (const [resource, scope, message] of cases) {
    it(`refuses ${message}`, () => {
      const error = catchTraceKvError(() => new BatchEncoder({ resource, scope }));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toContain(message);
    });
  }
});
