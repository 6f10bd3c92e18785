/**
 * `tracekv info <dir>`: a store's summary, from record and chunk headers only (nothing is
 * decompressed, nothing written, no lock), so it is cheap and safe beside a live daemon.
 */
import type { Command } from 'commander';
import { nodeFileLayer } from '../io/file-layer.js';
import { readStoreLayout } from '../store/store-layout.js';
import { summarizeStore, type GenerationSummary, type SegmentSummary } from '../maintenance/segment-summary.js';
import { describeDamage } from '../segment/record-cursor.js';
import { diagnostic, formatBytes, formatTime, keyValueLines, out, progress, toJson } from './output.js';

/** Retention hours is an option of each open (daemon or TraceStore.open), never written to disk. */
const RETENTION_NOTE = 'per-open option (not stored): a closed generation is dropped once closedAt + retentionHours has passed';

export interface StoreInfo {
  dir: string;
  generations: number;
  openGenerations: number;
  segments: number;
  records: number;
  spans: number;
  /** Batches as appended (sum of rawLength). */
  rawBytes: number;
  /** Record bodies as stored (sum of bodyLength). */
  compressedBytes: number;
  /** Segment files on disk: bodies plus record and segment headers. */
  segmentBytes: number;
  /** rawBytes / compressedBytes; null without records. */
  compressionRatio: number | null;
  /** segmentBytes / spans; null without spans. */
  dataBytesPerSpan: number | null;
  /** indexBytes / spans; null without spans. */
  indexBytesPerSpan: number | null;
  /** The distinct partition counts of the generations' indexes. */
  indexPartitions: number[];
  indexChunks: number;
  indexBytes: number;
  /** Entries in chunk files (from their headers). */
  indexEntries: number;
  /** Records after the last chunk's coverage: indexed only in a writer's memory, or on the next open. */
  unindexedRecords: number;
  minStartTimeUnixNano: bigint | null;
  maxStartTimeUnixNano: bigint | null;
  tornBytes: number;
  damagedRegions: number;
  unreadableChunks: number;
  retention: string;
  perGeneration: {
    id: number;
    partitionCount: number;
    createdAtMs: number;
    closedAtMs: number;
    segments: number;
    records: number;
    spans: number;
    chunks: number;
    unindexedRecords: number;
  }[];
}

export function storeInfo(dir: string, generations: GenerationSummary[]): StoreInfo {
  const segments = generations.flatMap((g) => g.segments);
  const chunks = generations.flatMap((g) => g.chunks);
  const sum = <T>(items: T[], of: (item: T) => number) => items.reduce((total, item) => total + of(item), 0);
  const spans = sum(segments, (s) => s.spans);
  const rawBytes = sum(segments, (s) => s.rawBytes);
  const compressedBytes = sum(segments, (s) => s.bodyBytes);
  const segmentBytes = sum(segments, (s) => s.fileBytes);
  const indexBytes = sum(chunks, (c) => c.fileBytes);
  return {
    dir,
    generations: generations.length,
    openGenerations: generations.filter((g) => g.closedAtMs === 0).length,
    segments: segments.length,
    records: sum(segments, (s) => s.records),
    spans,
    rawBytes,
    compressedBytes,
    segmentBytes,
    compressionRatio: compressedBytes > 0 ? rawBytes / compressedBytes : null,
    dataBytesPerSpan: spans > 0 ? segmentBytes / spans : null,
    indexBytesPerSpan: spans > 0 ? indexBytes / spans : null,
    indexPartitions: [...new Set(generations.map((g) => g.partitionCount))].sort((a, b) => a - b),
    indexChunks: chunks.length,
    indexBytes,
    indexEntries: sum(chunks, (c) => c.entryCount ?? 0),
    unindexedRecords: sum(generations, (g) => g.unindexedRecords),
    minStartTimeUnixNano: extreme(segments, (s) => s.minStartTimeUnixNano, (a, b) => a < b),
    maxStartTimeUnixNano: extreme(segments, (s) => s.maxStartTimeUnixNano, (a, b) => a > b),
    tornBytes: sum(segments, (s) => s.tornBytes),
    damagedRegions: sum(segments, (s) => s.damage.length + (s.headerProblem === null ? 0 : 1)),
    unreadableChunks: chunks.filter((c) => c.problem !== null).length,
    retention: RETENTION_NOTE,
    perGeneration: generations.map((g) => ({
      id: g.id,
      partitionCount: g.partitionCount,
      createdAtMs: g.createdAtMs,
      closedAtMs: g.closedAtMs,
      segments: g.segments.length,
      records: sum(g.segments, (s) => s.records),
      spans: sum(g.segments, (s) => s.spans),
      chunks: g.chunks.length,
      unindexedRecords: g.unindexedRecords,
    })),
  };
}

