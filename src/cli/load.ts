/**
 * `tracekv load`: a load generator. Generates tracegen-shaped traces or replays the Zipkin
 * fixtures with fresh ids (workload/replay.ts), batches them per service, and appends them to a
 * store directory (opened normally, with its lock, and closed at the end) or through a daemon.
 * Progress goes to stderr on a TTY; the summary (spans, traces, batches, seconds, spans/s) to stdout.
 */
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { TraceStoreApi } from '../api/index.js';
import { TraceClient } from '../client/trace-client.js';
import { TraceStore } from '../store/trace-store.js';
import { runLoad } from '../workload/load-runner.js';
import { loadReplayTemplates, tracegenWorkload, zipkinReplayWorkload, type Workload } from '../workload/replay.js';
import { makeRng } from '../workload/rng.js';
import { ZIPKIN_FIXTURES_DIR } from '../workload/zipkin.js';
import { keyValueLines, out, progress, toJson } from './output.js';
import { parseAddressArg, tokenFromEnv } from './trace-format.js';

/** Appends awaiting acknowledgement at once: enough for the store's group commit to share each
 * fdatasync among many (scripts/bench.ts uses the same), few enough to bound memory. */
const APPENDS_IN_FLIGHT = 16;
/** Traces per batch by default: 100 tracegen traces make 1,000-span batches (~233 KB), the size
 * the README's measurements use. */
const BATCH_TRACES_DEFAULT = 100;
const TRACES_DEFAULT = 1000;
const SEED_MAX = 2 ** 32 - 1;
const WORKLOADS = ['tracegen', 'zipkin'] as const;
const SCOPE = { name: 'tracekv-load' };

interface LoadFlags {
  dir?: string;
  connect?: { host: string; port: number };
  workload: (typeof WORKLOADS)[number];
  traces: number;
  batchTraces: number;
  fixtures?: string;
  seed?: number;
  json?: boolean;
}

function integerArg(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`got "${text}"; want an integer from ${min} to ${max}`);
    }
    return value;
  };
}

async function openForWrite(flags: LoadFlags): Promise<TraceStoreApi> {
  // No reads here, so no reader threads.
  if (flags.dir !== undefined) return TraceStore.open({ dir: flags.dir, readerThreads: 0 });
  return TraceClient.connect({ ...flags.connect!, ...tokenFromEnv(process.env) });
}

function workloadFor(flags: LoadFlags, seed: number): Workload {
  const rng = makeRng(seed);
  if (flags.workload === 'tracegen') return tracegenWorkload(rng);
  return zipkinReplayWorkload(loadReplayTemplates(flags.fixtures ?? fileURLToPath(ZIPKIN_FIXTURES_DIR)), rng);
}

export function registerLoad(program: Command): void {
  program
    .command('load')
    .description('generate traces and write them to a store or a daemon (a load generator)')
    .option('--dir <dir>', 'write into this store directory (opened with its lock)')
    .option('--connect <host:port>', 'write through a daemon (token from TRACEKV_TOKEN)', parseAddressArg)
    .addOption(new Option('--workload <name>', 'tracegen: 1 server span + 9 client children; zipkin: replay of the fixtures').choices(WORKLOADS).default('tracegen'))
    .option('--traces <n>', 'traces to write', integerArg(1, Number.MAX_SAFE_INTEGER), TRACES_DEFAULT)
    .option('--batch-traces <n>', 'traces per batch (each batch holds one service)', integerArg(1, 1_000_000), BATCH_TRACES_DEFAULT)
    .option('--fixtures <dir>', `Zipkin v2 JSON files to replay (default ${fileURLToPath(ZIPKIN_FIXTURES_DIR)})`)
    .option('--seed <n>', 'seed of ids and variations, to replay a run exactly (default: random)', integerArg(0, SEED_MAX))
    .option('--json', 'print the summary as JSON')
    .action(async (flags: LoadFlags, command: Command) => {
      if ((flags.dir === undefined) === (flags.connect === undefined)) command.error('error: give exactly one of --dir <dir> and --connect <host:port>');
      if (flags.fixtures !== undefined && flags.workload !== 'zipkin') command.error('error: --fixtures needs --workload zipkin');
      const seed = flags.seed ?? randomInt(SEED_MAX);
      const workload = workloadFor(flags, seed);
      const target = await openForWrite(flags);
      const bar = progress(flags.traces, 'load');
      let result;
      try {
        result = await runLoad({
          workload,
          target,
          traces: flags.traces,
          tracesPerBatch: flags.batchTraces,
          appendsInFlight: APPENDS_IN_FLIGHT,
          scope: SCOPE,
          onTrace: (done) => bar.update(done),
        });
      } finally {
        bar.stop();
        await target.close();
      }
      const spansPerSecond = Math.round(result.spans / result.seconds);
      if (flags.json === true) {
        out(`${toJson({ ...result, spansPerSecond, workload: flags.workload, seed })}\n`);
        return;
      }
      out(
        keyValueLines([
          ['spans', result.spans],
          ['traces', result.traces],
          ['batches', result.batches],
          ['seconds', result.seconds.toFixed(3)],
          ['spans/s', spansPerSecond],
          ['workload', flags.workload],
          ['seed', seed],
        ]),
      );
    });
}
