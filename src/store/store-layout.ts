/**
 * What a store directory holds, read without the lock and without writing (data-format.md §5.1):
 * generations with their metadata, segments and chunk files, by parsed name. The one reader of the
 * layout: recovery's pass 2 and the operator commands (info, ls, verify, repair, dump), which may run
 * beside a live daemon, list a store through it.
 */
import {
  GENERATION_META_FILE,
  STORE_MARKER_FILE,
  generationDirName,
  join,
  parseChunkFileName,
  parseGenerationDirName,
  parseSegmentFileName,
} from '../filenames.js';
import { TraceKvError, invalidOption, ioError } from '../errors.js';
import { nodeFileLayer, withFile, type FileLayer } from '../io/file-layer.js';
import { checkStoreMarker, decodeGenerationMeta, type GenerationMeta } from './meta-files.js';

export interface SegmentFile {
  id: number;
  path: string;
  bytes: number;
}

export interface ChunkFileRef {
  seq: number;
  path: string;
  bytes: number;
}

export interface GenerationLayout {
  id: number;
  dir: string;
  meta: GenerationMeta;
  segments: SegmentFile[];
  chunks: ChunkFileRef[];
  /** Other names in the generation directory (temporary, `.broken`, foreign). */
  others: string[];
}

export interface StoreLayout {
  dir: string;
  generations: GenerationLayout[];
}

function sizeOf(fs: FileLayer, path: string): number {
  return withFile(fs, path, 'read', (fd) => fs.size(fd));
}

function list(fs: FileLayer, dir: string): string[] {
  try {
    return fs.readdir(dir);
  } catch (error) {
    throw ioError(dir, 'readdir', error);
  }
}

/** Checks that `dir` is a tracekv store: its marker is there and valid (§5.3). ERR_INVALID_OPTION when it is not a store. */
export function checkStoreDir(dir: string, fs: FileLayer = nodeFileLayer): void {
  const markerPath = join(dir, STORE_MARKER_FILE);
  const marker = fs.isDirectory(dir) ? fs.readFile(markerPath) : null;
  if (marker === null) throw invalidOption('dir', `${dir} is not a tracekv store (no ${STORE_MARKER_FILE})`);
  checkStoreMarker(marker, markerPath);
}

/** The ids of the generation directories in `dir`, ascending. */
export function listGenerationIds(dir: string, fs: FileLayer = nodeFileLayer): number[] {
  return list(fs, dir)
    .map(parseGenerationDirName)
    .filter((id): id is number => id !== null)
    .sort((a, b) => a - b);
}

/**
 * One generation directory: its metadata (CRC-checked, and naming this generation) and its files
 * by parsed name. ERR_GENERATION_CORRUPT when GENERATION is missing, damaged or names another id.
 * Gaps in segment ids or chunk sequence numbers are the caller's to judge.
 */
export function readGenerationLayout(dir: string, id: number, fs: FileLayer = nodeFileLayer): GenerationLayout {
  const genDir = join(dir, generationDirName(id));
  const metaPath = join(genDir, GENERATION_META_FILE);
  const metaBytes = fs.readFile(metaPath);
  if (metaBytes === null) throw new TraceKvError('ERR_GENERATION_CORRUPT', `${metaPath} is missing`, { file: metaPath });
  const meta = decodeGenerationMeta(metaBytes, metaPath);
  if (meta.generationId !== id) {
    throw new TraceKvError('ERR_GENERATION_CORRUPT', `${metaPath}: generationId got ${meta.generationId}; want ${id}`, { file: metaPath, offset: 8 });
  }
  const segments: SegmentFile[] = [];
  const chunks: ChunkFileRef[] = [];
  const others: string[] = [];
  for (const name of list(fs, genDir).sort()) {
    const path = join(genDir, name);
    const segmentId = parseSegmentFileName(name);
    const chunkSeq = parseChunkFileName(name);
    if (segmentId !== null) segments.push({ id: segmentId, path, bytes: sizeOf(fs, path) });
    else if (chunkSeq !== null) chunks.push({ seq: chunkSeq, path, bytes: sizeOf(fs, path) });
    else if (name !== GENERATION_META_FILE) others.push(name);
  }
  segments.sort((a, b) => a.id - b.id);
  chunks.sort((a, b) => a.seq - b.seq);
  return { id, dir: genDir, meta, segments, chunks, others };
}

/** The whole store directory, for the operator commands; recovery reads it generation by generation. */
export function readStoreLayout(dir: string, fs: FileLayer = nodeFileLayer): StoreLayout {
  checkStoreDir(dir, fs);
  return { dir, generations: listGenerationIds(dir, fs).map((id) => readGenerationLayout(dir, id, fs)) };
}
