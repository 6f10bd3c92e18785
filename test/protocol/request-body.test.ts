// Proves readRequestBody returns a body whole (identity and gzip), refuses every truncated prefix of a gzip body with ERR_INVALID_ARGUMENT, and stops at its limit (named in the error) on the wire, by Content-Length, and after gunzip (a bomb is refused having inflated little more than the limit).
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readRequestBody } from '../../src/protocol/request-body.js';

function streamOf(bytes: Uint8Array, chunkBytes = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(Buffer.from(bytes.subarray(at, at + chunkBytes)));
  return Readable.from(chunks);
}

const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff));

const limit = (bytesMax: number) => ({ bytesMax, name: 'otlpRequestBytesMax' });

describe('readRequestBody', () => {
  it('returns the body whole, identity and gzip, and an empty body as empty whatever the encoding', async () => {
    expect((await readRequestBody(streamOf(body), 'identity', limit(1 << 20), body.length)).equals(body)).toBe(true);
    expect((await readRequestBody(streamOf(zlib.gzipSync(body), 7), 'gzip', limit(1 << 20), undefined)).equals(body)).toBe(true);
    expect((await readRequestBody(streamOf(new Uint8Array(0)), 'gzip', limit(1 << 20), 0)).length).toBe(0);
  });

  it('refuses every truncated prefix of a gzip body with ERR_INVALID_ARGUMENT', async () => {
    const gzipped = zlib.gzipSync(body);
    for (let cut = 1; cut < gzipped.length; cut++) {
      await expect(readRequestBody(streamOf(gzipped.subarray(0, cut)), 'gzip', limit(1 << 20), undefined), `prefix of ${cut} bytes`).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });

  it('refuses past the limit by Content-Length, on the wire and after gunzip, with ERR_REQUEST_TOO_LARGE', async () => {
    await expect(readRequestBody(streamOf(body), 'identity', limit(4999), body.length)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE', message: expect.stringContaining('Content-Length') });
    await expect(readRequestBody(streamOf(body), 'identity', { bytesMax: 10, name: 'someLimitBytesMax' }, undefined)).rejects.toMatchObject({ message: expect.stringContaining('≤ someLimitBytesMax (10)') });
    await expect(readRequestBody(streamOf(body), 'identity', limit(4999), undefined)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE', message: expect.stringContaining('on the wire') });
    expect((await readRequestBody(streamOf(body), 'identity', limit(5000), undefined)).length).toBe(5000);
    await expect(readRequestBody(streamOf(zlib.gzipSync(body)), 'gzip', limit(4999), undefined)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE', message: expect.stringContaining('after gunzip') });
  });

  it('stops inflating a gzip bomb soon after the limit and does not read the rest', async () => {
    const member = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const source = new PassThrough();
    let written = 0;
    // Feed members only while the reader keeps asking: a reader that stopped leaves the rest unwritten.
    const feed = () => {
      while (written < 1024 && source.write(member)) written++;
      if (written < 1024) source.once('drain', feed);
      else source.end();
    };
    feed();
    await expect(readRequestBody(source, 'gzip', limit(2 * 1024 * 1024), undefined)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    expect(written).toBeLessThan(1024);
  });

  it('reports a client gone before the end as ERR_CONNECTION', async () => {
    const source = new PassThrough();
    const reading = readRequestBody(source, 'identity', limit(1 << 20), undefined);
    source.write(body);
    source.destroy();
    await expect(reading).rejects.toMatchObject({ code: 'ERR_CONNECTION' });
  });
});
