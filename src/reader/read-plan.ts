/**
 * Plans a read of many traces: parse the ids, look every one up in the index (chunk filters and
 * buckets, then the in-memory tails), and group the hits by record. Each record is then read and
 * decompressed once however many of the requested traces it holds, in (generation, segment, file
 * offset) order: the order of the files on disk, and the storage order of every trace's spans.
 */
import { TRACE_ID_BYTES } from '../constants.js';
import { checkKnownKeys } from '../known-keys.js';
import { TRACE_QUERY_KEYS, boundsOf, isTraceQuery, type TimeBounds, type TraceIdInput, type TraceQuery } from '../api/index.js';
import { parseTraceId } from '../batch/ids.js';
import { traceHash } from '../codec/trace-hash.js';
import { LocationList } from '../index/location-list.js';
import type { IndexedGeneration } from './index-lookup.js';

export interface ParsedQuery {
  traceId: Uint8Array;
  bounds: TimeBounds | null;
}

/** One record to read, and which queries want spans from it. */
export interface PlannedRecord {
  /** Position in the plan's disk order. */
  planIndex: number;
  generation: IndexedGeneration;
  segmentId: number;
  fileOffset: number;
  recordLength: number;
  /** Query indexes, each with the span count its index entry promises. */
  queries: number[];
  spanCounts: number[];
}

/** Per-id bounds replace the call's bounds for that id. */
export function parseQueries(ids: readonly (TraceIdInput | TraceQuery)[], callBounds: TimeBounds | null, offset = 0): ParsedQuery[] {
  return ids.map((item, i) => {
    const what = `traceIds[${offset + i}]`;
    const traceId = new Uint8Array(TRACE_ID_BYTES);
    if (isTraceQuery(item)) {
      checkKnownKeys(item, TRACE_QUERY_KEYS, what);
      parseTraceId(item.traceId, traceId, 0, `${what}.traceId`);
      return { traceId, bounds: boundsOf(item, what) ?? callBounds };
    }
    parseTraceId(item, traceId, 0, what);
    return { traceId, bounds: callBounds };
  });
}

function recordKey(generationId: number, segmentId: number, fileOffset: number): string {
  return `${generationId}/${segmentId}/${fileOffset}`;
}

/**
 * Looks every query up (synchronously: the index cannot change under it) and returns the records
 * to read in disk order.
 */
export function planRead(generations: readonly IndexedGeneration[], queries: readonly ParsedQuery[]): PlannedRecord[] {
  const records = new Map<string, PlannedRecord>();
  const hashes = new Uint32Array(3);
  const hits = new LocationList();
  queries.forEach((query, queryIndex) => {
    traceHash(query.traceId, 0, hashes);
    for (const generation of generations) {
      if (!generation.mayHold(query.bounds)) continue;
      hits.clear();
      generation.lookup(query.traceId, hashes, query.bounds, hits);
      for (let i = 0; i < hits.length; i++) {
        const segmentId = hits.segmentIds[i]!;
        const fileOffset = hits.fileOffsets[i]!;
        const key = recordKey(generation.id, segmentId, fileOffset);
        let record = records.get(key);
        if (record === undefined) {
          record = { planIndex: 0, generation, segmentId, fileOffset, recordLength: hits.recordLengths[i]!, queries: [], spanCounts: [] };
          records.set(key, record);
        }
        record.queries.push(queryIndex);
        record.spanCounts.push(hits.spanCounts[i]!);
      }
    }
  });
  const plan = [...records.values()].sort(
    (a, b) => a.generation.id - b.generation.id || a.segmentId - b.segmentId || a.fileOffset - b.fileOffset,
  );
  plan.forEach((record, i) => (record.planIndex = i));
  return plan;
}
