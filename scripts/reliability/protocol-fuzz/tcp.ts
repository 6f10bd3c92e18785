/**
 * The TCP half of the protocol fuzz, against a real daemon in a child process
 * (scripts/testkit/daemon-child.ts): random frames, 0xFFFFFFFF length prefixes, slow connections
 * and connections past the limit, in that order; and the OTLP half (otlp.ts) against the same
 * daemon's OTLP/HTTP and OTLP/gRPC receivers, one phase in the warm-up and one after the baseline,
 * with its ledger read back at the end.
 *
 * Holds: the daemon never crashes, never hangs (every request answered, every malformed stream
 * answered with an ERROR and closed), closes every connection it should (its open sockets return
 * to what they were before), still serves a fresh TraceClient afterwards, grows its RSS by less
 * than 10% after GC over everything past the warm-up, and shuts down cleanly on SIGTERM.
 */
import { TraceClient } from '../../../src/index.js';
import type { DaemonOptions } from '../../../src/daemon/daemon-options.js';
import { DaemonChild } from '../../testkit/daemon-child.js';
import type { FailureLog } from '../campaign.js';
import { FUZZ_STORE_INDEX_FLUSH_ENTRIES, FUZZ_TOKEN, type Corpus } from './corpus.js';
import { describeError } from './oracle.js';
import { runSlowConnections } from './slow-connections.js';
import {
  ANSWER_MS_MAX,
  DAEMON_AUTH_DEADLINE_MS,
  DAEMON_FRAME_DEADLINE_MS,
  DAEMON_IDLE_TIMEOUT_MS,
  DAEMON_WRITE_DEADLINE_MS,
  checkStillServes,
  daemonGone,
  sleep,
  type TcpContext,
} from './tcp-common.js';
import { FRAME_CONNECTIONS_PARALLEL, fuzzFramesOverTcp, sendHostileFramesAtOnce, sendHugeLengthPrefixes } from './tcp-frames.js';
import { OtlpTally, type OtlpContext } from './otlp-common.js';
import { Expectations, FUZZ_OTLP_REQUEST_BYTES_MAX } from './otlp-expect.js';
import { OtlpLedger } from './otlp-ledger.js';
import { fuzzOtlpPhase, otlpRest, otlpShare, type OtlpFuzzWant, type OtlpPhaseCounts } from './otlp.js';

/**
 * Share of the random frames (and of the huge length prefixes) sent before the RSS baseline, with
 * every hostile frame at once and one full round of slow connections: code, buffers (msgpackr's
 * pack buffer keeps the size of the largest answer) and the allocator's free lists settle first.
 * Over 10^5 frames, a fifth left RSS after GC still climbing on some seeds; half does not. The
 * slow connections' high-water mark needs the round of its own.
 */
const RSS_WARMUP_FRACTION = 0.5;
/** The round-trip check number of the warm-up's slow connections (1 and 2 are the measured phase's). */
const WARMUP_CHECK_NO = 3;
/** RSS growth allowed after GC over everything past the warm-up, in percent (issue 7). */
export const RSS_GROWTH_PERCENT_MAX = 10;
/**
 * The same for a quick run, which skips the settle time: with OTLP load its RSS swings both ways
 * with the heap steady (one seed, three runs: −14.8%, +0.6%, +10.6%), so 10% failed runs with no
 * leak. A quick run still catches a leak of a quarter of the daemon; the full run keeps 10%.
 */
export const RSS_GROWTH_PERCENT_MAX_QUICK = 25;
/** Connection slots past the slow connections and fuzz lanes: TraceClients of the checks, and room for the table to be filled on purpose. */
const CONNECTIONS_SPARE = 16;
/** How often the fuzz counts the daemon's sockets while waiting for them to close. */
const SOCKETS_POLL_MS = 200;
/**
 * Idle time before each RSS reading of a full run: V8's memory reducer shrinks an isolate's heap
 * once allocation has been low for 8 s after a GC. Quick runs skip it to keep to their time budget:
 * their baseline then sits at the warm-up's high-water mark, a weaker check than the full run's.
 */
