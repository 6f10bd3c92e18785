/**
 * Slow connections against the daemon child, and connections past its connection limit.
 *
 * Five kinds of slow connection, opened together: silent; dribbling a HELLO a byte at a time;
 * dribbling a 0xFFFFFFFF prefix; authenticated, then stalled halfway through a frame's prefix; and
 * authenticated, dribbling a 64 KiB frame forever. While they are all open a fresh TraceClient must
 * still be served. The daemon must cut off every one on its own: the unauthenticated ones at the
 * auth deadline (ERR_AUTH, or ERR_FRAME_TOO_LARGE once the prefix is complete), the stalled and the
 * dribbling frame at the frame deadline (ERR_TIMEOUT; the dribbler resets the idle timeout with
 * every byte, and stayed open for good before issue 11).
 *
 * Then the connection table is filled and more connections are opened: each must get ERR_BUSY with
 * retryAfterMs, and is hung up in the ways clients do (FIN, FIN with unread data, RST).
 */
import { Opcode, encodeFrame } from '../../../src/protocol/frame.js';
import type { RawClient } from '../../testkit/raw-client.js';
import { ANSWER_MS_MAX, HELLO_WITH_TOKEN, authenticate, checkStillServes, connect, openFuzzConnection, sleep, type TcpContext } from './tcp-common.js';

const SLOW_KINDS = ['silent', 'dribble-hello', 'dribble-huge-prefix', 'stalled-frame', 'dribble-frame'] as const;
type SlowKind = (typeof SLOW_KINDS)[number];
/** Gap between two bytes of a dribbling connection: a HELLO takes seconds, far past the auth deadline. */
const DRIBBLE_INTERVAL_MS = 200;
/** Slow connections opened at once: the listen backlog is 511, and SYNs past it are retried only after a second. */
const CONNECT_GROUP = 50;
/** Length the forever-dribbling frame declares: it would take hours at one byte per DRIBBLE_INTERVAL_MS. */
const DRIBBLE_FRAME_DECLARED_BYTES = 64 * 1024;
/** Connections opened at once while filling the connection table. */
const PROBES_PARALLEL = 32;
/** How often connections holding a slot of the table say PING, so the idle timeout leaves them be. */
const KEEPALIVE_INTERVAL_MS = 1_000;
/** How often the fuzz looks whether the daemon has cut the slow connections off. */
const CUT_OFF_POLL_MS = 100;

/** The ERROR each kind is cut off with: the deadline that comes first (auth 1.5 s, frame 2 s, idle 3 s). */
const wantedCodes: Record<SlowKind, string[]> = {
  silent: ['ERR_AUTH'],
  'dribble-hello': ['ERR_AUTH'],
  'dribble-huge-prefix': ['ERR_FRAME_TOO_LARGE', 'ERR_AUTH'],
  'stalled-frame': ['ERR_TIMEOUT'],
  'dribble-frame': ['ERR_TIMEOUT'],
};

interface SlowConnection {
  kind: SlowKind;
  socket: RawClient;
  stopped: boolean;
  dribbling: Promise<void>;
}

export interface SlowConnectionCounts {
  slowConnections: number;
  refusedConnections: number;
}

function bytesOf(kind: SlowKind, n: number): Buffer {
  switch (kind) {
    case 'silent':
      return Buffer.alloc(0);
    case 'dribble-hello':
      return HELLO_WITH_TOKEN;
    case 'dribble-huge-prefix':
      return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    case 'stalled-frame':
      // Stops inside the 16-byte prefix, at a different byte for each connection.
      return encodeFrame(Opcode.PING, 0, 1, {}).subarray(0, 1 + (n % 15));
    case 'dribble-frame': {
      const frame = Buffer.alloc(4 + DRIBBLE_FRAME_DECLARED_BYTES);
      encodeFrame(Opcode.PING, 0, 1, {}).copy(frame);
      frame.writeUInt32LE(DRIBBLE_FRAME_DECLARED_BYTES, 0);
      frame.writeUInt32LE(1, 12);
      return frame;
    }
  }
}

async function dribble(connection: SlowConnection, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length && !connection.stopped && !connection.socket.closed; at++) {
    connection.socket.write(bytes.subarray(at, at + 1));
    await sleep(DRIBBLE_INTERVAL_MS);
  }
}

async function openSlow(context: TcpContext, n: number): Promise<SlowConnection | null> {
  const kind = SLOW_KINDS[n % SLOW_KINDS.length]!;
  const socket = await connect(context, `seed ${context.seed} tcp slow connection ${n} (${kind})`);
  if (socket === null) return null;
  if (kind === 'stalled-frame' || kind === 'dribble-frame') await authenticate(socket);
  const connection: SlowConnection = { kind, socket, stopped: false, dribbling: Promise.resolve() };
  connection.dribbling = dribble(connection, bytesOf(kind, n));
  return connection;
}

