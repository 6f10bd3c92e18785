/**
 * The batch dictionary of the columnar batch (data-format.md §2.7.3) for writers that hold strings
 * as UTF-8 bytes (ColumnarRecordEncoder, fed span records by the OTLP receivers and the SDK
 * exporter): a string is looked up by its bytes, so none is decoded into a JS string. StringDictionary
 * is the same for writers that hold JS strings.
 *
 * Open addressing in typed arrays over the dictionary's own bytes: each id keeps its offset,
 * length and hash, and a slot holds id + 1. Nothing is allocated per string once the arrays have
 * grown to a batch's size.
 */
import { WRITER_RETAINED_BYTES_MAX, WRITER_RETAINED_ENTRIES_MAX } from '../constants.js';
import { ByteOut } from './byte-stream.js';

const DICTIONARY_BYTES_INITIAL = 16 * 1024;
const STRINGS_INITIAL = 1024;
/** Slots per string at most: the table is kept at most half full, so probes stay short. */
const SLOTS_PER_STRING = 2;
/** FNV-1a's 32-bit constants (the hash takes four bytes a step, then mixes its high bits down). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export class ByteDictionary {
  readonly out = new ByteOut(DICTIONARY_BYTES_INITIAL);
  private stringCount = 0;
  /** Per id: where its bytes start in `out`, their length, their hash (sized by allocate()). */
  private offsets!: Uint32Array;
  private lengths!: Uint32Array;
  private hashes!: Int32Array;
  /** The slot each id sits in, so reset() clears those alone, not the whole table. */
  private slotOf!: Int32Array;
  /** Slot → id + 1, 0 empty; a power of two. */
  private slots!: Int32Array;

  constructor() {
    this.allocate();
  }

  /** The per-string tables at their starting size, empty. */
  private allocate(): void {
    this.offsets = new Uint32Array(STRINGS_INITIAL);
    this.lengths = new Uint32Array(STRINGS_INITIAL);
    this.hashes = new Int32Array(STRINGS_INITIAL);
    this.slotOf = new Int32Array(STRINGS_INITIAL);
    this.slots = new Int32Array(STRINGS_INITIAL * SLOTS_PER_STRING);
  }

  get count(): number {
    return this.stringCount;
  }

  get byteLength(): number {
    return this.out.length;
  }

  /**
   * The id of the string whose UTF-8 bytes are `source[start, end)`, added now if new. The bytes
   * must be well-formed UTF-8: the caller checked them (§2.7.3 requires it; the store checks it).
   */
  id(source: Uint8Array, start: number, end: number): number {
    const length = end - start;
    // Four bytes a step: a quarter of the dependent multiplies of a byte-wise FNV-1a.
    let hash = FNV_OFFSET ^ length;
    let i = start;
    for (; i + 4 <= end; i += 4) hash = Math.imul(hash ^ (source[i]! | (source[i + 1]! << 8) | (source[i + 2]! << 16) | (source[i + 3]! << 24)), FNV_PRIME);
    // The last one to three bytes as one more word (the length, mixed in first, tells them apart).
    const rest = end - i;
    if (rest > 0) {
      let word = source[i]!;
      if (rest > 1) word |= source[i + 1]! << 8;
      if (rest > 2) word |= source[i + 2]! << 16;
      hash = Math.imul(hash ^ word, FNV_PRIME);
    }
    hash ^= hash >>> 15;
    const slots = this.slots;
    const mask = slots.length - 1;
    const hashes = this.hashes;
    let slot = hash & mask;
    for (let entry = slots[slot]!; entry !== 0; entry = slots[slot]!) {
      if (hashes[entry - 1] === hash && this.matches(entry - 1, source, start, length)) return entry - 1;
      slot = (slot + 1) & mask;
    }
    return this.add(source, start, end, hash, slot);
  }

  /** Whether string `id` is `source[start, start + length)`. */
  private matches(id: number, source: Uint8Array, start: number, length: number): boolean {
    if (this.lengths[id] !== length) return false;
    const bytes = this.out.bytes;
    const at = this.offsets[id]! - start;
    for (let i = start; i < start + length; i++) if (bytes[at + i] !== source[i]) return false;
    return true;
  }

  /** Adds a string not in the dictionary, whose hash is `hash` and free slot `slot`. */
  private add(source: Uint8Array, start: number, end: number, hash: number, slot: number): number {
    const length = end - start;
    const id = this.stringCount;
    if (id === this.offsets.length) this.growStrings();
    const out = this.out;
    out.uvarint(length);
    this.offsets[id] = out.length;
    this.lengths[id] = length;
    this.hashes[id] = hash;
    out.rawRange(source, start, end);
    this.stringCount = id + 1;
    if (this.stringCount * SLOTS_PER_STRING > this.slots.length) this.rehash(this.slots.length * 2);
    else {
      this.slots[slot] = id + 1;
      this.slotOf[id] = slot;
    }
    return id;
  }

  /** A mark to roll back to: the count now. */
  mark(): number {
    return this.stringCount;
  }

  /** Forgets every string added since `mark` (its bytes too): a row taken back, once a batch at most. */
  rollback(mark: number, byteMark: number): void {
    if (mark === this.stringCount) return;
    this.stringCount = mark;
    this.out.truncate(byteMark);
    this.rehash(this.slots.length);
  }

  reset(): void {
    if (this.offsets.length > WRITER_RETAINED_ENTRIES_MAX) this.allocate();
    else for (let id = 0; id < this.stringCount; id++) this.slots[this.slotOf[id]!] = 0;
    this.stringCount = 0;
    this.out.resetBounded(WRITER_RETAINED_BYTES_MAX);
  }

  private rehash(size: number): void {
    const slots = size === this.slots.length ? this.slots.fill(0) : new Int32Array(size);
    const mask = size - 1;
    for (let id = 0; id < this.stringCount; id++) {
      let slot = this.hashes[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
      this.slotOf[id] = slot;
    }
    this.slots = slots;
  }

  private growStrings(): void {
    const size = this.offsets.length * 2;
    this.offsets = grown(this.offsets, new Uint32Array(size));
    this.lengths = grown(this.lengths, new Uint32Array(size));
    this.hashes = grown(this.hashes, new Int32Array(size));
    this.slotOf = grown(this.slotOf, new Int32Array(size));
  }
}

function grown<T extends Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

