/**
 * The unsealed, in-memory part of one generation's index (data-format.md §4): the entries of the
 * records appended since the last chunk file, in arrival order, in their 32-byte disk layout.
 *
 * A trace maps to its newest entry through an open-addressing table (linear probing), and every
 * entry links to the previous entry of the same trace. A slot is two Int32 words side by side:
 * entry index + 1, and a tag (the XOR of the id's four words) that rules out almost every
 * non-matching slot without touching the entry, whose random read would cost a cache miss. No
 * object, string or Map is created per span or per entry.
 *
 * Only h3 (the slot) is hashed per span; h1 and h2 are computed once per new entry, since most
 * spans of a batch join an entry their trace already has in that record.
 *
 * The store seals the tail once `isFull` after a record; the tail keeps headroom for one more
 * record so that this normally needs no growth, and grows anyway rather than ever drop an entry.
 * A frozen tail (being sealed) takes no more adds but keeps answering lookups.
 */
import { BATCH_SPANS_LIMIT, INDEX_FLUSH_ENTRIES_MAX, PARTITIONS_MAX, UNIX_NANO_MAX } from '../constants.js';
import type { AnyBatchView } from '../batch/batch-versions.js';
import { TRACE_HASH_SEED_BUCKET, TRACE_HASH_SEED_PARTITION, murmur3Of16 } from '../codec/trace-hash.js';
import { assert } from '../errors.js';
import { isU32 } from '../codec/little-endian.js';
import {
  ENTRY_FILE_OFFSET_WORD,
  ENTRY_RECORD_LENGTH_WORD,
  ENTRY_SEGMENT_ID_WORD,
  ENTRY_SPAN_COUNT_FLAGS_WORD,
  ENTRY_WORDS,
  SPAN_COUNT_MAX,
  readWordLE,
} from './index-entry.js';
import type { LocationList } from './location-list.js';
import { PartitionTimeRanges } from './partition-time-ranges.js';
import { STAGED_ID_WORDS, SpanStaging } from './span-staging.js';

/**
 * Entries allocated beyond the flush threshold. One record adds at most one entry per span, and
 * a batch holds at most BATCH_SPANS_LIMIT spans, so a tail sealed as soon as it is full never grows.
 */
const TAIL_HEADROOM_ENTRIES_MAX = BATCH_SPANS_LIMIT;
/**
 * Table slots per allocated entry, before rounding up to a power of two: load stays ≤ 2/3, and a
 * probe past an occupied slot is cheap (its tag is in the same cache line; no entry is read).
 * Measured: 2 slots per entry cost 25% more memory for no gain in adds per second.
 */
const TABLE_SLOTS_PER_ENTRY = 1.5;
/** Int32 words per slot: entry index + 1 (0 when free), then the tag. */
const SLOT_WORDS = 2;
const EMPTY_SLOT = 0;
const NO_PREVIOUS = -1;

/** Where endRecord's touch loop leaves its result, so the compiler cannot drop the loads as dead. */
let touchSink = 0;

/** What the chunk writer reads from a frozen tail. Arrays are the tail's own: do not modify. */
export interface TailColumns {
  readonly partitionCount: number;
  readonly entryCount: number;
  /** ENTRY_WORDS words per entry, arrival order, the §4.2 layout. */
  readonly entryWords: Uint32Array;
  /** h1 mod P of each entry. */
  readonly entryPartitions: Uint16Array;
  /** h2 of each entry (bucket and filter bits). */
  readonly entryBucketHashes: Uint32Array;
  /** h3 of each entry (filter block). */
  readonly entryBlockHashes: Uint32Array;
  readonly partitionEntryCounts: Uint32Array;
  /** UNIX_NANO_MAX for an empty partition. */
  readonly partitionMinStartTimes: BigUint64Array;
  /** 0 for an empty partition. */
  readonly partitionMaxStartTimes: BigUint64Array;
  readonly minStartTimeUnixNano: bigint;
  readonly maxStartTimeUnixNano: bigint;
}