export async function runSlowConnections(context: TcpContext, count: number, maxConnections: number, checkNo: number): Promise<SlowConnectionCounts> {
  const slow: SlowConnection[] = [];
  for (let first = 0; first < count && context.daemon.alive; first += CONNECT_GROUP) {
    const group = Array.from({ length: Math.min(CONNECT_GROUP, count - first) }, (_, k) => openSlow(context, first + k));
    for (const connection of await Promise.all(group)) if (connection !== null) slow.push(connection);
  }
  context.log(`protocol-fuzz tcp: ${slow.length} slow connections open`);
  await checkStillServes(context, checkNo, `seed ${context.seed} tcp with ${slow.length} slow connections open`);
  const refusedConnections = await overfillConnectionTable(context, maxConnections, Math.max(4, Math.floor(count / 10)));
  await checkCutOffs(context, slow);
  for (const connection of slow) {
    connection.stopped = true;
    connection.socket.destroy();
  }
  await Promise.all(slow.map((connection) => connection.dribbling));
  return { slowConnections: slow.length, refusedConnections };
}

/** Waits for the daemon to cut off every slow connection it should, then reports the ones it did not, or cut wrongly. */
async function checkCutOffs(context: TcpContext, slow: SlowConnection[]): Promise<void> {
  const deadline = Date.now() + ANSWER_MS_MAX;
  while (slow.some((connection) => !connection.socket.closed) && Date.now() < deadline && context.daemon.alive) await sleep(CUT_OFF_POLL_MS);
  for (const kind of SLOW_KINDS) {
    const ofKind = slow.filter((connection) => connection.kind === kind);
    const open = ofKind.filter((connection) => !connection.socket.closed).length;
    if (open > 0) context.failures.add(`seed ${context.seed} tcp slow connections: ${open} of ${ofKind.length} '${kind}' still open ${ANSWER_MS_MAX} ms after the daemon's deadline`);
    const wantCodes = wantedCodes[kind];
    const wrong = ofKind.filter((connection) => connection.socket.closed && !wantCodes.includes(String(connection.socket.firstError?.header.code)));
    if (wrong.length > 0) {
      context.failures.add(`seed ${context.seed} tcp slow connections: ${wrong.length} '${kind}' cut off with ${String(wrong[0]!.socket.firstError?.header.code ?? 'no ERROR')}; want ${wantCodes.join(' or ')}`);
    }
  }
  for (const connection of slow) for (const problem of connection.socket.problems) context.failures.add(`seed ${context.seed} tcp slow '${connection.kind}': ${problem}`);
}

/**
 * Opens authenticated connections until the table is full and `wanted` more were refused. Those
 * that got a slot keep it with PINGs until the end, so slots freed by cut-off slow connections
 * fill up again instead of letting the refusals stop.
 */
async function overfillConnectionTable(context: TcpContext, maxConnections: number, wanted: number): Promise<number> {
  const held: RawClient[] = [];
  const keepalive = setInterval(() => {
    for (const socket of held) socket.write(encodeFrame(Opcode.PING, 0, 2, {}));
  }, KEEPALIVE_INTERVAL_MS);
  let refused = 0;
  let attempts = 0;
  const attemptsMax = maxConnections + wanted * 4;
  try {
    while (refused < wanted && attempts < attemptsMax && context.daemon.alive) {
      const first = attempts;
      attempts += PROBES_PARALLEL;
      await Promise.all(
        Array.from({ length: PROBES_PARALLEL }, async (_, k) => {
          const socket = await openFuzzConnection(context.daemon.port).catch(() => null);
          if (socket === null) return;
          socket.write(HELLO_WITH_TOKEN);
          await socket.waitFor(() => socket.finals >= 1 || socket.closed, ANSWER_MS_MAX);
          const error = socket.firstError?.header;
          if (error?.code !== 'ERR_BUSY') {
            held.push(socket);
            return;
          }
          refused++;
          if (typeof error.retryAfterMs !== 'number' || error.retryAfterMs <= 0) {
            context.failures.add(`seed ${context.seed} tcp connection ${first + k} past maxConnections: ERR_BUSY without a positive retryAfterMs`);
          }
          hangUp(socket, first + k);
        }),
      );
    }
  } finally {
    clearInterval(keepalive);
    for (const socket of held) socket.destroy();
  }
  if (refused === 0 && context.daemon.alive) {
    context.failures.add(`seed ${context.seed} tcp: ${attempts} connections opened past ${maxConnections} slow and spare ones, none refused with ERR_BUSY`);
  }
  return refused;
}

/** Hangs up a refused connection as clients do: FIN, FIN with bytes the daemon never reads, or RST. */
function hangUp(socket: RawClient, n: number): void {
  if (n % 3 === 0) {
    socket.reset();
  } else if (n % 3 === 1) {
    socket.write(Buffer.alloc(64 * 1024));
    socket.destroy();
  } else {
    socket.destroy();
  }
}
