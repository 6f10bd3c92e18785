/**
 * One seed's stream of fuzz frames: structured frames from fast-check, byte mutations of corpus
 * frames (the mutation loop), mutations of structured frames, untouched corpus frames (so valid
 * requests keep arriving between the bad ones) and a few hand-made hostile shapes. The same seed
 * gives the same frames in the same order, which is what makes a failure replayable.
 */
import type fc from 'fast-check';
import { FRAME_PREFIX_BYTES, REQUEST_TRACES_MAX_DEFAULT } from '../../../src/constants.js';
import { Opcode, encodeFrame } from '../../../src/protocol/frame.js';
import { makeRng, type Rng } from '../../../src/workload/rng.js';
import { frameArbitrary, sampleFrames, type FrameSpec } from './arbitraries.js';
import type { Corpus } from './corpus.js';
import { mutateFrame } from './mutate.js';

/** Frames drawn from fast-check at a time: large enough to amortise its setup, small enough to stay cheap in memory. */
const STRUCTURED_FRAMES_PER_DRAW = 512;
/** Nesting depths of the hostile headers: past the wire-value walk's limit, and far past the stack. */
const HOSTILE_NESTING_DEPTHS = [100, 2_000, 200_000];
/** Ids in the large GET_TRACES of the hostile set: an answer that has to be streamed over several frames. */
const LARGE_READ_IDS = 1_500;

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** A frame around raw header bytes, lengths correct: only the header is hostile. */
function frameAroundHeader(opcode: number, requestId: number, headerBytes: Buffer): Buffer {
  const prefix = Buffer.alloc(FRAME_PREFIX_BYTES);
  prefix.writeUInt32LE(12 + headerBytes.length, 0);
  prefix.writeUInt8(opcode, 4);
  prefix.writeUInt32LE(requestId, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  return Buffer.concat([prefix, headerBytes]);
}

/** `{ ids: [[[…nil…]]] }` nested `depth` deep: a recursive parser or walker must stop cleanly. */
function deeplyNested(opcode: number, depth: number): Buffer {
  const key = Buffer.from([0x81, 0xa3, ...Buffer.from('ids')]);
  return frameAroundHeader(opcode, 77, Buffer.concat([key, Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]));
}

/**
 * Hand-made frames at the protocol's limits: headers nested past every recursion limit, an id list
 * one past requestTracesMax, a read large enough to be streamed over several frames, a map that
 * announces 2^32-1 entries, a headerLength past the frame. Each also takes the daemon's buffers to
 * their high-water mark, so the TCP fuzz sends them all before it takes its RSS baseline.
 */
export function hostileFrames(corpus: Corpus): Buffer[] {
  const { traceIds } = corpus;
  const largeRead = Array.from({ length: LARGE_READ_IDS }, (_, i) => traceIds[i % traceIds.length]);
  return [
    ...HOSTILE_NESTING_DEPTHS.flatMap((depth) => [Opcode.GET_TRACES, Opcode.HELLO, Opcode.PING].map((opcode) => deeplyNested(opcode, depth))),
    // One id past requestTracesMax: refused for the count, before any read.
    encodeFrame(Opcode.GET_TRACES, 0, 78, { ids: Array.from({ length: REQUEST_TRACES_MAX_DEFAULT + 1 }, () => traceIds[0]) }),
    encodeFrame(Opcode.GET_TRACES, 0, 79, { ids: largeRead, raw: false }),
    encodeFrame(Opcode.GET_TRACES, 0, 79, { ids: largeRead, raw: true }),
    // A map that announces 2^32-1 entries and holds one.
    frameAroundHeader(Opcode.GET_TRACE, 80, Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, 0x01])),
    // A header that claims the whole frame and more: headerLength past the end.
    frameAroundHeader(Opcode.PING, 81, Buffer.from([0x80])).fill(0xff, 12, 16),
  ];
}

export class FrameSource {
  private readonly rng: Rng;
  private readonly arbitrary: fc.Arbitrary<FrameSpec>;
  private readonly hostileSet: Buffer[];
  private structured: Buffer[] = [];
  private draws = 0;

  constructor(
    private readonly seed: number,
    private readonly corpus: Corpus,
  ) {
    this.rng = makeRng(seed);
    this.arbitrary = frameArbitrary(corpus);
    this.hostileSet = hostileFrames(corpus);
  }

  next(): Buffer {
    const roll = this.rng.next();
    if (roll < 0.42) return this.structuredFrame();
    if (roll < 0.57) return mutateFrame(this.rng, this.structuredFrame(), this.corpus.frames);
    if (roll < 0.93) return mutateFrame(this.rng, pick(this.rng, this.corpus.frames), this.corpus.frames);
    if (roll < 0.998) return pick(this.rng, this.corpus.frames);
    return pick(this.rng, this.hostileSet);
  }

  private structuredFrame(): Buffer {
    while (this.structured.length === 0) {
      // fast-check wants a 32-bit seed; mixing in the draw number keeps every draw distinct.
      const drawSeed = (Math.imul(this.seed, 0x9e3779b1) + this.draws++) | 0;
      this.structured = sampleFrames(this.arbitrary, drawSeed, STRUCTURED_FRAMES_PER_DRAW).reverse();
    }
    return this.structured.pop()!;
  }
}
