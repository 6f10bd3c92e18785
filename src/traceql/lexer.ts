/**
 * TraceQL's tokens (data-format.md §9.1), for the parser. Attribute names keep their dots
 * (`resource.service.name` is the scope `resource` and the name `service.name`), as Tempo's lexer
 * reads them; a name with other characters is quoted (`span."my attr"`).
 */
import { TRACEQL_QUERY_CHARS_MAX } from '../constants.js';
import { traceQlError } from './errors.js';

export type TokenType =
  | 'punct' // { } ( ) && || = != > >= < <= =~ !~ and what TraceQL has beyond the subset (| >> ! …)
  | 'word' // an identifier, a keyword, an intrinsic, or a scope with its attribute name
  | 'string'
  | 'number'
  | 'duration'
  | 'end';

export interface Token {
  type: TokenType;
  /** The token's text: punctuation as written, a word, a string's value (escapes undone), a number's digits. */
  text: string;
  /** Where it starts in the query, in UTF-16 units from 0. */
  at: number;
  /** Durations: the value in nanoseconds. Numbers: the value. */
  value?: number;
}

/** Longest first, so `>=` is not read as `>` then `=`. */
const PUNCTUATION = ['&&', '||', '!=', '>=', '<=', '=~', '!~', '>>', '<<', '!>>', '!<<', '{', '}', '(', ')', '=', '>', '<', '!', '|', '+', '-', '*', '/', '%', '^', ',', '~', '[', ']'].sort((a, b) => b.length - a.length);
const WORD_START = /[A-Za-z_.:]/;
/** Attribute names: letters, digits and `_ . - / :` (Tempo takes these unquoted too). */
const WORD_CHAR = /[A-Za-z0-9_.\-/:]/;
/** Sticky (`y`): matched where the lexer stands, with no copy of the rest of the query. */
const NUMBER = /\d+(?:\.\d+)?/y;
/** Duration units and their nanoseconds, Go's time.ParseDuration's (Tempo parses durations with it). */
const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION_UNIT = /(ns|us|µs|μs|ms|s|m|h)(?![A-Za-z0-9_])/y;
const STRING_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

export function tokenize(query: string): Token[] {
  if (query.length > TRACEQL_QUERY_CHARS_MAX) throw traceQlError(`got ${query.length} characters; want ≤ TRACEQL_QUERY_CHARS_MAX (${TRACEQL_QUERY_CHARS_MAX})`, 0);
  const tokens: Token[] = [];
  let at = 0;
  while (at < query.length) {
    const char = query[at]!;
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    if (char === '"' || char === '`') {
      const { text, end } = readString(query, at);
      tokens.push({ type: 'string', text, at });
      at = end;
      continue;
    }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(query);
    if (number !== null) {
      const digits = number[0];
      DURATION_UNIT.lastIndex = at + digits.length;
      const unit = DURATION_UNIT.exec(query);
      if (unit !== null) {
        tokens.push({ type: 'duration', text: digits + unit[1]!, at, value: Number(digits) * DURATION_UNITS[unit[1]!]! });
        at += digits.length + unit[1]!.length;
      } else {
        if (at + digits.length < query.length && /[A-Za-z_]/.test(query[at + digits.length]!)) {
          throw traceQlError(`a number followed by ${JSON.stringify(query.slice(at + digits.length, at + digits.length + 2))}: durations take ns, us, ms, s, m or h`, at);
        }
        tokens.push({ type: 'number', text: digits, at, value: Number(digits) });
        at += digits.length;
      }
      continue;
    }
    if (WORD_START.test(char)) {
      let end = at + 1;
      while (end < query.length && WORD_CHAR.test(query[end]!)) end++;
      let text = query.slice(at, end);
      // A quoted attribute name after its scope: span."name with spaces".
      if (text.endsWith('.') && query[end] === '"') {
        const quoted = readString(query, end);
        text += quoted.text;
        end = quoted.end;
      }
      tokens.push({ type: 'word', text, at });
      at = end;
      continue;
    }
    const punct = PUNCTUATION.find((p) => query.startsWith(p, at));
    if (punct === undefined) throw traceQlError(`unexpected character ${JSON.stringify(char)}`, at);
    tokens.push({ type: 'punct', text: punct, at });
    at += punct.length;
  }
  tokens.push({ type: 'end', text: '', at: query.length });
  return tokens;
}

/** A double-quoted string with Go's common escapes, or a backquoted one taken as written. */
function readString(query: string, start: number): { text: string; end: number } {
  const quote = query[start]!;
  let text = '';
  for (let at = start + 1; at < query.length; at++) {
    const char = query[at]!;
    if (char === quote) return { text, end: at + 1 };
    if (char === '\\' && quote === '"') {
      const escaped = STRING_ESCAPES[query[at + 1] ?? ''];
      if (escaped === undefined) throw traceQlError(`unsupported escape \\${query[at + 1] ?? ''} in a string`, at);
      text += escaped;
      at++;
      continue;
    }
    text += char;
  }
  throw traceQlError('a string with no closing quote', start);
}
