/**
 * OTLP/gRPC requests of the protocol fuzz: TraceService/Export through a real @grpc/grpc-js client
 * whose serializer passes our bytes through untouched, so valid, mutated and garbage messages all
 * reach the receiver as sent. Two channels: one plain, one gzip (grpc-encoding). Judged like the
 * HTTP face: OK with an ExportTraceServiceResponse whose rejected_spans is what the transcoder
 * rejected, INVALID_ARGUMENT, RESOURCE_EXHAUSTED (over the limit, or over the budget with a
 * retry pushback), UNAUTHENTICATED without the token; never INTERNAL for a well-formed gzip stream.
 * A few valid calls carry a deadline of a few ms: DEADLINE_EXCEEDED is then a fair answer, and the
 * ledger takes the request as all-or-nothing, since the deadline may pass after the append.
 */
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { OTLP_GRPC_EXPORT_PATH } from '../../../src/constants.js';
import { describeError } from './oracle.js';
import type { OtlpContext } from './otlp-common.js';
import { OtlpCaseSource, type OtlpCase } from './otlp-cases.js';
import { grpcCodesFor, partialSuccessOfProtobuf } from './otlp-expect.js';
import { ANSWER_MS_MAX, inParallel } from './tcp-common.js';

/** Calls in flight side by side, per channel. */
const GRPC_LANES_PER_CHANNEL = 2;
/** Share of valid calls sent with a deadline too short to be sure of. */
const SHORT_DEADLINE_SHARE = 0.05;
/** The short deadline, in ms: about one append's fsync, so both outcomes happen. */
const SHORT_DEADLINE_MS_MAX = 5;
/** grpc-js's compression algorithm numbers (compression-algorithms.ts): 2 is gzip. */
const GRPC_COMPRESSION_GZIP = 2;
const CODE_NAMES: Record<number, string> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 8: 'RESOURCE_EXHAUSTED', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED',
};
const RESOURCE_EXHAUSTED = 8;
const DEADLINE_EXCEEDED = 4;

const pass = (bytes: Buffer): Buffer => bytes;

function exportCall(client: Client, c: OtlpCase, deadlineMs: number): Promise<{ error: ServiceError | null; reply: Buffer | undefined }> {
  const metadata = new Metadata();
  if (c.authorization !== undefined) metadata.set('authorization', c.authorization);
  return new Promise((resolve) => {
    client.makeUnaryRequest(OTLP_GRPC_EXPORT_PATH, pass, pass, c.body, metadata, { deadline: Date.now() + deadlineMs }, (error, reply) => resolve({ error, reply }));
  });
}

function judgeGrpc(context: OtlpContext, c: OtlpCase, error: ServiceError | null, reply: Buffer | undefined, shortDeadline: boolean, where: string): void {
  const { expected } = c;
  const { ledger, tally } = context;
  const code = error?.code ?? 0;
  const label = `${where} (${c.kind}, want ${expected.class})`;
  tally.add(`grpc${CODE_NAMES[code] ?? code}`);
  if (code === RESOURCE_EXHAUSTED && expected.class !== 'too-large') {
    // Over the in-flight budget: the receiver says when to retry.
    if (error!.metadata.get('grpc-retry-pushback-ms').length === 0) context.failures.add(`${label}: RESOURCE_EXHAUSTED without grpc-retry-pushback-ms: ${error!.details}`);
    ledger.answered(c.traceIdsHex, expected, false, label);
    return;
  }
  if (code === DEADLINE_EXCEEDED && shortDeadline) {
    ledger.unknown(c.traceIdsHex, expected, label);
    return;
  }
  if (expected.class === 'bug') {
    ledger.unknown(c.traceIdsHex, expected, label);
    return;
  }
  if (!grpcCodesFor(expected).includes(code)) {
    context.failures.add(`${label}: got ${CODE_NAMES[code] ?? code} ${JSON.stringify(error?.details ?? '')}; want ${grpcCodesFor(expected).map((want) => CODE_NAMES[want]).join(' or ')}`);
    ledger.unknown(c.traceIdsHex, expected, label);
    return;
  }
  if (code !== 0 || expected.class !== 'stored') {
    ledger.answered(c.traceIdsHex, expected, false, label);
    return;
  }
  const partial = partialSuccessOfProtobuf(reply ?? Buffer.alloc(0));
  if (partial === null) context.failures.add(`${label}: OK with a reply that is not an ExportTraceServiceResponse`);
  else if (partial.rejectedSpans !== expected.rejectedSpans) context.failures.add(`${label}: OK with rejected_spans ${partial.rejectedSpans}; want ${expected.rejectedSpans}`);
  if (expected.rejectedSpans > 0) tally.add('grpcPartial');
  ledger.answered(c.traceIdsHex, expected, true, label);
}

/** Sends `count` cases over a plain and a gzip channel, then the hostile set over both. */
export async function fuzzOtlpGrpc(context: OtlpContext, count: number, phase: number, hostile: OtlpCase[]): Promise<{ sent: number; hostile: number }> {
  const address = `127.0.0.1:${context.grpcPort}`;
  const channels = [
    new Client(address, credentials.createInsecure()),
    new Client(address, credentials.createInsecure(), { 'grpc.default_compression_algorithm': GRPC_COMPRESSION_GZIP }),
  ];
  const lanes = channels.length * GRPC_LANES_PER_CHANNEL;
  let sent = 0;
  let hostileSent = 0;
  try {
    await inParallel(lanes, lanes, async (lane) => {
      const share = Math.floor(count / lanes) + (lane < count % lanes ? 1 : 0);
      const laneSeed = (context.seed + 0x6c_0000 + 0x100 * (phase * lanes + lane + 1)) >>> 0;
      const source = new OtlpCaseSource(laneSeed, context.expectations, true);
      const client = channels[lane % channels.length]!;
      const gzip = lane % channels.length === 1 ? ' gzip' : '';
      for (let n = 0; n < share && context.daemon.alive; n++) {
        const c = source.next();
        const short = c.expected.class === 'stored' && source.rng.next() < SHORT_DEADLINE_SHARE;
        const { error, reply } = await exportCall(client, c, short ? 1 + source.rng.int(SHORT_DEADLINE_MS_MAX) : ANSWER_MS_MAX);
        judgeGrpc(context, c, error, reply, short, `seed ${context.seed} otlp-grpc${gzip} phase ${phase} lane ${lane} call ${n}`);
        sent++;
      }
    });
    await Promise.all(
      channels.flatMap((client, k) =>
        hostile.map(async (c) => {
          const { error, reply } = await exportCall(client, c, ANSWER_MS_MAX);
          judgeGrpc(context, c, error, reply, false, `seed ${context.seed} otlp-grpc phase ${phase} channel ${k} hostile ${c.kind}`);
          hostileSent++;
        }),
      ),
    );
  } catch (error) {
    context.failures.add(`seed ${context.seed} otlp-grpc phase ${phase}: ${describeError(error)}`);
  } finally {
    for (const client of channels) client.close();
  }
  return { sent, hostile: hostileSent };
}
