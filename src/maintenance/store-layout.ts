/**
 * What a store directory holds, read without the lock and without writing (data-format.md §5.1):
 * generations with their metadata, segments and chunk files, by parsed name. For the operator
 * commands (info, ls, verify, repair), which may run beside a live daemon.
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
import { invalidOption } from '../errors.js';
import { nodeFileLayer, withFile, type FileLayer } from '../io/file-layer.js';
import { checkStoreMarker, decodeGenerationMeta, type GenerationMeta } from '../store/meta-files.js';

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

export function readStoreLayout(dir: string, fs: FileLayer = nodeFileLayer): StoreLayout {
  const marker = fs.isDirectory(dir) ? fs.readFile(join(dir, STORE_MARKER_FILE)) : null;
  if (marker === null) throw invalidOption('dir', `${dir} is not a tracekv store (no ${STORE_MARKER_FILE})`);
  checkStoreMarker(marker, join(dir, STORE_MARKER_FILE));
  const ids = fs
    .readdir(dir)
    .map(parseGenerationDirName)
    .filter((id): id is number => id !== null)
    .sort((a, b) => a - b);
  const generations = ids.map((id) => {
    const genDir = join(dir, generationDirName(id));
    const metaPath = join(genDir, GENERATION_META_FILE);
    const metaBytes = fs.readFile(metaPath);
    if (metaBytes === null) throw invalidOption('dir', `${metaPath} is missing`);
    const meta = decodeGenerationMeta(metaBytes, metaPath);
    const segments: SegmentFile[] = [];
    const chunks: ChunkFileRef[] = [];
    const others: string[] = [];
    for (const name of fs.readdir(genDir).sort()) {
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
  });
  return { dir, generations };
}
