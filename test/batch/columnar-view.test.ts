// Proves that openColumnarBatch and the columnar decoder read batches laid out by hand from data-format.md §2.7 into exactly the spans version 1 gives, decode any run or row range alone, and refuse every damaged batch with the typed error of its layer (ERR_BATCH_CORRUPT from the store's checks, ERR_SPAN_CORRUPT from the columns), never another.
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch } from '../../src/batch/decoder.js';
import {
  decodeColumnarBatch,
  decodeColumnarCommon,
  decodeColumnarRows,
  decodeColumnarRun,
} from '../../src/batch/columnar-decoder.js';
import { openColumnarBatch } from '../../src/batch/columnar-view.js';
import { ByteIn } from '../../src/batch/byte-stream.js';
import type { Attributes, AttributeValue, Resource, Scope, Span, SpanInput } from '../../src/batch/types.js';
import { u64Hi, u64Lo } from '../../src/codec/little-endian.js';
import { TraceKvError } from '../../src/errors.js';
import { makeRng } from '../helpers/rng.js';
import {
  COLUMN_COUNT_V2,
  type HandBatch,
  type Pairs,
  type RunSpec,
  Writer,
  buildHand,
  columnsSection,
  layout,
  reseal,
  searchSection,
  sectionsOf,
} from '../helpers/hand-columnar-batch.js';
import { catchTraceKvError } from './samples.js';

const T0 = 1_700_000_000_000_000_000n;
const TRACE_A = '0102030405060708090a0b0c0d0e0f10';
const TRACE_B = 'f0e0d0c0b0a090807060504030201001';
const RESOURCE_INPUT = { attributes: { 'service.name': 'users' } };
const SCOPE_INPUT = { name: 'scope', version: '1.0' };
const COLUMN = { parent: 0, parentIds: 1, flags: 2, traceState: 3, statusMessage: 4, dropped: 5, attributeCounts: 6, attributeKeys: 7, attributeValueTags: 8, attributeValues: 9, events: 10, links: 11, runAttributeBytes: 12 };

/** Own "__proto__" included: plain assignment would set the prototype instead. */
function attributesOf(pairs: Pairs): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of pairs) Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
  return attributes;
}

const ROW0_ATTRIBUTES: Pairs = [
  ['service', 'users'],
  ['ok', true],
  ['no', false],
  ['count', 42n],
  ['neg', -7n],
  ['int64.min', -(2n ** 63n)],
  ['int64.max', 2n ** 63n - 1n],
  ['ratio', 1.5],
  ['blob', new Uint8Array([1, 2, 3])],
  ['empty', ''],
  ['bom', '\uFEFFleading byte-order mark'],
  ['list', ['a', 1n, [true, 2.25], new Uint8Array([])]],
  ['map', { inner: { deep: 'x' }, n: 2.5, arr: [false] }],
  ['__proto__', 'kept as data'],
];
const EVENT_ATTRIBUTES: Pairs = [['attempt', 2n], ['nested', { k: ['v'] }]];

/** Three spans in two runs: a root, its child by row back-reference, and a span with an outside parent. */
function sampleRuns(): RunSpec[] {
  return [
    {
      traceId: TRACE_A,
      rows: [
        {
          spanId: '1111111111111111',
          parent: { none: true },
          name: 'GET /users',
          kind: 2,
          statusCode: 2,
          statusMessage: 'boom',
          start: T0 + 1000n,
          duration: 500n,
          flags: 1,
          traceState: 'k=v',
          dropped: [1, 2, 3],
          attributes: ROW0_ATTRIBUTES,
          events: [{ offset: 10n, name: 'retry', attributes: EVENT_ATTRIBUTES, dropped: 4 }],
          links: [{ traceId: TRACE_B, spanId: 'abcdefabcdefabcd', traceState: 'lts', attributes: [['l', 1n]], dropped: 5, flags: 256 }],
        },
        {
          spanId: '2222222222222222',
          parent: { delta: -1 },
          name: 'SELECT',
          kind: 3,
          statusCode: 0,
          start: T0,
          duration: 100n,
          events: [{ offset: -5n, name: 'early', attributes: [], dropped: 0 }],
        },
      ],
    },
    {
      traceId: TRACE_B,
      rows: [
        {
          spanId: '3333333333333333',
          parent: { id: 'cccccccccccccccc' },
          name: 'GET /users',
          kind: 1,
          statusCode: 1,
          statusMessage: '',
          start: T0 + 5000n,
          duration: -3n,
          flags: 0,
          attributes: [['http.method', 'GET']],
        },
      ],
    },
  ];
}

function sampleHand(runs = sampleRuns()): HandBatch {
  return buildHand(runs, RESOURCE_INPUT, SCOPE_INPUT);
}

