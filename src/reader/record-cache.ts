/**
 * An LRU of decompressed batch records, bounded in bytes (`readCacheBytesMax`), that keeps a
 * record on its second read (set()). Reads of hot traces skip the pread and the zstd call (~105 µs
 * of fixed cost each); a bulk read that touches a record for many traces decompresses it once even
 * when the cache is off, through the per-call plan.
 *
 * A Map keeps insertion order: deleting and re-inserting a key on a hit moves it to the young end,
 * so eviction takes the first keys. Entries are whole records, tens to hundreds of KiB each, so
 * the number of entries stays small and a Map is the right tool here.
 */
import type { AnyBatchView } from '../batch/batch-versions.js';
import { READ_CACHE_OFFERED_KEYS_MAX } from '../constants.js';

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  bytesMax: number;
}

export class RecordCache {
  private readonly entries = new Map<string, AnyBatchView>();
  /** Keys of records offered once and not kept (oldest first): offered again while here, a record is kept. */
  private readonly offeredOnce = new Set<string>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly bytesMax: number) {}

  get(key: string): AnyBatchView | undefined {
    const view = this.entries.get(key);
    if (view === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, view);
    return view;
  }

  /**
   * Offers a record just read from disk. The cache keeps it only on its second offer while the
   * first is remembered (the last READ_CACHE_OFFERED_KEYS_MAX keys offered once), and unless it
   * alone is larger than the whole budget; it evicts the oldest to make room. A record read once
   * is not kept: with random reads over a store much larger than the cache, almost every record
   * kept was evicted unread, having outlived the young generation first, so the churn fed full
   * GCs. Embedded getTrace on 10M W1 spans, 8,000 random reads, three alternating runs: keeping
   * every record, p50 0.54–0.55 ms and p99 5.1–5.4 ms; keeping on the second read, 0.51–0.52 and
   * 3.9–4.4 ms; cache off, 0.49–0.52 and 3.4–3.9 ms. A trace looked at again is kept from its
   * second read and served from memory from its third.
   */
  set(key: string, view: AnyBatchView): void {
    const size = view.bytes.byteLength;
    if (size > this.bytesMax) return;
    if (!this.entries.has(key) && !this.offeredOnce.delete(key)) {
      // The first offer: remember the key, forgetting the oldest past the limit.
      if (this.offeredOnce.size >= READ_CACHE_OFFERED_KEYS_MAX) this.offeredOnce.delete(this.offeredOnce.values().next().value as string);
      this.offeredOnce.add(key);
      return;
    }
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.bytes -= old.bytes.byteLength;
      this.entries.delete(key);
    }
    while (this.bytes + size > this.bytesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.bytes -= this.entries.get(oldest.value)!.bytes.byteLength;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, view);
    this.bytes += size;
  }

  /** Drops every record whose key starts with `prefix` (the records of one deleted file), and forgets their offers. */
  dropPrefix(prefix: string): void {
    for (const key of this.offeredOnce) if (key.startsWith(prefix)) this.offeredOnce.delete(key);
    for (const [key, view] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      this.bytes -= view.bytes.byteLength;
      this.entries.delete(key);
    }
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, bytes: this.bytes, bytesMax: this.bytesMax };
  }
}
