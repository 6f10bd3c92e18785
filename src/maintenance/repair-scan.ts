/**
 * The read-only half of `tracekv repair`: walks one whole segment file through the record cursor
 * (data-format.md §3.4) and decides what repair does with it. Nothing is written here.
 *
 * Repair's judgement is the cursor's, so it fixes exactly what makes an open cut or fail (§5.5):
 * a torn tail of the last segment is truncated; any other damage is mid-file damage, salvaged
 * into a new file; a last segment whose creation was torn is removed. Like recovery pass 4 and
 * `verify --deep`, every record is also loaded as a batch (segment/stored-batch.ts): a record whose
 * body CRC matches but whose batch is invalid fails recovery's open, so repair salvages around it
 * as damage. Such a record was written whole, so it is never a torn tail.
 * Memory stays bounded: one record at a time, as the cursor reads them.
 */
import { SEGMENT_HEADER_BYTES } from '../constants.js';
import { TraceKvError } from '../errors.js';
import type { FileLayer } from '../io/file-layer.js';
import { RecordCursor, type CursorDamage, type CursorRecord } from '../segment/record-cursor.js';
import type { SegmentHeader } from '../segment/segment-header.js';
import { loadStoredBatch } from '../segment/stored-batch.js';

export type SegmentAction = 'none' | 'truncate' | 'salvage' | 'remove';

/**
 * - `segment-header`: the 32-byte segment header is damaged (salvage writes a fresh one).
 * - `damage`: mid-file damage (§3.4): invalid bytes with a valid record after them, any damage in a
 *   segment that is not the last, or a record whose batch is invalid.
 * - `torn-tail`: the cursor's torn tail (§3.4), or the whole file of a torn segment creation.
 */
export type StretchKind = 'segment-header' | 'damage' | 'torn-tail';

export interface DamagedStretch {
  kind: StretchKind;
  offset: number;
  bytes: number;
  /** Why the bytes at `offset` are not a valid record, "got …; want …". */
  problem: string;
  /** spanCount of the record header at `offset` when that header is valid (body damaged or cut short); null otherwise. */
  spans: number | null;
  /** A whole record sits at `offset` (valid header, body present) but its body CRC or its batch fails: it was written whole, then damaged. */
  wholeRecord: boolean;
}

export interface SegmentAnalysis {
  generationId: number;
  segmentId: number;
  path: string;
  isLast: boolean;
  fileBytes: number;
  /** The decoded segment header, or null when it is damaged. */
  header: SegmentHeader | null;
  action: SegmentAction;
  /** Valid records (and their spans) that stay in the file after repair. */
  recordsKept: number;
  spansKept: number;
  /** File length after repair: fileBytes when untouched, 0 when removed. */
  bytesAfter: number;
  /** In file order. */
  damage: DamagedStretch[];
}

type AnalysisBase = Pick<SegmentAnalysis, 'generationId' | 'segmentId' | 'path' | 'isLast' | 'fileBytes'>;

export async function analyzeSegment(
  fs: FileLayer,
  path: string,
  ids: { generationId: number; segmentId: number },
  isLast: boolean,
): Promise<SegmentAnalysis> {
  const cursor = RecordCursor.open(fs, path, { isLastSegment: isLast, bodies: true });
  try {
    return await walkSegment(cursor, { ...ids, path, isLast, fileBytes: cursor.fileSize });
  } finally {
    cursor.close();
  }
}

async function walkSegment(cursor: RecordCursor, base: AnalysisBase): Promise<SegmentAnalysis> {
  const result: SegmentAnalysis = { ...base, header: cursor.segmentHeader, action: 'none', recordsKept: 0, spansKept: 0, bytesAfter: base.fileBytes, damage: [] };
  const headerProblem = cursor.segmentHeaderProblem;
  if (cursor.tornCreation) {
    // §3.4: the header is synced before any record is written, so such a file held nothing.
    const stretch = { kind: 'torn-tail', offset: 0, bytes: base.fileBytes, problem: headerProblem!, spans: null, wholeRecord: false } as const;
    return { ...result, action: 'remove', bytesAfter: 0, damage: [stretch] };
  }
  if (headerProblem !== null) {
    result.damage.push({ kind: 'segment-header', offset: 0, bytes: Math.min(SEGMENT_HEADER_BYTES, base.fileBytes), problem: headerProblem, spans: null, wholeRecord: false });
  }
  let keptBytes = 0;
  for (let item = cursor.next(); item !== null; item = cursor.next()) {
    if (item.kind === 'damage') {
      result.damage.push(stretchOf(item));
      continue;
    }
    const batchProblem = await storedBatchProblem(cursor.path, item);
    if (batchProblem !== null) {
      result.damage.push({ kind: 'damage', offset: item.fileOffset, bytes: item.recordLength, problem: batchProblem, spans: item.header.spanCount, wholeRecord: true });
      continue;
    }
    result.recordsKept++;
    result.spansKept += item.header.spanCount;
    keptBytes += item.recordLength;
  }
  const [first] = result.damage;
  if (first === undefined) return result;
  if (result.damage.length === 1 && first.kind === 'torn-tail') return { ...result, action: 'truncate', bytesAfter: first.offset };
  return { ...result, action: 'salvage', bytesAfter: SEGMENT_HEADER_BYTES + keptBytes };
}

function stretchOf(item: CursorDamage): DamagedStretch {
  return {
    kind: item.torn ? 'torn-tail' : 'damage',
    offset: item.fileOffset,
    bytes: item.bytes,
    problem: item.problem,
    spans: item.header?.spanCount ?? null,
    wholeRecord: item.wholeRecord,
  };
}

/** Why the record's batch does not load as recovery loads it (§3.2, after decompression), or null. */
async function storedBatchProblem(path: string, record: CursorRecord): Promise<string | null> {
  try {
    await loadStoredBatch(record.header, record.body!, path, record.fileOffset, { bodyCrcChecked: true });
    return null;
  } catch (error) {
    if (!(error instanceof TraceKvError) || error.code !== 'ERR_SEGMENT_CORRUPT') throw error;
    const prefix = `${path} at offset ${record.fileOffset}: `;
    return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  }
}
