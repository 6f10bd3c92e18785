/**
 * OTLP ingest through the daemon (issue 13's targets): W1 spans as OTLP protobuf
 * ExportTraceServiceRequests, sent by a separate process (scripts/bench/otlp-sender.ts, which
 * builds every request before timing) to a `tracekv serve` child with its defaults (fsync
 * durability), first to POST /v1/traces over keep-alive HTTP/1.1, then to TraceService/Export over
 * gRPC, each into a fresh daemon on a fresh data directory. For each face: spans/s answered 200 /
 * OK, the daemon's peak RSS (VmRSS sampled every RSS_SAMPLE_MS during the load, and VmHWM after
 * it), the daemon's and the sender's CPU, retries; then the daemon's STATS must show exactly the
 * spans sent, appended and counted by that face, or the run fails.
 *
 * One sender: it uses 0.15–0.2 of a core over either face at the daemon's rate
 * (measured; senderCpuCores in the results), so it does not limit the figure, and on this 2-core
 * machine a second would only take CPU from the daemon.
 *
 * Set TRACEKV_BENCH_DAEMON_CPU_PROF=<dir> to run each daemon under `node --cpu-prof` (profiles
 * written to <dir> when it stops). Standalone, for repeated runs of this part alone:
 *   node --import tsx/esm scripts/bench/otlp-ingest.ts [bench flags, e.g. --quick --w1-spans 1000000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TraceClient } from '../../src/index.js';
import { DaemonChild } from '../testkit/daemon-child.js';
import { RSS_SAMPLE_MS } from './constants.js';
import { log, withTempDir } from './measure.js';
import { parseBenchArgs, type BenchOptions } from './options.js';
import type { OtlpFace, SenderReady, SenderRun } from './otlp-sender.js';

/**
 * W1 spans sent per face, at most: the sender builds requests at 50–75k spans/s through the OTel
 * serializer (measured, shared machine) and holds them all (313 B per span), so 2M spans cost
 * 30–40 s and 630 MB before timing, and give 4 s of load at the 500k spans/s target.
 */
export const OTLP_INGEST_SPANS_MAX = 2_000_000;
/** Env var naming a directory for the daemon's CPU profiles (node --cpu-prof). */
export const DAEMON_CPU_PROF_ENV = 'TRACEKV_BENCH_DAEMON_CPU_PROF';
/** Longest silence from the sender: building 2M spans' requests takes 30–40 s, one face's load a few; a shared machine may take many times that. */
const SENDER_SILENCE_TIMEOUT_MS = 600_000;
/** The end of the sender's stderr kept for a failure message: the end holds the stack. */
const SENDER_STDERR_KEPT_CHARS_MAX = 8192;
const MICROS_PER_SECOND = 1_000_000;

export interface OtlpFaceFigures {
  spansPerSec: number;
  seconds: number;
  spans: number;
  requests: number;
  /** 429 / RESOURCE_EXHAUSTED (or 503 / UNAVAILABLE) replies, each retried after its advised delay. */
  retries: number;
  retryWaitMs: number;
  /** Sender CPU (user + system) per span in µs, and in cores (CPU seconds ÷ wall seconds). */
  senderCpuMicrosPerSpan: number;
  senderCpuCores: number;
  /** Daemon CPU during the load (utime + stime from /proc), per span and in cores; null without /proc. */
  daemonCpuMicrosPerSpan: number | null;
  daemonCpuCores: number | null;
  /** The daemon's VmRSS sampled during the load, highest sample; and its VmHWM right after the load. null without /proc. */
  daemonRssSampledPeakBytes: number | null;
  daemonPeakRssBytes: number | null;
  rssSamples: number;
  /** From the daemon's STATS after the load: the store's appendedSpans and appends, and this face's batches. */
  storedSpans: number;
  appends: number;
  groupCommits: number;
}

