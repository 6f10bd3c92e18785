// Proves `tracekv dump` prints every appended span exactly once, across several generations and segments and beside a live writer with a torn tail, and that its --trace, --since and --until filters keep exactly the matching spans.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore, type SpanInput } from '../../src/index.js';
import { formatTime } from '../../src/cli/output.js';
import { parseTimeArg } from '../../src/cli/trace-format.js';
import { makeRng } from '../../src/workload/rng.js';
import { tracegenTrace } from '../../src/workload/tracegen.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, segmentFiles, tempDir } from '../helpers/store-dir.js';

const SEED = 20_261_121;
const TRACES = 60;
const TRACES_PER_BATCH = 3;
const T0 = 1_700_000_000_000_000_000n;

let dir: string;
let writer: TraceStore;
const appended: SpanInput[] = [];

function key(span: { traceId?: unknown; spanId?: unknown }): string {
  return `${String(span.traceId)}/${String(span.spanId)}`;
}

function parseLines(stdout: string): Record<string, any>[] {
  return stdout === '' ? [] : stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
}

beforeAll(async () => {
  dir = tempDir('cli-dump');
  // Tiny segments and generations, so the dump has to walk several of each.
  writer = await TraceStore.open({ dir, segmentBytesMax: 4096, generationBytesMax: 16_384, readerThreads: 0 });
  const rng = makeRng(SEED);
  for (let counter = 0; counter < TRACES; counter += TRACES_PER_BATCH) {
    const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': `svc-${counter % 4}` } } });
    for (let t = counter; t < counter + TRACES_PER_BATCH; t++) {
      for (const span of tracegenTrace(rng, t, T0 + BigInt(t) * 1_000_000n).spans) {
        encoder.add(span);
        appended.push(span);
      }
    }
    await writer.append(encoder.finish());
  }
  // The writer stays open: dump must work beside it.
}, 60_000);

afterAll(async () => {
  await writer.close();
  removeTempDirs();
});

describe('tracekv dump', () => {
  it('prints every span exactly once, beside a live writer, across generations and segments', async () => {
    const generations = fs.readdirSync(dir).filter((name) => name.startsWith('gen-'));
    expect(generations.length).toBeGreaterThan(1);
    expect(segmentFiles(dir).length).toBeGreaterThan(generations.length);
    const result = await runCli(['dump', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const spans = parseLines(result.stdout);
    expect(spans).toHaveLength(TRACES * 10);
    const printed = new Set(spans.map(key));
    expect(printed.size).toBe(spans.length);
    expect(printed).toEqual(new Set(appended.map(key)));
    // Every line is the full span JSON of `get`.
    const byKey = new Map(spans.map((s) => [key(s), s]));
    for (const input of appended.slice(0, 20)) {
      const s = byKey.get(key(input))!;
      expect(s.name).toBe(input.name);
      expect(s.parentSpanId).toBe(input.parentSpanId);
      expect(s.startTimeUnixNano).toBe(input.startTimeUnixNano.toString());
      expect(s.startTime).toBe(formatTime(input.startTimeUnixNano));
      expect(s.attributes).toEqual(input.attributes);
      expect(s.resource.attributes['service.name']).toMatch(/^svc-\d$/);
    }
  });

  it('stops at a torn tail of the last segment, reports it on stderr, and still prints every span once', async () => {
    const segments = segmentFiles(dir);
    const last = segments[segments.length - 1]!;
    // A record header's first bytes, as a writer caught mid-append leaves them.
    fs.appendFileSync(last, Buffer.from([0x54, 0x4b, 0x56, 0x52, 1, 2, 3]));
    const result = await runCli(['dump', dir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('incomplete record');
    const spans = parseLines(result.stdout);
    expect(spans).toHaveLength(TRACES * 10);
    expect(new Set(spans.map(key))).toEqual(new Set(appended.map(key)));
  });

  it('keeps only the spans of --trace, and those starting inside --since/--until (inclusive, ISO-8601 or UnixNano)', async () => {
    const traceId = appended[10 * 17]!.traceId as string;
    // Trace t starts at T0 + t ms, its children at +0, +1, +2 … µs: the bounds take traces 20..29
    // whole and cut trace 30 after its 4th child.
    const since = T0 + 20_000_000n;
    const until = T0 + 30_000_000n + 3_000n;
    const [byTrace, byTime, byBoth, none] = await Promise.all([
      runCli(['dump', dir, '--trace', traceId]),
      runCli(['dump', dir, '--since', formatTime(since), '--until', until.toString()]),
      runCli(['dump', dir, '--trace', traceId, '--since', formatTime(since)]),
      runCli(['dump', dir, '--since', '2099-01-01T00:00:00Z']),
    ]);
    const expectedOf = (keep: (span: SpanInput) => boolean) => new Set(appended.filter(keep).map(key));
    const inTime = (span: SpanInput) => span.startTimeUnixNano >= since && span.startTimeUnixNano <= until;

    const traceSpans = parseLines(byTrace.stdout);
    expect(traceSpans).toHaveLength(10);
    expect(new Set(traceSpans.map(key))).toEqual(expectedOf((span) => span.traceId === traceId));

    const timeSpans = parseLines(byTime.stdout);
    const expectedTime = expectedOf(inTime);
    expect(expectedTime.size).toBe(10 * 10 + 5); // traces 20..29, and trace 30's root and first 4 children
    expect(timeSpans).toHaveLength(expectedTime.size);
    expect(new Set(timeSpans.map(key))).toEqual(expectedTime);

    expect(parseLines(byBoth.stdout)).toHaveLength(0); // trace 17 started before --since
    expect(none).toMatchObject({ code: 0, stdout: '' });
  });

  it('parses --since/--until as UnixNano or ISO-8601 to the nanosecond, with zones', () => {
    expect(parseTimeArg('1700000000000000001')).toBe(1_700_000_000_000_000_001n);
    expect(parseTimeArg('2023-11-14T22:13:20.000000001Z')).toBe(1_700_000_000_000_000_001n);
    expect(parseTimeArg('2023-11-14T22:13:20.5Z')).toBe(1_700_000_000_500_000_000n);
    expect(parseTimeArg('2023-11-14T23:13:20+01:00')).toBe(1_700_000_000_000_000_000n);
    expect(parseTimeArg('2023-11-14')).toBe(1_699_920_000_000_000_000n);
    for (const bad of ['yesterday', '2023-11-14T22:13.5Z', '2023-11-14T22:13:20.1234567891Z', '18446744073709551616']) {
      expect(() => parseTimeArg(bad), bad).toThrow(/want/);
    }
  });

  it('rejects bad filters and directories that are not stores', async () => {
    const [badTime, reversed, notStore] = await Promise.all([
      runCli(['dump', dir, '--since', 'yesterday']),
      runCli(['dump', dir, '--since', '200', '--until', '100']),
      runCli(['dump', tempDir('cli-dump-empty')]),
    ]);
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain('want ISO-8601');
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('after --until');
    expect(notStore.code).toBe(1);
    expect(notStore.stderr).toContain('not a tracekv store');
  });
});
