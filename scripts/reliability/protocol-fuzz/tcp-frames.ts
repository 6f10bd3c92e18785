/**
 * Random frames and 0xFFFFFFFF length prefixes over TCP, against the daemon child. A shadow
 * FrameDecoder of the bytes sent tells the fuzz what the daemon must do with them: answer every
 * complete frame (or hang up, as it may after ERR_AUTH), and hang up after a malformed one, with an
 * ERROR first. Either not happening within ANSWER_MS_MAX is a failure: the daemon is stuck.
 */
import { FRAME_BYTES_MAX_DEFAULT } from '../../../src/constants.js';
import { FrameDecoder, Opcode, encodeFrame } from '../../../src/protocol/frame.js';
import { makeRng, type Rng } from '../../../src/workload/rng.js';
import type { RawClient } from '../../testkit/raw-client.js';
import { FrameSource, hostileFrames } from './frame-source.js';
import { frameHex } from './oracle.js';
import { ANSWER_MS_MAX, authenticate, connect, inParallel, type TcpContext } from './tcp-common.js';

/** Connections sending random frames side by side: enough to interleave requests in the daemon, few enough for 2 cores. */
export const FRAME_CONNECTIONS_PARALLEL = 8;
/** Frames one connection sends before it hangs up (if the daemon has not hung up first). */
const FRAMES_PER_CONNECTION_MAX = 48;
/** Share of connections that send HELLO with the token first: the rest are refused at their first request. */
const AUTHENTICATED_SHARE = 0.9;
/** Chance of hanging up while a frame is still partial, leaving the daemon a half-read frame to drop. */
const ABANDON_PARTIAL_FRAME_SHARE = 0.3;
/** Connections sending 0xFFFFFFFF prefixes side by side. */
const HUGE_PREFIX_CONNECTIONS_PARALLEL = 8;
const HUGE_PREFIX = Buffer.from([0xff, 0xff, 0xff, 0xff]);
/** Copies of the hostile set sent at once in the warm-up: more concurrent large requests than the random fuzz ever has. */
const HOSTILE_WARMUP_COPIES = 3;

export interface FrameFuzzCounts {
  frames: number;
  connections: number;
}

/** Sends `frames` fuzz frames over FRAME_CONNECTIONS_PARALLEL lanes; `phase` keeps seeds of separate calls apart. */
export async function fuzzFramesOverTcp(context: TcpContext, frames: number, phase: number): Promise<FrameFuzzCounts> {
  const counts: FrameFuzzCounts = { frames: 0, connections: 0 };
  await inParallel(FRAME_CONNECTIONS_PARALLEL, FRAME_CONNECTIONS_PARALLEL, async (lane) => {
    const share = Math.floor(frames / FRAME_CONNECTIONS_PARALLEL) + (lane < frames % FRAME_CONNECTIONS_PARALLEL ? 1 : 0);
    // One seed per lane: each lane's frames replay exactly; only the interleaving across lanes varies.
    const laneSeed = (context.seed + 0x10_000 * (phase * FRAME_CONNECTIONS_PARALLEL + lane + 1)) >>> 0;
    const lanes = await fuzzLane(context, laneSeed, share, `seed ${context.seed} tcp phase ${phase} lane ${lane}`);
    counts.frames += lanes.frames;
    counts.connections += lanes.connections;
  });
  return counts;
}

async function fuzzLane(context: TcpContext, laneSeed: number, frames: number, where: string): Promise<FrameFuzzCounts> {
  const source = new FrameSource(laneSeed, context.corpus);
  const rng = makeRng(laneSeed ^ 0x7c9);
  const counts: FrameFuzzCounts = { frames: 0, connections: 0 };
  while (counts.frames < frames && context.daemon.alive) {
    const socket = await connect(context, `${where} connection ${counts.connections}`);
    if (socket === null) break;
    counts.connections++;
    if (rng.next() < AUTHENTICATED_SHARE) await authenticate(socket);
    const budget = Math.min(frames - counts.frames, 1 + rng.int(FRAMES_PER_CONNECTION_MAX));
    counts.frames += await sendFrames(context, socket, source, rng, budget, `${where} connection ${counts.connections - 1}`);
    for (const problem of socket.problems) context.failures.add(`${where}: ${problem}`);
    socket.destroy();
  }
  return counts;
}