export class IndexTail {
  readonly partitionCount: number;
  /** The flush threshold: `isFull` from this many entries on. */
  readonly capacityEntries: number;

  private entryWords: Uint32Array;
  private entryPartitions: Uint16Array;
  private entryBucketHashes: Uint32Array;
  private entryBlockHashes: Uint32Array;
  /** Index of the previous entry of the same trace, or NO_PREVIOUS. */
  private previousOfTrace: Int32Array;
  /** SLOT_WORDS per slot: newest entry index + 1 of the trace (EMPTY_SLOT when free), tag. */
  private slots: Int32Array;
  /** Slot count − 1 (a power of two minus one). */
  private slotMask: number;
  private count = 0;

  private readonly partitionEntryCounts: Uint32Array;
  private readonly partitionTimeRanges: PartitionTimeRanges;
  private minStart = UNIX_NANO_MAX;
  private maxStart = 0n;

  // The record being added (between beginRecord and endRecord).
  private inRecord = false;
  private recordFirstEntry = 0;
  private recordSegmentId = 0;
  private recordFileOffset = 0;
  private recordLength = 0;
  private lastSegmentId = 0;
  private lastFileOffset = -1;

  private frozen = false;

  /** Spans of the current record, indexed by endRecord(). */
  private readonly staging = new SpanStaging();

  constructor(partitionCount: number, capacityEntries: number) {
    assert(Number.isInteger(partitionCount) && partitionCount >= 1 && partitionCount <= PARTITIONS_MAX, `partitionCount ${partitionCount}`);
    assert(
      Number.isInteger(capacityEntries) && capacityEntries >= 1 && capacityEntries <= INDEX_FLUSH_ENTRIES_MAX,
      `capacityEntries ${capacityEntries}`,
    );
    this.partitionCount = partitionCount;
    this.capacityEntries = capacityEntries;
    const allocated = capacityEntries + Math.min(capacityEntries, TAIL_HEADROOM_ENTRIES_MAX);
    this.entryWords = new Uint32Array(allocated * ENTRY_WORDS);
    this.entryPartitions = new Uint16Array(allocated);
    this.entryBucketHashes = new Uint32Array(allocated);
    this.entryBlockHashes = new Uint32Array(allocated);
    this.previousOfTrace = new Int32Array(allocated);
    this.slots = new Int32Array(slotCountFor(allocated) * SLOT_WORDS);
    this.slotMask = slotCountFor(allocated) - 1;
    this.partitionEntryCounts = new Uint32Array(partitionCount);
    this.partitionTimeRanges = new PartitionTimeRanges(partitionCount);
  }