function expectedSpans(): Span[] {
  const resource: Resource = { attributes: { 'service.name': 'users' }, droppedAttributesCount: 0 };
  const scope: Scope = { name: 'scope', version: '1.0', attributes: {}, droppedAttributesCount: 0 };
  return [
    {
      traceId: TRACE_A,
      spanId: '1111111111111111',
      name: 'GET /users',
      kind: 2,
      startTimeUnixNano: T0 + 1000n,
      endTimeUnixNano: T0 + 1500n,
      attributes: attributesOf(ROW0_ATTRIBUTES),
      droppedAttributesCount: 1,
      events: [{ timeUnixNano: T0 + 1010n, name: 'retry', attributes: attributesOf(EVENT_ATTRIBUTES), droppedAttributesCount: 4 }],
      droppedEventsCount: 2,
      links: [{ traceId: TRACE_B, spanId: 'abcdefabcdefabcd', traceState: 'lts', attributes: { l: 1n }, droppedAttributesCount: 5, flags: 256 }],
      droppedLinksCount: 3,
      status: { code: 2, message: 'boom' },
      resource,
      scope,
      traceState: 'k=v',
      flags: 1,
    },
    {
      traceId: TRACE_A,
      spanId: '2222222222222222',
      parentSpanId: '1111111111111111',
      name: 'SELECT',
      kind: 3,
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 100n,
      attributes: {},
      droppedAttributesCount: 0,
      events: [{ timeUnixNano: T0 - 5n, name: 'early', attributes: {}, droppedAttributesCount: 0 }],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: 0 },
      resource,
      scope,
    },
    {
      traceId: TRACE_B,
      spanId: '3333333333333333',
      parentSpanId: 'cccccccccccccccc',
      name: 'GET /users',
      kind: 1,
      startTimeUnixNano: T0 + 5000n,
      endTimeUnixNano: T0 + 4997n,
      attributes: { 'http.method': 'GET' },
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: 1 },
      resource,
      scope,
      flags: 0,
    },
  ];
}

/** The same spans as version-1 input, to hold the two decoders to one answer. */
function sampleInputs(): SpanInput[] {
  return expectedSpans().map((span) => {
    const { resource: _resource, scope: _scope, ...input } = span;
    return input;
  });
}

/** A TraceKvError's code, or 'ok' when `action` returns; any other throw fails the test. */
function outcome(action: () => unknown): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    if (error instanceof TraceKvError) return error.code;
    throw new Error(`want a TraceKvError or success; got ${String(error)}`, { cause: error });
  }
}

function withColumn(hand: HandBatch, column: number, bytes: Uint8Array): Uint8Array {
  const columnList = hand.columnList.slice();
  columnList[column] = bytes;
  return layout({ ...hand, columns: columnsSection(columnList) });
}

function setU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
  return bytes;
}

describe('decodeColumnarBatch', () => {
  it('decodes a hand-built batch to the exact expected spans', () => {
    const decoded = decodeColumnarBatch(layout(sampleHand()));
    const expected = expectedSpans();
    expect(decoded.resource).toStrictEqual(expected[0]!.resource);
    expect(decoded.scope).toStrictEqual(expected[0]!.scope);
    expect(decoded.spans).toStrictEqual(expected);
    const [span0, span1, span2] = decoded.spans as [Span, Span, Span];
    expect(Object.getOwnPropertyNames(span0.attributes)).toContain('__proto__');
    expect(Object.getPrototypeOf(span0.attributes)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(span0.attributes.blob)).toBe(Uint8Array.prototype);
    expect(Object.hasOwn(span0, 'parentSpanId')).toBe(false);
    for (const key of ['traceState', 'flags']) expect(Object.hasOwn(span1, key), key).toBe(false);
    expect(Object.hasOwn(span2.status, 'message')).toBe(false);
    expect(span1.resource).toBe(span0.resource);
  });

  it('gives what version 1 gives for the same spans', () => {
    const encoder = new BatchEncoder({ resource: RESOURCE_INPUT, scope: SCOPE_INPUT });
    for (const input of sampleInputs()) encoder.add(input);
    expect(decodeColumnarBatch(layout(sampleHand()))).toStrictEqual(decodeBatch(encoder.finish()));
  });

  it('reads a batch inside a larger Buffer at an odd offset (doubles and bytes included)', () => {
    const batch = layout(sampleHand());
    const holder = Buffer.alloc(batch.length + 7);
    holder.set(batch, 3);
    const decoded = decodeColumnarBatch(holder.subarray(3, 3 + batch.length));
    expect(decoded.spans).toStrictEqual(expectedSpans());
    expect(Object.getPrototypeOf(decoded.spans[0]!.attributes.blob)).toBe(Uint8Array.prototype);
  });

  it('keeps a repeated key in its first place with its last value, as version 1 does, and keeps -0 (which version 1 loses)', () => {
    const runs = sampleRuns();
    runs[1]!.rows[0]!.attributes = [['dup', 'first'], ['other', 1.25], ['dup', 'second'], ['zero', -0]];
    const [, , span] = decodeColumnarBatch(layout(sampleHand(runs))).spans;
    expect(Object.keys(span!.attributes)).toStrictEqual(['dup', 'other', 'zero']);
    expect(span!.attributes.dup).toBe('second');
    expect(Object.is(span!.attributes.zero, -0)).toBe(true);
  });

  it('accepts 64 levels of nesting, as version 1 does, and refuses 65', () => {
    const nested = (levels: number): AttributeValue => {
      let value: AttributeValue = 'leaf';
      for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
      return value;
    };
    const runs = sampleRuns();
    runs[1]!.rows[0]!.attributes = [['deep', nested(64)]];
    const decoded = decodeColumnarBatch(layout(sampleHand(runs)));
    const encoder = new BatchEncoder({ resource: RESOURCE_INPUT, scope: SCOPE_INPUT });
    for (const input of sampleInputs()) encoder.add(input.spanId === '3333333333333333' ? { ...input, attributes: { deep: nested(64) } } : input);
    expect(decoded).toStrictEqual(decodeBatch(encoder.finish()));

    runs[1]!.rows[0]!.attributes = [['deep', nested(65)]];
    const error = catchTraceKvError(() => decodeColumnarBatch(layout(sampleHand(runs))));
    expect(error.code).toBe('ERR_SPAN_CORRUPT');
    expect(error.message).toMatch(/^row 2, column attributeValues: nesting got > 64/);
  });
});

