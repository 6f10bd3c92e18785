/**
 * Trace and span ids (data-format.md §2.2): raw bytes in a batch, hex at the API. Parsing writes
 * straight into a caller's buffer through a 128-entry lookup table, so the encoder can fill a
 * trailer entry without allocating per character or per id.
 */
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import type { SpanIdInput, TraceIdInput } from './types.js';
import { fail } from './input-checks.js';

/** Nibble value of each ASCII code, or -1 for a non-hex character. */
const HEX_NIBBLE = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 10; digit++) HEX_NIBBLE[0x30 + digit] = digit;
for (let letter = 0; letter < 6; letter++) {
  HEX_NIBBLE[0x41 + letter] = 10 + letter;
  HEX_NIBBLE[0x61 + letter] = 10 + letter;
}

/** Two lowercase hex characters for each byte value. */
const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export function parseTraceId(input: TraceIdInput, into: Uint8Array, at: number, what: string): void {
  parseId(input, into, at, TRACE_ID_BYTES, what);
}

export function parseSpanId(input: SpanIdInput, into: Uint8Array, at: number, what: string): void {
  parseId(input, into, at, SPAN_ID_BYTES, what);
}

/** Allocating convenience for callers outside the hot path. */
export function traceIdFromInput(input: TraceIdInput): Uint8Array {
  const id = new Uint8Array(TRACE_ID_BYTES);
  parseTraceId(input, id, 0, 'traceId');
  return id;
}

export function bytesToHex(bytes: Uint8Array, at: number, length: number): string {
  let hex = '';
  for (let i = at; i < at + length; i++) hex += BYTE_HEX[bytes[i]];
  return hex;
}

/** True when `length` bytes at `at` are all zero: the OTLP "no id" value. */
export function isZeroId(bytes: Uint8Array, at: number, length: number): boolean {
  let any = 0;
  for (let i = at; i < at + length; i++) any |= bytes[i];
  return any === 0;
}

/**
 * On failure `into[at, at + idBytes)` may be partly written; the encoder parses into space past
 * its committed end, so a rejected id never becomes visible.
 */
function parseId(input: unknown, into: Uint8Array, at: number, idBytes: number, what: string): void {
  if (typeof input === 'string') {
    if (input.length !== idBytes * 2) failId(input, idBytes, what, '');
    for (let i = 0; i < idBytes; i++) {
      const high = hexNibble(input.charCodeAt(2 * i));
      const low = hexNibble(input.charCodeAt(2 * i + 1));
      if (high < 0 || low < 0) failId(input, idBytes, what, ` (non-hex character near index ${2 * i})`);
      into[at + i] = (high << 4) | low;
    }
  } else if (input instanceof Uint8Array) {
    if (input.length !== idBytes) failId(input, idBytes, what, '');
    into.set(input, at);
  } else {
    failId(input, idBytes, what, '');
  }
  if (isZeroId(into, at, idBytes)) fail(what, input, 'a non-zero id (all-zero is invalid in OTLP)');
}

/** Builds the message only on failure, so a good id costs no string. */
function failId(input: unknown, idBytes: number, what: string, detail: string): never {
  fail(what, input, `${idBytes * 2} hex characters or a Uint8Array of ${idBytes} bytes${detail}`);
}

function hexNibble(code: number): number {
  return code < 128 ? HEX_NIBBLE[code] : -1;
}
