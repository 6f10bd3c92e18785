/**
 * Every on-disk name (data-format.md §5.1). Ids are zero-padded to 10 digits so `ls` sorts them.
 */
import path from 'node:path';

export const STORE_MARKER_FILE = 'TRACEKV';
export const LOCK_FILE = 'LOCK';
export const GENERATION_META_FILE = 'GENERATION';
export const TMP_SUFFIX = '.tmp';
export const DELETING_SUFFIX = '.deleting';
export const BROKEN_SUFFIX = '.broken';

const ID_DIGITS = 10;
const GENERATION_DIR_PATTERN = /^gen-(\d{10})$/;
const SEGMENT_FILE_PATTERN = /^seg-(\d{10})\.tkv$/;
const CHUNK_FILE_PATTERN = /^idx-(\d{10})\.tki$/;

function pad(id: number): string {
  return String(id).padStart(ID_DIGITS, '0');
}

export function generationDirName(id: number): string {
  return `gen-${pad(id)}`;
}

export function segmentFileName(id: number): string {
  return `seg-${pad(id)}.tkv`;
}

export function chunkFileName(seq: number): string {
  return `idx-${pad(seq)}.tki`;
}

function parseId(pattern: RegExp, name: string): number | null {
  const match = pattern.exec(name);
  if (match === null) return null;
  const id = Number(match[1]);
  return id >= 1 && id <= 0xffffffff ? id : null;
}

export const parseGenerationDirName = (name: string): number | null => parseId(GENERATION_DIR_PATTERN, name);
export const parseSegmentFileName = (name: string): number | null => parseId(SEGMENT_FILE_PATTERN, name);
export const parseChunkFileName = (name: string): number | null => parseId(CHUNK_FILE_PATTERN, name);

export function join(...parts: string[]): string {
  return path.join(...parts);
}
