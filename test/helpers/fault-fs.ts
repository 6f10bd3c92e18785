/** A FileLayer that fails chosen calls, for testing that I/O errors are fatal and nothing is acknowledged after them. */
import { nodeFileLayer, type FileLayer } from '../../src/io/file-layer.js';

export type FaultPoint = 'write' | 'fdatasync' | 'rename';

export interface FaultyFileLayer extends FileLayer {
  /** Fail the next call of this kind (and every later one if `persistent`) with `code`. */
  arm(point: FaultPoint, code: string, persistent?: boolean): void;
}

function errnoError(code: string, call: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: injected fault in ${call}`);
  error.code = code;
  return error;
}

export function faultyFileLayer(): FaultyFileLayer {
  const armed = new Map<FaultPoint, { code: string; persistent: boolean }>();
  const trip = (point: FaultPoint) => {
    const fault = armed.get(point);
    if (fault === undefined) return;
    if (!fault.persistent) armed.delete(point);
    throw errnoError(fault.code, point);
  };
  return {
    ...nodeFileLayer,
    arm(point, code, persistent = false) {
      armed.set(point, { code, persistent });
    },
    write(fd, bytes, offset, length, position) {
      if (armed.has('write')) {
        // A partial write first, as a full disk does, so the caller must truncate it away.
        nodeFileLayer.write(fd, bytes, offset, Math.floor(length / 2), position);
        trip('write');
      }
      nodeFileLayer.write(fd, bytes, offset, length, position);
    },
    async fdatasync(fd) {
      trip('fdatasync');
      return nodeFileLayer.fdatasync(fd);
    },
    rename(from, to) {
      trip('rename');
      nodeFileLayer.rename(from, to);
    },
  };
}
