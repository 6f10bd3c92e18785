/**
 * Checks of caller-supplied values on the encode side. Every failure is an ERR_INVALID_ARGUMENT
 * whose message names the field (`what`) and reads "got X; want Y", so a caller can find the bad
 * value in a span with hundreds of attributes.
 */
import { UNIX_NANO_MAX } from '../constants.js';
import { invalidArgument } from '../errors.js';

const DESCRIBED_STRING_CHARS_MAX = 64;
export const U32_MAX = 0xffff_ffff;
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

/** A short, safe rendering of any value for an error message (never the whole of a long string). */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length <= DESCRIBED_STRING_CHARS_MAX
        ? JSON.stringify(value)
        : `${JSON.stringify(value.slice(0, DESCRIBED_STRING_CHARS_MAX))}… (${value.length} chars)`;
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
      if (Array.isArray(value)) return `an array of ${value.length}`;
      return isPlainObject(value) ? 'an object' : `a ${(value as object).constructor?.name ?? 'non-plain object'}`;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function fail(what: string, value: unknown, want: string): never {
  throw invalidArgument(`${what}: got ${describe(value)}; want ${want}`);
}

interface MaybeWellFormed {
  isWellFormed?: () => boolean;
}

/**
 * A string that UTF-8 can carry. A lone surrogate would be replaced by U+FFFD on the wire and come
 * back different, and OTLP strings must be valid UTF-8, so it is rejected here instead.
 */
export function checkString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') fail(what, value, 'a string');
  const check = (value as MaybeWellFormed).isWellFormed;
  if (check !== undefined && !check.call(value)) fail(what, value, 'a well-formed string (no lone surrogates)');
}

export function checkOptionalString(value: unknown, what: string): asserts value is string | undefined {
  if (value !== undefined) checkString(value, what);
}

export function checkU32(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > U32_MAX) {
    fail(what, value, `an integer in [0, ${U32_MAX}]`);
  }
}

/** An optional u32 that defaults to 0 (dropped counts). */
export function u32OrZero(value: unknown, what: string): number {
  if (value === undefined) return 0;
  checkU32(value, what);
  return value;
}

/** Times are bigint so nanoseconds stay exact; a number here is almost always milliseconds or lossy. */
export function checkUnixNano(value: unknown, what: string): asserts value is bigint {
  if (typeof value !== 'bigint' || value < 0n || value > UNIX_NANO_MAX) {
    fail(what, value, `a bigint in [0n, ${UNIX_NANO_MAX}n] (nanoseconds since the epoch)`);
  }
}

export function checkObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(what, value, 'an object');
}
