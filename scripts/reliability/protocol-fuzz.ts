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
 * `npm test` runs the quick counts; a seed replays the same frames (the interleaving of TCP
 * connections aside).
 *
 *   npm run build && node --import tsx scripts/reliability/protocol-fuzz.ts [--quick] [--seed S]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FailureLog, campaignArgs, type CampaignOptions, type CampaignResult } from './campaign.js';
import { buildCorpus } from './protocol-fuzz/corpus.js';
import { HEAP_GROWTH_BYTES_MAX, fuzzInProcess } from './protocol-fuzz/in-process.js';
import { RSS_GROWTH_PERCENT_MAX, RSS_SETTLE_MS_FULL, fuzzOverTcp } from './protocol-fuzz/tcp.js';

export interface ProtocolFuzzCounts {
  framesInProcess: number;
  framesTcp: number;
  slowConnections: number;
  hugeLengthPrefixes: number;
}

/** The counts. */
export const PROTOCOL_FUZZ_FULL: ProtocolFuzzCounts = { framesInProcess: 1_000_000, framesTcp: 100_000, slowConnections: 500, hugeLengthPrefixes: 1_000 };
/** What `npm test` runs: a few tens of seconds on a shared 2-core machine. */
export const PROTOCOL_FUZZ_QUICK: ProtocolFuzzCounts = { framesInProcess: 20_000, framesTcp: 2_000, slowConnections: 50, hugeLengthPrefixes: 20 };

export async function runProtocolFuzzCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const want = options.quick ? PROTOCOL_FUZZ_QUICK : PROTOCOL_FUZZ_FULL;
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
    const tcp = await fuzzOverTcp({
      seed: options.seed,
      frames: want.framesTcp,
      slowConnections: want.slowConnections,
      hugeLengthPrefixes: want.hugeLengthPrefixes,
      rssSettleMs: options.quick ? 0 : RSS_SETTLE_MS_FULL,
      corpus,
      dir: tcpDir,
      failures,
      log,
    });
    const rssGrowthPercent = ((tcp.rssAfterBytes - tcp.rssBeforeBytes) / tcp.rssBeforeBytes) * 100;
    if (!(rssGrowthPercent < RSS_GROWTH_PERCENT_MAX)) {
      failures.add(`seed ${options.seed} tcp: daemon RSS went from ${tcp.rssBeforeBytes} to ${tcp.rssAfterBytes} B after GC (${rssGrowthPercent.toFixed(1)}%); want < ${RSS_GROWTH_PERCENT_MAX}%`);
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
  const args = campaignArgs(process.argv.slice(2), 'scripts/reliability/protocol-fuzz.ts');
  process.stderr.write(`protocol fuzz: seed ${args.seed}${args.quick ? ' (quick)' : ''}\n`);
  const result = await runProtocolFuzzCampaign(args);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
