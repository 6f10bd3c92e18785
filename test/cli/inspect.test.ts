// Proves `tracekv inspect` shows each record of a segment (offsets, counts, body CRC) and with --spans its trailer entries, honours --records, walks past a damaged record to the next valid one, and judges a torn tail by the record cursor's rule.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { makeRng } from '../../src/workload/rng.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, segmentFiles, tempDir } from '../helpers/store-dir.js';
import { tracegenTrace } from '../helpers/tracegen.js';

const SEED = 0x15ec7;
const BATCHES = 12;
const START_UNIX_NANO = 1_700_000_000_000_000_000n;

interface Appended {
  segmentId: number;
  fileOffset: number;
  spans: { traceId: string; spanId: string }[];
}

let dir: string;
const appended: Appended[] = [];

beforeAll(async () => {
  dir = tempDir('cli-inspect');
  const store = await TraceStore.open({ dir, segmentBytesMax: 4096, indexFlushEntries: 16, readerThreads: 0 });
  const rng = makeRng(SEED);
  for (let b = 0; b < BATCHES; b++) {
    const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'cli-inspect' } } });
    const spans = tracegenTrace(rng, b, START_UNIX_NANO + BigInt(b) * 1000n).spans;
    for (const span of spans) encoder.add(span);
    const result = await store.append(encoder.finish());
    appended.push({ ...result, spans: spans.map((s) => ({ traceId: s.traceId as string, spanId: s.spanId as string })) });
  }
  await store.close();
});

afterAll(removeTempDirs);

function recordsOf(segmentId: number): Appended[] {
  return appended.filter((a) => a.segmentId === segmentId);
}

