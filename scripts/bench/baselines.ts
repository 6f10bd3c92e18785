/**
 * Same-run baselines on the same spans, in LMDB (lmdb-js):
 * - lmdbIndex: LMDB as the span index, key traceId+spanId (24 bytes, random order) → location
 *   (segment, record offset, span length: 12 bytes);
 * - lmdbSpans: LMDB storing whole spans, key traceId+spanId → the span record bytes from the batch,
 *   a trace read back with a prefix range (getRange from traceId to traceId+ff…).
 * A key holds one span: spans sharing a traceId+spanId (Zipkin's shared client/server spans in W2)
 * keep only the last one written; `keys` counts what is stored, and bytes per span divide by it.
 * Both write the first `baselineSpans` spans (whole batches), one batch's puts per event turn
 * (lmdb-js commits each turn's writes as one transaction), APPENDS_IN_FLIGHT batches outstanding as
 * for our ingest, with lmdb-js's default durable commit: no noSync, overlappingSync at its Linux
 * default (the commit is flushed after it is visible), and the timed run ends with `await db.flushed`,
 * so every write is on disk before the clock stops. Keys and values are binary (no msgpack).
 */
import fs from 'node:fs';
import path from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { makeRng } from '../../src/workload/rng.js';
import { APPENDS_IN_FLIGHT } from './constants.js';
import { batchLayout, TRAILER_ENTRY_BYTES, TRAILER_OFFSET } from './batch-layout.js';
import type { BatchLocations } from './ingest.js';
import { latencyOf, secondsSince, withTempDir, type Latency } from './measure.js';

/** traceId (16) + spanId (8): adjacent at the start of every trailer entry. */
const KEY_BYTES = 24;
const TRACE_ID_BYTES = 16;
/** segmentId, fileOffset, span record length: three u32. */
const LOCATION_BYTES = 12;
/** A range end past every 24-byte key of a trace: the traceId and nine 0xff bytes. */
const RANGE_END_SUFFIX = Buffer.alloc(KEY_BYTES - TRACE_ID_BYTES + 1, 0xff);

export const LMDB_SETTINGS =
  'lmdb-js open({ path, keyEncoding: binary, encoding: binary }), defaults otherwise (durable: no noSync; overlappingSync on, the Linux default); ' +
  `one batch's puts per event turn = one transaction, ${APPENDS_IN_FLIGHT} batches in flight; timed until db.flushed resolves`;

export interface LmdbIndexFigures {
  /** Spans written (puts). */
  spans: number;
  /** Distinct keys stored (see LmdbSpansFigures.keys). */
  keys: number;
  writesPerSec: number;
  lookup: Latency;
  bytesPerSpan: number;
}

export interface LmdbSpansFigures {
  /** Spans written (puts). */
  spans: number;
  /** Distinct keys stored: fewer than spans where spans share a traceId+spanId (Zipkin's shared
   * client/server spans do), since a later put replaces the earlier span. */
  keys: number;
  writesPerSec: number;
  traceRead: Latency;
  bytesPerSpan: number;
}

/** The whole batches, in order, whose spans add up to at most `spansMax` (at least one batch). */
export function baselineBatches(batches: Uint8Array[], spansMax: number): { batches: Uint8Array[]; spans: number } {
  const chosen: Uint8Array[] = [];
  let spans = 0;
  for (const batch of batches) {
    const count = batchLayout(batch).spanCount;
    if (chosen.length > 0 && spans + count > spansMax) break;
    chosen.push(batch);
    spans += count;
  }
  return { batches: chosen, spans };
}

export async function lmdbIndexBaseline(batches: Uint8Array[], locations: BatchLocations, lookups: number, seed: number): Promise<LmdbIndexFigures> {
  return withTempDir('lmdb-index', async (dir) => {
    const file = path.join(dir, 'index.mdb');
    const db = openBinary(file);
    let spans = 0;
    const run = await writeBatches(db, batches, (batch, at, put) => {
      const layout = batchLayout(batch);
      const values = Buffer.alloc(layout.spanCount * LOCATION_BYTES);
      for (let i = 0; i < layout.spanCount; i++) {
        const entry = layout.trailerStart + i * TRAILER_ENTRY_BYTES;
        values.writeUInt32LE(locations.segmentIds[at]!, i * LOCATION_BYTES);
        values.writeUInt32LE(locations.fileOffsets[at]!, i * LOCATION_BYTES + 4);
        values.writeUInt32LE(layout.view.getUint32(entry + TRAILER_OFFSET.length, true), i * LOCATION_BYTES + 8);
        put(batch.subarray(entry, entry + KEY_BYTES), values.subarray(i * LOCATION_BYTES, (i + 1) * LOCATION_BYTES));
      }
      spans += layout.spanCount;
    });
    const rng = makeRng(seed);
    const samples: number[] = [];
    for (let i = 0; i < lookups; i++) {
      const key = randomKey(batches, rng);
      const start = performance.now();
      const value = db.get(key);
      samples.push(performance.now() - start);
      if (value?.length !== LOCATION_BYTES) throw new Error(`lmdbIndex: key ${Buffer.from(key).toString('hex')} came back as ${value?.length} bytes`);
    }
    const keys = db.getCount();
    await db.close();
    return { spans, keys, writesPerSec: spans / run, lookup: latencyOf(samples), bytesPerSpan: fs.statSync(file).size / keys };
  });
}

