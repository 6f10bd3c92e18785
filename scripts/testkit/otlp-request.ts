/**
 * An OTLP writer for tests and the protocol fuzz: ExportTraceServiceRequest bytes (protobuf) and
 * objects (OTLP JSON) from the span model, written independently of src/otlp/ (field numbers from
 * opentelemetry-proto), so that what the receivers must accept is not defined by the code under
 * test, and tests can send what OTel JS cannot (int64 values, nested kvlists, bytes, unknown
 * fields, fields out of order).
 */
import type { AttributeValue, Attributes, ResourceInput, ScopeInput, SpanIdInput, SpanInput } from '../../src/batch/types.js';

export class ProtoWriter {
  private readonly parts: number[] = [];

  get bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }

  varint(value: bigint | number): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      this.parts.push(v === 0n ? byte : byte | 0x80);
    } while (v !== 0n);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(BigInt(field) * 8n + BigInt(wireType));
  }

  uint(field: number, value: number | bigint): this {
    return this.tag(field, 0).varint(value);
  }

  /** Untagged values, for tests of the wire encoding itself. */
  rawFixed64(value: bigint): this {
    const v = BigInt.asUintN(64, value);
    for (let i = 0n; i < 8n; i++) this.parts.push(Number((v >> (8n * i)) & 0xffn));
    return this;
  }

  rawFixed32(value: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((value >>> (8 * i)) & 0xff);
    return this;
  }

  rawDouble(value: number): this {
    for (const byte of new Uint8Array(new Float64Array([value]).buffer)) this.parts.push(byte);
    return this;
  }

  raw(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }

  fixed64(field: number, value: bigint): this {
    return this.tag(field, 1).rawFixed64(value);
  }

  fixed32(field: number, value: number): this {
    return this.tag(field, 5).rawFixed32(value);
  }

  double(field: number, value: number): this {
    return this.tag(field, 1).rawDouble(value);
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    for (const byte of value) this.parts.push(byte);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytesField(field, inner.bytes);
  }
}

export function idBytes(id: SpanIdInput): Uint8Array {
  return typeof id === 'string' ? Uint8Array.from(Buffer.from(id, 'hex')) : id;
}

export function writeAnyValue(w: ProtoWriter, value: AttributeValue): void {
  if (typeof value === 'string') w.string(1, value);
  else if (typeof value === 'boolean') w.uint(2, value ? 1 : 0);
  else if (typeof value === 'bigint') w.uint(3, value);
  else if (typeof value === 'number') w.double(4, value);
  else if (value instanceof Uint8Array) w.bytesField(7, value);
  else if (Array.isArray(value)) w.message(5, (a) => value.forEach((item) => a.message(1, (v) => writeAnyValue(v, item))));
  else w.message(6, (list) => writeKeyValues(list, 1, value));
}

export function writeKeyValues(w: ProtoWriter, field: number, attributes: Attributes | undefined): void {
  for (const [key, value] of Object.entries(attributes ?? {})) {
    w.message(field, (kv) => kv.string(1, key).message(2, (v) => writeAnyValue(v, value)));
  }
}

export function writeSpan(w: ProtoWriter, span: SpanInput): void {
  w.bytesField(1, idBytes(span.traceId)).bytesField(2, idBytes(span.spanId));
  if (span.traceState !== undefined) w.string(3, span.traceState);
  if (span.parentSpanId !== undefined) w.bytesField(4, idBytes(span.parentSpanId));
  if (span.flags !== undefined) w.fixed32(16, span.flags);
  w.string(5, span.name);
  if (span.kind !== undefined && span.kind !== 0) w.uint(6, span.kind);
  w.fixed64(7, span.startTimeUnixNano).fixed64(8, span.endTimeUnixNano);
  writeKeyValues(w, 9, span.attributes);
  if (span.droppedAttributesCount) w.uint(10, span.droppedAttributesCount);
  for (const event of span.events ?? []) {
    w.message(11, (e) => {
      e.fixed64(1, event.timeUnixNano).string(2, event.name);
      writeKeyValues(e, 3, event.attributes);
      if (event.droppedAttributesCount) e.uint(4, event.droppedAttributesCount);
    });
  }
  if (span.droppedEventsCount) w.uint(12, span.droppedEventsCount);
  for (const link of span.links ?? []) {
    w.message(13, (l) => {
      l.bytesField(1, idBytes(link.traceId)).bytesField(2, idBytes(link.spanId));
      if (link.traceState !== undefined) l.string(3, link.traceState);
      writeKeyValues(l, 4, link.attributes);
      if (link.droppedAttributesCount) l.uint(5, link.droppedAttributesCount);
      if (link.flags !== undefined) l.fixed32(6, link.flags);
    });
  }
  if (span.droppedLinksCount) w.uint(14, span.droppedLinksCount);
  if (span.status !== undefined && (span.status.code !== 0 || span.status.message)) {
    const status = span.status;
    w.message(15, (s) => {
      if (status.message) s.string(2, status.message);
      if (status.code !== 0) s.uint(3, status.code);
    });
  }
}

