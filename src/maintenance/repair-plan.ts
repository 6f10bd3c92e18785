/**
 * What `tracekv repair` will do to a store, decided from the bytes alone (read-only): per segment
 * the action from repair-scan (the record cursor's judgement, data-format.md §3.4), and per
 * generation the index chunks made stale by those actions.
 *
 * A chunk stays valid when its coverage ends at or before the first changed byte of its
 * generation (data-format.md §4.3: `to` is the end of the last covered record, and records before
 * the first change keep their offsets). From the first chunk that reaches past it, that chunk and
 * every later one are set aside, as recovery pass 2 does with a broken chunk, so the sequence
 * keeps no gaps and pass 4 re-derives the rest. Keeping the valid prefix spares re-deriving a
 * whole generation (gigabytes) for a torn tail at its end.
 */
import { CHUNK_HEADER_BYTES } from '../constants.js';
import { TraceKvError, ioError } from '../errors.js';
import { withFile, type FileLayer } from '../io/file-layer.js';
import { decodeChunkHeader } from '../index/chunk-header.js';
import type { Position } from '../api/index.js';
import { comparePositions } from '../store/generation.js';
import { analyzeSegment, type SegmentAnalysis } from './repair-scan.js';
import { freeBrokenPath } from '../io/file-layer.js';
import type { ChunkFileRef, GenerationLayout, StoreLayout } from '../store/store-layout.js';

/** Before every position: with --rebuild-index, every chunk is stale. */
const ORIGIN: Position = { segmentId: 0, fileOffset: 0 };

export interface PlannedSegment {
  analysis: SegmentAnalysis;
  /** Where the damaged file is copied before a salvage; null for other actions. */
  brokenCopy: string | null;
}

export interface PlannedChunk {
  path: string;
  brokenPath: string;
}

export interface GenerationPlan {
  generation: GenerationLayout;
  /** Every segment of the generation, in id order. */
  analyses: SegmentAnalysis[];
  /** The segments that change (action other than 'none'). */
  changed: PlannedSegment[];
  chunksKept: number;
  staleChunks: PlannedChunk[];
}

export type ProgressCallback = (segmentsDone: number, segmentsTotal: number) => void;

export async function planStore(fs: FileLayer, layout: StoreLayout, rebuildIndex: boolean, onProgress?: ProgressCallback): Promise<GenerationPlan[]> {
  const total = layout.generations.reduce((sum, generation) => sum + generation.segments.length, 0);
  let done = 0;
  const tick = () => onProgress?.(++done, total);
  const plans: GenerationPlan[] = [];
  for (const generation of layout.generations) plans.push(await planGeneration(fs, generation, rebuildIndex, tick));
  return plans;
}

async function planGeneration(fs: FileLayer, generation: GenerationLayout, rebuildIndex: boolean, tick: () => void): Promise<GenerationPlan> {
  const lastId = generation.segments[generation.segments.length - 1]?.id;
  const analyses: SegmentAnalysis[] = [];
  // One segment at a time: memory stays at one record, whatever the store's size.
  for (const segment of generation.segments) {
    analyses.push(await analyzeSegment(fs, segment.path, { generationId: generation.id, segmentId: segment.id }, segment.id === lastId));
    tick();
  }
  const changed = analyses
    .filter((analysis) => analysis.action !== 'none')
    .map((analysis) => ({ analysis, brokenCopy: analysis.action === 'salvage' ? freeBrokenPath(fs, analysis.path) : null }));
  const firstChange = rebuildIndex ? ORIGIN : firstChangedPosition(changed);
  const chunksKept = firstChange === null ? generation.chunks.length : validChunkPrefix(fs, generation, firstChange);
  const staleChunks = generation.chunks.slice(chunksKept).map((chunk) => ({ path: chunk.path, brokenPath: freeBrokenPath(fs, chunk.path) }));
  return { generation, analyses, changed, chunksKept, staleChunks };
}

/** The first byte any action changes: analyses are in segment order and damage in file order. */
function firstChangedPosition(changed: PlannedSegment[]): Position | null {
  const first = changed[0]?.analysis;
  if (first === undefined) return null;
  return { segmentId: first.segmentId, fileOffset: first.damage[0]?.offset ?? 0 };
}

/** How many chunks, from seq 1 without gaps, cover only bytes before `firstChange`. */
function validChunkPrefix(fs: FileLayer, generation: GenerationLayout, firstChange: Position): number {
  let kept = 0;
  for (const chunk of generation.chunks) {
    if (chunk.seq !== kept + 1) break;
    const to = chunkCoverageEnd(fs, generation, chunk);
    if (to === null || comparePositions(to, firstChange) > 0) break;
    kept++;
  }
  return kept;
}

/** The chunk's coverage end, or null when its header is unreadable (recovery would set it aside too). */
function chunkCoverageEnd(fs: FileLayer, generation: GenerationLayout, chunk: ChunkFileRef): Position | null {
  const bytes = new Uint8Array(CHUNK_HEADER_BYTES);
  const read = withFile(fs, chunk.path, 'read', (fd) => {
    try {
      return fs.pread(fd, bytes, 0, CHUNK_HEADER_BYTES, 0);
    } catch (error) {
      throw ioError(chunk.path, 'pread', error);
    }
  });
  if (read < CHUNK_HEADER_BYTES) return null;
  const expected = { generationId: generation.id, chunkSeq: chunk.seq, partitionCount: generation.meta.partitionCount };
  try {
    return decodeChunkHeader(chunk.path, bytes, expected).to;
  } catch (error) {
    if (error instanceof TraceKvError) return null;
    throw error;
  }
}