function extreme(segments: SegmentSummary[], of: (s: SegmentSummary) => bigint | null, better: (a: bigint, b: bigint) => boolean): bigint | null {
  let best: bigint | null = null;
  for (const segment of segments) {
    const value = of(segment);
    if (value !== null && (best === null || better(value, best))) best = value;
  }
  return best;
}

export function msTime(ms: number): string {
  return formatTime(BigInt(ms) * 1_000_000n);
}

function fixed(value: number | null, digits: number, suffix = ''): string {
  return value === null ? '-' : `${value.toFixed(digits)}${suffix}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function infoText(info: StoreInfo): string {
  const timeRange =
    info.minStartTimeUnixNano === null || info.maxStartTimeUnixNano === null ? '-' : `${formatTime(info.minStartTimeUnixNano)} .. ${formatTime(info.maxStartTimeUnixNano)}`;
  const rows: [string, string | number][] = [
    ['store', info.dir],
    ['generations', `${info.generations} (${info.openGenerations} open, ${info.generations - info.openGenerations} closed)`],
    ['segments', info.segments],
    ['records', info.records],
    ['spans', info.spans],
    ['raw bytes', `${formatBytes(info.rawBytes)} (uncompressed batches)`],
    ['compressed bytes', `${formatBytes(info.compressedBytes)} (record bodies as stored)`],
    ['segment bytes', `${formatBytes(info.segmentBytes)} (files, with headers)`],
    ['compression ratio', fixed(info.compressionRatio, 2, 'x')],
    ['data bytes/span', fixed(info.dataBytesPerSpan, 1)],
    ['index bytes/span', fixed(info.indexBytesPerSpan, 1)],
    ['index partitions', info.indexPartitions.length === 0 ? '-' : info.indexPartitions.join(', ')],
    ['index chunks', `${info.indexChunks} (${formatBytes(info.indexBytes)})`],
    ['index entries', `${info.indexEntries} (in chunk files)`],
    ['unindexed records', `${info.unindexedRecords} (after the last chunk: indexed in the writer's memory, or on the next open)`],
    ['time range', timeRange],
    ['torn tail', info.tornBytes === 0 ? 'none' : `${formatBytes(info.tornBytes)} (normal while a writer appends)`],
    ['damaged regions', info.damagedRegions === 0 ? 'none' : `${info.damagedRegions} (run tracekv verify)`],
  ];
  if (info.unreadableChunks > 0) rows.push(['unreadable chunks', `${info.unreadableChunks} (run tracekv verify)`]);
  for (const g of info.perGeneration) {
    const closed = g.closedAtMs === 0 ? 'open' : `closed ${msTime(g.closedAtMs)}`;
    rows.push([
      `generation ${g.id}`,
      `created ${msTime(g.createdAtMs)}, ${closed}; ${plural(g.segments, 'segment')}, ${plural(g.records, 'record')}, ${plural(g.spans, 'span')}, ${plural(g.chunks, 'chunk')}, ${g.partitionCount} partitions`,
    ]);
  }
  rows.push(['retention', info.retention]);
  return keyValueLines(rows);
}

/** Damage and unreadable chunks go to stderr: info still reports what it could read. */
function reportDamage(generations: GenerationSummary[]): void {
  for (const generation of generations) {
    for (const segment of generation.segments) {
      if (segment.headerProblem !== null) diagnostic(`tracekv: warning: ${segment.path} at offset 0: ${segment.headerProblem}`);
      for (const damage of segment.damage) diagnostic(`tracekv: warning: ${segment.path} at offset ${damage.fileOffset}: ${describeDamage(damage)}`);
    }
    for (const chunk of generation.chunks) if (chunk.problem !== null) diagnostic(`tracekv: warning: ${chunk.problem}`);
  }
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('summarize a store: generations, segments, records, spans, sizes, index, retention (read-only, no lock)')
    .argument('<dir>', 'store directory')
    .option('--json', 'machine-readable output (raw numbers)')
    .action((dir: string, flags: { json?: boolean }) => {
      const layout = readStoreLayout(dir);
      const bar = progress(layout.generations.reduce((n, g) => n + g.segments.length, 0), 'info');
      let done = 0;
      const generations = summarizeStore(nodeFileLayer, layout, () => bar.update(++done));
      bar.stop();
      reportDamage(generations);
      const info = storeInfo(dir, generations);
      out(flags.json === true ? `${toJson(info, 2)}\n` : infoText(info));
    });
}