export interface RequestGroup {
  resource?: ResourceInput;
  scope?: ScopeInput;
  spans: SpanInput[];
}

/** One ResourceSpans with one ScopeSpans per group. */
export function exportRequest(groups: RequestGroup[]): Uint8Array {
  const w = new ProtoWriter();
  for (const group of groups) {
    w.message(1, (rs) => {
      if (group.resource !== undefined) {
        const resource = group.resource;
        rs.message(1, (r) => {
          writeKeyValues(r, 1, resource.attributes);
          if (resource.droppedAttributesCount) r.uint(2, resource.droppedAttributesCount);
        });
      }
      rs.message(2, (ss) => {
        if (group.scope !== undefined) {
          const scope = group.scope;
          ss.message(1, (s) => {
            if (scope.name !== undefined) s.string(1, scope.name);
            if (scope.version !== undefined) s.string(2, scope.version);
            writeKeyValues(s, 3, scope.attributes);
            if (scope.droppedAttributesCount) s.uint(4, scope.droppedAttributesCount);
          });
        }
        for (const span of group.spans) ss.message(2, (s) => writeSpan(s, span));
        if (group.scope?.schemaUrl !== undefined) ss.string(3, group.scope.schemaUrl);
      });
      if (group.resource?.schemaUrl !== undefined) rs.string(3, group.resource.schemaUrl);
    });
  }
  return w.bytes;
}

function hex(id: SpanIdInput): string {
  return Buffer.from(idBytes(id)).toString('hex');
}

function jsonAnyValue(value: AttributeValue): unknown {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (typeof value === 'number') return { doubleValue: Number.isFinite(value) ? value : String(value) };
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(jsonAnyValue) } };
  return { kvlistValue: { values: jsonKeyValues(value) } };
}

function jsonKeyValues(attributes: Attributes | undefined): unknown[] {
  return Object.entries(attributes ?? {}).map(([key, value]) => ({ key, value: jsonAnyValue(value) }));
}

export function jsonSpan(span: SpanInput): Record<string, unknown> {
  return {
    traceId: hex(span.traceId),
    spanId: hex(span.spanId),
    ...(span.traceState !== undefined ? { traceState: span.traceState } : {}),
    ...(span.parentSpanId !== undefined ? { parentSpanId: hex(span.parentSpanId) } : {}),
    ...(span.flags !== undefined ? { flags: span.flags } : {}),
    name: span.name,
    kind: span.kind ?? 0,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: jsonKeyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount ?? 0,
    events: (span.events ?? []).map((event) => ({
      timeUnixNano: event.timeUnixNano.toString(),
      name: event.name,
      attributes: jsonKeyValues(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount ?? 0,
    links: (span.links ?? []).map((link) => ({
      traceId: hex(link.traceId),
      spanId: hex(link.spanId),
      ...(link.traceState !== undefined ? { traceState: link.traceState } : {}),
      attributes: jsonKeyValues(link.attributes),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      ...(link.flags !== undefined ? { flags: link.flags } : {}),
    })),
    droppedLinksCount: span.droppedLinksCount ?? 0,
    ...(span.status !== undefined ? { status: { code: span.status.code, ...(span.status.message ? { message: span.status.message } : {}) } } : {}),
  };
}

/** The same request as exportRequest, in OTLP JSON. */
export function exportRequestJson(groups: RequestGroup[]): Record<string, unknown> {
  return {
    resourceSpans: groups.map((group) => ({
      resource: { attributes: jsonKeyValues(group.resource?.attributes), droppedAttributesCount: group.resource?.droppedAttributesCount ?? 0 },
      scopeSpans: [
        {
          scope: group.scope === undefined ? undefined : {
            name: group.scope.name,
            version: group.scope.version,
            attributes: jsonKeyValues(group.scope.attributes),
            droppedAttributesCount: group.scope.droppedAttributesCount ?? 0,
          },
          spans: group.spans.map(jsonSpan),
          schemaUrl: group.scope?.schemaUrl,
        },
      ],
      schemaUrl: group.resource?.schemaUrl,
    })),
  };
}
