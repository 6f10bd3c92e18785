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

export class StringDictionary {
  private readonly ids = new Map<string, number>();
  /** The strings by id, to undo additions past a mark. */
  private readonly strings: string[] = [];
  readonly out = new ByteOut(DICTIONARY_BYTES_INITIAL);

  get count(): number {
    return this.strings.length;
  }

  get byteLength(): number {
    return this.out.length;
  }

  /** The id of `text`, added now if new. `text` must be well-formed (the caller checked it). */
  id(text: string): number {
    const known = this.ids.get(text);
    if (known !== undefined) return known;
    const id = this.strings.length;
    this.ids.set(text, id);
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
    while (this.strings.length > mark) this.ids.delete(this.strings.pop()!);
    this.out.truncate(byteMark);
  }

  reset(): void {
    this.ids.clear();
    this.strings.length = 0;
    this.out.resetBounded(WRITER_RETAINED_BYTES_MAX);
  }
}
