/**
 * OTLP/HTTP requests of the protocol fuzz: POST /v1/traces over keep-alive connections, side by
 * side, each answer judged against its case's expectation (otlp-expect.ts):
 *   - the status fits the case's class (200; 400, 413, 415, 401), or is 429 with Retry-After;
 *     never 500, and never a 503 (the daemon neither closes nor fails its store during the fuzz);
 *   - a 200 is an ExportTraceServiceResponse in the request's content type whose rejected_spans is
 *     what the transcoder rejected; a refusal is a google.rpc.Status in the request's content type
 *     (plain text when that type was not one the receiver takes);
 *   - a body over the limit may instead see the connection cut while it is still being sent: the
 *     receiver refuses before reading it and closes, and the cut can overtake the 413 on the wire.
 * Every answer goes into the ledger, so what a 200 acknowledged is read back at the end.
 */
import http from 'node:http';
import { describeError } from './oracle.js';
import type { OtlpContext } from './otlp-common.js';
import { OtlpCaseSource, type OtlpCase } from './otlp-cases.js';
import { httpStatusesFor, partialSuccessOfJson, partialSuccessOfProtobuf } from './otlp-expect.js';
import { ANSWER_MS_MAX, inParallel } from './tcp-common.js';

/** Connections posting side by side: enough to overlap requests in the receiver and share group commits, few enough for 2 cores. */
export const OTLP_HTTP_LANES = 4;
const REPLY_CONTENT_TYPES = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;
/** Characters of a reply body shown in a failure line. */
const REPLY_SHOWN_CHARS = 160;

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Posts one case; an Error when the exchange failed (reset, timeout). */
export function post(port: number, agent: http.Agent | false, c: OtlpCase): Promise<HttpAnswer | Error> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { 'content-length': c.body.length };
    if (c.contentType !== undefined) headers['content-type'] = c.contentType;
    if (c.contentEncoding !== undefined) headers['content-encoding'] = c.contentEncoding;
    if (c.authorization !== undefined) headers.authorization = c.authorization;
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', (error) => resolve(error));
    });
    request.setTimeout(ANSWER_MS_MAX, () => request.destroy(new Error(`no answer within ${ANSWER_MS_MAX} ms`)));
    request.on('error', (error) => resolve(error));
    request.end(c.body);
  });
}

function shown(body: Buffer): string {
  return JSON.stringify(body.toString('utf8').slice(0, REPLY_SHOWN_CHARS));
}

/** Judges one answer, records it in the ledger and the tally. */
export function judgeHttp(context: OtlpContext, c: OtlpCase, answer: HttpAnswer | Error, where: string): void {
  const { expected } = c;
  const { ledger, tally } = context;
  const label = `${where} (${c.kind}, want ${expected.class})`;
  if (answer instanceof Error) {
    const code = (answer as NodeJS.ErrnoException).code;
    if (expected.class === 'too-large' && (code === 'ECONNRESET' || code === 'EPIPE')) {
      tally.add('httpReset');
      ledger.answered(c.traceIdsHex, expected, false, label);
      return;
    }
    context.failures.add(`${label}: no answer: ${describeError(answer)}`);
    ledger.unknown(c.traceIdsHex, expected, label);
    return;
  }
  const { status } = answer;
  tally.add(`http${status}`);
  if (status === 429) {
    const retryAfter = Number(answer.headers['retry-after']);
    if (!(Number.isInteger(retryAfter) && retryAfter > 0)) context.failures.add(`${label}: 429 with Retry-After ${String(answer.headers['retry-after'])}; want whole seconds > 0`);
    ledger.answered(c.traceIdsHex, expected, false, label);
    return;
  }
  if (expected.class === 'bug') {
    ledger.unknown(c.traceIdsHex, expected, label);
    return;
  }
  if (!httpStatusesFor(expected).includes(status)) {
    context.failures.add(`${label}: got ${status} ${shown(answer.body)}; want ${httpStatusesFor(expected).join(' or ')}`);
    // What was stored is then unknown: a wrong 200 may have stored the spans the harness says it should not.
    ledger.unknown(c.traceIdsHex, expected, label);
    return;
  }
  const knownFormat = c.contentType === REPLY_CONTENT_TYPES.protobuf || c.contentType === REPLY_CONTENT_TYPES.json;
  const wantType = knownFormat ? REPLY_CONTENT_TYPES[c.format] : 'text/plain; charset=utf-8';
  if (answer.headers['content-type'] !== wantType) context.failures.add(`${label}: ${status} came as ${String(answer.headers['content-type'])}; want ${wantType}`);
  if (status !== 200 || expected.class !== 'stored') {
    ledger.answered(c.traceIdsHex, expected, false, label);
    return;
  }
  const partial = c.format === 'protobuf' ? partialSuccessOfProtobuf(answer.body) : partialSuccessOfJson(answer.body);
  if (partial === null) context.failures.add(`${label}: 200 with a body that is not an ExportTraceServiceResponse: ${shown(answer.body)}`);
  else if (partial.rejectedSpans !== expected.rejectedSpans) context.failures.add(`${label}: 200 with rejected_spans ${partial.rejectedSpans}; want ${expected.rejectedSpans}`);
  else if (partial.rejectedSpans > 0 && partial.errorMessage === '') context.failures.add(`${label}: 200 with ${partial.rejectedSpans} rejected spans and no error_message`);
  if (expected.rejectedSpans > 0) tally.add('httpPartial');
  ledger.answered(c.traceIdsHex, expected, true, label);
}

/** Sends `count` cases from lane seeds of `phase`, OTLP_HTTP_LANES at a time; then the hostile set, all at once. */
export async function fuzzOtlpHttp(context: OtlpContext, count: number, phase: number, hostile: OtlpCase[]): Promise<{ sent: number; hostile: number }> {
  let sent = 0;
  let hostileSent = 0;
  await inParallel(OTLP_HTTP_LANES, OTLP_HTTP_LANES, async (lane) => {
    const share = Math.floor(count / OTLP_HTTP_LANES) + (lane < count % OTLP_HTTP_LANES ? 1 : 0);
    const laneSeed = (context.seed + 0x4f_0000 + 0x100 * (phase * OTLP_HTTP_LANES + lane + 1)) >>> 0;
    const source = new OtlpCaseSource(laneSeed, context.expectations, false);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let n = 0; n < share && context.daemon.alive; n++) {
        const c = source.next();
        judgeHttp(context, c, await post(context.httpPort, agent, c), `seed ${context.seed} otlp-http phase ${phase} lane ${lane} request ${n}`);
        sent++;
      }
    } finally {
      agent.destroy();
    }
  });
  await Promise.all(
    hostile.map(async (c) => {
      judgeHttp(context, c, await post(context.httpPort, false, c), `seed ${context.seed} otlp-http phase ${phase} hostile ${c.kind}`);
      hostileSent++;
    }),
  );
  return { sent, hostile: hostileSent };
}
