/**
 * What Tempo's and Jaeger's search requests read alike: a bounded integer (limit, spss), a Go
 * duration, and conditions joined into one spanset. Every bad value is ERR_INVALID_ARGUMENT
 * naming its parameter (a 400 on the query faces).
 */
import { invalidArgument } from '../errors.js';
import type { Condition, SpansetExpression } from '../traceql/index.js';
import { parseGoDuration } from './go-duration.js';

const DECIMAL = /^\d+$/;

/** `text` as an integer in [1, max], `fallback` when absent or empty. */
export function integerParam(text: string | null, name: string, fallback: number, max: number): number {
  if (text === null || text === '') return fallback;
  if (!DECIMAL.test(text) || Number(text) < 1 || Number(text) > max) throw invalidArgument(`search: ${name} got ${JSON.stringify(text)}; want an integer in [1, ${max}]`);
  return Number(text);
}

/** A non-negative Go duration in nanoseconds; null when absent or empty. */
export function durationParam(text: string | null, name: string): number | null {
  if (text === null || text === '') return null;
  const nanos = parseGoDuration(text);
  if (nanos === null || nanos < 0) throw invalidArgument(`search: ${name} got ${JSON.stringify(text)}; want a duration such as 100ms or 1.5s`);
  return nanos;
}

/** The minimum and maximum of a duration range, refused when the minimum is over the maximum. */
export function durationRange(min: { text: string | null; name: string }, max: { text: string | null; name: string }): { min: number | null; max: number | null } {
  const minNanos = durationParam(min.text, min.name);
  const maxNanos = durationParam(max.text, max.name);
  if (minNanos !== null && maxNanos !== null && minNanos > maxNanos) throw invalidArgument(`search: ${min.name} got ${min.text}, over ${max.name} ${max.text}`);
  return { min: minNanos, max: maxNanos };
}

/** One spanset holding every condition, joined by `&&` left to right; `{}` when there is none. */
export function spansetOf(conditions: readonly Condition[]): SpansetExpression {
  const condition = conditions.reduce<Condition | null>((left, right) => (left === null ? right : { type: 'and', left, right }), null);
  return { type: 'spanset', condition };
}
