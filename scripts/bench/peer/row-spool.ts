/**
 * ClickHouse's INSERT bodies, spooled to a file while the workload is generated and read back one
 * at a time for its ingest, so that the benchmark process does not hold them (~2.6 GB at 10M W1
 * spans) while either side is read. Held in memory, they slowed this process's own HTTP client:
 * a tracekv-only run holding 2.6 GB of Buffers measured the 100-trace bulk read at 40.3 ms
 * against 33.7 ms holding none, and trace-by-ID at 1.04 ms against 0.98.
 */
import fs from 'node:fs';
import path from 'node:path';

export class RowSpool {
  private readonly fd: number;
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];
  private end = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w+');
  }

  static inDir(dir: string): RowSpool {
    return new RowSpool(path.join(dir, 'clickhouse-rows.bin'));
  }

  /** INSERT bodies spooled. */
  get count(): number {
    return this.offsets.length;
  }

  append(body: Buffer): void {
    let written = 0;
    while (written < body.length) written += fs.writeSync(this.fd, body, written, body.length - written, this.end + written);
    this.offsets.push(this.end);
    this.lengths.push(body.length);
    this.end += body.length;
  }

  /** INSERT body `i`, read back into a Buffer of its own. */
  read(i: number): Buffer {
    const body = Buffer.allocUnsafe(this.lengths[i]!);
    let read = 0;
    while (read < body.length) {
      const got = fs.readSync(this.fd, body, read, body.length - read, this.offsets[i]! + read);
      if (got === 0) throw new Error(`row spool ${this.file}: body ${i} cut short at ${read} of ${body.length} bytes`);
      read += got;
    }
    return body;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
