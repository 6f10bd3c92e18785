/**
 * `tracekv inspect <segment-file>`: one line per record (header fields, sizes, ratio, body CRC),
 * and with --spans each record's trailer (data-format.md §2.2). Read-only, no lock.
 *
 * The walk is the record cursor's (data-format.md §3.4), as recovery's: damage is shown where it is
 * and the walk goes on from the next valid record header; when none follows, it stops there and
 * says whether that is a torn tail (the end of a generation's last segment: normal beside a live
 * writer) or corruption.
 * Exit 3 when anything but a torn tail is damaged.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { BATCH_HEADER_BYTES, CODEC_NONE } from '../constants.js';
import { TraceKvError } from '../errors.js';
import { parseGenerationDirName, parseSegmentFileName } from '../filenames.js';
import { nodeFileLayer, type FileLayer } from '../io/file-layer.js';
import { badBodyRecordOf } from '../maintenance/segment-summary.js';
import { describeDamage, RecordCursor, type CursorDamage, type CursorRecord } from '../segment/record-cursor.js';
import type { RecordHeader } from '../segment/record-header.js';
import { loadStoredBatch } from '../segment/stored-batch.js';
import { EXIT_CORRUPT, formatBytes, formatTime, keyValueLines, out, table, toJson } from './output.js';
import { formatDuration } from './trace-format.js';

interface InspectFlags {
  records?: number;
  spans?: boolean;
  json?: boolean;
}

/** A version-1 trailer entry (§2.2). */
interface SpanLine {
  index: number;
  traceId: string;
  spanId: string;
  /** Trailer offset: relative to the start of the span records section (§2.2). */
  offset: number;
  length: number;
  startTimeUnixNano: bigint;
}

/** A version-2 row, from the trailer and the search section (§2.7.2, §2.7.4); its columns are not decoded. */
interface RowLine {
  row: number;
  run: number;
  traceId: string;
  spanId: string;
  name: string;
  startTimeUnixNano: bigint;
  durationNano: bigint;
}

interface RecordLine {
  offset: number;
  recordLength: number;
  codec: string;
  bodyLength: number;
  rawLength: number;
  ratio: number;
  spanCount: number;
  minStartTimeUnixNano: bigint;
  maxStartTimeUnixNano: bigint;
  bodyCrcOk: boolean;
  spans?: SpanLine[] | RowLine[];
  /** With --spans: the batch's format version (§2.1, §2.7.1). */
  batchVersion?: 1 | 2;
  /** With --spans: why the spans could not be decoded. */
  spansError?: string;
}

interface DamageLine {
  offset: number;
  bytes: number;
  problem: string;
  nextOffset: number | null;
  torn: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('want a positive integer');
  return n;
}

/** Whether `file` is the last segment of its directory: only that one may end in a torn tail (§3.3). */
function isLastSegmentFile(fs: FileLayer, file: string): boolean {
  const id = parseSegmentFileName(path.basename(file));
  if (id === null) return true;
  try {
    return !fs.readdir(path.dirname(file)).some((name) => (parseSegmentFileName(name) ?? 0) > id);
  } catch {
    return true;
  }
}

/** --spans: the record's trailer entries (version 2: its rows), or why its batch could not be loaded. */
async function decodeSpans(file: string, record: CursorRecord): Promise<Pick<RecordLine, 'spans' | 'batchVersion' | 'spansError'>> {
  try {
    const view = await loadStoredBatch(record.header, record.body!, file, record.fileOffset, { bodyCrcChecked: true });
    if (view.version === 2) {
      const rows: RowLine[] = [];
      for (let run = 0; run < view.runCount; run++) {
        const traceId = view.runTraceIdHex(run);
        const first = view.runFirstRow(run);
        for (let row = first; row < first + view.runRowCount(run); row++) {
          rows.push({ row, run, traceId, spanId: view.spanIdHex(row), name: view.string(view.nameId(row)), startTimeUnixNano: view.startTimeUnixNano(row), durationNano: view.durationNano(row) });
        }
      }
      return { spans: rows, batchVersion: 2 };
    }
    const spansStart = BATCH_HEADER_BYTES + view.header.commonLength;
    const spans: SpanLine[] = [];
    for (let i = 0; i < view.spanCount; i++) {
      spans.push({
        index: i,
        traceId: view.traceIdHex(i),
        spanId: view.spanIdHex(i),
        offset: view.spanOffset(i) - spansStart,
        length: view.spanLength(i),
        startTimeUnixNano: view.startTimeUnixNano(i),
      });
    }
    return { spans, batchVersion: 1 };
  } catch (error) {
    if (!(error instanceof TraceKvError)) throw error;
    return { spansError: `not decoded: ${error.message}` };
  }
}

