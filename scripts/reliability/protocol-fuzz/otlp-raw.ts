/**
 * Raw sockets against the OTLP receivers, below any HTTP or gRPC client:
 *   - garbage on the OTLP/HTTP port: random bytes, a request line followed by random bytes, broken
 *     chunked encoding, a Content-Length of 2^40 (413 before a byte of body is read), and three
 *     requests pipelined on one connection (three answers, in order). Whatever comes back must be
 *     HTTP/1.1 status lines of the documented kinds, never a 5xx;
 *   - garbage on the OTLP/gRPC port: random bytes, the HTTP/2 preface followed by random frames,
 *     and an HTTP/1.1 request. The daemon must survive it; its gRPC face is checked by the calls after;
 *   - slow lorises on the OTLP/HTTP port: request heads and bodies dribbled a byte at a time. While
 *     they are open a valid request must still be answered; in a full run the fuzz then waits for
 *     the receiver's own timeouts to cut every one of them off.
 */
import net from 'node:net';
import { OTLP_HTTP_HEADERS_TIMEOUT_MS, OTLP_HTTP_REQUEST_TIMEOUT_MS } from '../../../src/constants.js';
import { makeRng, type Rng } from '../../../src/workload/rng.js';
import { describeError } from './oracle.js';
import type { OtlpContext } from './otlp-common.js';
import { AUTHORIZATION, OtlpCaseSource } from './otlp-cases.js';
import { judgeHttp, post } from './otlp-http.js';
import { ANSWER_MS_MAX, inParallel, sleep } from './tcp-common.js';

/** Raw connections open at once. */
const RAW_PARALLEL = 8;
/** How long a garbage connection waits for an answer or a hang-up before it hangs up itself: the receiver may rightly wait for more bytes. */
const GARBAGE_LINGER_MS = 500;
/** Statuses a raw exchange may see: the receiver's own (data-format.md §7.3) and Node's parser's 400. */
const RAW_STATUSES = new Set([200, 400, 401, 404, 405, 408, 413, 415, 429]);
/** Gap between two bytes of a slow loris. */
const DRIBBLE_INTERVAL_MS = 200;
/**
 * How long a full run waits for the receiver to cut a slow loris off: its request timeout, plus
 * Node's connectionsCheckingInterval (30 s by default), which is when the timeouts are looked at.
 */
const LORIS_CUT_OFF_MS_MAX = Math.max(OTLP_HTTP_HEADERS_TIMEOUT_MS, OTLP_HTTP_REQUEST_TIMEOUT_MS) + 30_000 + ANSWER_MS_MAX;
const LORIS_POLL_MS = 250;
/** Length a dribbled body declares: at one byte per DRIBBLE_INTERVAL_MS it would take longer than any timeout. */
const LORIS_BODY_DECLARED_BYTES = 64 * 1024;
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function head(contentLength: number | string, extra = ''): string {
  return `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nAuthorization: ${AUTHORIZATION}\r\nContent-Length: ${contentLength}\r\n${extra}\r\n`;
}

interface RawExchange {
  socket: net.Socket;
  received: Buffer[];
  closed: boolean;
  done: Promise<void>;
}

function openRaw(port: number): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const exchange: RawExchange = { socket, received: [], closed: false, done: Promise.resolve() };
    exchange.done = new Promise((done) => socket.on('close', () => ((exchange.closed = true), done())));
    socket.on('data', (chunk: Buffer) => exchange.received.push(chunk));
    socket.on('error', () => {});
    socket.once('connect', () => resolve(exchange));
    socket.once('error', reject);
  });
}

