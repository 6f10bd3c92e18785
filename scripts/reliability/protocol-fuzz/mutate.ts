/**
 * The mutation loop of the protocol fuzz: byte-level damage to well-formed frames (data-format.md
 * §6.1), aimed at the places a parser trusts: the length prefix, headerLength, the reserved bytes,
 * msgpack type bytes in the header. Plus batch damage that recomputes the CRCs afterwards, so the
 * store's structural checks (§2.6) see it instead of stopping at the checksum.
 */
import { crc32c } from '../../../src/codec/crc32c.js';
import { BATCH_FOOTER_BYTES, BATCH_HEADER_BYTES, FRAME_BYTES_MAX_DEFAULT, FRAME_LENGTH_MIN, FRAME_PREFIX_BYTES } from '../../../src/constants.js';
import type { Rng } from '../../../src/workload/rng.js';

/** Mutations applied to one frame: a few, so the result is still close enough to a frame to get past the first check. */
const MUTATIONS_PER_FRAME_MAX = 6;
/** Bytes one insertion adds: enough to shift every later field, small enough to keep frames cheap. */
const INSERT_BYTES_MAX = 48;
/** Offset of headerCrc in a batch header (§2.1). */
const BATCH_HEADER_CRC_OFFSET = 40;

/** Bytes that mean something to a parser: extremes, sign edges, msgpack type bytes (nil, never-used, ext, bin, huge containers). */
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc4, 0xc7, 0xcf, 0xd3, 0xd4, 0xd8, 0xdc, 0xdd, 0xde, 0xdf, 0x8f, 0x9f, 0xbf];
/** Lengths and counts at every boundary the decoder checks (§6.1) and every width edge. */
const INTERESTING_U32 = [
  0, 1, 4, FRAME_LENGTH_MIN - 1, FRAME_LENGTH_MIN, FRAME_LENGTH_MIN + 1, FRAME_PREFIX_BYTES, 0x7f, 0x80, 0xff, 0xffff, 0x10000,
  FRAME_BYTES_MAX_DEFAULT, FRAME_BYTES_MAX_DEFAULT + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];
/** msgpack prefixes that announce more than follows: a parser must not trust them. */
const MSGPACK_LIARS = [
  [0xc4, 0xff], [0xc5, 0xff, 0xff], [0xc6, 0xff, 0xff, 0xff, 0xff], [0xdc, 0xff, 0xff], [0xdd, 0xff, 0xff, 0xff, 0xff],
  [0xde, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xff], [0xc7, 0xff, 0x01], [0xd4, 0x70, 0x00],
  [0xd4, 0x69, 0x00], [0xd4, 0x73, 0x00], [0xd6, 0xff, 0, 0, 0, 0], [0xd4, 0x42, 0x00], [0xc1],
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

type Mutator = (rng: Rng, bytes: Buffer, donors: readonly Buffer[]) => Buffer;

function flipBit(rng: Rng, bytes: Buffer): Buffer {
  if (bytes.length > 0) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
  return bytes;
}

function setByte(rng: Rng, bytes: Buffer): Buffer {
  if (bytes.length > 0) bytes[rng.int(bytes.length)] = rng.next() < 0.5 ? pick(rng, INTERESTING_BYTES) : rng.int(256);
  return bytes;
}

/** A u32 of the prefix (length, opcode/flags/reserved, requestId, headerLength) or anywhere else. */
function setU32(rng: Rng, bytes: Buffer): Buffer {
  if (bytes.length < 4) return bytes;
  const at = rng.next() < 0.7 ? pick(rng, [0, 4, 8, 12].filter((o) => o + 4 <= bytes.length)) : rng.int(bytes.length - 3);
  const value = rng.next() < 0.6 ? pick(rng, INTERESTING_U32) : bytes.readUInt32LE(at) + rng.int(33) - 16;
  bytes.writeUInt32LE(value >>> 0, at);
  return bytes;
}

/** A byte of the msgpack header: the header is small next to a batch payload, so it is aimed at. */
function headerByte(rng: Rng, bytes: Buffer): Buffer {
  if (bytes.length <= FRAME_PREFIX_BYTES) return setByte(rng, bytes);
  const headerLength = Math.min(bytes.readUInt32LE(12), bytes.length - FRAME_PREFIX_BYTES);
  if (headerLength === 0) return setByte(rng, bytes);
  bytes[FRAME_PREFIX_BYTES + rng.int(headerLength)] = rng.next() < 0.7 ? pick(rng, INTERESTING_BYTES) : rng.int(256);
  return bytes;
}

function insertBytes(rng: Rng, bytes: Buffer): Buffer {
  const at = rng.int(bytes.length + 1);
  const inserted = rng.next() < 0.5 ? Buffer.from(pick(rng, MSGPACK_LIARS)) : Buffer.from(rng.bytes(1 + rng.int(INSERT_BYTES_MAX)));
  return Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]);
}