const BAD_BODY_SPANS = { spansError: 'not decoded: the body CRC does not match' };

function recordLine(fileOffset: number, recordLength: number, header: RecordHeader, bodyCrcOk: boolean): RecordLine {
  return {
    offset: fileOffset,
    recordLength,
    codec: header.codec === CODEC_NONE ? 'none' : 'zstd',
    bodyLength: header.bodyLength,
    rawLength: header.rawLength,
    ratio: header.bodyLength === 0 ? 0 : header.rawLength / header.bodyLength,
    spanCount: header.spanCount,
    minStartTimeUnixNano: header.minStartTimeUnixNano,
    maxStartTimeUnixNano: header.maxStartTimeUnixNano,
    bodyCrcOk,
  };
}

function damageLine(damage: CursorDamage): DamageLine {
  return { offset: damage.fileOffset, bytes: damage.bytes, problem: damage.problem, nextOffset: damage.nextOffset, torn: damage.torn };
}

function damageNote(damage: CursorDamage): string {
  if (damage.torn) return `torn tail: ${damage.bytes} bytes (${damage.problem}); normal while a writer appends, the next open cuts it`;
  if (damage.nextOffset !== null) return `DAMAGED: ${describeDamage(damage)}; ${damage.bytes} bytes skipped`;
  return `DAMAGED: ${describeDamage(damage)}; stopping here`;
}