export const RSS_SETTLE_MS_FULL = 9_000;
/** Looks at the socket count before calling it steady, at most. */
const SOCKETS_STEADY_LOOKS_MAX = 25;
/** Graceful shutdown: in-flight requests finish, the store syncs and seals its index. */
const DAEMON_STOP_MS_MAX = 60_000;
/**
 * The daemon runs with --optimize-for-size: V8 then grows its heaps in bursts (a large read) and
 * keeps them grown far less eagerly, in the reader thread too, where no GC request from outside
 * reaches. Without it RSS swung by tens of MB with V8's sizing alone and drowned the leaks the RSS
 * check is for. A setting a memory-tight deployment may use as well; the protocol is the same.
 * --expose-gc lets the harness ask for the GCs before each RSS reading.
 */
const DAEMON_NODE_FLAGS = ['--expose-gc', '--optimize-for-size'];
/**
 * glibc gives each thread that allocates (libuv's pool, the reader thread) a malloc arena of its
 * own and keeps its high-water mark: RSS after GC then swung by ±10% from one seed to the next with
 * no leak behind it (seed 20261204: 13% on the code before issue 12, 7.9-11.4% after; 300,000
 * frames grew no more than 100,000). Two arenas, a common setting for Node services, measured
 * 2.5-4.7% over three seeds, so the 10% check sees leaks rather than the allocator.
 */
const DAEMON_ENV = { MALLOC_ARENA_MAX: '2' };
/** The daemon's reader threads: one is enough for a store of a few traces, and leaves the cores to the fuzz. */
const DAEMON_READER_THREADS = 1;

export interface TcpFuzzOptions {
  seed: number;
  frames: number;
  slowConnections: number;
  hugeLengthPrefixes: number;
  otlp: OtlpFuzzWant;
  /** Idle time before each RSS reading: RSS_SETTLE_MS_FULL, or 0 for a quick run. */
  rssSettleMs: number;
  corpus: Corpus;
  /** An empty directory for the daemon's store. */
  dir: string;
  failures: FailureLog;
  log: (line: string) => void;
}

export interface TcpFuzzResult {
  /** Random frames (fast-check and mutations), warm-up included. */
  frames: number;
  /** Hostile frames sent at once in the warm-up, on top of `frames`. */
  hostileFrames: number;
  connections: number;
  /** Opened in the warm-up round, before the RSS baseline, on top of `slowConnections`. */
  warmupSlowConnections: number;
  slowConnections: number;
  hugeLengthPrefixes: number;
  refusedConnections: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  socketsBefore: number;
  socketsAfter: number;
  /** Both OTLP phases together. */
  otlp: OtlpPhaseCounts;
  /** OTLP answers by class (OtlpTally). */
  otlpAnswers: Record<string, number>;
  otlpTracesChecked: number;
  otlpSpansAcknowledged: number;
}

