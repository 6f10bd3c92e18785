/**
 * Output conventions of every tracekv command: results on stdout, diagnostics and progress on
 * stderr (progress bars only when stderr is a TTY), `--json` for machines, human-readable sizes in
 * text mode and raw numbers in JSON.
 */
import { SingleBar } from 'cli-progress';

/** Exit codes: 0 ok; 1 usage or runtime error; 3 corruption found (verify). */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CORRUPT = 3;

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${SIZE_UNITS[unit]}`;
}

/** A UnixNano time as an ISO-8601 string with nanoseconds. */
export function formatTime(unixNano: bigint): string {
  const ms = Number(unixNano / 1_000_000n);
  const nanos = (unixNano % 1_000_000_000n).toString().padStart(9, '0');
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${nanos}Z`;
}

/** Aligned `key: value` lines. */
export function keyValueLines(rows: [string, string | number][]): string {
  const width = Math.max(0, ...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${value}`).join('\n') + '\n';
}

/** A table with a header row; numbers right-aligned, text left-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((row) => typeof row[c] === 'number'));
  return (
    cells
      .map((row) => row.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd())
      .join('\n') + '\n'
  );
}

/** JSON with bigints as decimal strings and bytes as hex: machine-readable and lossless. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v),
    indent,
  );
}

export function out(text: string): void {
  process.stdout.write(text);
}

export function diagnostic(text: string): void {
  process.stderr.write(`${text}\n`);
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a TTY; otherwise nothing. */
export function progress(total: number, label: string): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({ stream: process.stderr, format: `${label} [{bar}] {percentage}% {value}/{total}`, hideCursor: true });
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
