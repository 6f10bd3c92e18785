/**
 * Protocol fuzz campaign (issue 7): hostile bytes against the daemon protocol (data-format.md §6).
 *
 * In process (protocol-fuzz/in-process.ts): 10^6 frames, half from fast-check (structured requests
 * with fields of every msgpack shape) and half from a mutation loop over well-formed frames, fed to
 * the daemon's own Connection, frame decoder and request handlers over a stand-in socket. Must
 * hold: only typed errors (nothing thrown out of the connection, no unhandled rejection, no ERROR
 * wrapping a TypeError or RangeError), a header that is not a map is refused, every request ends,
 * and heap growth after GC stays under 1 MiB.
 *
 * Over TCP (protocol-fuzz/tcp.ts), against a real daemon in a child process: 10^5 random frames,
 * 1,000 0xFFFFFFFF length prefixes, 500 slow connections, and connections past maxConnections.
 * Must hold: no crash and no hang, every connection that should be closed is (open sockets return
 * to their count before the fuzz), a fresh TraceClient still appends and reads back, RSS growth
 * after GC under 10%, and a clean exit on SIGTERM.
 *
 * OTLP (issue 13; protocol-fuzz/otlp*.ts): the transcoders in process on fresh and mutated
 * requests; then, against the same daemon child in both of its phases, OTLP/HTTP requests (valid,
 * mutated protobuf, JSON with wrong types, bad hex or damaged text, gzip valid, truncated, corrupt
 * and bombs, bodies over the limit, wrong content types, encodings and tokens, deep nesting, a
 * 65,536-span request in a full run), OTLP/gRPC calls through grpc-js (plain and gzip, valid and mutated), raw
 * garbage on both ports and slow lorises. Must hold: only ERR_INVALID_ARGUMENT out of a
 * transcoder and every batch it builds decodes; every request answered with the status or code
 * its class documents (worked out in the harness: otlp-expect.ts), never a 5xx or INTERNAL; a 200
 * means every span not rejected reads back, a refusal that nothing of the request was stored
 * (otlp-ledger.ts); and the same RSS and socket checks as the frames.
 *
 * `npm test` runs the quick counts; a seed replays the same frames and requests (the interleaving
 * of connections aside).
 *
 *   npm run build && node --import tsx scripts/reliability/protocol-fuzz.ts [--quick] [--seed S] [--otlp-requests N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { integerFlag } from '../testkit/command-line.js';
import { FailureLog, campaignCommandLine, type CampaignOptions, type CampaignResult } from './campaign.js';
import { buildCorpus } from './protocol-fuzz/corpus.js';
import { HEAP_GROWTH_BYTES_MAX, fuzzInProcess } from './protocol-fuzz/in-process.js';
import { fuzzOtlpInProcess } from './protocol-fuzz/otlp-in-process.js';
import { RSS_GROWTH_PERCENT_MAX, RSS_GROWTH_PERCENT_MAX_QUICK, RSS_SETTLE_MS_FULL, fuzzOverTcp } from './protocol-fuzz/tcp.js';

export interface ProtocolFuzzCounts {
  framesInProcess: number;
  framesTcp: number;
  slowConnections: number;
  hugeLengthPrefixes: number;
  /** OTLP bodies through the transcoders in process. */
  otlpBodiesInProcess: number;
  /** Random OTLP/HTTP requests (the hostile set comes on top, in each phase). */
  otlpHttpRequests: number;
  /** Random OTLP/gRPC calls (likewise). */
  otlpGrpcRequests: number;
  /** Raw garbage connections, half to each OTLP port. */
  otlpGarbageConnections: number;
  otlpSlowLorises: number;
  /** Spans of the hostile set's large requests. */
  otlpLargeRequestSpans: number;
}

/** The counts (7 for the frames, 13 for OTLP). */
export const PROTOCOL_FUZZ_FULL: ProtocolFuzzCounts = {
  framesInProcess: 1_000_000, framesTcp: 100_000, slowConnections: 500, hugeLengthPrefixes: 1_000,
  otlpBodiesInProcess: 100_000, otlpHttpRequests: 20_000, otlpGrpcRequests: 5_000, otlpGarbageConnections: 1_000, otlpSlowLorises: 100, otlpLargeRequestSpans: 65_536,
};
/** What `npm test` runs: a few tens of seconds on a shared 2-core machine. */
export const PROTOCOL_FUZZ_QUICK: ProtocolFuzzCounts = {
  framesInProcess: 20_000, framesTcp: 2_000, slowConnections: 50, hugeLengthPrefixes: 20,
  otlpBodiesInProcess: 2_000, otlpHttpRequests: 300, otlpGrpcRequests: 100, otlpGarbageConnections: 20, otlpSlowLorises: 6, otlpLargeRequestSpans: 4_096,
};

export interface ProtocolFuzzOptions extends CampaignOptions {
  /** OTLP/HTTP requests instead of the mode's count; gRPC calls, in-process bodies and garbage scale with it. */
  otlpRequests?: number;
}

/** The counts of a run: the mode's, with the OTLP ones scaled to `otlpRequests` when given. */
export function protocolFuzzCounts(options: ProtocolFuzzOptions): ProtocolFuzzCounts {
  const base = options.quick ? PROTOCOL_FUZZ_QUICK : PROTOCOL_FUZZ_FULL;
  if (options.otlpRequests === undefined) return base;
  const scale = options.otlpRequests / base.otlpHttpRequests;
  return {
    ...base,
    otlpHttpRequests: options.otlpRequests,
    otlpBodiesInProcess: Math.round(base.otlpBodiesInProcess * scale),
    otlpGrpcRequests: Math.round(base.otlpGrpcRequests * scale),
    otlpGarbageConnections: Math.round(base.otlpGarbageConnections * scale),
  };
}

