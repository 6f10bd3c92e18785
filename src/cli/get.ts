/**
 * `tracekv get <traceId>`: one trace, from a store directory (opened read-only: no lock, nothing
 * written, so it runs beside a live daemon) or through a daemon (`--connect`, token from
 * TRACEKV_TOKEN). Formats: pretty JSON (default), ndjson (one span per line), or an indented tree.
 * A trace that is not there is a message on stderr and exit code 1.
 */
import { Option, type Command } from 'commander';
import type { Trace, TraceStoreApi } from '../api/index.js';
import type { RawSpan, Span } from '../batch/types.js';
import { TraceClient } from '../client/trace-client.js';
import { TraceStore } from '../store/trace-store.js';
import { EXIT_ERROR, diagnostic, out } from './output.js';
import {
  TRACE_FORMATS,
  formatBatchLines,
  formatSpanLines,
  formatTraceJson,
  formatTraceTree,
  parseAddressArg,
  parseTraceIdArg,
  tokenFromEnv,
  type TraceFormat,
} from './trace-format.js';

interface GetFlags {
  dir?: string;
  connect?: { host: string; port: number };
  format: TraceFormat;
  json?: boolean;
  raw?: boolean;
}

/** The store behind --dir or --connect. One trace needs no worker threads, so reads run inline. */
async function openForRead(flags: Pick<GetFlags, 'dir' | 'connect'>): Promise<TraceStoreApi> {
  if (flags.dir !== undefined) return TraceStore.open({ dir: flags.dir, readOnly: true, readerThreads: 0 });
  return TraceClient.connect({ ...flags.connect!, ...tokenFromEnv(process.env) });
}

function render(trace: Trace<Span | RawSpan>, format: TraceFormat): string {
  if (format === 'ndjson') return formatBatchLines(trace.batches) + formatSpanLines(trace.spans);
  if (format === 'tree') return formatTraceTree(trace.spans as Span[]);
  return formatTraceJson(trace);
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('print one trace')
    .argument('<traceId>', '32 hex characters (16 are left-padded with zeros)', parseTraceIdArg)
    .option('--dir <dir>', 'read this store directory (read-only, no lock: safe beside a live daemon)')
    .option('--connect <host:port>', 'read through a daemon (token from TRACEKV_TOKEN)', parseAddressArg)
    .addOption(new Option('--format <format>', 'output format').choices(TRACE_FORMATS).default('json'))
    .option('--json', 'the same as --format json')
    .option('--raw', 'spans as stored: ids, start time, and the record bytes as hex, or for version-2 batches the batch (hex, once) and row (json and ndjson only)')
    .action(async (traceId: string, flags: GetFlags, command: Command) => {
      if ((flags.dir === undefined) === (flags.connect === undefined)) command.error('error: give exactly one of --dir <dir> and --connect <host:port>');
      if (flags.json === true && command.getOptionValueSource('format') === 'cli' && flags.format !== 'json') {
        command.error(`error: --json conflicts with --format ${flags.format}`);
      }
      if (flags.raw === true && flags.format === 'tree') command.error('error: --raw needs --format json or ndjson (a tree needs decoded spans)');
      const store = await openForRead(flags);
      let trace: Trace<Span | RawSpan> | null;
      try {
        trace = flags.raw === true ? await store.getTrace(traceId, { raw: true }) : await store.getTrace(traceId);
      } finally {
        await store.close();
      }
      if (trace === null) {
        diagnostic(`tracekv get: trace ${traceId} not found`);
        process.exitCode = EXIT_ERROR;
        return;
      }
      if (trace.partial === true) {
        diagnostic(`tracekv get: trace ${traceId} is partial, ${trace.spans.length} span(s) shown: ${trace.partialReason ?? 'over traceBytesMax'}`);
      }
      out(render(trace, flags.format));
    });
}
