/**
 * `tracekv repair <dir>`: truncates torn tails, salvages segments with mid-file corruption (the
 * damaged file is kept as `.broken`) and re-derives the index they invalidate. The work is in
 * maintenance/repair.ts; this file parses flags and prints the report.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { nodeFileLayer } from '../io/file-layer.js';
import { repairStore, type IndexRepair, type ReindexOutcome, type RepairReport, type SegmentRepair } from '../maintenance/repair.js';
import type { DamagedStretch } from '../maintenance/repair-scan.js';
import { EXIT_ERROR, diagnostic, formatBytes, keyValueLines, out, progress, toJson, type Progress } from './output.js';

interface RepairFlags {
  dryRun?: boolean;
  rebuildIndex?: boolean;
  json?: boolean;
}

export function registerRepair(program: Command): void {
  program
    .command('repair')
    .description('truncate torn tails, salvage corrupt segments (keeping a .broken copy), re-derive the index; takes the store lock')
    .argument('<dir>', 'store directory')
    .option('--dry-run', 'only report what would be done: no lock, no writes')
    .option('--rebuild-index', 'also set aside and re-derive every index chunk')
    .option('--json', 'machine-readable report')
    .action(async (dir: string, flags: RepairFlags) => {
      const bar = lazyProgress('checking segments');
      let report: RepairReport;
      try {
        report = await repairStore({
          dir,
          dryRun: flags.dryRun === true,
          rebuildIndex: flags.rebuildIndex === true,
          fs: nodeFileLayer,
          onProgress: bar.update,
        });
      } finally {
        bar.stop();
      }
      out(flags.json === true ? `${toJson(report, 2)}\n` : formatReport(report));
      if (report.reindex.status === 'failed') {
        diagnostic(`tracekv: repaired, but reopening the store failed: ${report.reindex.message} (${report.reindex.code})`);
        process.exitCode = EXIT_ERROR;
      }
    });
}

/** A progress bar created on the first update, once the total is known. */
function lazyProgress(label: string): { update(done: number, total: number): void; stop(): void } {
  let bar: Progress | null = null;
  return {
    update(done, total) {
      bar ??= progress(total, label);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

export function formatReport(report: RepairReport): string {
  const changes = report.segments.length > 0 || report.indexes.length > 0;
  const result = report.dryRun ? (changes ? 'dry run: would repair' : 'dry run: nothing to repair') : changes ? 'repaired' : 'nothing to repair';
  const chunksSetAside = report.indexes.reduce((total, index) => total + index.chunksSetAside.length, 0);
  const summary = keyValueLines([
    ['result', result],
    ['store', report.dir],
    ['segments checked', report.segmentsChecked],
    ['records kept', `${report.recordsKept} (${report.spansKept} spans)`],
    ['records lost', lostText(report.recordsLost, report.spansLost, report.lostRecordsWithUnknownSpans)],
    ['bytes lost', formatBytes(report.bytesLost)],
    ['segments changed', report.segments.length],
    ['index chunks set aside', chunksSetAside],
    ['index re-derived', reindexText(report.reindex)],
  ]);
  const relative = (file: string) => path.relative(report.dir, file);
  const sections = [
    ...report.segments.map((segment) => segmentSection(segment, report.dryRun, relative)),
    ...report.indexes.map((index) => indexSection(index, report.dryRun, relative)),
  ];
  return [summary, ...sections].join('\n');
}

function segmentSection(segment: SegmentRepair, dryRun: boolean, relative: (file: string) => string): string {
  const rows: [string, string | number][] = [
    ['action', actionText(segment, dryRun)],
    ['size', `${formatBytes(segment.bytesBefore)} → ${formatBytes(segment.bytesAfter)}`],
  ];
  if (segment.brokenCopy !== null) rows.push(['broken copy', relative(segment.brokenCopy)]);
  rows.push(['records kept', `${segment.recordsKept} (${segment.spansKept} spans)`]);
  rows.push(['records lost', lostText(segment.recordsLost, segment.spansLost, segment.lostRecordsWithUnknownSpans)]);
  rows.push(['bytes lost', formatBytes(segment.bytesLost)]);
  for (const stretch of segment.damage) rows.push(['damage', stretchText(stretch)]);
  return `${relative(segment.path)}\n${indent(keyValueLines(rows))}`;
}

function indexSection(index: IndexRepair, dryRun: boolean, relative: (file: string) => string): string {
  const first = index.chunksSetAside[0];
  const dir = first === undefined ? `generation ${index.generationId}` : path.dirname(relative(first.path));
  const rows: [string, string | number][] = [
    ['chunks kept', index.chunksKept],
    [dryRun ? 'chunks to set aside' : 'chunks set aside', `${index.chunksSetAside.length} (renamed to <name>.broken)`],
  ];
  return `${dir} index\n${indent(keyValueLines(rows))}`;
}

function actionText(segment: SegmentRepair, dryRun: boolean): string {
  switch (segment.action) {
    case 'truncate':
      return `${dryRun ? 'truncate' : 'truncated'} torn tail of ${formatBytes(segment.bytesLost)}`;
    case 'salvage':
      return `${dryRun ? 'salvage' : 'salvaged'} into a new segment`;
    case 'remove':
      return `${dryRun ? 'remove' : 'removed'} (created but never completed: no whole segment header)`;
  }
}

const STRETCH_KINDS: Record<DamagedStretch['kind'], string> = {
  'segment-header': 'segment header',
  damage: 'damage',
  'torn-tail': 'torn tail',
};

function stretchText(stretch: DamagedStretch): string {
  const spans = stretch.spans === null ? '' : `, record of ${stretch.spans} spans`;
  return `${STRETCH_KINDS[stretch.kind]} at offset ${stretch.offset}, ${formatBytes(stretch.bytes)}${spans}: ${stretch.problem}`;
}

function lostText(records: number, spans: number, unknownSpans: number): string {
  if (unknownSpans === 0) return `${records} (${spans} spans)`;
  if (unknownSpans === records) return `${records} (spans unknown: record header damaged)`;
  return `${records} (${spans} spans, plus ${unknownSpans} records with damaged headers)`;
}

function reindexText(reindex: ReindexOutcome): string {
  switch (reindex.status) {
    case 'done':
      return `${reindex.records} records, ${reindex.spans} spans, ${reindex.entries} entries`;
    case 'skipped':
      return `skipped (${reindex.reason})`;
    case 'failed':
      return `failed: ${reindex.message} (${reindex.code})`;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}
