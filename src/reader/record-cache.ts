/**
 * An LRU of decompressed batch records, bounded in bytes (`readCacheBytesMax`). Reads of hot traces
 * skip the pread and the zstd call (~105 µs of fixed cost each); a bulk read that touches a record
 * for many traces decompresses it once even when the cache is off, through the per-call plan.
 *
 * A Map keeps insertion order: deleting and re-inserting a key on a hit moves it to the young end,
 * so eviction takes the first keys. Entries are whole records, a few hundred KiB each, so the
 * number of entries stays small and a Map is the right tool here.
 */
import type { AnyBatchView } from '../batch/batch-versions.js';

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  bytesMax: number;
}

export class RecordCache {
  private readonly entries = new Map<string, AnyBatchView>();
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

  /** Keeps `view` unless it alone is larger than the whole budget; evicts the oldest to make room. */
  set(key: string, view: AnyBatchView): void {
    const size = view.bytes.byteLength;
    if (size > this.bytesMax) return;
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


  /** Drops every record whose key starts with `prefix` (the records of one deleted file). */
  dropPrefix(prefix: string): void {
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