function ratioText(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

function recordRow(r: RecordLine): (string | number)[] {
  return [r.offset, r.codec, r.bodyLength, r.rawLength, ratioText(r.ratio), r.spanCount, formatTime(r.minStartTimeUnixNano), formatTime(r.maxStartTimeUnixNano), r.bodyCrcOk ? 'ok' : 'BAD', ''];
}

function damageRow(d: CursorDamage): (string | number)[] {
  return [d.fileOffset, '-', '-', '-', '-', '-', '-', '-', '-', damageNote(d)];
}

const RECORD_HEADERS = ['OFFSET', 'CODEC', 'BODY LENGTH', 'RAW LENGTH', 'RATIO', 'SPANS', 'MIN START', 'MAX START', 'BODY CRC', 'NOTE'];
const SPAN_HEADERS = ['INDEX', 'TRACE ID', 'SPAN ID', 'OFFSET', 'LENGTH', 'START'];
const ROW_HEADERS = ['ROW', 'RUN', 'TRACE ID', 'SPAN ID', 'NAME', 'START', 'DURATION'];

/** --spans: one block per record, printed as it is read (a segment may hold millions of spans). */
function recordBlock(r: RecordLine): string {
  const head =
    `record at offset ${r.offset}: codec ${r.codec}, bodyLength ${r.bodyLength}, rawLength ${r.rawLength} (ratio ${ratioText(r.ratio)}), ` +
    `spanCount ${r.spanCount}, start ${formatTime(r.minStartTimeUnixNano)} .. ${formatTime(r.maxStartTimeUnixNano)}, body CRC ${r.bodyCrcOk ? 'ok' : 'BAD'}\n`;
  if (r.spans === undefined) return `${head}  spans ${r.spansError ?? 'not decoded'}\n`;
  if (r.batchVersion === 2) {
    const rows = (r.spans as RowLine[]).map((s) => [s.row, s.run, s.traceId, s.spanId, s.name, formatTime(s.startTimeUnixNano), formatDuration(s.durationNano)]);
    return `${head}  batch version 2 (columnar): rows by trace run\n${table(ROW_HEADERS, rows).replace(/^/gm, '  ').replace(/ +$/gm, '')}`;
  }
  const rows = (r.spans as SpanLine[]).map((s) => [s.index, s.traceId, s.spanId, s.offset, s.length, formatTime(s.startTimeUnixNano)]);
  return head + table(SPAN_HEADERS, rows).replace(/^/gm, '  ').replace(/ +$/gm, '');
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show the records of one segment file: header fields, sizes, ratio, body CRC; --spans decodes trailers (read-only)')
    .argument('<segment-file>', 'a seg-NNNNNNNNNN.tkv file')
    .option('--records <n>', 'show at most n records', positiveInteger)
    .option('--spans', "also decompress each record and list its spans' trailer entries")
    .option('--json', 'machine-readable output (raw numbers)')
    .action(async (file: string, flags: InspectFlags) => {
      await inspect(nodeFileLayer, file, flags);
    });
}

async function inspect(fs: FileLayer, file: string, flags: InspectFlags): Promise<void> {
  const segmentFile = RecordCursor.open(fs, file, { isLastSegment: isLastSegmentFile(fs, file), bodies: true });
  try {
    await inspectSegment(file, segmentFile, flags);
  } finally {
    segmentFile.close();
  }
}

async function inspectSegment(file: string, segmentFile: RecordCursor, flags: InspectFlags): Promise<void> {
  const json = flags.json === true;
  const withSpans = flags.spans === true;
  const { fileSize: fileBytes, segmentHeader: header, segmentHeaderProblem: problem, tornCreation } = segmentFile;
  const expectedGeneration = parseGenerationDirName(path.basename(path.dirname(file)));
  const expectedSegment = parseSegmentFileName(path.basename(file));
  const headerNotes: string[] = [];
  if (problem !== null && !tornCreation) headerNotes.push(problem);
  if (header !== null && expectedGeneration !== null && header.generationId !== expectedGeneration) headerNotes.push(`generationId ${header.generationId}; the directory says ${expectedGeneration}`);
  if (header !== null && expectedSegment !== null && header.segmentId !== expectedSegment) headerNotes.push(`segmentId ${header.segmentId}; the file name says ${expectedSegment}`);

  const records: RecordLine[] = [];
  const damage: DamageLine[] = [];
  const rows: (string | number)[][] = [];
  let shown = 0;
  let limited = false;
  let spans = 0;
  let rawBytes = 0;
  let bodyBytes = 0;
  let badBodies = 0;

  const segmentLines: [string, string | number][] = [
    ['file', file],
    ['generation', header?.generationId ?? '-'],
    ['segment', header?.segmentId ?? '-'],
    ['created', header === null ? '-' : formatTime(BigInt(header.createdAtMs) * 1_000_000n)],
    ['size', `${formatBytes(fileBytes)} (${fileBytes} bytes)`],
  ];
  if (headerNotes.length > 0) segmentLines.push(['header', `BAD: ${headerNotes.join('; ')}`]);
  if (tornCreation) segmentLines.push(['header', 'torn: the segment was being created; it holds nothing acknowledged']);
  if (!json) out(keyValueLines(segmentLines) + '\n');

  for (let item = segmentFile.next(); item !== null; item = segmentFile.next()) {
    // A whole record whose only fault is its body CRC is shown as a record with a BAD body, as always.
    const badBody = item.kind === 'damage' ? badBodyRecordOf(item) : null;
    if (item.kind === 'damage' && badBody === null) {
      damage.push(damageLine(item));
      if (json) continue;
      if (withSpans) out(`at offset ${item.fileOffset}: ${damageNote(item)}\n`);
      else rows.push(damageRow(item));
      continue;
    }
    if (flags.records !== undefined && shown >= flags.records) {
      limited = true;
      break;
    }
    shown++;
    const line = item.kind === 'record' ? recordLine(item.fileOffset, item.recordLength, item.header, true) : recordLine(item.fileOffset, item.bytes, badBody!, false);
    spans += line.spanCount;
    rawBytes += line.rawLength;
    bodyBytes += line.bodyLength;
    if (!line.bodyCrcOk) badBodies++;
    if (withSpans) Object.assign(line, item.kind === 'record' ? await decodeSpans(file, item) : BAD_BODY_SPANS);
    if (json) records.push(line);
    else if (withSpans) out(recordBlock(line));
    else rows.push(recordRow(line));
  }

  const corrupt = headerNotes.length > 0 || damage.some((d) => !d.torn) || badBodies > 0;
  if (json) {
    out(
      `${toJson(
        {
          file,
          fileBytes,
          generationId: header?.generationId ?? null,
          segmentId: header?.segmentId ?? null,
          createdAtMs: header?.createdAtMs ?? null,
          headerProblems: headerNotes,
          tornCreation,
          records,
          damage,
          totals: { records: shown, spans, rawBytes, compressedBytes: bodyBytes },
          limited,
          corrupt,
        },
        2,
      )}\n`,
    );
  } else {
    if (!withSpans) out(table(RECORD_HEADERS, rows));
    const ratio = bodyBytes === 0 ? '-' : ratioText(rawBytes / bodyBytes);
    const limit = limited ? ` (stopped at --records ${flags.records})` : '';
    out(`\n${plural(shown, "record")}, ${plural(spans, "span")}, raw ${formatBytes(rawBytes)}, compressed ${formatBytes(bodyBytes)}, ratio ${ratio}${limit}\n`);
  }
  if (corrupt) process.exitCode = EXIT_CORRUPT;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