  get entryCount(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.capacityEntries;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** UNIX_NANO_MAX while empty. */
  get minStartTimeUnixNano(): bigint {
    return this.minStart;
  }

  /** 0 while empty. */
  get maxStartTimeUnixNano(): bigint {
    return this.maxStart;
  }

  /** Bytes of typed arrays held, for stats. */
  get memoryBytes(): number {
    return (
      this.entryWords.byteLength +
      this.entryPartitions.byteLength +
      this.entryBucketHashes.byteLength +
      this.entryBlockHashes.byteLength +
      this.previousOfTrace.byteLength +
      this.slots.byteLength +
      this.partitionEntryCounts.byteLength +
      this.partitionTimeRanges.byteLength
    );
  }

  /** Starts a record; positions must increase, as records are appended in order. */
  beginRecord(
    segmentId: number,
    fileOffset: number,
    recordLength: number,
    minStartTimeUnixNano: bigint,
    maxStartTimeUnixNano: bigint,
  ): void {
    assert(!this.frozen, 'beginRecord on a frozen index tail');
    assert(!this.inRecord, 'beginRecord before endRecord');
    // Messages are built only on failure: beginRecord runs once per record.
    if (!(isU32(segmentId) && isU32(fileOffset) && isU32(recordLength))) {
      assert(false, `record ${segmentId}/${fileOffset}/${recordLength} not u32`);
    }
    if (!(segmentId > this.lastSegmentId || (segmentId === this.lastSegmentId && fileOffset > this.lastFileOffset))) {
      assert(false, `record ${segmentId}/${fileOffset} not after ${this.lastSegmentId}/${this.lastFileOffset}`);
    }
    if (!(minStartTimeUnixNano >= 0n && minStartTimeUnixNano <= maxStartTimeUnixNano && maxStartTimeUnixNano <= UNIX_NANO_MAX)) {
      assert(false, `record time range ${minStartTimeUnixNano}..${maxStartTimeUnixNano}`);
    }
    this.inRecord = true;
    this.recordFirstEntry = this.count;
    this.recordSegmentId = segmentId;
    this.recordFileOffset = fileOffset;
    this.recordLength = recordLength;
    this.partitionTimeRanges.setRecord(minStartTimeUnixNano, maxStartTimeUnixNano);
    this.lastSegmentId = segmentId;
    this.lastFileOffset = fileOffset;
    if (minStartTimeUnixNano < this.minStart) this.minStart = minStartTimeUnixNano;
    if (maxStartTimeUnixNano > this.maxStart) this.maxStart = maxStartTimeUnixNano;
  }

  /**
   * `spans` spans of the current record whose traceId is the 16 bytes at `at`. They are staged
   * and indexed by endRecord(): entries of a record become visible when the record ends.
   */
  addSpans(traceId: Uint8Array, at: number, spans: number): void {
    assert(this.inRecord, 'addSpans outside beginRecord/endRecord');
    this.staging.stage(traceId, at, spans);
  }

  /**
   * Indexes one stored record from its batch's trailer (data-format.md §2.2, §2.7.2): the one path
   * from a trailer to index entries, for the append path and for recovery alike. The trailer is
   * read in place, nothing is copied: a version-1 batch stages each entry, a version-2 batch each
   * trace run with its row count.
   */
  indexRecord(segmentId: number, fileOffset: number, recordLength: number, batch: AnyBatchView): void {
    this.beginRecord(segmentId, fileOffset, recordLength, batch.minStartTimeUnixNano, batch.maxStartTimeUnixNano);
    if (batch.version === 2) {
      for (let run = 0; run < batch.runCount; run++) this.addSpans(batch.bytes, batch.runTraceIdOffset(run), batch.runRowCount(run));
    } else {
      for (let i = 0; i < batch.spanCount; i++) this.addSpans(batch.bytes, batch.traceIdOffset(i), 1);
    }
    this.endRecord();
  }

  endRecord(): void {
    assert(this.inRecord, 'endRecord without beginRecord');
    const staging = this.staging;
    const staged = staging.count;
    assert(staged >= 1, 'record with no spans');
    // Touch every slot (and the entry it names) of the record in one tight loop first: the loads
    // are independent, so the CPU overlaps their cache misses instead of taking them one by one
    // inside place(). Measured ~1.3× more new entries per second on a 1M-entry tail, whose table
    // is larger than the caches; no change on a default-sized (262,144) one.
    const slots = this.slots;
    const words = this.entryWords;
    const mask = this.slotMask;
    let touched = 0;
    for (let i = 0; i < staged; i++) {
      const held = slots[(staging.blockHashes[i]! & mask) * SLOT_WORDS]!;
      if (held !== EMPTY_SLOT) touched ^= words[(held - 1) * ENTRY_WORDS]!;
    }
    touchSink ^= touched;
    for (let i = 0; i < staged; i++) this.place(staging, i);
    staging.clear();
    this.inRecord = false;
  }

  /** Stops adds for good; lookups keep working. Idempotent. */
  freeze(): void {
    assert(!this.inRecord, 'freeze in the middle of a record');
    this.frozen = true;
  }

  /**
   * Appends the trace's entries to `out`, oldest first. `hashes` is traceHash of the same id.
   */
  lookup(traceId: Uint8Array, at: number, hashes: Uint32Array, out: LocationList): void {
    let entry = this.findNewest(traceId, at, hashes);
    if (entry === NO_PREVIOUS) return;
    const words = this.entryWords;
    const start = out.length;
    // The chain runs newest to oldest; push in that order and reverse the run in place.
    while (entry !== NO_PREVIOUS) {
      const base = entry * ENTRY_WORDS;
      out.push(
        words[base + ENTRY_SEGMENT_ID_WORD]!,
        words[base + ENTRY_FILE_OFFSET_WORD]!,
        words[base + ENTRY_RECORD_LENGTH_WORD]!,
        words[base + ENTRY_SPAN_COUNT_FLAGS_WORD]! & SPAN_COUNT_MAX,
      );
      entry = this.previousOfTrace[entry]!;
    }
    out.reverseFrom(start);
  }

  /** The columns the chunk writer needs; only once frozen, so no growth can swap the arrays. */
  sealedColumns(): TailColumns {
    assert(this.frozen, 'sealedColumns on a tail that is not frozen');
    return {
      partitionCount: this.partitionCount,
      entryCount: this.count,
      entryWords: this.entryWords,
      entryPartitions: this.entryPartitions,
      entryBucketHashes: this.entryBucketHashes,
      entryBlockHashes: this.entryBlockHashes,
      partitionEntryCounts: this.partitionEntryCounts,
      partitionMinStartTimes: this.partitionTimeRanges.mins(),
      partitionMaxStartTimes: this.partitionTimeRanges.maxes(),
      minStartTimeUnixNano: this.minStart,
      maxStartTimeUnixNano: this.maxStart,
    };
  }

  /** Indexes staged span `i`: joins its trace's entry in this record, or appends a new entry. */
  private place(staging: SpanStaging, i: number): void {
    if (this.count === this.previousOfTrace.length) this.grow();
    const idWords = staging.idWords;
    const at = i * STAGED_ID_WORDS;
    const w0 = idWords[at]!;
    const w1 = idWords[at + 1]!;
    const w2 = idWords[at + 2]!;
    const w3 = idWords[at + 3]!;
    const tag = w0 ^ w1 ^ w2 ^ w3;
    const h3 = staging.blockHashes[i]!;
    const words = this.entryWords;
    const slots = this.slots;
    const mask = this.slotMask;
    let slot = h3 & mask;
    let previous = NO_PREVIOUS;
    for (;;) {
      const held = slots[slot * SLOT_WORDS]!;
      if (held === EMPTY_SLOT) break;
      if (slots[slot * SLOT_WORDS + 1] === tag) {
        const newest = held - 1;
        const base = newest * ENTRY_WORDS;
        if (words[base] === w0 && words[base + 1] === w1 && words[base + 2] === w2 && words[base + 3] === w3) {
          if (newest >= this.recordFirstEntry) {
            // Spans of one trace in one record share an entry (§4.2). A batch has ≤ 65,535 spans.
            const spans = staging.spanCounts[i]!;
            assert((words[base + ENTRY_SPAN_COUNT_FLAGS_WORD]! & SPAN_COUNT_MAX) + spans <= SPAN_COUNT_MAX, 'spanCount overflow');
            words[base + ENTRY_SPAN_COUNT_FLAGS_WORD]! += spans;
            return;
          }
          previous = newest;
          break;
        }
      }
      slot = (slot + 1) & mask;
    }
    this.appendEntry(staging, i, previous);
    slots[slot * SLOT_WORDS] = this.count;
    slots[slot * SLOT_WORDS + 1] = tag;
  }

  /**
   * Appends staged span `i` as a new entry. Ids and hashes are read here rather than passed in:
   * V8 boxes a u32 ≥ 2^31 argument into a heap number whenever a call is not inlined.
   */
  private appendEntry(staging: SpanStaging, i: number, previous: number): void {
    const entry = this.count;
    const base = entry * ENTRY_WORDS;
    const words = this.entryWords;
    const idAt = i * STAGED_ID_WORDS;
    words[base] = staging.idWords[idAt]!;
    words[base + 1] = staging.idWords[idAt + 1]!;
    words[base + 2] = staging.idWords[idAt + 2]!;
    words[base + 3] = staging.idWords[idAt + 3]!;
    const h1 = murmur3Of16(staging.idBytes, idAt * 4, TRACE_HASH_SEED_PARTITION);
    words[base + ENTRY_SEGMENT_ID_WORD] = this.recordSegmentId;
    words[base + ENTRY_FILE_OFFSET_WORD] = this.recordFileOffset;
    words[base + ENTRY_RECORD_LENGTH_WORD] = this.recordLength;
    words[base + ENTRY_SPAN_COUNT_FLAGS_WORD] = staging.spanCounts[i]!;
    const partition = h1 % this.partitionCount;
    this.entryPartitions[entry] = partition;
    this.entryBucketHashes[entry] = murmur3Of16(staging.idBytes, idAt * 4, TRACE_HASH_SEED_BUCKET);
    this.entryBlockHashes[entry] = staging.blockHashes[i]!;
    this.previousOfTrace[entry] = previous;
    this.partitionEntryCounts[partition]!++;
    this.partitionTimeRanges.widen(partition);
    this.count = entry + 1;
  }

  /** Newest entry of the trace, or NO_PREVIOUS. Takes the hash array, not h3: see appendEntry. */
  private findNewest(traceId: Uint8Array, at: number, hashes: Uint32Array): number {
    const w0 = readWordLE(traceId, at);
    const w1 = readWordLE(traceId, at + 4);
    const w2 = readWordLE(traceId, at + 8);
    const w3 = readWordLE(traceId, at + 12);
    const tag = w0 ^ w1 ^ w2 ^ w3;
    const words = this.entryWords;
    const slots = this.slots;
    const mask = this.slotMask;
    for (let slot = hashes[2]! & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot * SLOT_WORDS]!;
      if (held === EMPTY_SLOT) return NO_PREVIOUS;
      if (slots[slot * SLOT_WORDS + 1] !== tag) continue;
      const base = (held - 1) * ENTRY_WORDS;
      if (words[base] === w0 && words[base + 1] === w1 && words[base + 2] === w2 && words[base + 3] === w3) return held - 1;
    }
  }

