/**
 * The in-process half of the protocol fuzz: frames go straight into the daemon's own Connection
 * (src/daemon/connection.ts) over a stand-in socket, so the frame decoder, the dispatch and every
 * request handler run against a real store without TCP in the way — fast enough for 10^6 frames.
 * A shadow FrameDecoder sees the same chunks, because the connection converts any exception of its
 * decoder into ERR_PROTOCOL and would hide a non-typed one.
 *
 * Holds: nothing but typed errors (no exception out of the socket's data handler, which would crash
 * a daemon; no unhandled rejection; no ERROR wrapping a non-typed exception); every request ends;
 * the connection still answers correctly afterwards, and the in-flight budget is back to 0; heap
 * growth after GC stays under 1 MiB.
 */
import type net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { TraceStore } from '../../../src/index.js';
import { Connection, type ConnectionContext } from '../../../src/daemon/connection.js';
import { resolveDaemonOptions } from '../../../src/daemon/daemon-options.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { createConnectionContext } from '../../../src/daemon/server.js';
import { FrameDecoder, Opcode, RESPONSE_BIT, encodeFrame, type Frame } from '../../../src/protocol/frame.js';
import { makeRng, type Rng } from '../../../src/workload/rng.js';
import type { FailureLog } from '../campaign.js';
import { FUZZ_STORE_INDEX_FLUSH_ENTRIES, FUZZ_TOKEN, type Corpus } from './corpus.js';
import { FrameSource } from './frame-source.js';
import { StandInSocket } from './stand-in-socket.js';
import { decodedFrameProblem, decoderErrorProblem, describeError, frameHex, responseProblem, show } from './oracle.js';

/** Frames on one connection before the peer hangs up: long enough for desynchronised streams to play out. */
const SESSION_FRAMES_MAX = 64;
/** Share of the frames run before the heap baseline: JIT code, msgpackr's key cache and the store's read cache settle first. */
const HEAP_WARMUP_FRACTION = 0.1;
/** Frames run before the heap baseline at least (a short run still needs its code compiled first), unless that is over half the run. */
const HEAP_WARMUP_FRAMES_MIN = 5_000;
/** Heap growth allowed over the measured frames, after GC: 1 byte per frame of 10^6 would already show. */
export const HEAP_GROWTH_BYTES_MAX = 1024 * 1024;
/**
 * msgpackr keeps a module-level cache of 4096 short map keys (keyCache in msgpackr/unpack.js).
 * Random keys fill it slowly, over millions of frames: bounded, but it would read as heap growth,
 * so the warm-up fills it first. 16 keys per slot make an unfilled slot unlikely (coupon collector).
 */
const MSGPACK_KEY_CACHE_WARMUP_KEYS = 16 * 4096;
/** Keys per warm-up header: msgpackr caches keys only of headers under 180 bytes. */
const MSGPACK_KEY_CACHE_WARMUP_KEYS_PER_HEADER = 4;
/** msgpackr caches fixstr keys only: 31 bytes at most. */
const MSGPACK_FIXSTR_BYTES_MAX = 31;
/** GC passes before reading heapUsed: weak callbacks and finalizers need more than one. */
const GC_PASSES = 4;
/** How long one request may take before the fuzz calls it hung; generous, the machine is shared. */
const REQUEST_DRAIN_MS_MAX = 30_000;
/** Largest answer the fuzz accepts from the connection: every answer is capped by frameBytesMax anyway. */
const RESPONSE_FRAME_BYTES_MAX = 64 * 1024 * 1024;

export interface InProcessFuzzOptions {
  seed: number;
  frames: number;
  corpus: Corpus;
  /** An empty directory for the fuzzed store. */
  dir: string;
  failures: FailureLog;
  log: (line: string) => void;
}

export interface InProcessFuzzResult {
  frames: number;
  sessions: number;
  answers: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
}

function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function warmMsgpackKeyCache(rng: Rng): void {
  const decoder = new FrameDecoder(RESPONSE_FRAME_BYTES_MAX);
  for (let done = 0; done < MSGPACK_KEY_CACHE_WARMUP_KEYS; done += MSGPACK_KEY_CACHE_WARMUP_KEYS_PER_HEADER) {
    // A Map, not an object: a random key could be '__proto__'.
    const header = new Map<string, null>();
    for (let k = 0; k < MSGPACK_KEY_CACHE_WARMUP_KEYS_PER_HEADER; k++) {
      const key = rng.bytes(1 + rng.int(MSGPACK_FIXSTR_BYTES_MAX)).map((byte) => 0x20 + (byte % 0x5f));
      header.set(Buffer.from(key).toString('latin1'), null);
    }
    decoder.push(encodeFrame(Opcode.PING, 0, 0, header as unknown as Record<string, unknown>));
  }
}

