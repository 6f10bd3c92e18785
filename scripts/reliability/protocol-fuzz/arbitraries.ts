/**
 * fast-check side of the protocol fuzz: structured request frames (data-format.md §6.2) whose
 * header fields take every shape msgpack can carry, not only the shapes the handlers expect —
 * wrong types, ids of every length, int64 edges, nesting, keys like `toString` and `__proto__`
 * that trip code treating a decoded map as a trusted object.
 */
import fc from 'fast-check';
import { Opcode, encodeFrame } from '../../../src/protocol/frame.js';
import type { Corpus } from './corpus.js';
import { FUZZ_TOKEN } from './corpus.js';
import { damageBatch } from './mutate.js';

const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** Map keys that mean something to JavaScript objects, and the field names the handlers read. */
const KEYS_THAT_BITE = [
  'toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty', 'then', 'length', 'toJSON', '',
  'version', 'token', 'traceId', 'spanId', 'ids', 'raw', 'startTimeUnixNano', 'endTimeUnixNano',
];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function wireValueArbitrary(corpus: Corpus): fc.Arbitrary<unknown> {
  const key = fc.oneof(fc.constantFrom(...KEYS_THAT_BITE), fc.string({ maxLength: 12 }));
  const leaf = fc.oneof(
    fc.constantFrom(null, undefined, true, false, 0, -0, 1, -1, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, '', 'x'),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: INT64_MIN, max: UINT64_MAX }),
    fc.string({ maxLength: 24 }),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map(hex),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((bytes) => hex(bytes).toUpperCase()),
    fc.uint8Array({ maxLength: 24 }),
    fc.constantFrom(...corpus.traceIds, ...corpus.spanIds, new Uint8Array(16), new Uint8Array(8)),
    fc.date(),
  );
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  })).value;
}

function headerArbitrary(corpus: Corpus, value: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  const traceId = fc.oneof(fc.constantFrom(...corpus.traceIds), fc.constantFrom(...corpus.traceIds.map(hex)), fc.uint8Array({ minLength: 16, maxLength: 16 }), value);
  const spanId = fc.oneof(fc.constantFrom(...corpus.spanIds), fc.uint8Array({ minLength: 8, maxLength: 8 }), value);
  const time = fc.oneof(
    fc.constantFrom(corpus.startTimeUnixNano, corpus.endTimeUnixNano, 0n, -1n, INT64_MIN, -INT64_MIN - 1n, UINT64_MAX),
    fc.bigInt({ min: INT64_MIN, max: UINT64_MAX }),
    fc.integer(),
    value,
  );
  const query = fc.record({ traceId, startTimeUnixNano: time, endTimeUnixNano: time }, { requiredKeys: ['traceId'] });
  const fields = fc.record(
    {
      version: fc.oneof(fc.constant(1), value),
      token: fc.oneof(fc.constant(FUZZ_TOKEN), value),
      traceId,
      spanId,
      ids: fc.oneof(fc.array(fc.oneof(traceId, query), { maxLength: 6 }), value),
      startTimeUnixNano: time,
      endTimeUnixNano: time,
      raw: fc.oneof(fc.boolean(), value),
    },
    { requiredKeys: [] },
  );
  const extras = fc.dictionary(fc.oneof(fc.constantFrom(...KEYS_THAT_BITE), fc.string({ maxLength: 12 })), value, { maxKeys: 3 });
  return fc.tuple(fields, extras).map(([known, extra]) => Object.assign(extra, known) as Record<string, unknown>);
}

function payloadArbitrary(corpus: Corpus): fc.Arbitrary<Uint8Array> {
  const batch = corpus.appendBatch;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 128 }) },
    { weight: 3, arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.boolean()).map(([at, value, refresh]) => damageBatch(batch, at, value, refresh)) },
    { weight: 1, arbitrary: fc.nat({ max: batch.length - 1 }).map((cut) => batch.subarray(0, cut)) },
    // Rare, so the store does not grow much: most appends of the fuzz must fail, and cleanly.
    { weight: 1, arbitrary: fc.constant(batch) },
  );
}

export interface FrameSpec {
  opcode: number;
  flags: number;
  requestId: number;
  header: unknown;
  payload: Uint8Array;
}

export function frameArbitrary(corpus: Corpus): fc.Arbitrary<FrameSpec> {
  const value = wireValueArbitrary(corpus);
  const requests = [Opcode.HELLO, Opcode.APPEND, Opcode.GET_SPAN, Opcode.GET_TRACE, Opcode.GET_TRACES, Opcode.STATS, Opcode.PING];
  return fc.record({
    opcode: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...requests) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
    flags: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
    requestId: fc.nat({ max: 0xffffffff }),
    // A header that is not a map at all now and then: §6.1 calls that malformed.
    header: fc.oneof({ weight: 12, arbitrary: headerArbitrary(corpus, value) }, { weight: 1, arbitrary: value }),
    payload: payloadArbitrary(corpus),
  });
}

/**
 * `count` frames drawn with fast-check from `seed` (the same seed gives the same frames). A spec
 * msgpack cannot encode (a bigint past 64 bits, say) is dropped: the wire cannot carry it.
 */
export function sampleFrames(arbitrary: fc.Arbitrary<FrameSpec>, seed: number, count: number): Buffer[] {
  const frames: Buffer[] = [];
  for (const spec of fc.sample(arbitrary, { seed, numRuns: count })) {
    try {
      frames.push(encodeFrame(spec.opcode, spec.flags, spec.requestId, spec.header as Record<string, unknown>, spec.payload));
    } catch {
      // Not encodable: nothing a peer could send either.
    }
  }
  return frames;
}
