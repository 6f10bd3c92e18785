/**
 * The checks every read call's arguments go through, embedded and remote alike: the option keys
 * each call takes, time bounds, and what counts as a TraceQuery. The client runs them before any
 * I/O and the store runs them again, so a bad argument is the same ERR_INVALID_ARGUMENT either way.
 */
import { UNIX_NANO_MAX } from '../constants.js';
import { invalidArgument } from '../errors.js';
import { checkKnownOptions, knownKeys, type KnownKeys } from '../known-keys.js';
import type { ReadOptions, TimeBounds, TimeBoundsInput, TraceQuery } from './types.js';

const BOUNDS_ALIASES = { start: 'startTimeUnixNano', end: 'endTimeUnixNano', startTime: 'startTimeUnixNano', endTime: 'endTimeUnixNano' };

/** The keys of the options of getTrace, getTraces and getTracesStream, embedded and remote. */
export const READ_OPTION_KEYS = knownKeys(
  'read',
  { startTimeUnixNano: true, endTimeUnixNano: true, raw: true, timeoutMs: true } satisfies Record<keyof ReadOptions, true>,
  { aliases: { ...BOUNDS_ALIASES, timeout: 'timeoutMs' } },
);

/** getSpan takes a deadline only: it reads one span, decoded, whatever its time. */
export const GET_SPAN_OPTION_KEYS = knownKeys('getSpan', { timeoutMs: true } satisfies Record<keyof Pick<ReadOptions, 'timeoutMs'>, true>);

export const TRACE_QUERY_KEYS = knownKeys(
  'trace query',
  { traceId: true, startTimeUnixNano: true, endTimeUnixNano: true } satisfies Record<keyof TraceQuery, true>,
  { aliases: BOUNDS_ALIASES },
);

/**
 * `options` of a read call, checked the same way embedded and remote: absent is {}; anything but
 * an object of `known` keys is refused, so each call site reads its fields safely.
 */
export function readOptionsOf<T extends object>(options: T | undefined, known: KnownKeys = READ_OPTION_KEYS): T | Record<string, never> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalidArgument(`options: got ${String(options)}; want an object`);
  checkKnownOptions(options, known);
  return options;
}

/** Validated bounds, or null for none. Inclusive at both ends. */
export function boundsOf(input: TimeBoundsInput | undefined, what: string): TimeBounds | null {
  if (input === undefined) return null;
  const { startTimeUnixNano, endTimeUnixNano } = input;
  if (startTimeUnixNano === undefined && endTimeUnixNano === undefined) return null;
  for (const [name, value] of [['startTimeUnixNano', startTimeUnixNano], ['endTimeUnixNano', endTimeUnixNano]] as const) {
    if (value !== undefined && (typeof value !== 'bigint' || value < 0n || value > UNIX_NANO_MAX)) {
      throw invalidArgument(`${what}.${name}: got ${typeof value === 'bigint' ? value : typeof value}; want a bigint in u64 range`);
    }
  }
  const bounds = { startTimeUnixNano: startTimeUnixNano ?? 0n, endTimeUnixNano: endTimeUnixNano ?? UNIX_NANO_MAX };
  if (bounds.startTimeUnixNano > bounds.endTimeUnixNano) {
    throw invalidArgument(`${what}: startTimeUnixNano ${bounds.startTimeUnixNano} is after endTimeUnixNano ${bounds.endTimeUnixNano}`);
  }
  return bounds;
}

/** An item of a bulk call's id list that is a TraceQuery: an object that is not an id and has a traceId. */
export function isTraceQuery(value: unknown): value is TraceQuery {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'traceId' in value;
}