function statusesOf(received: Buffer[]): number[] {
  return [...Buffer.concat(received).toString('latin1').matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
}

/** Waits for a hang-up, or `ms`, or `enough()`. */
async function linger(exchange: RawExchange, ms: number, enough: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + ms;
  while (!exchange.closed && !enough() && Date.now() < deadline) await sleep(20);
}

/** The garbage of connection `n` and how many answers (status lines) it must at least get. */
function httpGarbage(rng: Rng, n: number): { bytes: Buffer; answersMin: number; statuses?: number[] } {
  switch (n % 5) {
    case 0:
      return { bytes: Buffer.from(rng.bytes(1 + rng.int(2048))), answersMin: 0 };
    case 1:
      return { bytes: Buffer.concat([Buffer.from('POST /v1/traces HTTP/1.1\r\n'), Buffer.from(rng.bytes(1 + rng.int(512)))]), answersMin: 0 };
    case 2:
      // The handler may have begun reading the body when the parser fails: a plain close is then the answer.
      return { bytes: Buffer.from(`${head(0).replace('Content-Length: 0\r\n', 'Transfer-Encoding: chunked\r\n')}${rng.next() < 0.5 ? 'zz' : 'ffffffffffffffffff'}\r\nabc\r\n`), answersMin: 0, statuses: [400, 413] };
    case 3:
      return { bytes: Buffer.from(head(2 ** 40)), answersMin: 1, statuses: [413] };
    default:
      // Three empty requests (each a success) in one write: three answers, in order.
      return { bytes: Buffer.from(head(0).repeat(3)), answersMin: 3, statuses: [200] };
  }
}

/** `count` garbage connections to the OTLP/HTTP port; returns how many were made. */
export async function sendHttpGarbage(context: OtlpContext, count: number, phase: number): Promise<number> {
  let made = 0;
  await inParallel(count, RAW_PARALLEL, async (n) => {
    const where = `seed ${context.seed} otlp-http garbage phase ${phase} connection ${n}`;
    const rng = makeRng((context.seed ^ 0x6a7b_0000) + phase * 0x10000 + n);
    const { bytes, answersMin, statuses } = httpGarbage(rng, n);
    let exchange: RawExchange;
    try {
      exchange = await openRaw(context.httpPort);
    } catch (error) {
      context.failures.add(`${where}: could not connect: ${describeError(error)}`);
      return;
    }
    made++;
    exchange.socket.write(bytes);
    await linger(exchange, answersMin > 0 ? ANSWER_MS_MAX : GARBAGE_LINGER_MS, () => statusesOf(exchange.received).length >= Math.max(1, answersMin));
    const got = statusesOf(exchange.received);
    context.tally.add('httpGarbageAnswers', got.length);
    if (got.length < answersMin) context.failures.add(`${where}: ${got.length} answers; want ${answersMin} (sent ${bytes.subarray(0, 40).toString('latin1')}…)`);
    for (const status of got) {
      if (!RAW_STATUSES.has(status) || (statuses !== undefined && !statuses.includes(status))) context.failures.add(`${where}: answered ${status}; want ${(statuses ?? [...RAW_STATUSES]).join(' or ')}`);
    }
    exchange.socket.destroy();
    await exchange.done;
  });
  return made;
}

/** `count` garbage connections to the OTLP/gRPC port; returns how many were made. */
export async function sendGrpcGarbage(context: OtlpContext, count: number, phase: number): Promise<number> {
  let made = 0;
  await inParallel(count, RAW_PARALLEL, async (n) => {
    const rng = makeRng((context.seed ^ 0x6b7c_0000) + phase * 0x10000 + n);
    const random = Buffer.from(rng.bytes(1 + rng.int(1024)));
    const bytes = n % 3 === 0 ? random : n % 3 === 1 ? Buffer.concat([HTTP2_PREFACE, random]) : Buffer.from(head(4) + 'abcd');
    let exchange: RawExchange;
    try {
      exchange = await openRaw(context.grpcPort);
    } catch (error) {
      context.failures.add(`seed ${context.seed} otlp-grpc garbage phase ${phase} connection ${n}: could not connect: ${describeError(error)}`);
      return;
    }
    made++;
    exchange.socket.write(bytes);
    await linger(exchange, GARBAGE_LINGER_MS);
    exchange.socket.destroy();
    await exchange.done;
  });
  return made;
}

/**
 * `count` slow lorises, half dribbling a request head, half a body. While they are open a valid
 * request must be answered; with `waitCutOff` the receiver must then cut off every one itself.
 */
export async function runSlowLorises(context: OtlpContext, count: number, phase: number, waitCutOff: boolean): Promise<number> {
  const where = `seed ${context.seed} otlp-http slow lorises phase ${phase}`;
  const lorises: RawExchange[] = [];
  let stop = false;
  const dribbling: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    try {
      const exchange = await openRaw(context.httpPort);
      lorises.push(exchange);
      const bytes = n % 2 === 0 ? Buffer.from(head(16)) : Buffer.concat([Buffer.from(head(LORIS_BODY_DECLARED_BYTES)), Buffer.alloc(LORIS_BODY_DECLARED_BYTES)]);
      // The body dribbler sends its head at once: only its body is slow.
      const start = n % 2 === 0 ? 0 : bytes.length - LORIS_BODY_DECLARED_BYTES;
      if (start > 0) exchange.socket.write(bytes.subarray(0, start));
      dribbling.push(
        (async () => {
          for (let at = start; at < bytes.length && !stop && !exchange.closed; at++) {
            exchange.socket.write(bytes.subarray(at, at + 1));
            await sleep(DRIBBLE_INTERVAL_MS);
          }
        })(),
      );
    } catch (error) {
      context.failures.add(`${where}: loris ${n} could not connect: ${describeError(error)}`);
    }
  }
  const probe = new OtlpCaseSource(context.seed ^ (0x10715 + phase), context.expectations, false).make('probe-with-lorises', 'protobuf', Buffer.alloc(0), []);
  judgeHttp(context, probe, await post(context.httpPort, false, probe), `${where}: a valid request with ${lorises.length} lorises open`);
  if (waitCutOff) {
    const deadline = Date.now() + LORIS_CUT_OFF_MS_MAX;
    while (lorises.some((loris) => !loris.closed) && Date.now() < deadline && context.daemon.alive) await sleep(LORIS_POLL_MS);
    const open = lorises.filter((loris) => !loris.closed).length;
    if (open > 0) context.failures.add(`${where}: ${open} of ${lorises.length} still open ${LORIS_CUT_OFF_MS_MAX} ms after they began`);
    for (const status of lorises.flatMap((loris) => statusesOf(loris.received))) {
      if (status !== 408 && status !== 400) context.failures.add(`${where}: a loris was cut off with ${status}; want 408 or 400, or a plain close`);
    }
  }
  stop = true;
  for (const loris of lorises) loris.socket.destroy();
  await Promise.all([...dribbling, ...lorises.map((loris) => loris.done)]);
  return lorises.length;
}
