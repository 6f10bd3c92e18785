// Proves the exporter's BigInt-free u64 arithmetic (HrTime to nanoseconds, signed differences) equals BigInt arithmetic at the edges and on random values.
import { describe, expect, it } from 'vitest';
import { hrTimeToU64, i64Scratch, u64Difference, u64Scratch } from '../../src/otel/hr-time.js';
import { seededRandom } from '../helpers/rng.js';

const U64_MAX = (1n << 64n) - 1n;

function viaHalves(time: [number, number]): bigint | null {
  if (!hrTimeToU64(time)) return null;
  expect(Number.isInteger(u64Scratch.lo) && u64Scratch.lo >= 0 && u64Scratch.lo < 2 ** 32).toBe(true);
  expect(Number.isInteger(u64Scratch.hi) && u64Scratch.hi >= 0 && u64Scratch.hi < 2 ** 32).toBe(true);
  return (BigInt(u64Scratch.hi) << 32n) | BigInt(u64Scratch.lo);
}

function viaBigInt(time: [number, number]): bigint | null {
  const value = BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
  return value > U64_MAX ? null : value;
}

function differenceViaHalves(a: bigint, b: bigint): bigint | null {
  const ok = u64Difference(Number(a & 0xffff_ffffn), Number(a >> 32n), Number(b & 0xffff_ffffn), Number(b >> 32n));
  if (!ok) return null;
  return BigInt.asIntN(64, (BigInt(i64Scratch.hi >>> 0) << 32n) | BigInt(i64Scratch.lo >>> 0));
}

describe('hrTimeToU64', () => {
  const edges: [number, number][] = [
    [0, 0],
    [0, 1],
    [0, 999_999_999],
    [0, 1_000_000_000], // the SDK's rounding can produce it: carried into the seconds
    [1, 0],
    [4, 294_967_295], // 2^32 − 1 ns
    [4, 294_967_296], // 2^32 ns
    [65_535, 999_999_999],
    [65_536, 0],
    [9_007_199, 254_740_993], // past 2^53 ns: where seconds × 1e9 stops being exact
    [1_700_000_000, 123_456_789],
    [2 ** 31, 999_999_999],
    [2 ** 32, 0],
    [18_446_744_073, 709_551_615], // 2^64 − 1 ns: the largest u64
  ];
  it('equals BigInt arithmetic at the edges', () => {
    for (const time of edges) expect(viaHalves(time), `${time}`).toBe(viaBigInt(time));
  });

  it('refuses what is not a u64 of nanoseconds', () => {
    for (const time of [[18_446_744_073, 709_551_616], [2 ** 35, 0], [2 ** 40, 0], [-1, 0], [0, -1], [1.5, 0], [0, 0.5], [Number.NaN, 0], [0, 2 ** 32]] as [number, number][]) {
      expect(hrTimeToU64(time), `${time}`).toBe(false);
    }
  });

  it('equals BigInt arithmetic on random times (seed 13)', () => {
    const random = seededRandom(13);
    for (let i = 0; i < 20_000; i++) {
      const seconds = i % 2 === 0 ? Math.floor(random() * 18_446_744_073) : 1_600_000_000 + Math.floor(random() * 400_000_000);
      const time: [number, number] = [seconds, Math.floor(random() * 1_000_000_000)];
      expect(viaHalves(time), `seed 13, ${time}`).toBe(viaBigInt(time));
    }
  });
});

describe('u64Difference', () => {
  it('equals BigInt subtraction within int64 and refuses outside it', () => {
    const values = [0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 63n + 1n, U64_MAX - 1n, U64_MAX];
    for (const a of values) {
      for (const b of values) {
        const exact = a - b;
        const inRange = exact >= -(2n ** 63n) && exact < 2n ** 63n;
        expect(differenceViaHalves(a, b), `${a} − ${b}`).toBe(inRange ? exact : null);
      }
    }
  });

  it('equals BigInt subtraction on random times near each other (seed 7)', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 20_000; i++) {
      const a = BigInt(Math.floor(random() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(random() * 2 ** 32));
      const b = a + BigInt(Math.floor((random() - 0.5) * 2 ** 40));
      if (b < 0n || b > U64_MAX) continue;
      expect(differenceViaHalves(b, a), `seed 7, ${b} − ${a}`).toBe(b - a);
    }
  });
});