async function heapUsedAfterGc(gc: () => void): Promise<number> {
  for (let pass = 0; pass < GC_PASSES; pass++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/**
 * The context a daemon over our store gives its connections: the daemon's own factory
 * (src/daemon/server.ts), so the fuzz serves connections exactly as the daemon does, budget rules
 * and all. Each context is a daemon of its own (metrics, in-flight budget), with or without a token.
 */
function contextFor(store: TraceStore, dir: string, token: string | undefined): ConnectionContext {
  const options = resolveDaemonOptions({ dir, port: 0, logger: () => {}, ...(token === undefined ? {} : { token }) });
  return createConnectionContext(store, options, new DaemonMetrics()).context;
}

/** Reports what escapes as an uncaught exception or unhandled rejection while the fuzz runs. */
function watchEscapes(report: (line: string) => void): () => void {
  const onRejection = (reason: unknown) => report(`unhandled rejection: ${describeError(reason)}`);
  const onException = (error: unknown) => report(`uncaught exception: ${describeError(error)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

async function drained(metrics: DaemonMetrics): Promise<boolean> {
  const deadline = Date.now() + REQUEST_DRAIN_MS_MAX;
  while (metrics.inFlightRequests > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}

interface Session {
  socket: StandInSocket;
  shadow: FrameDecoder;
  shadowBroken: boolean;
  answers: Frame[];
  /** Set when an answer could not even be decoded. */
  answerProblem: string | null;
}

function openSession(context: ConnectionContext): Session {
  const answersDecoder = new FrameDecoder(RESPONSE_FRAME_BYTES_MAX);
  const session: Session = {
    socket: new StandInSocket((bytes) => {
      try {
        session.answers.push(...answersDecoder.push(bytes));
      } catch (error) {
        session.answerProblem ??= `answer bytes are not a frame: ${describeError(error)}`;
      }
    }),
    shadow: new FrameDecoder(context.options.frameBytesMax),
    shadowBroken: false,
    answers: [],
    answerProblem: null,
  };
  new Connection(session.socket as unknown as net.Socket, context, () => {});
  return session;
}

/** Cuts the bytes where TCP might: anywhere, into one to three reads. */
function chunksOf(rng: Rng, bytes: Buffer): Buffer[] {
  if (bytes.length < 2 || rng.next() < 0.6) return [bytes];
  const cuts = [rng.int(bytes.length), rng.int(bytes.length)].sort((a, b) => a - b);
  return [bytes.subarray(0, cuts[0]), bytes.subarray(cuts[0], cuts[1]), bytes.subarray(cuts[1])].filter((chunk) => chunk.length > 0);
}

export async function fuzzInProcess(options: InProcessFuzzOptions): Promise<InProcessFuzzResult> {
  const { seed, corpus, failures } = options;
  const gc = exposeGc();
  const store = await TraceStore.open({
    dir: options.dir,
    readerThreads: 0,
    // Appends are the rare case here and fsync proves nothing about the protocol.
    durability: 'none',
    indexFlushEntries: FUZZ_STORE_INDEX_FLUSH_ENTRIES,
  });
  const stopWatching = watchEscapes((line) => failures.add(`seed ${seed} in-process: ${line}`));
  try {
    for (const batch of corpus.batches) await store.append(batch);
    const contexts = [contextFor(store, options.dir, undefined), contextFor(store, options.dir, FUZZ_TOKEN)];
    const source = new FrameSource(seed, corpus);
    // Session shapes and read cuts have their own stream, so they do not shift the frames.
    const rng = makeRng(seed ^ 0x51ce);
    const warmupFrames = Math.min(Math.max(Math.floor(options.frames * HEAP_WARMUP_FRACTION), HEAP_WARMUP_FRAMES_MIN), Math.floor(options.frames / 2));
    let sent = 0;
    let sessions = 0;
    let answers = 0;
    let heapBeforeBytes: number | null = null;
    while (sent < options.frames) {
      if (heapBeforeBytes === null && sent >= warmupFrames) {
        warmMsgpackKeyCache(makeRng(seed ^ 0x6b65));
        heapBeforeBytes = await heapUsedAfterGc(gc);
      }
      const context = contexts[rng.next() < 0.7 ? 0 : 1]!;
      const framesInSession = Math.min(options.frames - sent, 1 + rng.int(SESSION_FRAMES_MAX));
      const where = `seed ${seed} in-process session ${sessions}`;
      const outcome = await runSession(context, source, rng, framesInSession, where, failures);
      sent += outcome.frames;
      answers += outcome.answers;
      sessions++;
      if (sessions % 10_000 === 0) options.log(`protocol-fuzz in-process: ${sent}/${options.frames} frames, ${sessions} sessions`);
    }
    await checkStillAnswers(contexts[0]!, store, corpus, `seed ${seed} in-process after ${sent} frames`, failures);
    // checkStillAnswers looks at the first context's budget; the token daemon's must be back to 0 as well.
    const tokenBudgetBytes = contexts[1]!.budget.inFlightBytes;
    if (tokenBudgetBytes !== 0) failures.add(`seed ${seed} in-process (token): ${tokenBudgetBytes} bytes still charged to the in-flight budget; want 0`);
    const heapAfterBytes = await heapUsedAfterGc(gc);
    return { frames: sent, sessions, answers, heapBeforeBytes: heapBeforeBytes ?? heapAfterBytes, heapAfterBytes };
  } finally {
    stopWatching();
    await store.close();
  }
}

async function runSession(
  context: ConnectionContext,
  source: FrameSource,
  rng: Rng,
  framesInSession: number,
  where: string,
  failures: FailureLog,
): Promise<{ frames: number; answers: number }> {
  const session = openSession(context);
  const { socket } = session;
  let frames = 0;
  sending: while (frames < framesInSession && !socket.ended && !socket.destroyed) {
    const frame = source.next();
    frames++;
    for (const chunk of chunksOf(rng, frame)) {
      if (!session.shadowBroken) {
        try {
          for (const decoded of session.shadow.push(chunk)) {
            const problem = decodedFrameProblem(decoded);
            if (problem !== null) failures.add(`${where} frame ${frames - 1}: ${problem}; frame ${frameHex(frame)}`);
          }
        } catch (error) {
          session.shadowBroken = true;
          const problem = decoderErrorProblem(error);
          if (problem !== null) failures.add(`${where} frame ${frames - 1}: ${problem}; frame ${frameHex(frame)}`);
        }
      }
      try {
        socket.emit('data', chunk);
      } catch (error) {
        failures.add(`${where} frame ${frames - 1}: escaped the connection (a daemon would crash): ${describeError(error)}; frame ${frameHex(frame)}`);
        socket.destroy();
        break sending;
      }
      if (socket.ended) break sending;
      if (socket.paused) await socket.readable();
    }
  }
  if (!(await drained(context.metrics))) failures.add(`${where}: a request did not finish within ${REQUEST_DRAIN_MS_MAX} ms`);
  socket.destroy();
  if (session.answerProblem !== null) failures.add(`${where}: ${session.answerProblem}`);
  for (const answer of session.answers) {
    const problem = responseProblem(answer);
    if (problem !== null) failures.add(`${where} request ${answer.requestId}: ${problem}`);
  }
  return { frames, answers: session.answers.length };
}

/** After the fuzz, a fresh connection must still answer valid requests, and answer them right. */
async function checkStillAnswers(context: ConnectionContext, store: TraceStore, corpus: Corpus, where: string, failures: FailureLog): Promise<void> {
  const session = openSession(context);
  const traceId = corpus.traceIds[1]!;
  session.socket.emit('data', encodeFrame(Opcode.GET_TRACE, 0, 1, { traceId }));
  session.socket.emit('data', encodeFrame(Opcode.PING, 0, 2, {}));
  await drained(context.metrics);
  session.socket.destroy();
  const trace = session.answers.find((answer) => answer.requestId === 1);
  const pong = session.answers.find((answer) => answer.requestId === 2);
  const want = (await store.getTrace(traceId))?.spans.map((span) => span.name);
  const got = (trace?.header.trace as { spans?: { name: string }[] } | undefined)?.spans?.map((span) => span.name);
  if (trace?.opcode !== (Opcode.GET_TRACE | RESPONSE_BIT) || JSON.stringify(got) !== JSON.stringify(want)) {
    failures.add(`${where}: GET_TRACE of a corpus trace got ${trace === undefined ? 'no answer' : show(trace.header)}; want spans ${JSON.stringify(want)}`);
  }
  if (pong?.opcode !== (Opcode.PING | RESPONSE_BIT)) failures.add(`${where}: PING got ${pong === undefined ? 'no answer' : `opcode 0x${pong.opcode.toString(16)}`}; want 0x87`);
  // Every session has hung up and every request ended (their 'close' and flush callbacks run on the
  // next tick): whatever they charged to the in-flight budget must be back.
  await new Promise((resolve) => setImmediate(resolve));
  if (context.metrics.inFlightBytes !== 0) failures.add(`${where}: ${context.metrics.inFlightBytes} bytes still charged to the in-flight budget; want 0`);
}
