/**
 * Attribute maps and AnyValue (data-format.md §2.5, "AnyValue"): the encode-side check of caller
 * values and the decode-side conversion of msgpackr output back to the span model.
 *
 * Both sides keep to one domain, so whatever decodes can be encoded again unchanged: strings,
 * numbers, booleans, bigints in int64, byte arrays, arrays and plain objects with string keys,
 * nested at most ATTRIBUTE_NESTING_MAX deep. A number's sign of zero is the one thing lost: msgpackr
 * writes -0 as the integer 0.
 */
import { type TraceKvError, assert } from '../errors.js';
import type { Attributes, AttributeValue } from './types.js';
import { INT64_MAX, INT64_MIN, checkString, describe, fail, isPlainObject } from './input-checks.js';
import { binToBytes, isBin } from './msgpack.js';

import { ATTRIBUTE_NESTING_MAX } from '../constants.js';
export { ATTRIBUTE_NESTING_MAX };

/** Builds the error for malformed decoded data: ERR_SPAN_CORRUPT or ERR_BATCH_CORRUPT. */
export type CorruptError = (message: string) => TraceKvError;

/** An empty attribute map, shared: encoding only reads it. */
export const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;

/** Checks caller attributes for encoding; returns them, or NO_ATTRIBUTES when absent. */
export function checkAttributes(value: unknown, what: string): Attributes {
  if (value === undefined) return NO_ATTRIBUTES;
  checkMap(value, what, 0);
  return value as Attributes;
}

export function hasAttributes(attributes: Attributes): boolean {
  for (const _key in attributes) return true;
  return false;
}

/**
 * Where a value sits, for error messages. Built only when a check fails: attribute checks run for
 * every attribute of every span, and rendering the path eagerly cost ~6% of encode time.
 */
function pathOf(parent: string, key: string | number): string {
  return typeof key === 'number' ? `${parent}[${key}]` : `${parent}[${describe(key)}]`;
}

/** String.prototype.isWellFormed (V8 ≥ 11.4, so every Node 20 release); a direct call is what V8 inlines. */
const HAS_IS_WELL_FORMED = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
assert(HAS_IS_WELL_FORMED, 'String.prototype.isWellFormed is missing: tracekv needs Node 20 or later');

/** Whether `value` holds no lone surrogate, so it has a UTF-8 form. */
export function isWellFormed(value: string): boolean {
  return (value as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function checkMap(value: unknown, what: string, depth: number): void {
  if (!isPlainObject(value)) fail(what, value, 'a plain object of attributes');
  if (depth > ATTRIBUTE_NESTING_MAX) fail(what, value, `nesting ≤ ${ATTRIBUTE_NESTING_MAX} levels`);
  // for-in, not Object.keys: no array per map. A plain object (checked above) inherits no
  // enumerable key, so this visits exactly the own keys the encoders then write with for-in.
  for (const key in value) {
    if (!isWellFormed(key)) checkString(key, `${pathOf(what, key)} key`);
    checkAnyValue((value as Record<string, unknown>)[key], what, key, depth);
  }
}

function checkAnyValue(value: unknown, parent: string, key: string | number, depth: number): void {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) checkString(value, pathOf(parent, key));
      return;
    case 'number':
    case 'boolean':
      return;
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) fail(pathOf(parent, key), value, 'a bigint in the int64 range (OTLP intValue)');
      return;
    default: {
      if (value instanceof Uint8Array) return;
      if (Array.isArray(value)) {
        const what = pathOf(parent, key);
        if (depth >= ATTRIBUTE_NESTING_MAX) fail(what, value, `nesting ≤ ${ATTRIBUTE_NESTING_MAX} levels`);
        for (let i = 0; i < value.length; i++) checkAnyValue(value[i], what, i, depth + 1);
        return;
      }
      if (isPlainObject(value)) {
        checkMap(value, pathOf(parent, key), depth + 1);
        return;
      }
      fail(pathOf(parent, key), value, 'a string, number, boolean, bigint, Uint8Array, array or plain object (nil is not an AnyValue)');
    }
  }
}

/** Converts a decoded msgpack map (a Map, see msgpack.ts) into an attribute object. */
export function decodeAttributes(value: unknown, what: string, corrupt: CorruptError): Attributes {
  return decodeMap(value, what, corrupt, 0);
}

function decodeMap(value: unknown, what: string, corrupt: CorruptError, depth: number): Attributes {
  if (!(value instanceof Map)) throw corrupt(`${what}: got ${describe(value)}; want a map`);
  if (depth > ATTRIBUTE_NESTING_MAX) throw corrupt(`${what}: nesting got > ${ATTRIBUTE_NESTING_MAX}; want ≤ ${ATTRIBUTE_NESTING_MAX}`);
  const attributes: Attributes = {};
  for (const [key, item] of value) {
    if (typeof key !== 'string') throw corrupt(`${what}: key got ${describe(key)}; want a string`);
    setOwn(attributes, key, decodeAnyValue(item, what, key, corrupt, depth));
  }
  return attributes;
}

/** `parent` and `key` name the value; the path string is built only for an error (see pathOf). */
function decodeAnyValue(value: unknown, parent: string, key: string | number, corrupt: CorruptError, depth: number): AttributeValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      // 0xcf can carry up to 2^64 − 1; OTLP intValue is int64.
      if (value < INT64_MIN || value > INT64_MAX) throw corrupt(`${pathOf(parent, key)}: got ${value}n; want an int64`);
      return value;
    default: {
      if (isBin(value)) return binToBytes(value);
      if (Array.isArray(value)) {
        const what = pathOf(parent, key);
        if (depth >= ATTRIBUTE_NESTING_MAX) throw corrupt(`${what}: nesting got > ${ATTRIBUTE_NESTING_MAX}; want ≤ ${ATTRIBUTE_NESTING_MAX}`);
        const items: AttributeValue[] = new Array<AttributeValue>(value.length);
        for (let i = 0; i < value.length; i++) items[i] = decodeAnyValue(value[i], what, i, corrupt, depth + 1);
        return items;
      }
      if (value instanceof Map) return decodeMap(value, pathOf(parent, key), corrupt, depth + 1);
      if (ArrayBuffer.isView(value)) throw corrupt(`${pathOf(parent, key)}: got a msgpack typed-array extension; want bin`);
      throw corrupt(`${pathOf(parent, key)}: got ${describe(value)}; want an AnyValue (str, bool, int, float, bin, array or map)`);
    }
  }
}

/** Plain assignment of "__proto__" would set the prototype instead of storing the attribute. */
function setOwn(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