export interface OtlpIngestFigures {
  spans: number;
  requests: number;
  spansPerRequest: number;
  requestBytesPerSpan: number;
  requestsInFlight: number;
  senderPrepareSeconds: number;
  http: OtlpFaceFigures;
  grpc: OtlpFaceFigures;
  /** grpc.spansPerSec ÷ http.spansPerSec (target ≥ 0.8). */
  grpcVsHttp: number;
  /** The higher of the two faces' daemonPeakRssBytes (target < 400 MB); null without /proc. */
  daemonPeakRssBytes: number | null;
}

const SENDER = fileURLToPath(new URL('./otlp-sender.ts', import.meta.url));

/** The sender child: its JSON lines on stdout, one command per line on stdin. */
class SenderChild {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-SENDER_STDERR_KEPT_CHARS_MAX)));
    this.lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  static start(spans: number, seed: number): SenderChild {
    // The same loader this process runs under, resolved from here so any cwd works.
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx/esm'), SENDER, JSON.stringify({ spans, seed })], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new SenderChild(child);
  }

  async next<T>(timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`the OTLP sender said nothing for ${timeoutMs} ms`)), timeoutMs)));
    try {
      const line = await Promise.race([this.lines.next(), late]);
      if (line.done === true) throw new Error(`the OTLP sender exited: ${this.stderr.trim()}`);
      return JSON.parse(line.value) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  send(face: OtlpFace, port: number): void {
    this.child.stdin!.write(`${JSON.stringify({ face, port })}\n`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    await exited;
  }
}

export async function measureOtlpIngest(options: BenchOptions): Promise<OtlpIngestFigures> {
  const spansWanted = Math.min(options.w1Spans, OTLP_INGEST_SPANS_MAX);
  log(`otlp: a sender process builds ${spansWanted} W1 spans into OTLP protobuf requests (not timed)`);
  const sender = SenderChild.start(spansWanted, options.seed);
  try {
    const ready = await sender.next<SenderReady>(SENDER_SILENCE_TIMEOUT_MS);
    log(`otlp: ${ready.requests} requests of ~${(ready.spans / ready.requests).toFixed(0)} spans built in ${ready.prepareSeconds.toFixed(1)} s; ${ready.requestsInFlight} in flight`);
    const http = await measureFace(sender, 'http', ready);
    const grpc = await measureFace(sender, 'grpc', ready);
    const peaks = [http.daemonPeakRssBytes, grpc.daemonPeakRssBytes].filter((value): value is number => value !== null);
    return {
      spans: ready.spans,
      requests: ready.requests,
      spansPerRequest: ready.spans / ready.requests,
      requestBytesPerSpan: ready.bytes / ready.spans,
      requestsInFlight: ready.requestsInFlight,
      senderPrepareSeconds: ready.prepareSeconds,
      http,
      grpc,
      grpcVsHttp: grpc.spansPerSec / http.spansPerSec,
      daemonPeakRssBytes: peaks.length === 0 ? null : Math.max(...peaks),
    };
  } finally {
    await sender.stop();
  }
}

async function measureFace(sender: SenderChild, face: OtlpFace, ready: SenderReady): Promise<OtlpFaceFigures> {
  return withTempDir(`otlp-${face}`, async (dir) => {
    const daemon = await DaemonChild.start({ launch: { serve: { dir } }, nodeFlags: cpuProfileFlags(face) });
    try {
      const port = face === 'http' ? daemon.otlpHttpPort : daemon.otlpGrpcPort;
      if (port === null) throw new Error(`the daemon serves no OTLP ${face} receiver (listening event without its port)`);
      log(`otlp: ${face}: sending ${ready.spans} spans to a fresh tracekv serve child`);
      const cpuBefore = procCpuMicros(daemon.pid);
      let sampledPeak = Number.NaN;
      let samples = 0;
      const sample = () => {
        const rss = daemon.rssBytes('VmRSS');
        samples++;
        if (!Number.isNaN(rss)) sampledPeak = Number.isNaN(sampledPeak) ? rss : Math.max(sampledPeak, rss);
      };
      const timer = setInterval(sample, RSS_SAMPLE_MS);
      let run: SenderRun;
      try {
        sample();
        sender.send(face, port);
        run = await sender.next<SenderRun>(SENDER_SILENCE_TIMEOUT_MS);
        sample();
      } finally {
        clearInterval(timer);
      }
      const daemonCpu = procCpuMicros(daemon.pid) - cpuBefore;
      const hwm = daemon.rssBytes('VmHWM');
      const stored = await storedCounts(daemon.port, face);
      if (run.spans !== ready.spans || stored.storedSpans !== run.spans || stored.faceSpans !== run.spans) {
        throw new Error(`otlp ${face}: sent ${ready.spans} spans, ${run.spans} answered OK, store appended ${stored.storedSpans}, face counted ${stored.faceSpans}; want all equal`);
      }
      const figures: OtlpFaceFigures = {
        spansPerSec: run.spans / run.seconds,
        seconds: run.seconds,
        spans: run.spans,
        requests: run.requests,
        retries: run.retries,
        retryWaitMs: run.retryWaitMs,
        senderCpuMicrosPerSpan: run.cpuMicros / run.spans,
        senderCpuCores: run.cpuMicros / MICROS_PER_SECOND / run.seconds,
        daemonCpuMicrosPerSpan: Number.isNaN(daemonCpu) ? null : daemonCpu / run.spans,
        daemonCpuCores: Number.isNaN(daemonCpu) ? null : daemonCpu / MICROS_PER_SECOND / run.seconds,
        daemonRssSampledPeakBytes: Number.isNaN(sampledPeak) ? null : sampledPeak,
        daemonPeakRssBytes: Number.isNaN(hwm) ? null : hwm,
        rssSamples: samples,
        storedSpans: stored.storedSpans,
        appends: stored.appends,
        groupCommits: stored.groupCommits,
      };
      log(
        `otlp: ${face}: ${Math.round(figures.spansPerSec)} spans/s in ${run.seconds.toFixed(2)} s, ${run.retries} retries; ` +
          `daemon ${figures.daemonCpuCores?.toFixed(2)} cores, sender ${figures.senderCpuCores.toFixed(2)} cores; daemon peak RSS ${((figures.daemonPeakRssBytes ?? 0) / 1e6).toFixed(0)} MB`,
      );
      return figures;
    } finally {
      await daemon.stop();
    }
  });
}

/** The daemon's STATS: what the store appended, and what the face counted. */
async function storedCounts(port: number, face: OtlpFace): Promise<{ storedSpans: number; faceSpans: number; appends: number; groupCommits: number }> {
  const client = await TraceClient.connect({ port });
  try {
    const { store, server } = await client.stats();
    const counters = server[face === 'http' ? 'otlpHttp' : 'otlpGrpc'] as { spans?: unknown } | undefined;
    return { storedSpans: store.appendedSpans, faceSpans: Number(counters?.spans), appends: store.appends, groupCommits: store.groupCommits };
  } finally {
    await client.close();
  }
}

function cpuProfileFlags(face: OtlpFace): string[] {
  const dir = process.env[DAEMON_CPU_PROF_ENV];
  if (dir === undefined || dir === '') return [];
  fs.mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', path.resolve(dir), '--cpu-prof-name', `daemon-otlp-${face}-${Date.now()}.cpuprofile`];
}

/** utime + stime of a process from /proc/<pid>/stat, in microseconds; NaN where unreadable. */
function procCpuMicros(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return Number.NaN;
  }
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS_PER_SECOND) * MICROS_PER_SECOND;
}

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseBenchArgs(process.argv.slice(2), path.join(os.tmpdir(), 'unused'));
  measureOtlpIngest(options).then(
    (figures) => process.stdout.write(`${JSON.stringify({ loadAverage: os.loadavg(), ...figures }, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`otlp-ingest: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