describe('tracekv inspect', () => {
  it('prints one line per record and the totals', async () => {
    const file = segmentFiles(dir)[0]!;
    const result = await runCli(['inspect', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expected = recordsOf(1);
    expect(expected.length).toBeGreaterThan(1);
    expect(result.stdout).toMatch(/^generation: +1$/m);
    expect(result.stdout).toMatch(/^segment: +1$/m);
    const lines = result.stdout.split('\n').filter((line) => /^ *\d+ +(zstd|none) /.test(line));
    expect(lines.map((line) => Number(line.trim().split(/ +/)[0]))).toEqual(expected.map((a) => a.fileOffset));
    for (const [i, line] of lines.entries()) expect(line).toMatch(new RegExp(` ${expected[i]!.spans.length} +\\S+Z +\\S+Z +ok$`));
    const spans = expected.reduce((n, a) => n + a.spans.length, 0);
    expect(result.stdout).toContain(`\n${expected.length} records, ${spans} spans, raw `);
  });

  it('prints the header fields as raw numbers with --json, and --records limits them', async () => {
    const file = segmentFiles(dir)[1]!;
    const all = JSON.parse((await runCli(['inspect', '--json', file])).stdout);
    expect(all.records.map((r: { offset: number }) => r.offset)).toEqual(recordsOf(2).map((a) => a.fileOffset));
    for (const record of all.records) {
      expect(record).toMatchObject({ codec: 'zstd', bodyCrcOk: true, spanCount: 10, recordLength: record.bodyLength + 48 });
      expect(record.ratio).toBeCloseTo(record.rawLength / record.bodyLength);
    }
    expect(all).toMatchObject({ generationId: 1, segmentId: 2, limited: false, corrupt: false, damage: [], fileBytes: fs.statSync(file).size });
    const one = await runCli(['inspect', '--records', '1', file]);
    expect(one.stdout).toContain('1 record, 10 spans');
    expect(one.stdout).toContain('(stopped at --records 1)');
    const oneJson = JSON.parse((await runCli(['inspect', '--json', '--records', '1', file])).stdout);
    expect(oneJson.records).toEqual([all.records[0]]);
    expect(oneJson.limited).toBe(true);
  });

  it('decodes every span trailer entry with --spans', async () => {
    const file = segmentFiles(dir)[0]!;
    const expected = recordsOf(1);
    const json = JSON.parse((await runCli(['inspect', '--spans', '--json', file])).stdout);
    expect(json.records).toHaveLength(expected.length);
    json.records.forEach((record: { spans: { traceId: string; spanId: string; offset: number; length: number }[] }, i: number) => {
      expect(record.spans.map((s) => ({ traceId: s.traceId, spanId: s.spanId }))).toEqual(expected[i]!.spans);
      let offset = 0;
      for (const span of record.spans) {
        expect(span.offset).toBe(offset);
        offset += span.length;
      }
    });
    const text = await runCli(['inspect', '--spans', '--records', '1', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^record at offset ${expected[0]!.fileOffset}: codec zstd, .*spanCount 10, .*body CRC ok$`, 'm'));
    expect(text.stdout).toMatch(/^ {2}INDEX +TRACE ID +SPAN ID +OFFSET +LENGTH +START$/m);
    for (const span of expected[0]!.spans) expect(text.stdout).toMatch(new RegExp(`^ +\\d+ +${span.traceId} +${span.spanId} +\\d+ +\\d+ +\\S+Z$`, 'm'));
  });

  it('reports a damaged record where it is and goes on from the next valid one (exit 3)', async () => {
    const copy = tempDir('cli-inspect-damaged');
    fs.cpSync(dir, copy, { recursive: true });
    const file = segmentFiles(copy)[0]!;
    const bytes = fs.readFileSync(file);
    bytes[32 + 8]! ^= 0xff; // bodyLength of the first record: its header CRC no longer matches
    fs.writeFileSync(file, bytes);
    const expected = recordsOf(1);
    const result = await runCli(['inspect', file]);
    expect(result.code).toBe(3);
    // Worded by the record cursor's describeDamage, as verify, recovery, info and dump word it (it read "DAMAGED: …; N bytes skipped, next valid record at offset M").
    expect(result.stdout).toMatch(new RegExp(`^ +32 +- .*DAMAGED: invalid record \\(record headerCrc got 0x[0-9a-f]+; want 0x[0-9a-f]+\\); a valid record follows at offset ${expected[1]!.fileOffset}; \\d+ bytes skipped$`, 'm'));
    expect(result.stdout).toContain(`\n${expected.length - 1} records, `);
    const spans = await runCli(['inspect', '--spans', file]);
    expect(spans.code).toBe(3);
    expect(spans.stdout).toMatch(/^at offset 32: DAMAGED: invalid record \(record headerCrc/m);
  });

  it('calls a whole record with a bad body CRC and nothing valid after it in the last segment a torn tail, as recovery does', async () => {
    // The torn-tail rule of data-format.md §3.4, shared with recovery and repair. Before the one
    // record cursor, inspect showed that record as a record with a BAD body CRC and failed (exit 3).
    const copy = tempDir('cli-inspect-torn-crc');
    fs.cpSync(dir, copy, { recursive: true });
    const file = segmentFiles(copy).at(-1)!;
    const last = appended.at(-1)!;
    const bytes = fs.readFileSync(file);
    bytes[last.fileOffset + 48 + 10]! ^= 0x5a; // a body byte of the last record
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from('garbage')]));
    const result = await runCli(['inspect', '--json', file]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.damage).toEqual([expect.objectContaining({ offset: last.fileOffset, torn: true, nextOffset: null, problem: expect.stringMatching(/^record bodyCrc got 0x/) })]);
    expect(json.records.map((r: { offset: number }) => r.offset)).not.toContain(last.fileOffset);
    expect(json.corrupt).toBe(false);
  });

  it('shows a whole record with a bad body CRC mid-file as a record with a BAD body (exit 3)', async () => {
    const copy = tempDir('cli-inspect-bad-body');
    fs.cpSync(dir, copy, { recursive: true });
    const file = segmentFiles(copy)[0]!;
    const expected = recordsOf(1);
    const bytes = fs.readFileSync(file);
    bytes[expected[0]!.fileOffset + 48 + 10]! ^= 0x5a;
    fs.writeFileSync(file, bytes);
    const result = await runCli(['inspect', '--json', '--spans', file]);
    expect(result.code).toBe(3);
    const json = JSON.parse(result.stdout);
    expect(json.records.map((r: { offset: number }) => r.offset)).toEqual(expected.map((a) => a.fileOffset));
    expect(json.records[0]).toMatchObject({ bodyCrcOk: false, spansError: 'not decoded: the body CRC does not match' });
    expect(json).toMatchObject({ damage: [], corrupt: true });
  });

  it('shows a torn tail at the end of the last segment without failing', async () => {
    const copy = tempDir('cli-inspect-torn');
    fs.cpSync(dir, copy, { recursive: true });
    const file = segmentFiles(copy).at(-1)!;
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from('TKVR\x01\x01partial record'));
    const result = await runCli(['inspect', '--json', file]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.damage).toEqual([expect.objectContaining({ offset: size, torn: true, nextOffset: null })]);
    expect(json.corrupt).toBe(false);
  });
});
