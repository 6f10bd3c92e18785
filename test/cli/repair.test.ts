// Proves `tracekv repair`: a torn tail is cut back to the last complete record, mid-file corruption (a record whose batch is invalid included) is salvaged around the damaged record (with a byte-identical .broken copy and a store that opens and reads back every other record exactly), --dry-run writes nothing, and a locked store is refused.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import type { AppendResult, SpanInput } from '../../src/index.js';
import { repairStore, type RepairReport } from '../../src/maintenance/repair.js';
import { readRecordHeader, writeRecordHeader } from '../../src/segment/record-header.js';
import { runCli } from '../helpers/cli.js';
import { expectedResource, expectedScope, expectedSpan } from '../helpers/expected.js';
import { removeTempDirs, segmentFiles, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const STORE_OPTIONS = { segmentBytesMax: 4096, indexFlushEntries: 16 };
const RESOURCE = { attributes: { 'service.name': 'repair' } };
const SPANS_PER_BATCH = 4;
const BATCHES = 30;

interface Appended {
  traceId: string;
  spans: SpanInput[];
  result: AppendResult;
}

function spansFor(i: number): SpanInput[] {
  const traceId = (i + 1).toString(16).padStart(32, 'c');
  return Array.from({ length: SPANS_PER_BATCH }, (_, s) => ({
    traceId,
    spanId: (i * 16 + s + 1).toString(16).padStart(16, 'd'),
    name: `op-${i}-${s}`,
    startTimeUnixNano: BigInt(1e18) + BigInt(i * 100 + s),
    endTimeUnixNano: BigInt(1e18) + BigInt(i * 100 + s + 40),
    attributes: { i, s, note: `batch ${i} span ${s}` },
  }));
}

/** A closed store of BATCHES one-trace batches over several small segments and index chunks. */
async function buildStore(label: string): Promise<{ dir: string; appended: Appended[] }> {
  const dir = tempDir(label);
  const store = await TraceStore.open({ dir, ...STORE_OPTIONS });
  const appended: Appended[] = [];
  for (let i = 0; i < BATCHES; i++) {
    const spans = spansFor(i);
    const encoder = new BatchEncoder({ resource: RESOURCE });
    for (const span of spans) encoder.add(span);
    appended.push({ traceId: spans[0]!.traceId as string, spans, result: await store.append(encoder.finish()) });
  }
  await store.close();
  return { dir, appended };
}

/** The records of one segment, in file order. */
function recordsIn(appended: Appended[], segmentId: number): Appended[] {
  return appended.filter((a) => a.result.segmentId === segmentId).sort((a, b) => a.result.fileOffset - b.result.fileOffset);
}

/** Opens the store and checks every batch reads back exactly, except those in `missing` (absent). */
async function expectContents(dir: string, appended: Appended[], missing: Set<Appended>): Promise<void> {
  const store = await TraceStore.open({ dir, ...STORE_OPTIONS });
  try {
    const traces = await store.getTraces(appended.map((a) => a.traceId));
    appended.forEach((a, i) => {
      const want = missing.has(a) ? null : { traceId: a.traceId, spans: a.spans.map((s) => expectedSpan(s, expectedResource(RESOURCE), expectedScope(undefined))) };
      expect(traces[i], `batch ${i}`).toEqual(want);
    });
  } finally {
    await store.close();
  }
}

function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, full), entry.isFile() ? fs.readFileSync(full).toString('hex') : 'dir');
  }
  return files;
}