describe('decodeColumnarRows', () => {
  it('decodes every row range and every run alone to the matching slice of the full decode', () => {
    const view = openColumnarBatch(layout(sampleHand()));
    const common = decodeColumnarCommon(view);
    const full = decodeColumnarRows(view, common, 0, view.spanCount);
    expect(full).toStrictEqual(expectedSpans());
    for (let first = 0; first <= view.spanCount; first++) {
      for (let end = first; end <= view.spanCount; end++) {
        expect(decodeColumnarRows(view, common, first, end - first), `rows [${first}, ${end})`).toStrictEqual(full.slice(first, end));
      }
    }
    expect(decodeColumnarRun(view, common, 0)).toStrictEqual(full.slice(0, 2));
    expect(decodeColumnarRun(view, common, 1)).toStrictEqual(full.slice(2));
  });

  it('skips earlier rows by structure only: their string ids go unchecked, their tags do not, and earlier runs\' attributes are jumped over by column 12', () => {
    const hand = sampleHand();
    const badTraceState = new Writer().uvarint(hand.dictionaryCount + 1).uvarint(0).uvarint(0).bytes();
    const view = openColumnarBatch(withColumn(hand, COLUMN.traceState, badTraceState));
    const common = decodeColumnarCommon(view);
    expect(decodeColumnarRun(view, common, 1)).toStrictEqual(expectedSpans().slice(2));
    expect(catchTraceKvError(() => decodeColumnarRun(view, common, 0)).message).toMatch(/^row 0, column traceState: string id got/);

    const tags = hand.columnList[COLUMN.attributeValueTags]!.slice();
    tags[0] = 9;
    const tagView = openColumnarBatch(withColumn(hand, COLUMN.attributeValueTags, tags));
    // Run 1 is reached through column 12's lengths: run 0's attributes are not walked.
    expect(decodeColumnarRun(tagView, common, 1)).toStrictEqual(expectedSpans().slice(2));
    // Row 1 is in run 0: row 0's attributes are skipped one by one, so their tags are checked.
    const error = catchTraceKvError(() => decodeColumnarRows(tagView, common, 1, 1));
    expect(error.code).toBe('ERR_SPAN_CORRUPT');
    expect(error.message).toMatch(/^row 0, column attributeValueTags: AnyValue tag got 9/);
    expect(catchTraceKvError(() => decodeColumnarRun(tagView, common, 0)).message).toMatch(/^row 0, column attributeValueTags: AnyValue tag got 9/);
  });
});

