// Proves the store marker and generation metadata codecs round-trip, and reject every prefix and every flipped byte with a typed error.
import { describe, expect, it } from 'vitest';
import { TraceKvError } from '../../src/errors.js';
import { checkStoreMarker, decodeGenerationMeta, encodeGenerationMeta, encodeStoreMarker } from '../../src/store/meta-files.js';

const meta = { generationId: 7, partitionCount: 256, createdAtMs: 1_800_000_000_123, closedAtMs: 1_800_003_600_456 };

function expectCode(run: () => unknown, code: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TraceKvError);
    expect((error as TraceKvError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, but the call returned`);
}

describe('generation metadata codec', () => {
  it('round-trips', () => {
    expect(decodeGenerationMeta(encodeGenerationMeta(meta), 'GENERATION')).toEqual(meta);
    expect(decodeGenerationMeta(encodeGenerationMeta({ ...meta, closedAtMs: 0 }), 'GENERATION').closedAtMs).toBe(0);
  });

  it('rejects every prefix and every flipped byte or bit', () => {
    const bytes = encodeGenerationMeta(meta);
    for (let length = 0; length < bytes.length; length++) expectCode(() => decodeGenerationMeta(bytes.subarray(0, length), 'G'), 'ERR_GENERATION_CORRUPT');
    for (let at = 0; at < bytes.length; at++) {
      for (const mask of [0xff, 1 << at % 8]) {
        const damaged = Uint8Array.from(bytes);
        damaged[at]! ^= mask;
        expectCode(() => decodeGenerationMeta(damaged, 'G'), 'ERR_GENERATION_CORRUPT');
      }
    }
  });
});

describe('store marker codec', () => {
  it('accepts its own encoding and rejects every prefix and every flipped byte', () => {
    const bytes = encodeStoreMarker();
    expect(() => checkStoreMarker(bytes, 'TRACEKV')).not.toThrow();
    for (let length = 0; length < bytes.length; length++) expectCode(() => checkStoreMarker(bytes.subarray(0, length), 'T'), 'ERR_INVALID_OPTION');
    for (let at = 0; at < bytes.length; at++) {
      const damaged = Uint8Array.from(bytes);
      damaged[at]! ^= 0xff;
      expectCode(() => checkStoreMarker(damaged, 'T'), 'ERR_INVALID_OPTION');
    }
  });
});