/** Sends up to `budget` frames on one connection; returns how many were sent. */
async function sendFrames(context: TcpContext, socket: RawClient, source: FrameSource, rng: Rng, budget: number, where: string): Promise<number> {
  const shadow = new FrameDecoder(FRAME_BYTES_MAX_DEFAULT);
  let answersWanted = socket.finals;
  let sent = 0;
  while (sent < budget && !socket.closed) {
    const frame = source.next();
    sent++;
    let complete = 0;
    let malformed = false;
    try {
      complete = shadow.push(frame).length;
    } catch {
      malformed = true;
    }
    socket.write(frame);
    if (malformed) {
      if (!(await socket.waitFor(() => socket.closed, ANSWER_MS_MAX))) {
        context.failures.add(`${where} frame ${sent - 1}: the daemon kept the connection open ${ANSWER_MS_MAX} ms after a malformed frame; frame ${frameHex(frame)}`);
      } else if (socket.firstError === null) {
        context.failures.add(`${where} frame ${sent - 1}: the daemon hung up on a malformed frame without an ERROR; frame ${frameHex(frame)}`);
      }
      break;
    }
    answersWanted += complete;
    if (complete > 0 && !(await socket.waitFor(() => socket.closed || socket.finals >= answersWanted, ANSWER_MS_MAX))) {
      context.failures.add(`${where} frame ${sent - 1}: ${answersWanted - socket.finals} request(s) unanswered after ${ANSWER_MS_MAX} ms; frame ${frameHex(frame)}`);
      break;
    }
    if (shadow.pendingBytes > 0 && rng.next() < ABANDON_PARTIAL_FRAME_SHARE) break;
  }
  return sent;
}

/**
 * `count` connections that send a 0xFFFFFFFF length prefix, in four ways: first thing, after
 * authenticating and a good request, one byte at a time, and glued to a good frame. Each must be
 * answered ERR_FRAME_TOO_LARGE and closed, before the daemon buffers anything of the frame.
 */
export async function sendHugeLengthPrefixes(context: TcpContext, count: number): Promise<number> {
  let sent = 0;
  await inParallel(count, HUGE_PREFIX_CONNECTIONS_PARALLEL, async (n) => {
    const where = `seed ${context.seed} tcp 0xFFFFFFFF prefix ${n}`;
    const rng = makeRng((context.seed ^ 0xffff_ffff) + n);
    const socket = await connect(context, where);
    if (socket === null) return;
    const tail = Buffer.from(rng.bytes(rng.int(32)));
    const ping = encodeFrame(Opcode.PING, 0, 1, {});
    const variant = n % 4;
    // Unauthenticated, the glued PING would be refused with ERR_AUTH before the prefix is read.
    if (variant === 1 || variant === 3) await authenticate(socket);
    if (variant === 1) {
      socket.write(ping);
      await socket.waitFor(() => socket.finals >= 2 || socket.closed, ANSWER_MS_MAX);
    }
    if (variant === 2) {
      for (const byte of HUGE_PREFIX) {
        socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
    } else {
      socket.write(Buffer.concat([variant === 3 ? ping : Buffer.alloc(0), HUGE_PREFIX, tail]));
    }
    sent++;
    if (!(await socket.waitFor(() => socket.closed, ANSWER_MS_MAX))) {
      context.failures.add(`${where}: the connection was still open after ${ANSWER_MS_MAX} ms`);
    } else if (socket.firstError?.header.code !== 'ERR_FRAME_TOO_LARGE') {
      context.failures.add(`${where}: got ${socket.firstError === null ? 'no ERROR' : String(socket.firstError.header.code)}; want ERROR ERR_FRAME_TOO_LARGE`);
    }
    for (const problem of socket.problems) context.failures.add(`${where}: ${problem}`);
    socket.destroy();
  });
  return sent;
}

/**
 * Every hostile frame, HOSTILE_WARMUP_COPIES times, all at once: the daemon's memory reaches a
 * higher peak than the random fuzz can (where a hostile frame is one in 500 and seldom meets
 * another), so the RSS baseline taken after this includes the allocator's high-water mark and
 * what grows past it is kept memory. Returns how many frames were sent.
 */
export async function sendHostileFramesAtOnce(context: TcpContext): Promise<number> {
  const frames = hostileFrames(context.corpus);
  let sent = 0;
  await inParallel(frames.length * HOSTILE_WARMUP_COPIES, frames.length * HOSTILE_WARMUP_COPIES, async (n) => {
    const frame = frames[n % frames.length]!;
    const where = `seed ${context.seed} tcp hostile frame ${n % frames.length}`;
    const socket = await connect(context, where);
    if (socket === null) return;
    await authenticate(socket);
    socket.write(frame);
    sent++;
    if (!(await socket.waitFor(() => socket.finals >= 2 || socket.closed, ANSWER_MS_MAX))) {
      context.failures.add(`${where}: neither answered nor closed after ${ANSWER_MS_MAX} ms; frame ${frameHex(frame)}`);
    }
    for (const problem of socket.problems) context.failures.add(`${where}: ${problem}`);
    socket.destroy();
  });
  return sent;
}
