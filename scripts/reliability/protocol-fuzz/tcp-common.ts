/**
 * What the TCP phases of the protocol fuzz share: the daemon's settings, connecting, HELLO, the
 * "a fresh TraceClient still works" check, and a small pool for running connections side by side.
 */
import { TraceClient } from '../../../src/index.js';
import { Opcode, encodeFrame } from '../../../src/protocol/frame.js';
import type { DaemonChild } from '../../testkit/daemon-child.js';
import { RawClient } from '../../testkit/raw-client.js';
import type { FailureLog } from '../campaign.js';
import { FUZZ_TOKEN, roundTripBatch, type Corpus } from './corpus.js';
import { describeError, responseProblem } from './oracle.js';

/** The daemon's auth deadline: short, so the slow-connection phase sees unauthenticated dribblers cut off quickly. */
export const DAEMON_AUTH_DEADLINE_MS = 1_500;
/** The daemon's idle timeout: short for the same reason, long enough that no fuzz connection idles out by accident. */
export const DAEMON_IDLE_TIMEOUT_MS = 3_000;
/**
 * The daemon's frame deadline: short, so connections dribbling a frame are cut off quickly; past
 * the auth deadline, so an unauthenticated dribbler still gets ERR_AUTH first.
 */
export const DAEMON_FRAME_DEADLINE_MS = 2_000;
/** The daemon's write deadline, which also bounds how long it keeps a socket it has answered and ended. */
export const DAEMON_WRITE_DEADLINE_MS = 3_000;
/**
 * How long the fuzz waits for the daemon to answer, or to hang up after a malformed frame, before
 * it calls the daemon stuck. Far above any honest latency: the machine is shared and noisy.
 */
export const ANSWER_MS_MAX = 30_000;
/** Connection attempts before the fuzz concludes the daemon stopped accepting. */
const CONNECT_ATTEMPTS_MAX = 3;

export interface TcpContext {
  daemon: DaemonChild;
  seed: number;
  corpus: Corpus;
  failures: FailureLog;
  log: (line: string) => void;
}

export const HELLO_WITH_TOKEN = encodeFrame(Opcode.HELLO, 0, 0, { version: 1, token: FUZZ_TOKEN });

/**
 * A raw connection of the fuzz: every answer is checked against the oracle as it arrives (its
 * problems collect on the connection) and counted, not kept, since only the counts matter.
 */
export function openFuzzConnection(port: number): Promise<RawClient> {
  return RawClient.connect(port, {
    keepFrames: false,
    onFrame: (frame, client) => {
      const problem = responseProblem(frame);
      if (problem !== null) client.problem(`request ${frame.requestId}: ${problem}`);
    },
  });
}

/** A new raw connection, or null (with the failure recorded) when the daemon no longer accepts one. */
export async function connect(context: TcpContext, where: string): Promise<RawClient | null> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < CONNECT_ATTEMPTS_MAX && context.daemon.alive; attempt++) {
    try {
      return await openFuzzConnection(context.daemon.port);
    } catch (error) {
      lastError = error;
    }
  }
  context.failures.add(`${where}: could not connect (${context.daemon.alive ? describeError(lastError) : daemonGone(context.daemon)})`);
  return null;
}

/** Sends HELLO with the token and waits for its answer; true if the connection is now authenticated. */
export async function authenticate(socket: RawClient): Promise<boolean> {
  socket.write(HELLO_WITH_TOKEN);
  await socket.waitFor(() => socket.finals >= 1 || socket.closed, ANSWER_MS_MAX);
  return !socket.closed && socket.finals >= 1 && socket.firstError === null;
}

export function daemonGone(daemon: DaemonChild): string {
  const exit = daemon.exit;
  return `the daemon exited (code ${exit?.code ?? null}, signal ${exit?.signal ?? null}): ${daemon.stderrTail() || 'no stderr'}`;
}

/** A fresh TraceClient appends a batch of its own and reads it back whole: the daemon still serves. */
export async function checkStillServes(context: TcpContext, checkNo: number, where: string): Promise<void> {
  if (!context.daemon.alive) {
    context.failures.add(`${where}: ${daemonGone(context.daemon)}`);
    return;
  }
  const { batch, traceId, spans } = roundTripBatch(checkNo);
  let client: TraceClient | null = null;
  try {
    client = await TraceClient.connect({ port: context.daemon.port, token: FUZZ_TOKEN, timeoutMs: ANSWER_MS_MAX });
    const appended = await client.append(batch);
    const trace = await client.getTrace(traceId);
    if (appended.spans !== spans || trace?.spans.length !== spans) {
      context.failures.add(`${where}: append + getTrace round trip got ${appended.spans} spans appended and ${trace?.spans.length ?? 'no trace'} read; want ${spans}`);
    }
  } catch (error) {
    context.failures.add(`${where}: a fresh TraceClient could not append and read back: ${describeError(error)}${context.daemon.alive ? '' : `; ${daemonGone(context.daemon)}`}`);
  } finally {
    await client?.close().catch(() => {});
  }
}

/** Runs `job(0..count-1)`, at most `width` at a time. */
export async function inParallel(count: number, width: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
