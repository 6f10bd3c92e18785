/**
 * Batches for the overload campaign, any number of them, each with its own trace ids, at the cost
 * of a copy and a CRC. The load generator must offer twice what the daemon ingests while sharing
 * the cores with it, and encoding spans costs about as much as storing them; so a few template
 * batches are encoded once (tracegen traces through the workload batcher), and a batch is a
 * template with fresh trace ids stamped into its trailer (data-format.md §2.2) and its batch CRC
 * recomputed (§2.3). Span records do not hold the trace id (§2.5), so a stamped batch is what a
 * BatchEncoder given those ids would have built. Stamping is a pure function of (seed, stream,
 * number): the verifier rebuilds any batch from its number instead of keeping it.
 */
import { BATCH_FOOTER_BYTES, BATCH_HEADER_BYTES, TRACE_ID_BYTES, TRAILER_ENTRY_BYTES } from '../../../src/constants.js';
import { crc32c } from '../../../src/codec/crc32c.js';
import { readBatchHeader } from '../../../src/batch/header.js';
import { BatchEncoder } from '../../../src/batch/encoder.js';
import { ServiceBatcher } from '../../../src/workload/batcher.js';
import { tracegenWorkload, type Workload } from '../../../src/workload/replay.js';
import { makeRng } from '../../../src/workload/rng.js';

/** Distinct templates: enough that consecutive batches differ in service, names and attributes. */
const TEMPLATE_BATCHES = 16;
/**
 * 2 tracegen traces of 10 spans, ~5 KiB: small, because every refused attempt costs the daemon
 * reading the whole frame, and the verifier reads back every trace.
 */
const TRACES_PER_BATCH = 2;
/** Oversized batches come from a couple of templates of their own. */
const OVERSIZED_TEMPLATE_BATCHES = 2;
/** 24 traces, ~58 KiB: past the campaign's whole in-flight budget (about 4 small batches). */
const OVERSIZED_TRACES_PER_BATCH = 24;
/** A synthetic clock: each trace starts this long after the previous one, so runs repeat exactly. */
const TRACE_INTERVAL_NS = 100_000n;
/** 2023-11-14, a fixed instant so runs repeat exactly. */
const FIRST_TRACE_UNIX_NANO = 1_700_000_000_000_000_000n;
const SCOPE = { name: 'tracekv-overload', version: '1' };

/**
 * Who sends a batch, and its kind; part of its trace ids, so streams never share a trace.
 * Offered and Oversized go through the retrying clients, Probe through the raw connection.
 */
export const Stream = { Offered: 1, Probe: 2, Oversized: 3 } as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

interface Template {
  batch: Uint8Array;
  spanCount: number;
  trailerStart: number;
  /** For each span, the index of its trace within the batch (first appearance order). */
  traceOfSpan: Uint16Array;
}

export class BatchStamper {
  private readonly templates: Template[];
  private readonly oversizedTemplates: Template[];
  /** The largest batch of the Offered and Probe streams. */
  readonly batchBytesMax: number;
  /** The smallest batch of the Oversized stream. */
  readonly oversizedBytesMin: number;
  /** Mean spans of an Offered batch, for pacing. */
  readonly spansPerBatchMean: number;

  constructor(private readonly seed: number) {
    const workload = tracegenWorkload(makeRng(seed));
    let traces = 0;
    this.templates = encodeTemplates(workload, TRACES_PER_BATCH, TEMPLATE_BATCHES, () => traces++);
    this.oversizedTemplates = encodeTemplates(workload, OVERSIZED_TRACES_PER_BATCH, OVERSIZED_TEMPLATE_BATCHES, () => traces++);
    this.batchBytesMax = Math.max(...this.templates.map((template) => template.batch.length));
    this.oversizedBytesMin = Math.min(...this.oversizedTemplates.map((template) => template.batch.length));
    this.spansPerBatchMean = this.templates.reduce((sum, template) => sum + template.spanCount, 0) / TEMPLATE_BATCHES;
  }

  spanCountOf(stream: Stream, batchNo: number): number {
    return this.templateOf(stream, batchNo).spanCount;
  }

  /** Batch `batchNo` of `stream`: always the same bytes for the same seed. */
  stamp(stream: Stream, batchNo: number): Uint8Array {
    const template = this.templateOf(stream, batchNo);
    const batch = Uint8Array.from(template.batch);
    const view = new DataView(batch.buffer);
    for (let span = 0; span < template.spanCount; span++) {
      // seed u32 | stream u8 | 3 zero bytes | batchNo u32 | trace-in-batch u32; never all-zero (stream ≥ 1).
      const at = template.trailerStart + span * TRAILER_ENTRY_BYTES;
      batch.fill(0, at, at + TRACE_ID_BYTES);
      view.setUint32(at, this.seed >>> 0);
      view.setUint8(at + 4, stream);
      view.setUint32(at + 8, batchNo);
      view.setUint32(at + 12, template.traceOfSpan[span]!);
    }
    const crcAt = batch.length - BATCH_FOOTER_BYTES;
    view.setUint32(crcAt, crc32c(batch, 0, crcAt), true);
    return batch;
  }

  private templateOf(stream: Stream, batchNo: number): Template {
    const templates = stream === Stream.Oversized ? this.oversizedTemplates : this.templates;
    return templates[batchNo % templates.length]!;
  }
}

function encodeTemplates(workload: Workload, tracesPerBatch: number, count: number, nextTrace: () => number): Template[] {
  // Version 1: the templates' trace ids are rewritten in each trailer entry (§2.2) for every send.
  const batcher = new ServiceBatcher(tracesPerBatch, SCOPE, (options) => new BatchEncoder(options));
  const batches: Uint8Array[] = [];
  while (batches.length < count) {
    batches.push(...batcher.add(workload.nextTrace(FIRST_TRACE_UNIX_NANO + BigInt(nextTrace()) * TRACE_INTERVAL_NS)));
  }
  return batches.slice(0, count).map(templateOf);
}

function templateOf(batch: Uint8Array): Template {
  const header = readBatchHeader(batch);
  const trailerStart = BATCH_HEADER_BYTES + header.commonLength + header.spansLength;
  const traceOfSpan = new Uint16Array(header.spanCount);
  const traces = new Map<string, number>();
  for (let span = 0; span < header.spanCount; span++) {
    const at = trailerStart + span * TRAILER_ENTRY_BYTES;
    const id = Buffer.from(batch.subarray(at, at + TRACE_ID_BYTES)).toString('hex');
    if (!traces.has(id)) traces.set(id, traces.size);
    traceOfSpan[span] = traces.get(id)!;
  }
  return { batch, spanCount: header.spanCount, trailerStart, traceOfSpan };
}
