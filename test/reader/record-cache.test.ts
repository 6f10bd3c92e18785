// Proves the read cache keeps a record on its second offer only, remembers a bounded number of first offers, evicts the oldest by bytes, and forgets a deleted file's records and offers.
import { describe, expect, it } from 'vitest';
import type { AnyBatchView } from '../../src/batch/batch-versions.js';
import { READ_CACHE_OFFERED_KEYS_MAX } from '../../src/constants.js';
import { RecordCache } from '../../src/reader/record-cache.js';

/** A stand-in view: the cache reads only its bytes' length. */
const view = (bytes: number) => ({ bytes: new Uint8Array(bytes) }) as unknown as AnyBatchView;

describe('RecordCache', () => {
  it('keeps a record on its second offer, not its first', () => {
    const cache = new RecordCache(1000);
    const a = view(100);
    cache.set('f@0', a);
    expect(cache.get('f@0')).toBeUndefined();
    cache.set('f@0', a);
    expect(cache.get('f@0')).toBe(a);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1, bytes: 100 });
  });

  it('forgets a first offer after READ_CACHE_OFFERED_KEYS_MAX other keys were offered once', () => {
    const cache = new RecordCache(1000);
    cache.set('f@0', view(10));
    for (let i = 1; i <= READ_CACHE_OFFERED_KEYS_MAX; i++) cache.set(`f@${i}`, view(10));
    cache.set('f@0', view(10)); // a first offer again: the earlier one was forgotten
    expect(cache.stats().entries).toBe(0);
    cache.set(`f@${READ_CACHE_OFFERED_KEYS_MAX}`, view(10)); // offered once recently: still remembered
    expect(cache.stats().entries).toBe(1);
  });

  it('evicts the least recently used records to stay within its bytes, and never keeps one larger than them all', () => {
    const cache = new RecordCache(250);
    const offerTwice = (key: string, bytes: number) => {
      cache.set(key, view(bytes));
      cache.set(key, view(bytes));
    };
    offerTwice('f@0', 100);
    offerTwice('f@1', 100);
    expect(cache.get('f@0')).toBeDefined(); // f@1 is now the oldest
    offerTwice('f@2', 100);
    expect(cache.get('f@1')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 200 });
    offerTwice('f@3', 300);
    expect(cache.get('f@3')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 200 });
  });

  it('drops the records and the first offers of a deleted file', () => {
    const cache = new RecordCache(1000);
    cache.set('gone@0', view(10));
    cache.set('gone@0', view(10));
    cache.set('gone@1', view(10));
    cache.set('kept@0', view(10));
    cache.dropPrefix('gone@');
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    cache.set('gone@1', view(10)); // a first offer again, not a second
    expect(cache.stats().entries).toBe(0);
    cache.set('kept@0', view(10));
    expect(cache.stats().entries).toBe(1);
  });
});