  /** Doubles every per-entry array and rehashes the table; only when a record overshoots. */
  private grow(): void {
    const allocated = this.previousOfTrace.length * 2;
    assert(allocated <= INDEX_FLUSH_ENTRIES_MAX * 4, `index tail grew to ${allocated} entries`);
    this.entryWords = copied(new Uint32Array(allocated * ENTRY_WORDS), this.entryWords);
    this.entryPartitions = copied(new Uint16Array(allocated), this.entryPartitions);
    this.entryBucketHashes = copied(new Uint32Array(allocated), this.entryBucketHashes);
    this.entryBlockHashes = copied(new Uint32Array(allocated), this.entryBlockHashes);
    this.previousOfTrace = copied(new Int32Array(allocated), this.previousOfTrace);
    const old = this.slots;
    const mask = slotCountFor(allocated) - 1;
    const slots = new Int32Array((mask + 1) * SLOT_WORDS);
    // Each occupied slot names one trace's newest entry; its stored h3 places it in the new table.
    for (let i = 0; i < old.length; i += SLOT_WORDS) {
      const held = old[i]!;
      if (held === EMPTY_SLOT) continue;
      let slot = this.entryBlockHashes[held - 1]! & mask;
      while (slots[slot * SLOT_WORDS] !== EMPTY_SLOT) slot = (slot + 1) & mask;
      slots[slot * SLOT_WORDS] = held;
      slots[slot * SLOT_WORDS + 1] = old[i + 1]!;
    }
    this.slots = slots;
    this.slotMask = mask;
  }
}

function slotCountFor(entries: number): number {
  let slots = 1;
  while (slots < entries * TABLE_SLOTS_PER_ENTRY) slots *= 2;
  return slots;
}

function copied<T extends Uint32Array | Uint16Array | Int32Array>(into: T, from: T): T {
  into.set(from as never);
  return into;
}

