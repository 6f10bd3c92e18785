/**
 * Short ASCII strings copied a unit at a time: the batch dictionary and the protobuf writer each
 * write ~25 short strings a span, mostly ASCII names, keys and values, and for those a loop beats
 * a call into TextEncoder or Buffer's UTF-8 writer.
 */

/**
 * Copies `text` into `bytes` from `at`, one byte a unit, when every unit is ASCII; false at the
 * first unit that is not (the units before it are written, and the caller writes the string
 * again as UTF-8). The caller makes room for `text.length` bytes.
 */
export function copyAscii(text: string, bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return false;
    bytes[at + i] = unit;
  }
  return true;
}
