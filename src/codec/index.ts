/** Byte codecs, each behind one module so its dependency can be swapped: crc32c, zstd, little-endian integers, short ASCII strings, the protobuf writer, and the trace hash that partitions the index. */
export { copyAscii } from './ascii.js';
export { crc32c, NATIVE_FREE } from './crc32c.js';
export { ProtobufBuilder } from './protobuf-builder.js';
export { hex32, readU16LE, readU32LE, readU64LE, writeU16LE, writeU32LE, writeU64LE } from './little-endian.js';
export { partitionOf, traceHash } from './trace-hash.js';
export { zstdCompress, zstdDecompress } from './zstd.js';
