/**
 * OTel HrTime `[seconds, nanoseconds]` to the u64 nanoseconds of data-format.md §1, as two u32
 * halves and without BigInt: the exporter converts two or more times per span, and a bigint each
 * would be the only allocation left on its path.
 *
 * `seconds × 1e9` passes 2^53 for any date after 1970-04-15, so it is split: seconds =
 * high × 2^16 + low16, where low16 × 1e9 < 2^46 and high × 1e9 < 2^49 (seconds < 2^35) are exact
 * doubles, and high × 1e9 × 2^16 is spread over the two halves by hand.
 */

const TWO_16 = 0x1_0000;
const TWO_32 = 0x1_0000_0000;
const NANOS_PER_SECOND = 1_000_000_000;
/** Seconds past this cannot be a u64 of nanoseconds (2^64 ns ≈ 1.8e10 s); it also keeps high × 1e9 below 2^53. */
const HR_SECONDS_LIMIT = 2 ** 35;
/**
 * The SDK normalizes nanoseconds into [0, 1e9), but its millisecond conversion rounds, so 1e9
 * itself can occur; anything a u32 holds is accepted and carried, as the OTLP transformer does.
 */
const HR_NANOS_LIMIT = TWO_32;

/** The result of the last successful call below; read it before the next call. */
export const u64Scratch = { lo: 0, hi: 0 };

/**
 * Sets `u64Scratch` to `time` in nanoseconds and returns true; returns false, leaving it unchanged,
 * when `time` is not two non-negative integers whose value fits a u64.
 */
export function hrTimeToU64(time: readonly [number, number]): boolean {
  const seconds = time[0];
  const nanos = time[1];
  if (!(Number.isInteger(seconds) && seconds >= 0 && seconds < HR_SECONDS_LIMIT)) return false;
  if (!(Number.isInteger(nanos) && nanos >= 0 && nanos < HR_NANOS_LIMIT)) return false;
  const low16 = seconds % TWO_16;
  const high = (seconds - low16) / TWO_16;
  // Both exact: < 2^46 + 2^32 and < 2^49.
  const lowPart = low16 * NANOS_PER_SECOND + nanos;
  const highPart = high * NANOS_PER_SECOND;
  // highPart × 2^16 = (highPart mod 2^16) × 2^16 + ⌊highPart / 2^16⌋ × 2^32.
  const highPartLow16 = highPart % TWO_16;
  const loSum = lowPart + highPartLow16 * TWO_16;
  const carry = Math.floor(loSum / TWO_32);
  const hi = (highPart - highPartLow16) / TWO_16 + carry;
  if (hi >= TWO_32) return false;
  u64Scratch.lo = loSum - carry * TWO_32;
  u64Scratch.hi = hi;
  return true;
}

/** The signed difference a − b of two u64s given as halves, as two's-complement halves. */
export const i64Scratch = { lo: 0, hi: 0 };

/**
 * Sets `i64Scratch` to a − b and returns true; false when the difference is outside int64 (the
 * format stores durations and event offsets as int64, data-format.md §2.5).
 */
export function u64Difference(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  let lo = aLo - bLo;
  let hi = aHi - bHi;
  if (lo < 0) {
    lo += TWO_32;
    hi -= 1;
  }
  // hi is the exact high word in [−2^32, 2^32); int64 needs it in [−2^31, 2^31).
  if (hi < -0x8000_0000 || hi > 0x7fff_ffff) return false;
  i64Scratch.lo = lo;
  i64Scratch.hi = hi | 0;
  return true;
}
