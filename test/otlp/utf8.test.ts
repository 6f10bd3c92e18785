/** isWellFormedUtf8 agrees with the WHATWG decoder in fatal mode on every byte sequence: overlong forms, surrogates, code points past U+10FFFF and truncated sequences are refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormedUtf8 } from '../../src/otlp/utf8.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
function decoderSays(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('isWellFormedUtf8', () => {
  it('agrees with TextDecoder on random bytes, random text and text with one byte changed', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => new TextEncoder().encode(s));
    const edited = fc.tuple(text, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
      const copy = Uint8Array.from(bytes);
      if (copy.length > 0) copy[at % copy.length] = value;
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 12 }), text, edited), (bytes) => {
        expect(isWellFormedUtf8(bytes, 0, bytes.length)).toBe(decoderSays(bytes));
      }),
      { numRuns: 20_000 },
    );
  });

  it('refuses the classic bad sequences and checks only its range', () => {
    for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xff]]) {
      expect(isWellFormedUtf8(Uint8Array.from(bad), 0, bad.length), bad.join(',')).toBe(false);
    }
    const bytes = Uint8Array.from([0xff, 0x61, 0xe2, 0x82, 0xac, 0xff]);
    expect(isWellFormedUtf8(bytes, 1, 5)).toBe(true);
    expect(isWellFormedUtf8(bytes, 1, 4)).toBe(false);
  });
});
