/**
 * Reads an HTTP request body (OTLP/HTTP exports, the query server's bulk reads) under a byte limit
 * counted twice: on the wire, and after gunzip.
 * The gunzip output is counted as it comes and the inflater destroyed the moment the count passes
 * the limit, so a gzip bomb (1 GiB of zeros is ~1 MB of gzip) costs at most the limit in memory,
 * never what it would inflate to. Too large is ERR_REQUEST_TOO_LARGE (413); gzip that is truncated
 * or invalid is ERR_INVALID_ARGUMENT (400); a client that goes away is ERR_CONNECTION (no reply).
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { OTLP_GUNZIP_CHUNK_BYTES } from '../constants.js';
import { TraceKvError, invalidArgument } from '../errors.js';

export type ContentEncoding = 'identity' | 'gzip';

function tooLarge(what: string, bytesMax: number, limitName: string): TraceKvError {
  return new TraceKvError('ERR_REQUEST_TOO_LARGE', `request body ${what}: got more than ${bytesMax} bytes; want ≤ ${limitName} (${bytesMax})`);
}

/** Collects chunks up to bytesMax; past it, reports once and collects nothing more. */
class BoundedChunks {
  private readonly chunks: Buffer[] = [];
  length = 0;
  constructor(private readonly bytesMax: number) {}

  /** false: the limit was passed and the body is over. */
  push(chunk: Buffer): boolean {
    this.length += chunk.length;
    if (this.length > this.bytesMax) return false;
    this.chunks.push(chunk);
    return true;
  }

  join(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
  }
}

/**
 * The whole body of `request`, decompressed. `contentLength` (when the header gave one) is checked
 * first, so a body declared too large is refused before a byte of it is read.
 */
/** The body's limit: its size in bytes, and the option that sets it (named in the error). */
export interface BodyLimit {
  bytesMax: number;
  name: string;
}

export function readRequestBody(request: Readable, encoding: ContentEncoding, limit: BodyLimit, contentLength: number | undefined): Promise<Buffer> {
  const { bytesMax } = limit;
  if (contentLength !== undefined && contentLength > bytesMax) return Promise.reject(tooLarge('(Content-Length)', bytesMax, limit.name));
  return new Promise<Buffer>((resolve, reject) => {
    const wire = new BoundedChunks(bytesMax);
    const inflated = new BoundedChunks(bytesMax);
    const gunzip = encoding === 'gzip' ? zlib.createGunzip({ chunkSize: OTLP_GUNZIP_CHUNK_BYTES }) : null;
    let settled = false;
    let ended = false;
    const finish = (error: TraceKvError | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAborted);
      request.off('close', onClose);
      if (gunzip !== null) gunzip.destroy();
      if (error !== null) reject(error);
      else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      if (gunzip === null) {
        if (!wire.push(chunk)) finish(tooLarge('on the wire', bytesMax, limit.name));
        return;
      }
      // Only the count matters on the wire: the compressed bytes go straight to the inflater.
      wire.length += chunk.length;
      if (wire.length > bytesMax) {
        finish(tooLarge('on the wire', bytesMax, limit.name));
        return;
      }
      if (!gunzip.write(chunk)) {
        // Backpressure: the inflater is behind, so stop reading the socket until it drains.
        request.pause();
        gunzip.once('drain', () => {
          if (!settled) request.resume();
        });
      }
    };
    const onEnd = () => {
      ended = true;
      // No bytes at all is the empty request, whatever the encoding says: there is nothing to inflate.
      if (gunzip === null || wire.length === 0) finish(null, wire.join());
      else gunzip.end();
    };
    const onAborted = () => finish(new TraceKvError('ERR_CONNECTION', 'the client closed the connection before the request body ended'));
    const onClose = () => {
      if (!ended) onAborted();
    };
    if (gunzip !== null) {
      gunzip.on('data', (chunk: Buffer) => {
        if (!settled && !inflated.push(chunk)) finish(tooLarge('after gunzip', bytesMax, limit.name));
      });
      gunzip.on('end', () => finish(null, inflated.join()));
      gunzip.on('error', (error) => finish(invalidArgument(`request body: got invalid or truncated gzip (${error.message}); want a complete gzip stream (Content-Encoding: gzip)`)));
    }
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onAborted);
    request.on('close', onClose);
  });
}
