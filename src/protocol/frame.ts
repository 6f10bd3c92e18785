/**
 * Frames of the daemon protocol (data-format.md §6.1): encoding, and a streaming decoder that
 * checks a frame's length before it buffers a byte of its body, so a bad or hostile length never
 * costs memory.
 */
import { Packr } from 'msgpackr';
import { FRAME_LENGTH_MIN, FRAME_PREFIX_BYTES } from '../constants.js';
import { TraceKvError } from '../errors.js';

export const Opcode = {
  HELLO: 0x01,
  APPEND: 0x02,
  GET_SPAN: 0x03,
  GET_TRACE: 0x04,
  GET_TRACES: 0x05,
  STATS: 0x06,
  PING: 0x07,
  ERROR: 0xff,
} as const;

/** A response carries its request's opcode with this bit set (ERROR excepted). */
export const RESPONSE_BIT = 0x80;
/** Flag bit 0: more frames of the same streamed response follow. */
export const FLAG_MORE = 0x01;
const FLAGS_KNOWN = FLAG_MORE;

export interface Frame {
  opcode: number;
  flags: number;
  requestId: number;
  header: Record<string, unknown>;
  payload: Uint8Array;
}

/** Headers use the AnyValue conventions of §2.5: bigint ⇄ int64, bin ⇄ bytes, maps with string keys. */
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true, variableMapSize: true });

/**
 * The frame up to its payload: prefix and header. Sent before the payload bytes themselves, it
 * spares copying a multi-MiB batch into a new frame buffer.
 */
export function encodeFrameHead(opcode: number, flags: number, requestId: number, header: Record<string, unknown>, payloadLength: number): Buffer {
  const headerBytes = packr.pack(header);
  const head = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + headerBytes.length);
  head.writeUInt32LE(FRAME_LENGTH_MIN + headerBytes.length + payloadLength, 0);
  head.writeUInt8(opcode, 4);
  head.writeUInt8(flags, 5);
  head.writeUInt16LE(0, 6);
  head.writeUInt32LE(requestId >>> 0, 8);
  head.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(head, FRAME_PREFIX_BYTES);
  return head;
}

export function encodeFrame(opcode: number, flags: number, requestId: number, header: Record<string, unknown>, payload?: Uint8Array): Buffer {
  const head = encodeFrameHead(opcode, flags, requestId, header, payload?.length ?? 0);
  return payload === undefined || payload.length === 0 ? head : Buffer.concat([head, payload]);
}

/** A malformed stream: the connection cannot be trusted past this point and must close. */
export class ProtocolError extends TraceKvError {
  constructor(
    code: 'ERR_PROTOCOL' | 'ERR_FRAME_TOO_LARGE',
    message: string,
    readonly requestId: number,
  ) {
    super(code, message);
  }
}

/**
 * Cuts a byte stream into frames. Keeps at most one partial frame, of at most frameBytesMax bytes.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly frameBytesMax: number) {}

  /** Bytes held for a frame not yet complete. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** The request id of the frame not yet complete, or 0 while fewer than 12 of its bytes arrived. */
  get pendingRequestId(): number {
    return this.buffered >= 12 ? this.peek(12).readUInt32LE(8) : 0;
  }

  /** The whole size the frame not yet complete declares (4 + length), or 0 while its length is unread. */
  get pendingFrameBytes(): number {
    return this.buffered >= 4 ? 4 + this.peek(4).readUInt32LE(0) : 0;
  }

  /** Appends bytes and returns every frame they complete. Throws ProtocolError on a malformed frame. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(Math.min(this.buffered, FRAME_PREFIX_BYTES));
      const length = head.readUInt32LE(0);
      const requestId = head.length >= 12 ? head.readUInt32LE(8) : 0;
      if (length > this.frameBytesMax) {
        throw new ProtocolError('ERR_FRAME_TOO_LARGE', `frame length got ${length}; want ≤ frameBytesMax ${this.frameBytesMax}`, requestId);
      }
      if (length < FRAME_LENGTH_MIN) throw new ProtocolError('ERR_PROTOCOL', `frame length got ${length}; want ≥ ${FRAME_LENGTH_MIN}`, requestId);
      if (this.buffered < 4 + length) break;
      frames.push(parseFrame(this.take(4 + length)));
    }
    return frames;
  }

  private peek(bytes: number): Buffer {
    if (this.chunks[0]!.length >= bytes) return this.chunks[0]!;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(bytes: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const frame = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}

/**
 * A map decodes to a plain object; anything else msgpackr hands back is not one: arrays, bin, and
 * ext values it turns into objects of their own (a timestamp into a Date, typed arrays, and its
 * sentinel for the never-used byte 0xc1). The protocol fuzz found those passing as headers.
 */
function isMsgpackMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function parseFrame(frame: Buffer): Frame {
  const opcode = frame.readUInt8(4);
  const flags = frame.readUInt8(5);
  const requestId = frame.readUInt32LE(8);
  const headerLength = frame.readUInt32LE(12);
  const fail = (message: string): never => {
    throw new ProtocolError('ERR_PROTOCOL', message, requestId);
  };
  if ((flags & ~FLAGS_KNOWN) !== 0) fail(`frame flags got 0x${flags.toString(16)}; want only MORE (0x01)`);
  if (frame.readUInt16LE(6) !== 0) fail('frame reserved bytes are not zero');
  if (headerLength > frame.length - FRAME_PREFIX_BYTES) {
    fail(`frame headerLength got ${headerLength}; want ≤ ${frame.length - FRAME_PREFIX_BYTES}`);
  }
  const headerBytes = frame.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + headerLength);
  let header: unknown;
  try {
    header = headerLength === 0 ? {} : packr.unpack(headerBytes);
  } catch (error) {
    fail(`frame header is not msgpack: ${(error as Error).message}`);
  }
  if (!isMsgpackMap(header)) fail('frame header is not a msgpack map');
  // A view, not a copy: take() hands each complete frame its own buffer (or a slice of one read
  // chunk), so the view keeps at most that alive, and only while its request is in flight.
  const payload = frame.subarray(FRAME_PREFIX_BYTES + headerLength);
  return { opcode, flags, requestId, header: header as Record<string, unknown>, payload };
}