export async function fuzzOverTcp(options: TcpFuzzOptions): Promise<TcpFuzzResult> {
  const { seed, failures } = options;
  const maxConnections = options.slowConnections + FRAME_CONNECTIONS_PARALLEL + CONNECTIONS_SPARE;
  const daemonOptions = {
    dir: options.dir,
    port: 0,
    token: FUZZ_TOKEN,
    authDeadlineMs: DAEMON_AUTH_DEADLINE_MS,
    frameDeadlineMs: DAEMON_FRAME_DEADLINE_MS,
    idleTimeoutMs: DAEMON_IDLE_TIMEOUT_MS,
    writeDeadlineMs: DAEMON_WRITE_DEADLINE_MS,
    maxConnections,
    otlpRequestBytesMax: FUZZ_OTLP_REQUEST_BYTES_MAX,
    store: { indexFlushEntries: FUZZ_STORE_INDEX_FLUSH_ENTRIES, readerThreads: DAEMON_READER_THREADS },
  };
  const { daemon, otlpHttpPort, otlpGrpcPort } = await startDaemon(daemonOptions);
  const context: TcpContext = { daemon, seed, corpus: options.corpus, failures, log: options.log };
  const tally = new OtlpTally();
  const otlp: OtlpContext = {
    daemon, seed, httpPort: otlpHttpPort, grpcPort: otlpGrpcPort, expectations: new Expectations((problem) => failures.add(`seed ${seed} ${problem}`)),
    ledger: new OtlpLedger(), tally, failures, log: options.log,
  };
  const result: TcpFuzzResult = {
    frames: 0, hostileFrames: 0, connections: 0, warmupSlowConnections: 0, slowConnections: 0, hugeLengthPrefixes: 0, refusedConnections: 0,
    rssBeforeBytes: Number.NaN, rssAfterBytes: Number.NaN, socketsBefore: Number.NaN, socketsAfter: Number.NaN,
    otlp: { httpRequests: 0, grpcRequests: 0, hostileRequests: 0, garbageConnections: 0, slowLorises: 0 }, otlpAnswers: tally.counts, otlpTracesChecked: 0, otlpSpansAcknowledged: 0,
  };
  try {
    await storeCorpus(context);
    // Before any fuzz connection: the listener alone, plus whatever the store and its readers hold.
    result.socketsBefore = await steadySockets(daemon);
    const warmupFrames = Math.floor(options.frames * RSS_WARMUP_FRACTION);
    const warm = await fuzzFramesOverTcp(context, warmupFrames, 0);
    result.hostileFrames = await sendHostileFramesAtOnce(context);
    // Every other kind of load once before the baseline too, slow connections at full concurrency:
    // the allocator keeps the high-water mark of that many connections open at once, which is no
    // leak, but measured only after the baseline it moved RSS by 10-13% from one seed to the next,
    // on the code before issue 12 as after it (see also DAEMON_ENV).
    const warmHuge = await sendHugeLengthPrefixes(context, Math.floor(options.hugeLengthPrefixes * RSS_WARMUP_FRACTION));
    // OTLP load of every kind before the baseline too, for the same reason: its buffers (a request
    // body up to otlpRequestBytesMax, the transcoders' grown writers, grpc-js's) reach their size.
    // Side by side with the slow connections, which mostly wait for the daemon's deadlines.
    const otlpWarm = otlpShare(options.otlp, RSS_WARMUP_FRACTION, false);
    const [warmSlow, otlpWarmCounts] = await Promise.all([
      runSlowConnections(context, options.slowConnections, maxConnections, WARMUP_CHECK_NO),
      fuzzOtlpPhase(otlp, otlpWarm, 0),
    ]);
    addOtlpCounts(result.otlp, otlpWarmCounts);
    options.log(`protocol-fuzz otlp: warm-up ${JSON.stringify(result.otlp)}`);
    await socketsSettled(context, result.socketsBefore);
    result.rssBeforeBytes = await settledRssBytes(daemon, options.rssSettleMs);
    options.log(`protocol-fuzz tcp: ${warm.frames} warm-up frames, ${warmSlow.slowConnections} slow connections; RSS ${result.rssBeforeBytes} B; ${daemon.memoryUsage}`);
    const main = await fuzzFramesOverTcp(context, options.frames - warmupFrames, 1);
    result.frames = warm.frames + main.frames;
    result.connections = warm.connections + main.connections;
    options.log(`protocol-fuzz tcp: ${result.frames} frames over ${result.connections} connections`);
    result.hugeLengthPrefixes = warmHuge + (await sendHugeLengthPrefixes(context, options.hugeLengthPrefixes - warmHuge));
    const [slow, otlpMainCounts] = await Promise.all([
      runSlowConnections(context, options.slowConnections, maxConnections, 1),
      fuzzOtlpPhase(otlp, otlpRest(options.otlp, otlpWarm, options.otlp.waitLorisCutOff), 1),
    ]);
    addOtlpCounts(result.otlp, otlpMainCounts);
    options.log(`protocol-fuzz otlp: ${JSON.stringify(result.otlp)}; answers ${JSON.stringify(tally.counts)}`);
    result.warmupSlowConnections = warmSlow.slowConnections;
    result.slowConnections = slow.slowConnections;
    result.refusedConnections = warmSlow.refusedConnections + slow.refusedConnections;
    result.socketsAfter = await socketsSettled(context, result.socketsBefore);
    await checkStillServes(context, 2, `seed ${seed} tcp after the fuzz`);
    result.rssAfterBytes = await settledRssBytes(daemon, options.rssSettleMs);
    options.log(`protocol-fuzz tcp: RSS ${result.rssAfterBytes} B after the fuzz; ${daemon.memoryUsage}`);
    // After the RSS reading: reading back traces of 65,536 spans takes the read path to a high-water
    // mark of its own, which the baseline never saw; reads are the frames' part of the fuzz.
    if (daemon.alive) await otlp.ledger.check(daemon.port, failures, `seed ${seed} otlp ledger`);
    result.otlpTracesChecked = otlp.ledger.traces;
    result.otlpSpansAcknowledged = otlp.ledger.spansAcknowledged;
  } finally {
    await stopDaemon(context);
  }
  return result;
}

