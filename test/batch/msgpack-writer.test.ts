/** MsgpackWriter writes exactly the bytes msgpackr writes (with the batch format's settings) for every kind of value, so records built by hand and by BatchEncoder are the same bytes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MsgpackWriter } from '../../src/batch/msgpack-writer.js';
import { packTransient } from '../../src/batch/msgpack.js';

type Value = null | boolean | number | bigint | string | Uint8Array | Value[] | { [key: string]: Value };

function write(w: MsgpackWriter, value: Value): void {
  if (value === null) w.nil();
  else if (typeof value === 'boolean') w.bool(value);
  else if (typeof value === 'number') w.number(value);
  else if (typeof value === 'bigint') w.int64(Number(BigInt.asUintN(32, value)), Number(BigInt.asUintN(32, value >> 32n)));
  else if (typeof value === 'string') expect(w.str(value)).toBe(true);
  else if (value instanceof Uint8Array) w.bin(value, 0, value.length);
  else if (Array.isArray(value)) {
    const mark = w.beginArray();
    for (const item of value) write(w, item);
    w.endArray(mark, value.length);
  } else {
    const mark = w.beginMap();
    const keys = Object.keys(value);
    for (const key of keys) {
      w.str(key);
      write(w, value[key]!);
    }
    w.endMap(mark, keys.length);
  }
}

function written(value: Value): Buffer {
  const w = new MsgpackWriter();
  write(w, value);
  return Buffer.from(w.bytes.subarray(0, w.length));
}

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
  fc.double(),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
);
const value = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 20 }), fc.dictionary(fc.string({ maxLength: 8 }).filter((key) => !/^\d+$/.test(key)), tie('value'), { maxKeys: 20 })),
})).value;

describe('MsgpackWriter', () => {
  it('matches msgpackr for random values', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(written(v).equals(Buffer.from(packTransient(v)))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('matches msgpackr at every header boundary', () => {
    for (const length of [0, 15, 16, 31, 32, 255, 256, 65_535, 65_536, 70_000]) {
      const text = 'x'.repeat(length);
      expect(written(text).equals(Buffer.from(packTransient(text))), `str ${length}`).toBe(true);
      const bytes = new Uint8Array(length).fill(7);
      expect(written(bytes).equals(Buffer.from(packTransient(bytes))), `bin ${length}`).toBe(true);
      const list = Array.from({ length }, (_, i) => i % 200);
      expect(written(list).equals(Buffer.from(packTransient(list))), `array ${length}`).toBe(true);
    }
    const map = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i]));
    expect(written(map).equals(Buffer.from(packTransient(map)))).toBe(true);
    for (const n of [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, -1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31), 2 ** 32, -(2 ** 31) - 1, 0.5, -0, Number.NaN]) {
      expect(written(n).equals(Buffer.from(packTransient(n))), `number ${n}`).toBe(true);
    }
  });

  it('writes a 64-bit difference in the fewest bytes, as the encoder does for durations', () => {
    for (const d of [0n, 1n, 127n, 2n ** 32n - 1n, 2n ** 32n, -1n, -(2n ** 31n), -(2n ** 31n) - 1n, (1n << 63n) - 1n, -(1n << 63n)]) {
      const w = new MsgpackWriter();
      w.compactInt64(Number(BigInt.asUintN(32, d)), Number(BigInt.asUintN(32, d >> 32n)));
      const compact = d >= -(2n ** 31n) && d < 2n ** 32n ? Number(d) : d;
      expect(Buffer.from(w.bytes.subarray(0, w.length)).equals(Buffer.from(packTransient(compact))), `difference ${d}`).toBe(true);
    }
  });

  it('refuses a lone surrogate and writes nothing for it', () => {
    const w = new MsgpackWriter();
    w.str('ok');
    for (const bad of ['\ud800', 'a\udc00b', 'x\ud83d']) expect(w.str(bad)).toBe(false);
    expect(Buffer.from(w.bytes.subarray(0, w.length)).equals(Buffer.from(packTransient('ok')))).toBe(true);
  });
});
