// Proves the protobuf wire reader decodes every wire type exactly (64-bit values as exact halves), skips unknown fields, nests without limit confusion up to PROTOBUF_NESTING_DEPTH_MAX and no further, and answers every truncated, overlong or malformed input with ERR_INVALID_ARGUMENT, never another error.
import { describe, expect, it } from 'vitest';
import { PROTOBUF_NESTING_DEPTH_MAX } from '../../src/constants.js';
import { TraceKvError } from '../../src/errors.js';
import { ProtobufReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../src/otlp/protobuf-reader.js';
import { ProtoWriter } from '../../scripts/testkit/otlp-request.js';
import { makeRng, testSeed } from '../helpers/rng.js';

/** The test schema: 1 varint, 2 fixed64, 3 bytes, 4 a nested message of this schema, 5 fixed32, 6 double; anything else skipped. */
interface Walked {
  varints: bigint[];
  fixed64s: bigint[];
  strings: string[];
  fixed32s: number[];
  doubles: number[];
  skipped: number[];
  depthMax: number;
}

function walk(reader: ProtobufReader, into: Walked, depth = 1): Walked {
  into.depthMax = Math.max(into.depthMax, depth);
  while (reader.nextField()) {
    switch (reader.fieldNumber) {
      case 1:
        reader.readVarint();
        into.varints.push(reader.uint64());
        break;
      case 2:
        reader.readFixed64();
        into.fixed64s.push(reader.uint64());
        break;
      case 3: {
        const end = reader.lengthDelimited();
        into.strings.push(Buffer.from(reader.bytes.subarray(reader.pos, end)).toString('utf8'));
        reader.pos = end;
        break;
      }
      case 4: {
        const outer = reader.enter();
        walk(reader, into, depth + 1);
        reader.leave(outer);
        break;
      }
      case 5:
        into.fixed32s.push(reader.fixed32());
        break;
      case 6:
        into.doubles.push(reader.double());
        break;
      default:
        into.skipped.push(reader.fieldNumber);
        reader.skipValue();
    }
  }
  return into;
}

function walkAll(bytes: Uint8Array): Walked {
  return walk(new ProtobufReader(bytes), { varints: [], fixed64s: [], strings: [], fixed32s: [], doubles: [], skipped: [], depthMax: 0 });
}

function rejection(bytes: Uint8Array): TraceKvError {
  try {
    walkAll(bytes);
  } catch (error) {
    if (error instanceof TraceKvError) return error;
    throw error;
  }
  throw new Error(`accepted ${Buffer.from(bytes).toString('hex')}`);
}

const EDGE_U64 = [0n, 1n, 127n, 128n, 16_383n, 16_384n, 0x7fffffffn, 0xffffffffn, 1n << 32n, (1n << 35n) - 1n, 1n << 35n, 1n << 63n, (1n << 64n) - 1n];

describe('ProtobufReader', () => {
  it('reads varints and fixed 64-bit values exactly, as u32 halves and as BigInt', () => {
    const seed = testSeed();
    const rng = makeRng(seed);
    const values = [...EDGE_U64];
    for (let i = 0; i < 500; i++) values.push((BigInt(rng.int(2 ** 32)) << 32n) | BigInt(rng.int(2 ** 32)));
    const writer = new ProtoWriter();
    for (const value of values) writer.tag(1, WIRE_VARINT).varint(value).tag(2, WIRE_I64).rawFixed64(value);
    const walked = walkAll(writer.bytes);
    expect(walked.varints, `seed ${seed}`).toEqual(values);
    expect(walked.fixed64s, `seed ${seed}`).toEqual(values);

    const reader = new ProtobufReader(new ProtoWriter().varint((1n << 64n) - 2n).bytes);
    reader.readVarint();
    expect([reader.lo, reader.hi, reader.int64()]).toEqual([0xfffffffe, 0xffffffff, -2n]);
  });

  it('reads int32 enums sign-extended to 10 bytes, uint32 and bool, fixed32 and double', () => {
    const bytes = new ProtoWriter().varint(-1n).varint(-2147483648n).varint(0xffffffffn).varint(5n).bytes;
    const reader = new ProtobufReader(bytes);
    expect(reader.int32()).toBe(-1);
    expect(reader.int32()).toBe(-2147483648);
    expect(reader.uint32()).toBe(0xffffffff);
    expect(reader.bool()).toBe(true);
    const walked = walkAll(new ProtoWriter().tag(5, WIRE_I32).rawFixed32(0xdeadbeef).tag(6, WIRE_I64).rawDouble(-0.125).tag(6, WIRE_I64).rawDouble(1e300).bytes);
    expect(walked.fixed32s).toEqual([0xdeadbeef]);
    expect(walked.doubles).toEqual([-0.125, 1e300]);
  });

  it('skips unknown fields of every wire type and reads the known ones around them', () => {
    const inner = new ProtoWriter().tag(3, WIRE_LEN).varint(2n).raw(0x68, 0x69).bytes;
    const bytes = new ProtoWriter()
      .tag(100, WIRE_VARINT).varint((1n << 64n) - 1n)
      .tag(1, WIRE_VARINT).varint(7n)
      .tag(101, WIRE_I64).rawFixed64(9n)
      .bytesField(102, new Uint8Array(300))
      .tag(103, WIRE_I32).rawFixed32(1)
      .bytesField(4, inner)
      .tag(0x1fffffff, WIRE_VARINT).varint(1n)
      .bytes;
    expect(walkAll(bytes)).toMatchObject({ varints: [7n], strings: ['hi'], skipped: [100, 101, 102, 103, 0x1fffffff], depthMax: 2 });
  });

  it(`follows messages nested ${PROTOBUF_NESTING_DEPTH_MAX} deep and refuses one more`, () => {
    const nested = (levels: number): Uint8Array => {
      let message = new ProtoWriter().tag(1, WIRE_VARINT).varint(42n).bytes;
      for (let i = 0; i < levels; i++) message = new ProtoWriter().bytesField(4, message).bytes;
      return message;
    };
    expect(walkAll(nested(PROTOBUF_NESTING_DEPTH_MAX))).toMatchObject({ varints: [42n], depthMax: PROTOBUF_NESTING_DEPTH_MAX + 1 });
    expect(rejection(nested(PROTOBUF_NESTING_DEPTH_MAX + 1)).message).toMatch(/nested \d+ deep; want at most/);
  });

  it('refuses malformed input with ERR_INVALID_ARGUMENT naming the offset', () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['varint over 10 bytes', new ProtoWriter().tag(1, WIRE_VARINT).raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).bytes, /longer than 10 bytes/],
      ['10th varint byte over 1', new ProtoWriter().tag(1, WIRE_VARINT).raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02).bytes, /10th byte got 2/],
      ['length past the end', new ProtoWriter().tag(3, WIRE_LEN).varint(5n).raw(1, 2).bytes, /length got 5 bytes; want at most 2/],
      ['length over 2^32', new ProtoWriter().tag(3, WIRE_LEN).varint(1n << 40n).bytes, /length got over 2\^32/],
      ['field number 0', new ProtoWriter().tag(0, WIRE_VARINT).varint(1n).bytes, /field number got 0/],
      ['field number over 2^29', new ProtoWriter().varint((1n << 32n) | 0n).varint(1n).bytes, /field number got over 2\^29/],
      ['group start (wire type 3)', new ProtoWriter().tag(7, 3).bytes, /wire type got 3/],
      ['wire type 6', new ProtoWriter().tag(7, 6).bytes, /wire type got 6/],
      // The inner length would fit in the buffer, not in its parent message: the parent's end is the limit.
      ['nested length past its parent', new ProtoWriter().tag(4, WIRE_LEN).varint(2n).tag(3, WIRE_LEN).varint(9n).raw(...new Array<number>(12).fill(0)).bytes, /length got 9 bytes; want at most 0/],
    ];
    for (const [name, bytes, want] of cases) {
      const error = rejection(bytes);
      expect(error.code, name).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message, name).toMatch(/^protobuf at offset \d+: /);
      expect(error.message, name).toMatch(want);
    }
  });

  it('answers every prefix of a message with its fields so far or ERR_INVALID_ARGUMENT, and every cut inside a field with the error', () => {
    const inner = new ProtoWriter().tag(1, WIRE_VARINT).varint(300n).tag(3, WIRE_LEN).varint(3n).raw(0x61, 0x62, 0x63).bytes;
    const writer = new ProtoWriter();
    const boundaries = [0];
    const field = (add: (w: ProtoWriter) => void) => {
      add(writer);
      boundaries.push(writer.bytes.length);
    };
    field((w) => w.tag(1, WIRE_VARINT).varint((1n << 64n) - 1n));
    field((w) => w.tag(2, WIRE_I64).rawFixed64(123456789n));
    field((w) => w.bytesField(4, inner));
    field((w) => w.tag(5, WIRE_I32).rawFixed32(77));
    field((w) => w.tag(6, WIRE_I64).rawDouble(2.5));
    field((w) => w.tag(99, WIRE_LEN).varint(2n).raw(1, 2));
    const whole = writer.bytes;
    for (let cut = 0; cut < whole.length; cut++) {
      const prefix = whole.subarray(0, cut);
      if (boundaries.includes(cut)) {
        expect(() => walkAll(prefix), `cut at ${cut} (a field boundary)`).not.toThrow();
      } else {
        expect(rejection(prefix).code, `cut at ${cut}`).toBe('ERR_INVALID_ARGUMENT');
      }
    }
    expect(walkAll(whole)).toMatchObject({ varints: [(1n << 64n) - 1n, 300n], fixed64s: [123456789n], strings: ['abc'], fixed32s: [77], doubles: [2.5], skipped: [99] });
  });
});
