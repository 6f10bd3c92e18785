/**
 * `tracekv dump <dir>`: every span of a store as ndjson, one span per line (the span JSON of
 * `get`), read segment by segment without the index (maintenance/dump.ts). Read-only and lock-free:
 * it runs beside a live writer and dumps what the files held when it started.
 */
import type { Command } from 'commander';
import { dumpSpans, type SpanFilter } from '../maintenance/dump.js';
import { diagnostic, progress, type Progress } from './output.js';
import { formatSpanLines, parseTimeArg, parseTraceIdArg } from './trace-format.js';

interface DumpFlags {
  trace?: string;
  since?: bigint;
  until?: bigint;
}

/** Writes to stdout, waiting while its buffer is full so a slow reader holds the dump back. */
function writeStdout(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** `tracekv dump … | head` closes the pipe early: that ends the dump quietly, not with a stack trace. */
function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export function registerDump(program: Command): void {
  program
    .command('dump')
    .description('print every span of a store as ndjson (read-only, no index, safe beside a live writer)')
    .argument('<dir>', 'store directory')
    .option('--trace <traceId>', 'only this trace (32 hex characters)', parseTraceIdArg)
    .option('--since <time>', 'only spans starting at or after this time (ISO-8601 or UnixNano)', parseTimeArg)
    .option('--until <time>', 'only spans starting at or before this time (ISO-8601 or UnixNano)', parseTimeArg)
    .action(async (dir: string, flags: DumpFlags, command: Command) => {
      if (flags.since !== undefined && flags.until !== undefined && flags.since > flags.until) {
        command.error(`error: --since ${flags.since} is after --until ${flags.until}`);
      }
      const filter: SpanFilter = {};
      if (flags.trace !== undefined) filter.traceId = flags.trace;
      if (flags.since !== undefined) filter.sinceUnixNano = flags.since;
      if (flags.until !== undefined) filter.untilUnixNano = flags.until;
      exitQuietlyOnClosedPipe();
      // Created on the first report, once the total is known; a no-op unless stderr is a TTY.
      let bar = null as Progress | null;
      const report = await dumpSpans(dir, (spans) => writeStdout(formatSpanLines(spans)), {
        filter,
        onProgress: (done, total) => {
          bar ??= progress(total, 'dump');
          bar.update(done);
        },
      });
      bar?.stop();
      for (const torn of report.tornTails) {
        diagnostic(`tracekv dump: ${torn.file} ends in ${torn.bytes} byte(s) of an incomplete record at offset ${torn.offset} (a writer mid-append, or a crash); stopped there`);
      }
    });
}
