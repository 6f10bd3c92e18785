/**
 * The two small fixed-size metadata files: the store marker (data-format.md §5.3) and the
 * generation metadata (§5.2). Both are rewritten only by writeFileAtomic.
 */
import {
  GENERATION_FORMAT_VERSION,
  GENERATION_MAGIC,
  GENERATION_META_BYTES,
  PARTITIONS_MAX,
  STORE_FORMAT_VERSION,
  STORE_MARKER_BYTES,
  STORE_MARKER_MAGIC,
} from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { TraceKvError } from '../errors.js';

export function encodeStoreMarker(): Uint8Array {
  const bytes = new Uint8Array(STORE_MARKER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, STORE_MARKER_MAGIC, true);
  view.setUint16(4, STORE_FORMAT_VERSION, true);
  view.setUint32(12, crc32c(bytes, 0, 12), true);
  return bytes;
}

export function checkStoreMarker(bytes: Uint8Array, file: string): void {
  const fail = (offset: number, message: string): never => {
    throw new TraceKvError('ERR_INVALID_OPTION', `${file} is not a tracekv store marker: ${message}`, { file, offset, option: 'dir' });
  };
  if (bytes.length !== STORE_MARKER_BYTES) fail(0, `got ${bytes.length} bytes; want ${STORE_MARKER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = view.getUint32(12, true);
  if (crc !== crc32c(bytes, 0, 12)) fail(12, `header CRC got 0x${crc.toString(16)}; want 0x${crc32c(bytes, 0, 12).toString(16)}`);
  if (view.getUint32(0, true) !== STORE_MARKER_MAGIC) fail(0, 'bad magic');
  const version = view.getUint16(4, true);
  if (version !== STORE_FORMAT_VERSION) fail(4, `version got ${version}; want ${STORE_FORMAT_VERSION}`);
  if (view.getUint16(6, true) !== 0 || view.getUint32(8, true) !== 0) fail(6, 'unknown flags or reserved bits set');
}

export interface GenerationMeta {
  generationId: number;
  partitionCount: number;
  createdAtMs: number;
  /** 0 while the generation takes writes. */
  closedAtMs: number;
}

export function encodeGenerationMeta(meta: GenerationMeta): Uint8Array {
  const bytes = new Uint8Array(GENERATION_META_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, GENERATION_MAGIC, true);
  view.setUint16(4, GENERATION_FORMAT_VERSION, true);
  view.setUint32(8, meta.generationId, true);
  view.setUint32(12, meta.partitionCount, true);
  view.setBigUint64(16, BigInt(meta.createdAtMs), true);
  view.setBigUint64(24, BigInt(meta.closedAtMs), true);
  view.setUint32(44, crc32c(bytes, 0, 44), true);
  return bytes;
}

export function decodeGenerationMeta(bytes: Uint8Array, file: string): GenerationMeta {
  const fail = (offset: number, message: string): never => {
    throw new TraceKvError('ERR_GENERATION_CORRUPT', `${file} at offset ${offset}: ${message}`, { file, offset });
  };
  if (bytes.length !== GENERATION_META_BYTES) fail(0, `got ${bytes.length} bytes; want ${GENERATION_META_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = view.getUint32(44, true);
  const want = crc32c(bytes, 0, 44);
  if (crc !== want) fail(44, `header CRC got 0x${crc.toString(16)}; want 0x${want.toString(16)}`);
  if (view.getUint32(0, true) !== GENERATION_MAGIC) fail(0, 'bad magic');
  const version = view.getUint16(4, true);
  if (version !== GENERATION_FORMAT_VERSION) fail(4, `version got ${version}; want ${GENERATION_FORMAT_VERSION}`);
  if (view.getUint16(6, true) !== 0) fail(6, 'unknown flags set');
  for (let at = 32; at < 44; at += 4) if (view.getUint32(at, true) !== 0) fail(at, 'reserved bytes are not zero');
  const partitionCount = view.getUint32(12, true);
  if (partitionCount < 1 || partitionCount > PARTITIONS_MAX) fail(12, `partitionCount got ${partitionCount}; want 1..${PARTITIONS_MAX}`);
  return {
    generationId: view.getUint32(8, true),
    partitionCount,
    createdAtMs: Number(view.getBigUint64(16, true)),
    closedAtMs: Number(view.getBigUint64(24, true)),
  };
}
