/**
 * The OTLP half of the protocol fuzz (issue 13), against the same daemon child as the TCP half:
 * OTLP/HTTP requests (otlp-http.ts), OTLP/gRPC calls (otlp-grpc.ts), raw garbage on both ports and
 * slow lorises (otlp-raw.ts), all side by side in each phase. The TCP half runs one phase in its
 * warm-up and one after the RSS baseline, so the daemon's RSS check covers OTLP load as it covers
 * the frames; the ledger (otlp-ledger.ts) is read back once the fuzz is over.
 */
import type { OtlpContext } from './otlp-common.js';
import { hostileCases } from './otlp-cases.js';
import { fuzzOtlpGrpc } from './otlp-grpc.js';
import { fuzzOtlpHttp } from './otlp-http.js';
import { runSlowLorises, sendGrpcGarbage, sendHttpGarbage } from './otlp-raw.js';

export interface OtlpFuzzWant {
  httpRequests: number;
  grpcRequests: number;
  /** Garbage connections, split between the HTTP and the gRPC port. */
  garbageConnections: number;
  slowLorises: number;
  /** Spans of the hostile set's large requests: the 65,536 in a full run, so batches are cut by batchSpansMax and reads stream. */
  largeRequestSpans: number;
  /** Wait for the receiver to cut the slow lorises off itself (a minute and more: full runs only). */
  waitLorisCutOff: boolean;
}

export interface OtlpPhaseCounts {
  httpRequests: number;
  grpcRequests: number;
  hostileRequests: number;
  garbageConnections: number;
  slowLorises: number;
}

export async function fuzzOtlpPhase(context: OtlpContext, want: OtlpFuzzWant, phase: number): Promise<OtlpPhaseCounts> {
  const hostileSeed = (context.seed + 0x0714_0000 + phase) >>> 0;
  const httpHostile = hostileCases(hostileSeed, context.expectations, false, want.largeRequestSpans);
  const grpcHostile = hostileCases(hostileSeed ^ 0x5a5a, context.expectations, true, want.largeRequestSpans);
  const httpGarbage = Math.ceil(want.garbageConnections / 2);
  const [http, grpc, httpGarbageMade, grpcGarbageMade, slowLorises] = await Promise.all([
    fuzzOtlpHttp(context, want.httpRequests, phase, httpHostile),
    fuzzOtlpGrpc(context, want.grpcRequests, phase, grpcHostile),
    sendHttpGarbage(context, httpGarbage, phase),
    sendGrpcGarbage(context, want.garbageConnections - httpGarbage, phase),
    runSlowLorises(context, want.slowLorises, phase, want.waitLorisCutOff),
  ]);
  return {
    httpRequests: http.sent,
    grpcRequests: grpc.sent,
    hostileRequests: http.hostile + grpc.hostile,
    garbageConnections: httpGarbageMade + grpcGarbageMade,
    slowLorises,
  };
}

/** The counts of a phase's share: `fraction` of each, the rest to the other phase. */
export function otlpShare(want: OtlpFuzzWant, fraction: number, waitLorisCutOff: boolean): OtlpFuzzWant {
  return {
    httpRequests: Math.floor(want.httpRequests * fraction),
    grpcRequests: Math.floor(want.grpcRequests * fraction),
    garbageConnections: Math.floor(want.garbageConnections * fraction),
    slowLorises: Math.floor(want.slowLorises * fraction),
    largeRequestSpans: want.largeRequestSpans,
    waitLorisCutOff,
  };
}

export function otlpRest(want: OtlpFuzzWant, done: OtlpFuzzWant, waitLorisCutOff: boolean): OtlpFuzzWant {
  return {
    httpRequests: want.httpRequests - done.httpRequests,
    grpcRequests: want.grpcRequests - done.grpcRequests,
    garbageConnections: want.garbageConnections - done.garbageConnections,
    slowLorises: want.slowLorises - done.slowLorises,
    largeRequestSpans: want.largeRequestSpans,
    waitLorisCutOff,
  };
}