export async function lmdbSpansBaseline(batches: Uint8Array[], reads: number, seed: number): Promise<LmdbSpansFigures> {
  return withTempDir('lmdb-spans', async (dir) => {
    const file = path.join(dir, 'spans.mdb');
    const db = openBinary(file);
    let spans = 0;
    const run = await writeBatches(db, batches, (batch, _at, put) => {
      const layout = batchLayout(batch);
      for (let i = 0; i < layout.spanCount; i++) {
        const entry = layout.trailerStart + i * TRAILER_ENTRY_BYTES;
        const offset = layout.spansStart + layout.view.getUint32(entry + TRAILER_OFFSET.offset, true);
        const length = layout.view.getUint32(entry + TRAILER_OFFSET.length, true);
        put(batch.subarray(entry, entry + KEY_BYTES), batch.subarray(offset, offset + length));
      }
      spans += layout.spanCount;
    });
    const keysPerTrace = countKeysPerTrace(batches);
    const rng = makeRng(seed);
    const samples: number[] = [];
    for (let i = 0; i < reads; i++) {
      const traceId = randomKey(batches, rng).subarray(0, TRACE_ID_BYTES);
      const start = performance.now();
      const trace: Uint8Array[] = [];
      for (const { value } of db.getRange({ start: traceId, end: Buffer.concat([traceId, RANGE_END_SUFFIX]) })) trace.push(value);
      samples.push(performance.now() - start);
      const want = keysPerTrace.get(Buffer.from(traceId).toString('hex'))?.size;
      if (trace.length !== want) throw new Error(`lmdbSpans: trace ${Buffer.from(traceId).toString('hex')} got ${trace.length} spans; want ${want}`);
    }
    const keys = db.getCount();
    await db.close();
    return { spans, keys, writesPerSec: spans / run, traceRead: latencyOf(samples), bytesPerSpan: fs.statSync(file).size / keys };
  });
}

function openBinary(file: string): RootDatabase<Uint8Array, Uint8Array> {
  return open<Uint8Array, Uint8Array>({ path: file, keyEncoding: 'binary', encoding: 'binary' });
}

type Put = (key: Uint8Array, value: Uint8Array) => void;

/** Seconds to write every batch through `fill`, APPENDS_IN_FLIGHT batches outstanding, until flushed. */
async function writeBatches(db: RootDatabase<Uint8Array, Uint8Array>, batches: Uint8Array[], fill: (batch: Uint8Array, at: number, put: Put) => void): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: APPENDS_IN_FLIGHT }, async () => {
      while (next < batches.length) {
        const at = next++;
        const puts: { last: Promise<boolean> | null } = { last: null };
        // Every put of this batch is issued in this one event turn: one transaction.
        fill(batches[at]!, at, (key, value) => {
          puts.last = db.put(key, value);
        });
        if ((await puts.last) !== true) throw new Error(`lmdb: a put of batch ${at} did not happen`);
      }
    }),
  );
  await db.flushed;
  return secondsSince(start);
}

/** The key (traceId+spanId) of a random span of `batches`. */
function randomKey(batches: Uint8Array[], rng: ReturnType<typeof makeRng>): Uint8Array {
  const batch = batches[rng.int(batches.length)]!;
  const layout = batchLayout(batch);
  const entry = layout.trailerStart + rng.int(layout.spanCount) * TRAILER_ENTRY_BYTES;
  return batch.subarray(entry, entry + KEY_BYTES);
}

/** The distinct span ids of every trace in `batches`: what a traceId+spanId key can hold. */
function countKeysPerTrace(batches: Uint8Array[]): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const batch of batches) {
    const layout = batchLayout(batch);
    for (let i = 0; i < layout.spanCount; i++) {
      const entry = layout.trailerStart + i * TRAILER_ENTRY_BYTES;
      const traceId = Buffer.from(batch.buffer, batch.byteOffset + entry, TRACE_ID_BYTES).toString('hex');
      let spanIds = keys.get(traceId);
      if (spanIds === undefined) keys.set(traceId, (spanIds = new Set()));
      spanIds.add(Buffer.from(batch.buffer, batch.byteOffset + entry + TRAILER_OFFSET.spanId, KEY_BYTES - TRACE_ID_BYTES).toString('hex'));
    }
  }
  return keys;
}
