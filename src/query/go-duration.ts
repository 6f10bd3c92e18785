/**
 * Durations as Go's time.ParseDuration reads them: Tempo's minDuration/maxDuration and Jaeger's
 * duration_min/duration_max are Go durations on the wire (`300ms`, `1.5h`, `2h45m`, `-1s`).
 */

/** Nanoseconds per unit, Go's (`µs` in both of its spellings). */
const UNIT_NANOS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
/** One `<decimal><unit>` term, sticky so terms are read where the last one ended. */
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * The duration `text` names, in nanoseconds (a double: exact to 2^53 ns, ~104 days), or null when
 * it is not a Go duration. Go takes a bare `0` too; every other value needs its units.
 */
export function parseGoDuration(text: string): number | null {
  let at = 0;
  let sign = 1;
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? -1 : 1;
    at = 1;
  }
  if (text.slice(at) === '0') return 0;
  if (at === text.length) return null;
  let nanos = 0;
  while (at < text.length) {
    TERM.lastIndex = at;
    const term = TERM.exec(text);
    if (term === null) return null;
    nanos += Number(term[1]) * UNIT_NANOS[term[2]!]!;
    at = TERM.lastIndex;
  }
  return sign * nanos;
}