/** A msgpack liar placed inside the header, where the header parser meets it. */
function headerLiar(rng: Rng, bytes: Buffer): Buffer {
  if (bytes.length <= FRAME_PREFIX_BYTES) return insertBytes(rng, bytes);
  const headerLength = Math.min(bytes.readUInt32LE(12), bytes.length - FRAME_PREFIX_BYTES);
  const at = FRAME_PREFIX_BYTES + rng.int(headerLength + 1);
  const liar = Buffer.from(pick(rng, MSGPACK_LIARS));
  return Buffer.concat([bytes.subarray(0, at), liar, bytes.subarray(Math.min(bytes.length, at + liar.length))]);
}

function deleteRange(rng: Rng, bytes: Buffer): Buffer {
  if (bytes.length === 0) return bytes;
  const at = rng.int(bytes.length);
  const end = Math.min(bytes.length, at + 1 + rng.int(INSERT_BYTES_MAX));
  return Buffer.concat([bytes.subarray(0, at), bytes.subarray(end)]);
}

function truncate(rng: Rng, bytes: Buffer): Buffer {
  return bytes.subarray(0, rng.int(bytes.length + 1));
}

function duplicateRange(rng: Rng, bytes: Buffer): Buffer {
  if (bytes.length === 0) return bytes;
  const at = rng.int(bytes.length);
  const end = Math.min(bytes.length, at + 1 + rng.int(INSERT_BYTES_MAX));
  return Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
}

/** This frame's start on another frame's end: prefixes and headers that disagree with their bodies. */
function spliceDonor(rng: Rng, bytes: Buffer, donors: readonly Buffer[]): Buffer {
  const donor = pick(rng, donors);
  return Buffer.concat([bytes.subarray(0, rng.int(bytes.length + 1)), donor.subarray(rng.int(donor.length + 1))]);
}

const MUTATORS: readonly Mutator[] = [flipBit, setByte, setU32, setU32, headerByte, headerByte, headerLiar, insertBytes, deleteRange, truncate, duplicateRange, spliceDonor];

/**
 * A damaged copy of `frame`. Half the time its length prefix is then made true again, so the
 * damage is parsed as one frame; otherwise it desynchronises the stream, which is worth trying too.
 */
export function mutateFrame(rng: Rng, frame: Buffer, donors: readonly Buffer[]): Buffer {
  let bytes = Buffer.from(frame);
  let mutations = 1;
  while (mutations < MUTATIONS_PER_FRAME_MAX && rng.next() < 0.5) mutations++;
  for (let m = 0; m < mutations; m++) bytes = Buffer.from(pick(rng, MUTATORS)(rng, bytes, donors));
  if (bytes.length >= 4 && rng.next() < 0.5) bytes.writeUInt32LE(bytes.length - 4, 0);
  return bytes;
}

/**
 * A batch with one byte of its header or trailer set to `value`, checksums recomputed when
 * `refreshCrcs`: with them wrong the store stops at the CRC; with them right it must find the
 * structural damage (or accept a batch that is still valid, as a changed id or time can be).
 */
export function damageBatch(batch: Uint8Array, position: number, value: number, refreshCrcs: boolean): Uint8Array {
  const bytes = Buffer.from(batch);
  const trailerStart = bytes.length - BATCH_FOOTER_BYTES - (bytes.length > BATCH_HEADER_BYTES ? bytes.readUInt32LE(20) : 0);
  const inHeader = position % 2 === 0 || trailerStart < BATCH_HEADER_BYTES;
  const at = inHeader ? position % BATCH_HEADER_BYTES : trailerStart + (position % Math.max(1, bytes.length - BATCH_FOOTER_BYTES - trailerStart));
  if (at < bytes.length) bytes[at] = value & 0xff;
  if (refreshCrcs && bytes.length >= BATCH_HEADER_BYTES + BATCH_FOOTER_BYTES) {
    bytes.writeUInt32LE(crc32c(bytes, 0, BATCH_HEADER_CRC_OFFSET), BATCH_HEADER_CRC_OFFSET);
    bytes.writeUInt32LE(crc32c(bytes, 0, bytes.length - BATCH_FOOTER_BYTES), bytes.length - BATCH_FOOTER_BYTES);
  }
  return bytes;
}
