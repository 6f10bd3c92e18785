/**
 * The batch dictionary of the columnar batch (data-format.md §2.7.3) on the writing side: each
 * distinct string gets the next id and its bytes are appended once; a span that fails halfway is
 * rolled back to a mark, so the dictionary holds only strings of spans the batch kept.
 */
import { WRITER_RETAINED_BYTES_MAX } from '../constants.js';
import { copyAscii } from '../codec/ascii.js';
import { ByteOut } from './byte-stream.js';

const DICTIONARY_BYTES_INITIAL = 16 * 1024;
/** A UTF-16 unit takes at most 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4). */
const UTF8_BYTES_PER_UNIT_MAX = 3;
/** Strings this short encode to < 128 bytes, so their uvarint length is one byte: most names, keys and values. */
const SHORT_STRING_UNITS_MAX = 42;
const UTF8 = new TextEncoder();
/**
 * Entries of the front cache (a power of two): room for a batch's common strings, cleared in ~1 µs
 * by reset().
 */
const FRONT_CACHE_ENTRIES = 4096;

export class StringDictionary {
  private readonly ids = new Map<string, number>();
  /** The strings by id, to undo additions past a mark. */
  private readonly strings: string[] = [];
  readonly out = new ByteOut(DICTIONARY_BYTES_INITIAL);
  /**
   * A direct-mapped cache in front of `ids`, slot chosen by frontSlot(). Why: a fresh string (an
   * attribute value built per span) has no hash yet, and Map.get computes it in ~30 ns; W1's spans
   * bring 23 strings each, a third of the encoder's time. Comparing with the slot's string costs a
   * few ns (a pointer when it is the same object, a short memcmp when equal). Entries hold ids of
   * this batch only: reset() and rollback() clear it.
   */
  private readonly cachedStrings = new Array<string | undefined>(FRONT_CACHE_ENTRIES).fill(undefined);
  private readonly cachedIds = new Int32Array(FRONT_CACHE_ENTRIES);

  get count(): number {
    return this.strings.length;
  }

  get byteLength(): number {
    return this.out.length;
  }

  /** The id of `text`, added now if new. `text` must be well-formed (the caller checked it). */
  id(text: string): number {
    const slot = frontSlot(text);
    if (this.cachedStrings[slot] === text) return this.cachedIds[slot]!;
    const known = this.ids.get(text);
    if (known !== undefined) {
      this.cachedStrings[slot] = text;
      this.cachedIds[slot] = known;
      return known;
    }
    const id = this.strings.length;
    this.ids.set(text, id);
    this.cachedStrings[slot] = text;
    this.cachedIds[slot] = id;
    this.strings.push(text);
    const out = this.out;
    if (text.length <= SHORT_STRING_UNITS_MAX) {
      // At most 126 UTF-8 bytes: a 1-byte length, written after the bytes it counts.
      out.ensure(1 + UTF8_BYTES_PER_UNIT_MAX * text.length);
      const bytes = out.bytes;
      const at = out.length + 1;
      // ASCII (most names, keys and values) is copied unit by unit: no subarray, no encodeInto call.
      const written = copyAscii(text, bytes, at) ? text.length : UTF8.encodeInto(text, bytes.subarray(at)).written;
      bytes[at - 1] = written;
      out.length = at + written;
      return id;
    }
    const byteLength = Buffer.byteLength(text, 'utf8');
    out.uvarint(byteLength);
    out.ensure(byteLength);
    out.length += Buffer.from(out.bytes.buffer, out.bytes.byteOffset, out.bytes.byteLength).write(text, out.length, 'utf8');
    return id;
  }

  /** A mark to roll back to: the count and byte length now. */
  mark(): number {
    return this.strings.length;
  }

  /** Forgets every string added since `mark` (its bytes too). */
  rollback(mark: number, byteMark: number): void {
    if (this.strings.length > mark) {
      while (this.strings.length > mark) this.ids.delete(this.strings.pop()!);
      this.cachedStrings.fill(undefined); // it may hold the ids just taken back
    }
    this.out.truncate(byteMark);
  }

  reset(): void {
    this.cachedStrings.fill(undefined);
    this.ids.clear();
    this.strings.length = 0;
    this.out.resetBounded(WRITER_RETAINED_BYTES_MAX);
  }
}

/**
 * The front cache's slot for `text`: its length and three of its units, those that differ most
 * between strings cut from one template (the last two: counters and codes; the middle one). No loop
 * over the string, so it costs the same for any length; a collision only sends a lookup on to the
 * Map.
 */
function frontSlot(text: string): number {
  const length = text.length;
  if (length < 2) return length === 0 ? 0 : text.charCodeAt(0) & (FRONT_CACHE_ENTRIES - 1);
  const mixed = length * 31 + text.charCodeAt(length - 1) * 977 + text.charCodeAt(length - 2) * 7919 + text.charCodeAt(length >> 1) * 61;
  return mixed & (FRONT_CACHE_ENTRIES - 1);
}
