/**
 * `tracekv ls <dir>`: one row per segment (generation, id, size, records, spans, start-time range),
 * from record headers only: no lock, nothing written, safe beside a live daemon.
 */
import type { Command } from 'commander';
import { nodeFileLayer } from '../io/file-layer.js';
import { readStoreLayout } from '../store/store-layout.js';
import { summarizeStore, type SegmentSummary } from '../maintenance/segment-summary.js';
import { formatBytes, formatTime, out, progress, table, toJson } from './output.js';

/** What is unusual about a segment, or '' (a torn tail is normal at the end of a live last segment). */
function note(segment: SegmentSummary): string {
  const notes: string[] = [];
  if (segment.headerProblem !== null) notes.push(`bad header: ${segment.headerProblem}`);
  if (segment.damage.length > 0) notes.push(`${segment.damage.length} damaged region(s) from offset ${segment.damage[0]!.fileOffset}: run tracekv verify`);
  if (segment.tornBytes > 0) notes.push(`torn tail ${segment.tornBytes} B`);
  return notes.join('; ');
}

function time(value: bigint | null): string {
  return value === null ? '-' : formatTime(value);
}

export function segmentRows(segments: SegmentSummary[]): (string | number)[][] {
  return segments.map((s) => [s.generationId, s.segmentId, formatBytes(s.fileBytes), s.records, s.spans, time(s.minStartTimeUnixNano), time(s.maxStartTimeUnixNano), note(s)]);
}

export function segmentJson(s: SegmentSummary): Record<string, unknown> {
  return {
    generationId: s.generationId,
    segmentId: s.segmentId,
    path: s.path,
    fileBytes: s.fileBytes,
    createdAtMs: s.createdAtMs,
    records: s.records,
    spans: s.spans,
    rawBytes: s.rawBytes,
    compressedBytes: s.bodyBytes,
    minStartTimeUnixNano: s.minStartTimeUnixNano,
    maxStartTimeUnixNano: s.maxStartTimeUnixNano,
    tornBytes: s.tornBytes,
    headerProblem: s.headerProblem,
    damage: s.damage.map((d) => ({ offset: d.fileOffset, bytes: d.bytes, problem: d.problem, nextOffset: d.nextOffset })),
  };
}

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list segments: generation, id, size, records, spans, start-time range (read-only, no lock)')
    .argument('<dir>', 'store directory')
    .option('--json', 'machine-readable output (raw numbers)')
    .action((dir: string, flags: { json?: boolean }) => {
      const layout = readStoreLayout(dir);
      const bar = progress(layout.generations.reduce((n, g) => n + g.segments.length, 0), 'ls');
      let done = 0;
      const segments = summarizeStore(nodeFileLayer, layout, () => bar.update(++done)).flatMap((g) => g.segments);
      bar.stop();
      if (flags.json === true) {
        out(`${toJson(segments.map(segmentJson), 2)}\n`);
        return;
      }
      out(table(['GEN', 'SEGMENT', 'SIZE', 'RECORDS', 'SPANS', 'MIN START', 'MAX START', 'NOTE'], segmentRows(segments)));
    });
}
