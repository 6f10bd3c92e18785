/**
 * BatchAssembler: ended spans into open batches, one encoder per resource and instrumentation
 * scope (so each common section is encoded once), each span serialized the moment it is added into
 * the open version-2 batch's columns (ColumnarRecordEncoder, data-format.md §2.7): its name and
 * attributes straight from the SDK span's strings, the rest as a span record (§2.5) in one reused
 * buffer that the encoder walks. A batch is sealed (finished and handed to `onBatch`) when the
 * next span does not fit it, when it reaches batchSpansMax, or when the owner calls sealAll().
 *
 * Groups are keyed by object identity, as the SDK hands every span of a tracer the same resource
 * and scope objects; at most OTEL_GROUPS_MAX are kept, so an application that makes tracers
 * without end cannot grow this map without end.
 */
import { ColumnarRecordEncoder, NOT_WELL_FORMED, encodeCommon } from '../batch/index.js';
import { TraceKvError, assert } from '../errors.js';
import { resourceInput, scopeInput } from './common-input.js';
import type { OtelResource, OtelScope, ReadableSpan } from './otel-types.js';
import { type SpanAttributeSink, SpanRecordWriter } from './span-writer.js';

/** Resource and scope pairs with an encoder kept open; past it, every open batch is sealed and the encoders dropped. */
export const OTEL_GROUPS_MAX = 256;

export interface AssemblerLimits {
  batchBytesMax: number;
  batchSpansMax: number;
}

/** A resource and scope pair; `encoder` is null when they cannot be encoded, so their spans are dropped. */
interface Group {
  encoder: ColumnarRecordEncoder | null;
}

export type BatchSink = (batch: Uint8Array, spans: number) => void;

export class BatchAssembler {
  private readonly record = new SpanRecordWriter();
  private readonly sink = new EncoderSink();
  private readonly groups = new Map<OtelResource, Map<OtelScope, Group>>();
  private groupCount = 0;
  private lastResource: OtelResource | null = null;
  private lastScope: OtelScope | null = null;
  private lastGroup: Group | null = null;
  /** Spans in batches not yet sealed. */
  openSpans = 0;

  constructor(
    private readonly limits: AssemblerLimits,
    private readonly onBatch: BatchSink,
  ) {}

  /** Serializes `span` into its group's open batch; false when it was dropped as invalid. */
  add(span: ReadableSpan): boolean {
    const group = this.groupOf(span.resource, span.instrumentationScope);
    const encoder = group.encoder;
    if (encoder === null || !this.addSpan(span, encoder)) return false;
    this.openSpans++;
    if (encoder.spanCount >= this.limits.batchSpansMax) this.seal(encoder);
    return true;
  }

  /**
   * Writes `span` into the open batch: its name and attributes straight into the batch's columns,
   * the rest as a record the encoder then walks. A span that does not fit goes into the next batch,
   * written again, since its attributes went into the one that filled; one that fits no batch is
   * dropped. A throw from an SDK object of an unexpected shape leaves the batch as it was.
   */
  private addSpan(span: ReadableSpan, encoder: ColumnarRecordEncoder): boolean {
    const sink = this.sink;
    sink.encoder = encoder;
    for (;;) {
      if (!encoder.openSpan()) {
        // Full at batchSpansMax (add() seals a batch there first, so this is a safeguard).
        this.seal(encoder);
        const opened = encoder.openSpan();
        assert(opened, 'openSpan on an empty batch');
      }
      let written = false;
      try {
        written = this.record.write(span, undefined, sink);
      } finally {
        if (!written) encoder.abandonSpan();
      }
      if (!written) return false;
      const { ids, startLo, startHi, writer } = this.record;
      if (encoder.tryAddRecord(writer.bytes, 0, writer.length, ids, startLo, startHi)) return true;
      if (encoder.spanCount === 0) return false;
      this.seal(encoder);
    }
  }

  /** Seals every open batch, in the order the groups were first seen. */
  sealAll(): void {
    for (const scopes of this.groups.values()) {
      for (const group of scopes.values()) {
        if (group.encoder !== null && group.encoder.spanCount > 0) this.seal(group.encoder);
      }
    }
  }

  private seal(encoder: ColumnarRecordEncoder): void {
    const spans = encoder.spanCount;
    const batch = encoder.finish();
    this.openSpans -= spans;
    this.onBatch(batch, spans);
  }

  private groupOf(resource: OtelResource, scope: OtelScope): Group {
    // Spans come in runs of one tracer's: the last group answers most lookups without the maps.
    if (resource === this.lastResource && scope === this.lastScope) return this.lastGroup!;
    const group = this.lookUpGroup(resource, scope);
    this.lastResource = resource;
    this.lastScope = scope;
    this.lastGroup = group;
    return group;
  }

  private lookUpGroup(resource: OtelResource, scope: OtelScope): Group {
    let scopes = this.groups.get(resource);
    let group = scopes?.get(scope);
    if (group !== undefined) return group;
    if (this.groupCount >= OTEL_GROUPS_MAX) {
      this.sealAll();
      this.groups.clear();
      this.groupCount = 0;
      scopes = undefined;
    }
    group = { encoder: newEncoder(resource, scope, this.limits) };
    if (scopes === undefined) this.groups.set(resource, (scopes = new Map()));
    scopes.set(scope, group);
    this.groupCount++;
    return group;
  }
}

/** The columns of the group's open span, as SpanRecordWriter writes names and attributes into them. */
class EncoderSink implements SpanAttributeSink {
  encoder!: ColumnarRecordEncoder;

  spanName(name: string): boolean {
    return this.encoder.textId(name) !== NOT_WELL_FORMED;
  }

  textAttribute(key: string, value: string): boolean {
    return this.encoder.textAttribute(key, value);
  }

  recordAttributes(source: Uint8Array, start: number, end: number, count: number): void {
    this.encoder.recordAttributes(source, start, end, count);
  }
}

function newEncoder(resource: OtelResource, scope: OtelScope, limits: AssemblerLimits): ColumnarRecordEncoder | null {
  try {
    return new ColumnarRecordEncoder({ common: encodeCommon(resourceInput(resource), scopeInput(scope)), batchBytesMax: limits.batchBytesMax, batchSpansMax: limits.batchSpansMax });
  } catch (error) {
    // A resource or scope the format cannot hold (a lone surrogate, a value of no OTel type, …):
    // its spans are dropped and counted, never thrown into the SDK.
    if (error instanceof TraceKvError && error.code === 'ERR_INVALID_ARGUMENT') return null;
    throw error;
  }
}
