/**
 * `tracekv verify <dir>`: checks every record header, every index chunk and every index entry
 * against its record (--deep: every body and batch too); the checks are in
 * src/maintenance/verify.ts. Read-only, no lock: safe beside a live daemon, whose torn-looking
 * tail is a warning, not corruption. Prints `ok` (exit 0) or the problems (exit 3).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { verifyStore, VERIFY_MAX_ERRORS_DEFAULT, type VerifyReport } from '../maintenance/verify.js';
import { EXIT_CORRUPT, EXIT_OK, formatBytes, out, progress, toJson, type Progress } from './output.js';

interface VerifyFlags {
  deep?: boolean;
  maxErrors: number;
  json?: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('want a positive integer');
  return n;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function verifyText(report: VerifyReport, flags: VerifyFlags): string {
  const c = report.counters;
  const lines = [
    ...report.warnings.map((w) => `warning: ${w.file} at offset ${w.offset}: ${w.problem}`),
    ...report.problems.map((p) => `${p.file} at offset ${p.offset}: ${p.problem}`),
    `checked: ${plural(c.generations, 'generation')}, ${plural(c.segments, 'segment')} (${formatBytes(c.segmentBytes)}), ${plural(c.records, 'record')}, ` +
      `${plural(c.spans, 'span')}, ${plural(c.chunks, 'index chunk')} (${formatBytes(c.chunkBytes)}), ${c.indexEntries} index ${c.indexEntries === 1 ? 'entry' : 'entries'}; ` +
      `${plural(c.recordsDecoded, 'record')} decompressed${flags.deep === true ? ' (deep)' : ''}`,
  ];
  if (report.problems.length === 0) lines.push('ok');
  else {
    const more = report.stoppedEarly ? ` (stopped at --max-errors ${flags.maxErrors}; more may exist)` : '';
    lines.push(`corrupt: ${plural(report.problems.length, 'problem')}${more}`);
  }
  return lines.join('\n') + '\n';
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check every record header, index chunk and index entry (--deep: every body and batch); exit 0 ok, 3 corrupt')
    .argument('<dir>', 'store directory')
    .option('--deep', 'also check every body CRC, decompress and validate every batch')
    .option('--max-errors <n>', 'stop after n problems', positiveInteger, VERIFY_MAX_ERRORS_DEFAULT)
    .option('--json', 'machine-readable output')
    .action(async (dir: string, flags: VerifyFlags) => {
      let bar: Progress | null = null;
      let report: VerifyReport;
      try {
        report = await verifyStore({
          dir,
          deep: flags.deep === true,
          maxErrors: flags.maxErrors,
          onProgress: (done, total) => {
            bar ??= progress(total, flags.deep === true ? 'verify --deep' : 'verify');
            bar.update(done);
          },
        });
      } finally {
        (bar as Progress | null)?.stop();
      }
      if (flags.json === true) {
        const { problems, warnings, counters, stoppedEarly } = report;
        out(`${toJson({ ok: problems.length === 0, deep: flags.deep === true, maxErrors: flags.maxErrors, stoppedEarly, problems, warnings, counters }, 2)}\n`);
      } else {
        out(verifyText(report, flags));
      }
      process.exitCode = report.problems.length === 0 ? EXIT_OK : EXIT_CORRUPT;
    });
}
