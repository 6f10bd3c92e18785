/**
 * Values that crossed the wire in a frame header (data-format.md §6.1) back into the exact shapes
 * the embedded API returns, so a remote result deep-equals (`toStrictEqual`) a local one.
 *
 * Two differences need undoing. msgpackr decodes bin from a Buffer source as a Buffer (a view into
 * the frame), while the embedded API returns plain Uint8Array copies (§2.5 "bin"). And a peer may
 * write an absent optional field as nil, while the embedded API leaves the key out.
 *
 * Both walks convert in place: a decoded header belongs to whoever decoded it, and copying every
 * span of a large trace again would double the garbage for nothing.
 */
import { ATTRIBUTE_NESTING_MAX } from '../constants.js';
import { TraceKvError } from '../errors.js';

/**
 * Deepest nesting a walk follows. A Trace wraps its deepest attribute value in at most 6 levels
 * (trace → spans → span → links → link → attributes), and attribute values nest at most
 * ATTRIBUTE_NESTING_MAX deep; the slack keeps stats maps and future fields well inside. Bounding
 * the recursion turns a hostile, deeply nested header into a clean error, not a stack overflow.
 */
export const WIRE_VALUE_NESTING_MAX = ATTRIBUTE_NESTING_MAX + 16;

/** Characters of a peer's string an error message quotes: enough to recognise it, too few to echo a large header back. */
export const WIRE_STRING_QUOTED_CHARS_MAX = 32;

/**
 * A value from a peer's header as an error message quotes it. Never String() on an object: a
 * decoded map may carry its own `toString` or `valueOf` keys, and converting it throws a TypeError
 * (found by the protocol fuzz: a HELLO with `version: { toString: 1 }` crashed the daemon).
 */
export function describeWireValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > WIRE_STRING_QUOTED_CHARS_MAX ? `${value.slice(0, WIRE_STRING_QUOTED_CHARS_MAX)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `bin of ${value.length} bytes`;
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Replaces every Buffer in `value` (at any depth, in arrays and plain objects) by a plain
 * Uint8Array copy, and returns the result (a new Uint8Array when `value` itself is a Buffer).
 * A copy rather than a view, so a small id never pins a 16 MiB frame buffer.
 */
export function toPlainBytes<T>(value: T): T {
  return walk(value, false, 0) as T;
}

/**
 * toPlainBytes, and also deletes object keys whose value is nil (null or undefined), the way the
 * embedded API omits absent optional fields (`parentSpanId`, `traceState`, `flags`, `partial`...).
 * Only for Span, RawSpan and Trace shapes, where nil is never a value: an AnyValue cannot be nil
 * (§2.5), and every required field of a span is non-nil.
 */
export function fromWireValue<T>(value: T): T {
  return walk(value, true, 0) as T;
}

function walk(value: unknown, dropNil: boolean, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  if (depth >= WIRE_VALUE_NESTING_MAX) {
    throw new TraceKvError('ERR_PROTOCOL', `wire value nesting got > ${WIRE_VALUE_NESTING_MAX}; want ≤ ${WIRE_VALUE_NESTING_MAX}`);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = walk(value[i], dropNil, depth + 1);
    return value;
  }
  if (!isPlainObject(value)) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (dropNil && (item === null || item === undefined)) delete record[key];
    else if (typeof item === 'object' && item !== null) record[key] = walk(item, dropNil, depth + 1);
  }
  return record;
}

/** Maps decoded as objects; anything else (Map, typed arrays, Date) is left as it is. */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
