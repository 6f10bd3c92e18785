/**
 * The spans of the record being added to an index tail, held until the record ends: each span's
 * 16 traceId bytes, its h3 (data-format.md §4.1) and how many spans it stands for (1 per version-1
 * trailer entry; a version-2 trace run stands for all of its rows, §2.7.2). Staging a record lets the tail touch all of
 * its hash-table slots in one tight loop before placing any span (see IndexTail.endRecord).
 * Reused across records; it grows to the largest batch seen, at most BATCH_SPANS_LIMIT spans.
 */
import { BATCH_SPANS_LIMIT, TRACE_ID_BYTES } from '../constants.js';
import { TRACE_HASH_SEED_BLOCK, murmur3Of16 } from '../codec/trace-hash.js';
import { assert } from '../errors.js';
import { readWordLE } from './index-entry.js';

/** A typical batch's span count; staging doubles from here when a record holds more. */
const STAGED_SPANS_INITIAL = 1024;
/** u32 words of one staged trace id. */
export const STAGED_ID_WORDS = TRACE_ID_BYTES / 4;

export class SpanStaging {
  /** STAGED_ID_WORDS per span, the traceId bytes as little-endian words. */
  idWords: Uint32Array;
  /** The same memory as bytes, for hashing a staged id again. */
  idBytes: Uint8Array;
  /** h3 of each staged span. */
  blockHashes: Uint32Array;
  /** How many of the record's spans each staged entry stands for, 1..BATCH_SPANS_LIMIT. */
  spanCounts: Uint16Array;
  count = 0;

  constructor() {
    this.idBytes = new Uint8Array(STAGED_SPANS_INITIAL * TRACE_ID_BYTES);
    this.idWords = new Uint32Array(this.idBytes.buffer);
    this.blockHashes = new Uint32Array(STAGED_SPANS_INITIAL);
    this.spanCounts = new Uint16Array(STAGED_SPANS_INITIAL);
  }

  /** Stages `spans` spans of the trace whose id is the 16 bytes at `traceId[at]`. */
  stage(traceId: Uint8Array, at: number, spans: number): void {
    const span = this.count;
    if (span === this.blockHashes.length) this.grow();
    const word = span * STAGED_ID_WORDS;
    const idWords = this.idWords;
    idWords[word] = readWordLE(traceId, at);
    idWords[word + 1] = readWordLE(traceId, at + 4);
    idWords[word + 2] = readWordLE(traceId, at + 8);
    idWords[word + 3] = readWordLE(traceId, at + 12);
    this.blockHashes[span] = murmur3Of16(traceId, at, TRACE_HASH_SEED_BLOCK);
    this.spanCounts[span] = spans;
    this.count = span + 1;
  }

  clear(): void {
    this.count = 0;
  }

  private grow(): void {
    const spans = this.blockHashes.length * 2;
    // A record holds one batch: §2.1 caps its spans at 65,535.
    assert(this.count < BATCH_SPANS_LIMIT, 'more spans in one record than a batch can hold');
    const idBytes = new Uint8Array(spans * TRACE_ID_BYTES);
    idBytes.set(this.idBytes);
    this.idBytes = idBytes;
    this.idWords = new Uint32Array(idBytes.buffer);
    const blockHashes = new Uint32Array(spans);
    blockHashes.set(this.blockHashes);
    this.blockHashes = blockHashes;
    const spanCounts = new Uint16Array(spans);
    spanCounts.set(this.spanCounts);
    this.spanCounts = spanCounts;
  }
}