function addOtlpCounts(total: OtlpPhaseCounts, phase: OtlpPhaseCounts): void {
  for (const key of Object.keys(total) as (keyof OtlpPhaseCounts)[]) total[key] += phase[key];
}

/** The daemon child; port 0 gives its OTLP receivers free ports too, which its handshake reports. */
async function startDaemon(daemonOptions: Omit<DaemonOptions, 'logger' | 'tls'>): Promise<{ daemon: DaemonChild; otlpHttpPort: number; otlpGrpcPort: number }> {
  const daemon = await DaemonChild.start({ nodeFlags: DAEMON_NODE_FLAGS, env: DAEMON_ENV, launch: { options: daemonOptions, quietLogs: true } });
  if (daemon.otlpHttpPort === null || daemon.otlpGrpcPort === null) {
    await daemon.stop();
    throw new Error('the fuzz daemon reported no OTLP ports; want both receivers on');
  }
  return { daemon, otlpHttpPort: daemon.otlpHttpPort, otlpGrpcPort: daemon.otlpGrpcPort };
}

/** The corpus traces, stored through the client the way real data arrives. */
async function storeCorpus(context: TcpContext): Promise<void> {
  const client = await TraceClient.connect({ port: context.daemon.port, token: FUZZ_TOKEN, timeoutMs: ANSWER_MS_MAX });
  try {
    for (const batch of context.corpus.batches) await client.append(batch);
  } finally {
    await client.close();
  }
}

/**
 * RSS after GC, once the daemon has been idle for `settleMs`: taken the same way before and
 * after, so that V8's idle-time heap shrinking (in the reader thread too, which no GC request from
 * outside reaches) is in both readings or in neither.
 */
async function settledRssBytes(daemon: DaemonChild, settleMs: number): Promise<number> {
  await sleep(settleMs);
  return daemon.rssAfterGcBytes();
}

/** The daemon's socket count once it stops changing: the corpus client's socket takes a moment to close. */
async function steadySockets(daemon: DaemonChild): Promise<number> {
  let sockets = daemon.openSockets();
  for (let look = 0; look < SOCKETS_STEADY_LOOKS_MAX; look++) {
    await sleep(SOCKETS_POLL_MS);
    const now = daemon.openSockets();
    if (now === sockets) break;
    sockets = now;
  }
  return sockets;
}

/** Waits for the daemon's sockets to come back down to `before`; records a failure if they do not. */
async function socketsSettled(context: TcpContext, before: number): Promise<number> {
  const { daemon } = context;
  // Every connection the daemon answered and ended is destroyed by its write deadline at the latest.
  const deadline = Date.now() + DAEMON_WRITE_DEADLINE_MS + ANSWER_MS_MAX;
  let sockets = daemon.openSockets();
  while (sockets > before && Date.now() < deadline && daemon.alive) {
    await sleep(SOCKETS_POLL_MS);
    sockets = daemon.openSockets();
  }
  if (sockets > before) {
    context.failures.add(`seed ${context.seed} tcp: the daemon still holds ${sockets} sockets after every client hung up; want ${before} as before the fuzz`);
  }
  return sockets;
}

async function stopDaemon(context: TcpContext): Promise<void> {
  const { daemon, failures, seed } = context;
  if (!daemon.alive) {
    failures.add(`seed ${seed} tcp: ${daemonGone(daemon)}`);
    return;
  }
  try {
    const exit = await daemon.stop(DAEMON_STOP_MS_MAX);
    if (exit === null) failures.add(`seed ${seed} tcp: the daemon did not shut down within ${DAEMON_STOP_MS_MAX} ms of SIGTERM: ${daemon.stderrTail()}`);
    else if (exit.code !== 0) failures.add(`seed ${seed} tcp: on SIGTERM the daemon exited with code ${exit.code} signal ${exit.signal}: ${daemon.stderrTail()}`);
  } catch (error) {
    failures.add(`seed ${seed} tcp: stopping the daemon failed: ${describeError(error)}`);
  }
}