async function repairJson(args: string[]): Promise<RepairReport> {
  const run = await runCli(['repair', ...args, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as RepairReport;
}

describe('tracekv repair', () => {
  it('cuts a torn tail (garbage, or a cut inside the last record) and keeps every complete record', async () => {
    const { dir, appended } = await buildStore('repair-torn');
    const last = segmentFiles(dir).at(-1)!;
    const lastRecord = appended.at(-1)!;
    const intact = fs.readFileSync(last);
    expect(lastRecord.result.fileOffset + 48).toBeLessThan(intact.length);

    // Garbage after the last record: nothing acknowledged is lost.
    const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251));
    fs.appendFileSync(last, garbage);
    const first = await repairJson([dir]);
    expect(first.segments).toMatchObject([{ path: last, action: 'truncate', bytesLost: garbage.length, bytesAfter: intact.length, recordsLost: 0 }]);
    expect(first.segments[0]!.damage).toMatchObject([{ kind: 'torn-tail', offset: intact.length, bytes: garbage.length }]);
    expect(fs.readFileSync(last).equals(intact)).toBe(true);
    expect(first.indexes).toEqual([]); // every chunk ends before the tail: none is stale
    expect(first.reindex.status).toBe('done');
    await expectContents(dir, appended, new Set());

    // A cut inside the last record's body: that record goes, the index chunk covering it is re-derived.
    fs.truncateSync(last, lastRecord.result.fileOffset + 60);
    const second = await repairJson([dir]);
    expect(second.segments).toMatchObject([{ action: 'truncate', bytesAfter: lastRecord.result.fileOffset, bytesLost: 60 }]);
    expect(second.segments[0]!.damage[0]).toMatchObject({ kind: 'torn-tail', spans: SPANS_PER_BATCH, wholeRecord: false });
    expect(second.indexes[0]!.chunksSetAside.length).toBeGreaterThan(0);
    expect(second.reindex).toMatchObject({ status: 'done' });
    expect(fs.statSync(last).size).toBe(lastRecord.result.fileOffset);
    await expectContents(dir, appended, new Set([lastRecord]));

    // Nothing left to do: a second run changes nothing.
    const clean = await runCli(['repair', dir]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^result: +nothing to repair$/m);
  });

  it('salvages around mid-file corruption, keeps a byte-identical .broken copy, and the store reads back every other record', async () => {
    const { dir, appended } = await buildStore('repair-midfile');
    expect(segmentFiles(dir).length).toBeGreaterThanOrEqual(2); // segment 1 is not the last one
    const segment = segmentFiles(dir)[0]!;
    const inSegment = recordsIn(appended, 1);
    expect(inSegment.length).toBeGreaterThan(3);
    const [, damagedRecord, nextRecord] = inSegment;
    const damagedLength = nextRecord!.result.fileOffset - damagedRecord!.result.fileOffset;
    const original = fs.readFileSync(segment);
    const damaged = Buffer.from(original);
    damaged[damagedRecord!.result.fileOffset + 48 + 20]! ^= 0x40; // inside the body: header intact, body CRC fails
    fs.writeFileSync(segment, damaged);
    const chunksBefore = fs.readdirSync(path.dirname(segment)).filter((n) => n.endsWith('.tki')).length;

    const report = await repairJson([dir]);
    expect(report.segments.length).toBe(1);
    expect(report.segments[0]).toMatchObject({
      path: segment,
      action: 'salvage',
      brokenCopy: `${segment}.broken`,
      bytesBefore: original.length,
      bytesAfter: original.length - damagedLength,
      recordsKept: inSegment.length - 1,
      spansKept: (inSegment.length - 1) * SPANS_PER_BATCH,
      recordsLost: 1,
      spansLost: SPANS_PER_BATCH,
      lostRecordsWithUnknownSpans: 0,
      bytesLost: damagedLength,
    });
    expect(report.segments[0]!.damage).toMatchObject([
      { kind: 'damage', offset: damagedRecord!.result.fileOffset, bytes: damagedLength, spans: SPANS_PER_BATCH, wholeRecord: true },
    ]);
    expect(report).toMatchObject({ recordsKept: BATCHES - 1, spansKept: (BATCHES - 1) * SPANS_PER_BATCH, recordsLost: 1, spansLost: SPANS_PER_BATCH });
    // The damage is in segment 1, so every chunk covers changed bytes.
    expect(report.indexes).toMatchObject([{ generationId: 1, chunksKept: 0 }]);
    expect(report.indexes[0]!.chunksSetAside.length).toBe(chunksBefore);
    for (const chunk of report.indexes[0]!.chunksSetAside) expect(fs.existsSync(chunk.brokenPath)).toBe(true);
    expect(report.reindex).toEqual({ status: 'done', records: BATCHES - 1, spans: (BATCHES - 1) * SPANS_PER_BATCH, entries: BATCHES - 1 });

    expect(fs.readFileSync(`${segment}.broken`).equals(damaged)).toBe(true);
    // Records keep their bytes; only the ones after the damage move down.
    const salvaged = fs.readFileSync(segment);
    const at = damagedRecord!.result.fileOffset;
    expect(salvaged.subarray(32, at).equals(original.subarray(32, at))).toBe(true);
    expect(salvaged.subarray(at).equals(original.subarray(at + damagedLength))).toBe(true);
    await expectContents(dir, appended, new Set([damagedRecord!]));
  });

  it('counts a lost record with a damaged header as spans unknown, and prints a text report', async () => {
    const { dir, appended } = await buildStore('repair-header');
    const segment = segmentFiles(dir)[0]!;
    const [, damagedRecord] = recordsIn(appended, 1);
    const bytes = fs.readFileSync(segment);
    bytes[damagedRecord!.result.fileOffset + 10]! ^= 0xff; // bodyLength: caught by the header CRC
    fs.writeFileSync(segment, bytes);
    const run = await runCli(['repair', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^result: +repaired$/m);
    expect(run.stdout).toMatch(/^records lost: +1 \(spans unknown: record header damaged\)$/m);
    expect(run.stdout).toContain('gen-0000000001/seg-0000000001.tkv\n  action:');
    expect(run.stdout).toMatch(/^ {2}broken copy: +gen-0000000001\/seg-0000000001\.tkv\.broken$/m);
    expect(run.stdout).toMatch(new RegExp(`^ {2}damage: +damage at offset ${damagedRecord!.result.fileOffset}, .*record headerCrc got`, 'm'));
    await expectContents(dir, appended, new Set([damagedRecord!]));
  });

  it('salvages a damaged segment header and junk after the last record of an earlier segment; removes a torn segment creation', async () => {
    const { dir, appended } = await buildStore('repair-edges');
    const files = segmentFiles(dir);
    const first = fs.readFileSync(files[0]!);
    const damaged = Buffer.concat([first, Buffer.alloc(100, 3)]);
    damaged[4]! ^= 0x01; // segment version: the header CRC fails
    fs.writeFileSync(files[0]!, damaged);
    const tornCreation = path.join(path.dirname(files[0]!), `seg-${String(files.length + 1).padStart(10, '0')}.tkv`);
    fs.writeFileSync(tornCreation, Buffer.alloc(20));

    const report = await repairStore({ dir });
    expect(report.segments).toMatchObject([
      {
        path: files[0],
        action: 'salvage',
        recordsKept: recordsIn(appended, 1).length,
        recordsLost: 0, // junk at the end of a file held no record that can be counted
        bytesLost: 32 + 100,
        bytesAfter: first.length,
        damage: [
          { kind: 'segment-header', offset: 0, bytes: 32 },
          { kind: 'damage', offset: first.length, bytes: 100, spans: null },
        ],
      },
      { path: tornCreation, action: 'remove', bytesAfter: 0, recordsLost: 0 },
    ]);
    expect(fs.existsSync(tornCreation)).toBe(false);
    expect(fs.readFileSync(files[0]!).subarray(32).equals(first.subarray(32))).toBe(true);
    await expectContents(dir, appended, new Set());
  });

  it('salvages around a record whose body CRC matches but whose batch is invalid, even at the end of the last segment (recovery refuses it)', async () => {
    const { dir, appended } = await buildStore('repair-batch');
    const last = segmentFiles(dir).at(-1)!;
    const lastRecord = appended.at(-1)!;
    const at = lastRecord.result.fileOffset;
    const bytes = fs.readFileSync(last);
    // The header says one span more than the batch holds; header CRC recomputed, body untouched.
    const header = readRecordHeader(bytes, at, last, at);
    writeRecordHeader(bytes, at, { ...header, spanCount: header.spanCount + 1 });
    fs.writeFileSync(last, bytes);
    const recordLength = bytes.length - at;

    const report = await repairJson([dir]);
    expect(report.segments).toMatchObject([{ path: last, action: 'salvage', bytesAfter: at, recordsLost: 1, spansLost: SPANS_PER_BATCH + 1, bytesLost: recordLength }]);
    expect(report.segments[0]!.damage).toMatchObject([{ kind: 'damage', offset: at, bytes: recordLength, wholeRecord: true }]);
    expect(report.segments[0]!.damage[0]!.problem).toContain(`record says ${SPANS_PER_BATCH + 1} spans; its batch holds ${SPANS_PER_BATCH}`);
    expect(fs.readFileSync(`${last}.broken`).equals(bytes)).toBe(true);
    await expectContents(dir, appended, new Set([lastRecord]));
  });

  it('--dry-run reports the plan and changes no byte', async () => {
    const { dir, appended } = await buildStore('repair-dry');
    const files = segmentFiles(dir);
    const first = fs.readFileSync(files[0]!);
    first[recordsIn(appended, 1)[1]!.result.fileOffset + 48 + 3]! ^= 0x01;
    fs.writeFileSync(files[0]!, first);
    fs.appendFileSync(files.at(-1)!, Buffer.alloc(700));
    const before = snapshot(dir);

    const report = await repairJson([dir, '--dry-run']);
    expect(report.dryRun).toBe(true);
    expect(report.segments.map((s) => [s.path, s.action])).toEqual([
      [files[0], 'salvage'],
      [files.at(-1), 'truncate'],
    ]);
    expect(report.reindex).toEqual({ status: 'skipped', reason: 'dry run' });
    const text = await runCli(['repair', dir, '--dry-run']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^result: +dry run: would repair$/m);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a store whose lock a live process holds', async () => {
    const { dir } = await buildStore('repair-locked');
    const store = await TraceStore.open({ dir, ...STORE_OPTIONS });
    try {
      const run = await runCli(['repair', dir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('ERR_STORE_LOCKED');
      expect(run.stdout).toBe('');
    } finally {
      await store.close();
    }
  });
});