export async function runProtocolFuzzCampaign(options: ProtocolFuzzOptions): Promise<CampaignResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const want = protocolFuzzCounts(options);
  const failures = new FailureLog();
  const corpus = buildCorpus();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-protocol-fuzz-'));
  try {
    const inProcessDir = path.join(root, 'in-process');
    const tcpDir = path.join(root, 'tcp');
    const inProcess = await fuzzInProcess({ seed: options.seed, frames: want.framesInProcess, corpus, dir: inProcessDir, failures, log });
    const heapGrowthBytes = inProcess.heapAfterBytes - inProcess.heapBeforeBytes;
    if (heapGrowthBytes >= HEAP_GROWTH_BYTES_MAX) {
      failures.add(`seed ${options.seed} in-process: heap grew ${heapGrowthBytes} B after GC over ${inProcess.frames} frames; want < ${HEAP_GROWTH_BYTES_MAX} B`);
    }
    log(`protocol-fuzz in-process: ${inProcess.frames} frames, heap growth ${heapGrowthBytes} B`);
    const otlpInProcess = fuzzOtlpInProcess({ seed: options.seed, bodies: want.otlpBodiesInProcess, failures });
    log(`protocol-fuzz otlp in-process: ${otlpInProcess.bodies} bodies, ${otlpInProcess.transcoded} transcoded`);
    const tcp = await fuzzOverTcp({
      seed: options.seed,
      frames: want.framesTcp,
      slowConnections: want.slowConnections,
      hugeLengthPrefixes: want.hugeLengthPrefixes,
      otlp: {
        httpRequests: want.otlpHttpRequests,
        grpcRequests: want.otlpGrpcRequests,
        garbageConnections: want.otlpGarbageConnections,
        slowLorises: want.otlpSlowLorises,
        largeRequestSpans: want.otlpLargeRequestSpans,
        // A minute and more of waiting for the receiver's own timeouts: full runs only.
        waitLorisCutOff: !options.quick,
      },
      rssSettleMs: options.quick ? 0 : RSS_SETTLE_MS_FULL,
      corpus,
      dir: tcpDir,
      failures,
      log,
    });
    const rssGrowthPercent = ((tcp.rssAfterBytes - tcp.rssBeforeBytes) / tcp.rssBeforeBytes) * 100;
    const rssGrowthPercentMax = options.quick ? RSS_GROWTH_PERCENT_MAX_QUICK : RSS_GROWTH_PERCENT_MAX;
    if (!(rssGrowthPercent < rssGrowthPercentMax)) {
      failures.add(`seed ${options.seed} tcp: daemon RSS went from ${tcp.rssBeforeBytes} to ${tcp.rssAfterBytes} B after GC (${rssGrowthPercent.toFixed(1)}%); want < ${rssGrowthPercentMax}%`);
    }
    return {
      campaign: 'protocol-fuzz',
      seed: options.seed,
      counts: {
        framesInProcess: inProcess.frames,
        sessionsInProcess: inProcess.sessions,
        answersInProcess: inProcess.answers,
        framesTcp: tcp.frames,
        hostileFramesTcp: tcp.hostileFrames,
        connectionsTcp: tcp.connections,
        slowConnections: tcp.slowConnections,
        warmupSlowConnections: tcp.warmupSlowConnections,
        hugeLengthPrefixes: tcp.hugeLengthPrefixes,
        refusedConnections: tcp.refusedConnections,
        otlpBodiesInProcess: otlpInProcess.bodies,
        otlpBodiesTranscodedInProcess: otlpInProcess.transcoded,
        otlpHttpRequests: tcp.otlp.httpRequests,
        otlpGrpcRequests: tcp.otlp.grpcRequests,
        otlpHostileRequests: tcp.otlp.hostileRequests,
        otlpGarbageConnections: tcp.otlp.garbageConnections,
        otlpSlowLorises: tcp.otlp.slowLorises,
        otlpTracesChecked: tcp.otlpTracesChecked,
        otlpSpansAcknowledged: tcp.otlpSpansAcknowledged,
        // Answers by class: otlpHttp200, otlpHttpPartial, otlpHttp400, …, otlpGrpcOK, otlpGrpcINVALID_ARGUMENT, …
        ...Object.fromEntries(Object.entries(tcp.otlpAnswers).map(([key, n]) => [`otlp${key[0]!.toUpperCase()}${key.slice(1)}`, n])),
      },
      figures: {
        heapGrowthBytes,
        heapBeforeBytes: inProcess.heapBeforeBytes,
        rssGrowthPercent: Math.round(rssGrowthPercent * 100) / 100,
        rssBeforeBytes: tcp.rssBeforeBytes,
        rssAfterBytes: tcp.rssAfterBytes,
        socketsBefore: tcp.socketsBefore,
        socketsAfter: tcp.socketsAfter,
      },
      failures: failures.result(),
      durationMs: performance.now() - started,
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = campaignCommandLine<{ otlpRequests?: number }>(
    'scripts/reliability/protocol-fuzz.ts',
    'the protocol fuzz campaign (README.md, "Reliability")',
    process.argv.slice(2),
    (command) => command.option('--otlp-requests <N>', `OTLP/HTTP requests (default ${PROTOCOL_FUZZ_QUICK.otlpHttpRequests} quick, ${PROTOCOL_FUZZ_FULL.otlpHttpRequests} full); the other OTLP counts scale with it`, integerFlag(1)),
  );
  process.stderr.write(`protocol fuzz: seed ${args.seed}${args.quick ? ' (quick)' : ''}\n`);
  const result = await runProtocolFuzzCampaign(args);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