describe('openColumnarBatch', () => {
  it('exposes the trailer, search section and dictionary without reading a column', () => {
    const hand = sampleHand();
    const batch = layout(hand);
    const view = openColumnarBatch(batch);
    const sections = sectionsOf(hand);
    expect([view.commonStart, view.dictionaryStart, view.columnsStart, view.searchStart, view.trailerStart, view.footerStart]).toStrictEqual([
      sections.common[0], sections.dictionary[0], sections.columns[0], sections.search[0], sections.trailer[0], sections.footer[0],
    ]);
    expect([view.spanCount, view.runCount, view.dictionaryCount]).toStrictEqual([3, 2, hand.dictionaryCount]);
    expect([view.minStartTimeUnixNano, view.maxStartTimeUnixNano]).toStrictEqual([T0, T0 + 5000n]);
    expect([view.runTraceIdHex(0), view.runTraceIdHex(1)]).toStrictEqual([TRACE_A, TRACE_B]);
    expect(Buffer.from(view.runTraceId(1)).toString('hex')).toBe(TRACE_B);
    expect([view.runFirstRow(1), view.runRowCount(0), view.runRowCount(1)]).toStrictEqual([2, 2, 1]);
    expect([view.runRootRow(0), view.runRootRow(1)]).toStrictEqual([1, 0]);
    expect([view.runOf(0), view.runOf(1), view.runOf(2)]).toStrictEqual([0, 0, 1]);
    expect([0, 1, 2].map((row) => view.spanIdHex(row))).toStrictEqual(['1111111111111111', '2222222222222222', '3333333333333333']);
    expect(Buffer.from(view.spanId(2)).toString('hex')).toBe('3333333333333333');
    expect([0, 1, 2].map((row) => view.string(view.nameId(row)))).toStrictEqual(['GET /users', 'SELECT', 'GET /users']);
    expect([0, 1, 2].map((row) => [view.kind(row), view.statusCode(row)])).toStrictEqual([[2, 2], [3, 0], [1, 1]]);
    expect([0, 1, 2].map((row) => view.startTimeUnixNano(row))).toStrictEqual([T0 + 1000n, T0, T0 + 5000n]);
    expect([0, 1, 2].map((row) => view.durationNano(row))).toStrictEqual([500n, 100n, -3n]);
    expect(view.endTimeUnixNano(2)).toBe(T0 + 4997n);
    const [lo, hi] = [T0 + 1n, T0 + 1000n];
    expect([0, 1, 2].map((row) => view.startTimeInRange(row, u64Hi(lo), u64Lo(lo), u64Hi(hi), u64Lo(hi)))).toStrictEqual([true, false, false]);
    expect(view.commonBytes()).toStrictEqual(hand.common);
    expect(view.columnsBytes()).toStrictEqual(hand.columns);
  });

  it('holds u64 start times and int64 durations exactly, past 2^53', () => {
    const runs: RunSpec[] = [
      {
        traceId: TRACE_A,
        rows: [
          { spanId: '1111111111111111', parent: { none: true }, name: 'a', kind: 0, statusCode: 0, start: 0n, duration: 2n ** 62n + 1n },
          { spanId: '2222222222222222', parent: { none: true }, name: 'b', kind: 0, statusCode: 0, start: 2n ** 63n - 1n, duration: -(2n ** 62n) - 3n },
          { spanId: '3333333333333333', parent: { none: true }, name: 'c', kind: 0, statusCode: 0, start: 2n ** 64n - 2n, duration: 1n },
        ],
      },
    ];
    const batch = layout(buildHand(runs));
    const view = openColumnarBatch(batch);
    expect([0, 1, 2].map((row) => view.startTimeUnixNano(row))).toStrictEqual([0n, 2n ** 63n - 1n, 2n ** 64n - 2n]);
    expect([0, 1, 2].map((row) => view.durationNano(row))).toStrictEqual([2n ** 62n + 1n, -(2n ** 62n) - 3n, 1n]);
    expect(decodeColumnarBatch(batch).spans.map((span) => span.endTimeUnixNano)).toStrictEqual([2n ** 62n + 1n, 2n ** 62n - 4n, 2n ** 64n - 1n]);
  });

  it('refuses every proper prefix with ERR_BATCH_CORRUPT', () => {
    const batch = layout(sampleHand());
    expect(outcome(() => decodeColumnarBatch(batch))).toBe('ok');
    for (let length = 0; length < batch.length; length++) {
      const error = catchTraceKvError(() => decodeColumnarBatch(batch.subarray(0, length)));
      expect(error.code, `prefix of ${length} bytes: ${error.message}`).toBe('ERR_BATCH_CORRUPT');
    }
  });

  it('refuses every single-byte flip by a CRC or the magics', () => {
    const batch = layout(sampleHand());
    for (let at = 0; at < batch.length; at++) {
      const damaged = batch.slice();
      damaged[at] ^= 0x10;
      const error = catchTraceKvError(() => openColumnarBatch(damaged));
      expect(error.code, `flip at ${at}: ${error.message}`).toBe('ERR_BATCH_CORRUPT');
    }
  });

  it('meets every flip of the header, dictionary, search section and trailer, CRCs recomputed, with a typed error or a valid batch', () => {
    const hand = sampleHand();
    const batch = layout(hand);
    const sections = sectionsOf(hand);
    const counts = new Map<string, number>();
    for (const name of ['header', 'common', 'dictionary', 'search', 'trailer'] as const) {
      const [start, end] = sections[name];
      for (let at = start; at < end; at++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const damaged = batch.slice();
          damaged[at] ^= mask;
          reseal(damaged);
          const opened = outcome(() => openColumnarBatch(damaged));
          const where = `${name} byte ${at} ^ ${mask}`;
          expect(['ok', 'ERR_BATCH_CORRUPT', 'ERR_BATCH_TOO_LARGE'], where).toContain(opened);
          const decoded = opened === 'ok' ? outcome(() => decodeColumnarBatch(damaged)) : opened;
          expect(['ok', 'ERR_BATCH_CORRUPT', 'ERR_BATCH_TOO_LARGE', 'ERR_SPAN_CORRUPT'], where).toContain(decoded);
          const key = `${name}: ${opened} → ${decoded}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
    }
    // The structural checks, not only the CRCs, catch most damage to what the store reads.
    for (const name of ['header', 'dictionary', 'search', 'trailer']) expect(counts.get(`${name}: ERR_BATCH_CORRUPT → ERR_BATCH_CORRUPT`) ?? 0, name).toBeGreaterThan(0);
  });

  it('opens any columns section (the store does not read it) while decoding meets it with ERR_SPAN_CORRUPT or success', () => {
    const seed = 0x2c01;
    const rng = makeRng(seed);
    const hand = sampleHand();
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      let columns: Uint8Array;
      if (i % 3 === 0) {
        columns = rng.bytes(rng.int(120));
      } else if (i % 3 === 1) {
        columns = columnsSection(Array.from({ length: COLUMN_COUNT_V2 }, () => rng.bytes(rng.int(12))));
      } else {
        const list = hand.columnList.map((column) => column.slice());
        for (let n = 1 + rng.int(3); n > 0; n--) {
          const column = list[rng.int(COLUMN_COUNT_V2)]!;
          if (column.length > 0) column[rng.int(column.length)] = rng.int(256);
        }
        columns = columnsSection(list);
      }
      const batch = layout({ ...hand, columns });
      const where = `seed ${seed}, case ${i}`;
      const view = openColumnarBatch(batch);
      const common = decodeColumnarCommon(view);
      const whole = outcome(() => decodeColumnarBatch(batch));
      expect(['ok', 'ERR_SPAN_CORRUPT'], where).toContain(whole);
      for (let run = 0; run < view.runCount; run++) {
        expect(['ok', 'ERR_SPAN_CORRUPT'], `${where}, run ${run}`).toContain(outcome(() => decodeColumnarRun(view, common, run)));
      }
      outcomes.set(whole, (outcomes.get(whole) ?? 0) + 1);
    }
    expect(outcomes.get('ERR_SPAN_CORRUPT') ?? 0, `seed ${seed}`).toBeGreaterThan(100);
  });
});

describe('openColumnarBatch refuses what the store must not take', () => {
  const hand = sampleHand();
  const valid = () => layout(hand);
  const header = (at: number, value: number) => () => reseal(setU32(valid(), at, value));
  const withTrailer = (change: (trailer: Uint8Array) => void) => () => {
    const trailer = hand.trailer.slice();
    change(trailer);
    return layout({ ...hand, trailer });
  };
  const withSearchSpans = (spans: Uint8Array) => () => layout({ ...hand, search: searchSection(spans, hand.searchRuns) });
  const row = (nameId: number, kind: number, status: number, delta: bigint, duration: bigint) =>
    new Writer().uvarint(nameId).u8(kind).u8(status).svarint(delta).svarint(duration);
  /** The sample's search spans part with row 0 replaced. */
  const searchRow0 = (nameId: number, kind: number, status: number, delta: bigint) => {
    const spans = new Writer().raw(row(nameId, kind, status, delta, 500n).bytes());
    spans.raw(row(1, 3, 0, -1000n, 100n).bytes()).raw(row(0, 1, 1, 5000n, -3n).bytes());
    return withSearchSpans(spans.bytes());
  };
  const utf8Check = (bytes: number[]) => () => {
    const dictionary = new Writer().raw(hand.dictionary).uvarint(bytes.length).raw(bytes).bytes();
    return layout({ ...hand, dictionary, dictionaryCount: hand.dictionaryCount + 1 });
  };

  const cases: [string, () => Uint8Array, string, RegExp][] = [
    ['a version-1 batch', () => reseal(setU32(valid(), 4, 1)), 'ERR_BATCH_CORRUPT', /version got 1; want 2/],
    ['flags', () => reseal(setU32(valid(), 4, 2 + 0x10000)), 'ERR_BATCH_CORRUPT', /flags got 1; want 0/],
    ['reserved at 52', header(52, 1), 'ERR_BATCH_CORRUPT', /reserved field at 52 got/],
    ['reserved at 56', header(56, 1), 'ERR_BATCH_CORRUPT', /reserved field at 56 got/],
    ['spanCount 0', header(8, 0), 'ERR_BATCH_CORRUPT', /spanCount got 0; want ≥ 1/],
    ['spanCount past 65,535', header(8, 65_536), 'ERR_BATCH_TOO_LARGE', /spanCount got 65536; want ≤ batchSpansMax 65535/],
    ['runCount 0', header(12, 0), 'ERR_BATCH_CORRUPT', /runCount got 0; want 1..spanCount 3/],
    ['runCount past spanCount', header(12, 4), 'ERR_BATCH_CORRUPT', /runCount got 4/],
    ['min after max', () => reseal(setU32(valid(), 36, 0xffff_ffff)), 'ERR_BATCH_CORRUPT', /minStartTimeUnixNano got .*; want ≤ maxStartTimeUnixNano/],
    ['sections that miss the length', header(16, hand.common.length + 1), 'ERR_BATCH_CORRUPT', /sections sum to/],
    ['a zero trace id', withTrailer((t) => t.fill(0, 20, 36)), 'ERR_BATCH_CORRUPT', /trailer run 1: traceId got all zeros/],
    ['a trace id in two runs', withTrailer((t) => t.copyWithin(20, 0, 16)), 'ERR_BATCH_CORRUPT', /trailer run 1: traceId got .*already run 0's/],
    ['rowCount 0', withTrailer((t) => setU32(t, 36, 0)), 'ERR_BATCH_CORRUPT', /trailer run 1: rowCount got 0/],
    ['rowCounts short of spanCount', withTrailer((t) => setU32(t, 16, 1)), 'ERR_BATCH_CORRUPT', /rowCounts sum to 2; want spanCount 3/],
    ['rowCounts past spanCount', withTrailer((t) => setU32(t, 16, 3)), 'ERR_BATCH_CORRUPT', /trailer run 1: rowCount got 1; want ≤ 0 \(spanCount 3 less the 3 rows of earlier runs\)/],
    ['a rowCount past spanCount', withTrailer((t) => setU32(t, 16, 0xffff_ffff)), 'ERR_BATCH_CORRUPT', /trailer run 0: rowCount got 4294967295; want ≤ 3/],
    ['a zero span id', withTrailer((t) => t.fill(0, 48, 56)), 'ERR_BATCH_CORRUPT', /trailer row 1: spanId got all zeros/],
    ['dictionaryCount past its bytes', () => layout({ ...hand, dictionaryCount: hand.dictionary.length + 1 }), 'ERR_BATCH_CORRUPT', /dictionaryCount got/],
    ['a dictionary with bytes after its strings', () => layout({ ...hand, dictionaryCount: hand.dictionaryCount - 1 }), 'ERR_BATCH_CORRUPT', /strings end at/],
    ['a dictionary short of its strings', () => layout({ ...hand, dictionaryCount: hand.dictionaryCount + 1 }), 'ERR_BATCH_CORRUPT', /dictionary string \d+ of \d+: varint cut/],
    ['a string of bad UTF-8', utf8Check([0xc3, 0x28]), 'ERR_BATCH_CORRUPT', /not UTF-8/],
    ['a string holding a surrogate', utf8Check([0xed, 0xa0, 0x80]), 'ERR_BATCH_CORRUPT', /not UTF-8/],
    ['a spans part longer than the section', () => layout({ ...hand, search: setU32(hand.search.slice(), 0, 0xffff) }), 'ERR_BATCH_CORRUPT', /spans part: length got 65535/],
    ['bytes after the runs part', () => layout({ ...hand, search: new Writer().raw(hand.search).u8(0).bytes() }), 'ERR_BATCH_CORRUPT', /its parts end at/],
    ['a nameId past the dictionary', searchRow0(hand.dictionaryCount, 2, 2, 1000n), 'ERR_BATCH_CORRUPT', /row 0: nameId got/],
    ['kind 6', searchRow0(0, 6, 2, 1000n), 'ERR_BATCH_CORRUPT', /row 0: kind got 6; want ≤ 5/],
    ['statusCode 3', searchRow0(0, 2, 3, 1000n), 'ERR_BATCH_CORRUPT', /row 0: statusCode got 3; want ≤ 2/],
    ['a start before min', searchRow0(0, 2, 2, -1n), 'ERR_BATCH_CORRUPT', /row 0: startDelta got -1/],
    ['a start after max', searchRow0(0, 2, 2, 5001n), 'ERR_BATCH_CORRUPT', /row 0: startDelta got 5001/],
    ['a spans part with a row too many', withSearchSpans(new Writer().raw(hand.searchSpans).raw(row(0, 0, 0, 0n, 0n).bytes()).bytes()), 'ERR_BATCH_CORRUPT', /3 entries end at/],
    ['a spans part a row short', withSearchSpans(hand.searchSpans.subarray(0, hand.searchSpans.length - 4)), 'ERR_BATCH_CORRUPT', /spans part, row 2: (varint cut|got the end)/],
    ['a runs part a run short', () => layout({ ...hand, search: searchSection(hand.searchSpans, Uint8Array.of(1)) }), 'ERR_BATCH_CORRUPT', /runs part, run 1: varint cut/],
    ['a rootRow past its run', () => layout({ ...hand, search: searchSection(hand.searchSpans, Uint8Array.of(1, 2)) }), 'ERR_BATCH_CORRUPT', /run 1: rootRow got 2; want ≤ the run's rowCount 1/],
  ];

  it.each(cases)('%s', (_name, build, code, message) => {
    const error = catchTraceKvError(() => openColumnarBatch(build()));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(typeof error.offset === 'number' || code === 'ERR_BATCH_TOO_LARGE').toBe(true);
  });

  it('refuses by the limits given', () => {
    const batch = valid();
    expect(catchTraceKvError(() => openColumnarBatch(batch, { batchSpansMax: 2 })).code).toBe('ERR_BATCH_TOO_LARGE');
    expect(catchTraceKvError(() => openColumnarBatch(batch, { batchBytesMax: batch.length - 1 })).code).toBe('ERR_BATCH_TOO_LARGE');
    expect(outcome(() => openColumnarBatch(batch, { batchSpansMax: 3, batchBytesMax: batch.length }))).toBe('ok');
  });

  it('adds start deltas modulo 2^64 (§2.7.4), and refuses a start outside [min, max]', () => {
    const starts = [2n ** 63n - 1n, 2n ** 64n - 2n, 2n ** 64n - 1n];
    const runs: RunSpec[] = [
      {
        traceId: TRACE_A,
        rows: starts.map((start, i) => ({ spanId: `${i + 1}`.repeat(16), parent: { none: true }, name: 'w', kind: 0, statusCode: 0, start, duration: 0n })),
      },
    ];
    const base = buildHand([{ ...runs[0]!, rows: [{ ...runs[0]!.rows[0]!, start: 0n }, ...runs[0]!.rows] }]);
    // Rows: 0 at min = 0, 2^63 − 1, 2^64 − 2, then + 10, which is 8 once wrapped, inside [0, 2^64 − 1].
    const spans = new Writer().raw(row(0, 0, 0, 0n, 0n).bytes()).raw(row(0, 0, 0, 2n ** 63n - 1n, 0n).bytes());
    spans.raw(row(0, 0, 0, 2n ** 63n - 1n, 0n).bytes()).raw(row(0, 0, 0, 10n, 0n).bytes());
    const view = openColumnarBatch(layout({ ...base, search: searchSection(spans.bytes(), base.searchRuns) }));
    expect([0, 1, 2, 3].map((r) => view.startTimeUnixNano(r))).toEqual([0n, 2n ** 63n - 1n, 2n ** 64n - 2n, 8n]);
    // With the header max at 2^64 − 2, the same walk ending one higher lands outside.
    const outside = new Writer().raw(row(0, 0, 0, 0n, 0n).bytes()).raw(row(0, 0, 0, 2n ** 63n - 1n, 0n).bytes());
    outside.raw(row(0, 0, 0, 2n ** 63n - 1n, 0n).bytes()).raw(row(0, 0, 0, 1n, 0n).bytes());
    const error = catchTraceKvError(() => openColumnarBatch(layout({ ...base, search: searchSection(outside.bytes(), base.searchRuns), max: 2n ** 64n - 2n })));
    expect(error.code).toBe('ERR_BATCH_CORRUPT');
    expect(error.message).toMatch(/row 3: startDelta got 1, a start of 18446744073709551615; want a start within/);
  });
});

describe('decoding refuses bad columns with ERR_SPAN_CORRUPT naming the row and column', () => {
  const hand = sampleHand();
  const column = (values: (number | bigint)[]) => {
    const writer = new Writer();
    for (const value of values) writer.uvarint(value);
    return writer.bytes();
  };
  const appended = (index: number, bytes: number[]) => new Writer().raw(hand.columnList[index]!).raw(bytes).bytes();
  /** Column 12 as written, but run 0 given one more byte of attribute keys and run 1 one fewer. */
  const shiftedRunIndex = () => {
    const input = new ByteIn(hand.columnList[COLUMN.runAttributeBytes]!, 0, hand.columnList[COLUMN.runAttributeBytes]!.length);
    const lengths = Array.from({ length: 6 }, () => input.uvarint());
    lengths[0]! += 1;
    lengths[3]! -= 1;
    return column(lengths);
  };
  const withRoot = (rootRows: number[]) => layout({ ...hand, search: searchSection(hand.searchSpans, Uint8Array.from(rootRows)) });
  const durationRow1 = (() => {
    const spans = new Writer();
    spans.uvarint(0).u8(2).u8(2).svarint(1000n).svarint(500n);
    spans.uvarint(1).u8(3).u8(0).svarint(-1000n).svarint(-T0 - 1n);
    spans.uvarint(0).u8(1).u8(1).svarint(5000n).svarint(-3n);
    return layout({ ...hand, search: searchSection(spans.bytes(), hand.searchRuns) });
  })();

  const cases: [string, Uint8Array, RegExp][] = [
    ['a string id past the dictionary', withColumn(hand, COLUMN.traceState, column([hand.dictionaryCount + 1, 0, 0])), /^row 0, column traceState: string id got \d+; want < dictionaryCount/],
    ['an unknown AnyValue tag', withColumn(hand, COLUMN.attributeValueTags, Uint8Array.of(8, ...hand.columnList[COLUMN.attributeValueTags]!.subarray(1))), /^row 0, column attributeValueTags: AnyValue tag got 8; want 0..7/],
    ['a parent row in another run', withColumn(hand, COLUMN.parent, column([0, 3, 3])), /^row 2, column parent: parent entry 3 got row 1; want a row of the run \[2, 3\) other than 2/],
    ['a parent row past the batch', withColumn(hand, COLUMN.parent, column([0, 4, 1])), /^row 1, column parent: parent entry 4 got row 2; want a row of the run \[0, 2\)/],
    ['a row its own parent', withColumn(hand, COLUMN.parent, column([0, 2, 1])), /^row 1, column parent: parent entry 2 got row 1; want .* other than 1/],
    ['a zero outside parent id', withColumn(hand, COLUMN.parentIds, new Uint8Array(8)), /^row 2, column parentIds: parent id got all zeros/],
    ['a column with bytes after the last row', withColumn(hand, COLUMN.flags, appended(COLUMN.flags, [0])), /^row 2, column flags: got 1 bytes left after the last row; want 0/],
    ['attribute bytes past what column 12 gives the runs', withColumn(hand, COLUMN.attributeValues, appended(COLUMN.attributeValues, [0])), /^column runAttributeBytes: attributeValues lengths sum to end at \d+; want the column's end \d+/],
    ['column 12 cut short', withColumn(hand, COLUMN.runAttributeBytes, hand.columnList[COLUMN.runAttributeBytes]!.slice(0, 4)), /^column runAttributeBytes: run 1: varint cut/],
    ['column 12 with bytes after its runs', withColumn(hand, COLUMN.runAttributeBytes, appended(COLUMN.runAttributeBytes, [0])), /^column runAttributeBytes: got 1 bytes after 2 runs; want 0/],
    ['column 12 moving a byte of keys from run 1 to run 0', withColumn(hand, COLUMN.runAttributeBytes, shiftedRunIndex()), /^row 1, column attributeKeys: run 0 ends at \d+; column runAttributeBytes says \d+/],
    ['a column short of its rows', withColumn(hand, COLUMN.dropped, column([1, 2, 3, 0, 0, 0, 0, 0])), /^row 2, column dropped: varint cut/],
    ['an attribute count past its columns', withColumn(hand, COLUMN.attributeCounts, column([1_000_000, 0, 1])), /^row 0, column attributeCounts: attribute count got 1000000/],
    ['an event count past its column', withColumn(hand, COLUMN.events, column([1_000_000])), /^row 0, column events: event count got 1000000/],
    ['span flags past u32', withColumn(hand, COLUMN.flags, column([2 ** 32 + 1, 0, 1])), /^row 0, column flags: flags got 4294967296; want ≤ 4294967295/],
    ['a rootRow the parent column contradicts', withRoot([2, 0]), /^row 1, column parent: run 0's rootRow \(search section\) got 2; want 1/],
    ['a run said to have no root', withRoot([0, 0]), /^row 1, column parent: run 0's rootRow \(search section\) got 0; want 1/],
    ['an end time before 0', durationRow1, /^row 1, search section: endTimeUnixNano got -1; want a u64/],
    ['a column count of 11', layout({ ...hand, columns: columnsSection(hand.columnList, 11) }), /^column directory: columnCount got 11; want 13/],
    ['column lengths short of the section', layout({ ...hand, columns: new Writer().raw(hand.columns).u8(0).bytes() }), /^column directory: column lengths sum to/],
    ['an empty columns section', layout({ ...hand, columns: new Uint8Array(0) }), /^column directory: got an empty columns section/],
  ];

  it.each(cases)('%s', (_name, batch, message) => {
    expect(outcome(() => openColumnarBatch(batch))).toBe('ok');
    const error = catchTraceKvError(() => decodeColumnarBatch(batch));
    expect(error.code).toBe('ERR_SPAN_CORRUPT');
    expect(error.message).toMatch(message);
    expect(typeof error.offset).toBe('number');
  });

  it('names the common section at its version-2 offset', () => {
    const batch = layout({ ...hand, common: Uint8Array.of(0xc1) });
    const error = catchTraceKvError(() => decodeColumnarBatch(batch));
    expect(error.code).toBe('ERR_BATCH_CORRUPT');
    expect(error.offset).toBe(64);
  });
});
