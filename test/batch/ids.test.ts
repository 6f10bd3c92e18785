// Proves that id parsing accepts exactly 16/8-byte arrays and 32/16 hex characters of either case, rejects everything else with a named error, and round-trips through hex.
import { describe, expect, it } from 'vitest';
import { bytesToHex, parseSpanId, parseTraceId, traceIdFromInput } from '../../src/batch/ids.js';
import { catchTraceKvError } from './samples.js';

describe('ids', () => {
  it('parses hex of either case at an offset', () => {
    const into = new Uint8Array(20).fill(0xee);
    parseTraceId('0123456789ABCDEFabcdef0123456789', into, 2, 'traceId');
    expect(bytesToHex(into, 2, 16)).toBe('0123456789abcdefabcdef0123456789');
    expect(into[0]).toBe(0xee);
    expect(into[18]).toBe(0xee);
    parseSpanId('FfEeDdCcBbAa9988', into, 0, 'spanId');
    expect(bytesToHex(into, 0, 8)).toBe('ffeeddccbbaa9988');
  });

  it('copies byte arrays', () => {
    const id = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    expect(traceIdFromInput(id)).toStrictEqual(id);
    expect(traceIdFromInput(id)).not.toBe(id);
    const into = new Uint8Array(8);
    parseSpanId(Buffer.from('0102030405060708', 'hex'), into, 0, 'spanId');
    expect(bytesToHex(into, 0, 8)).toBe('0102030405060708');
  });

  it('round-trips every byte value through hex', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = bytesToHex(bytes, 0, 256);
    expect(hex).toBe(Buffer.from(bytes).toString('hex'));
    const back = new Uint8Array(16);
    for (let at = 0; at < 256; at += 16) {
      parseTraceId(hex.slice(at * 2, at * 2 + 32).toUpperCase(), back, 0, 'traceId');
      expect(back).toStrictEqual(bytes.subarray(at, at + 16));
    }
  });

  it('rejects bad ids with the field name, got and want', () => {
    const into = new Uint8Array(16);
    const cases: [unknown, RegExp][] = [
      ['abc', /^link\.traceId: got "abc"; want 32 hex characters or a Uint8Array of 16 bytes$/],
      ['0'.repeat(31) + 'g', /^link\.traceId: got "0{31}g"; want 32 hex characters or a Uint8Array of 16 bytes \(non-hex character near index 30\)$/],
      [' '.repeat(32), /non-hex/],
      ['０'.repeat(32), /non-hex/],
      ['0'.repeat(32), /^link\.traceId: got "0{32}"; want a non-zero id \(all-zero is invalid in OTLP\)$/],
      [new Uint8Array(16), /want a non-zero id/],
      [new Uint8Array(15), /^link\.traceId: got a Uint8Array of 15 bytes; want 32 hex/],
      [new Uint16Array(16), /got a Uint16Array; want/],
      [12345, /^link\.traceId: got 12345; want/],
      [undefined, /^link\.traceId: got undefined; want/],
      [null, /^link\.traceId: got null; want/],
      [123n, /got 123n/],
    ];
    for (const [input, message] of cases) {
      const error = catchTraceKvError(() => parseTraceId(input as string, into, 0, 'link.traceId'));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
    }
    expect(catchTraceKvError(() => parseSpanId('1'.repeat(32), into, 0, 'span.spanId')).message).toMatch(
      /^span\.spanId: got "1{32}"; want 16 hex characters or a Uint8Array of 8 bytes$/,
    );
    expect(catchTraceKvError(() => traceIdFromInput('x')).message).toMatch(/^traceId: got "x"/);
  });

  it('keeps long bad inputs out of the message', () => {
    const error = catchTraceKvError(() => parseTraceId('z'.repeat(10_000), new Uint8Array(16), 0, 'traceId'));
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toContain('(10000 chars)');
  });
});
