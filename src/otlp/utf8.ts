/**
 * UTF-8 validation of a byte range, in place. The transcoder copies strings from a request into
 * span records byte for byte, so it must check them first: the batch format holds only well-formed
 * strings (data-format.md §2.5), and protobuf `string` fields must be valid UTF-8 too. Node's
 * `buffer.isUtf8` takes a whole view, which would cost a subarray per string.
 */

/** Whether `bytes[start, end)` is well-formed UTF-8 (no overlong forms, no surrogates, ≤ U+10FFFF). */
export function isWellFormedUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let at = start;
  while (at < end) {
    const first = bytes[at]!;
    if (first < 0x80) {
      at++;
      continue;
    }
    if (first >= 0xc2 && first <= 0xdf) {
      if (at + 1 >= end || (bytes[at + 1]! & 0xc0) !== 0x80) return false;
      at += 2;
      continue;
    }
    if (first >= 0xe0 && first <= 0xef) {
      if (at + 2 >= end) return false;
      const second = bytes[at + 1]!;
      // E0 needs A0..BF (no overlong); ED needs 80..9F (no surrogates).
      const low = first === 0xe0 ? 0xa0 : 0x80;
      const high = first === 0xed ? 0x9f : 0xbf;
      if (second < low || second > high || (bytes[at + 2]! & 0xc0) !== 0x80) return false;
      at += 3;
      continue;
    }
    if (first >= 0xf0 && first <= 0xf4) {
      if (at + 3 >= end) return false;
      const second = bytes[at + 1]!;
      // F0 needs 90..BF (no overlong); F4 needs 80..8F (≤ U+10FFFF).
      const low = first === 0xf0 ? 0x90 : 0x80;
      const high = first === 0xf4 ? 0x8f : 0xbf;
      if (second < low || second > high || (bytes[at + 2]! & 0xc0) !== 0x80 || (bytes[at + 3]! & 0xc0) !== 0x80) return false;
      at += 4;
      continue;
    }
    return false;
  }
  return true;
}
