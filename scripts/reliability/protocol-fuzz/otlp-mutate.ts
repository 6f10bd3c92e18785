/**
 * Damage for OTLP request bodies, aimed where a protobuf or JSON reader trusts its input: the
 * length of a length-delimited field (shrunk, grown, made huge), the wire type of a tag (to each
 * other type, the reserved and group ones too), the end of the body (truncation), single bits,
 * unknown fields inserted (which must be skipped), nesting far past the depth limit; and for JSON,
 * bytes of the text, values of the wrong type, and ids that are not hex.
 */
import type { Rng } from '../../../src/workload/rng.js';

/** Mutations applied to one body: a few, so it is often still close enough to a request to reach the transcoder's inner loops. */
const MUTATIONS_PER_BODY_MAX = 4;
/** Length-delimited fields the walker lists at most: a request's first fields are enough targets. */
const LEN_FIELDS_LISTED_MAX = 4096;
/** Varints a declared length is set to: off by one either way, zero, and far past any body. */
const HUGE_LENGTHS = [0x7fff_ffff, 0xffff_ffff, 2 ** 53 - 1, 2 ** 63, 2 ** 64 - 1];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

export function varintBytes(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? byte : byte | 0x80);
  } while (v !== 0n);
  return out;
}

/** Where one field's tag and (for wire type 2) its length varint are. */
interface FieldAt {
  tagAt: number;
  tagEnd: number;
  wireType: number;
  /** Wire type 2 only: the length varint's span and the declared length. */
  lengthEnd: number;
  length: number;
}

/** Reads a varint at `at`; null past the end or over 10 bytes. */
function readVarint(bytes: Uint8Array, at: number): { value: number; end: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    value += (bytes[i]! & 0x7f) * scale;
    scale *= 128;
    if ((bytes[i]! & 0x80) === 0) return { value, end: i + 1 };
  }
  return null;
}

/**
 * The fields of a well-formed message, recursively: every length-delimited field is also tried as
 * a message (a string that happens to parse as one is a fine target too). Iterative, bounded.
 */
export function listFields(bytes: Uint8Array): FieldAt[] {
  const fields: FieldAt[] = [];
  const ranges: [number, number][] = [[0, bytes.length]];
  while (ranges.length > 0 && fields.length < LEN_FIELDS_LISTED_MAX) {
    const [start, end] = ranges.pop()!;
    const found: FieldAt[] = [];
    let at = start;
    let ok = true;
    while (at < end && ok) {
      const tag = readVarint(bytes, at);
      if (tag === null || tag.end > end || tag.value < 8) break;
      const wireType = tag.value % 8;
      const field: FieldAt = { tagAt: at, tagEnd: tag.end, wireType, lengthEnd: tag.end, length: 0 };
      if (wireType === 0) {
        const value = readVarint(bytes, tag.end);
        ok = value !== null && value.end <= end;
        at = value?.end ?? end;
      } else if (wireType === 1 || wireType === 5) {
        at = tag.end + (wireType === 1 ? 8 : 4);
        ok = at <= end;
      } else if (wireType === 2) {
        const length = readVarint(bytes, tag.end);
        ok = length !== null && length.end + length.value <= end;
        if (ok) {
          field.lengthEnd = length!.end;
          field.length = length!.value;
          at = length!.end + length!.value;
          if (length!.value > 0) ranges.push([length!.end, at]);
        }
      } else {
        ok = false;
      }
      if (ok) found.push(field);
    }
    // A range that does not parse to its end was not a message: its fields are not real ones.
    if (ok && at === end) fields.push(...found);
  }
  return fields;
}

type Mutator = (rng: Rng, bytes: Buffer, fields: FieldAt[]) => Buffer;

const flipBit: Mutator = (rng, bytes) => {
  if (bytes.length > 0) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
  return bytes;
};

const truncate: Mutator = (rng, bytes) => bytes.subarray(0, rng.int(bytes.length + 1));

function replace(bytes: Buffer, start: number, end: number, inserted: number[]): Buffer {
  return Buffer.concat([bytes.subarray(0, start), Buffer.from(inserted), bytes.subarray(end)]);
}

/** A declared length shrunk, grown or made huge; the bytes after it stay where they were. */
const changeLength: Mutator = (rng, bytes, fields) => {
  const lens = fields.filter((field) => field.wireType === 2);
  if (lens.length === 0) return flipBit(rng, bytes, fields);
  const field = pick(rng, lens);
  const roll = rng.next();
  const length = roll < 0.3 ? field.length + 1 : roll < 0.6 ? Math.max(0, field.length - 1 - rng.int(4)) : roll < 0.7 ? 0 : roll < 0.85 ? field.length + 1 + rng.int(1 << 16) : pick(rng, HUGE_LENGTHS);
  return replace(bytes, field.tagEnd, field.lengthEnd, varintBytes(length));
};

/** A tag's wire type changed: each of the other seven, so the reader takes a value for what it is not. */
const changeWireType: Mutator = (rng, bytes, fields) => {
  if (fields.length === 0) return flipBit(rng, bytes, fields);
  const field = pick(rng, fields);
  const tag = readVarint(bytes, field.tagAt)!;
  const wireType = (field.wireType + 1 + rng.int(7)) % 8;
  return replace(bytes, field.tagAt, field.tagEnd, varintBytes(Math.floor(tag.value / 8) * 8 + wireType));
};

/** An unknown field of any wire type before some field: a reader must skip it by its wire type. */
const insertUnknownField: Mutator = (rng, bytes, fields) => {
  const at = fields.length === 0 ? 0 : pick(rng, fields).tagAt;
  const fieldNumber = 100 + rng.int(1 << 20);
  const wireType = pick(rng, [0, 1, 2, 5]);
  const value = wireType === 0 ? varintBytes(BigInt.asUintN(64, BigInt(rng.int(1 << 30)) << BigInt(rng.int(40)))) : wireType === 1 ? [...rng.bytes(8)] : wireType === 5 ? [...rng.bytes(4)] : [...varintBytes(3), 1, 2, 3];
  return replace(bytes, at, at, [...varintBytes(fieldNumber * 8 + wireType), ...value]);
};

/** A field's value copied: repeated fields grow, singular ones are set twice (the last wins). */
const duplicateField: Mutator = (rng, bytes, fields) => {
  const lens = fields.filter((field) => field.wireType === 2);
  if (lens.length === 0) return flipBit(rng, bytes, fields);
  const field = pick(rng, lens);
  const copy = bytes.subarray(field.tagAt, field.lengthEnd + field.length);
  return Buffer.concat([bytes.subarray(0, field.tagAt), copy, bytes.subarray(field.tagAt)]);
};

const setByte: Mutator = (rng, bytes) => {
  if (bytes.length > 0) bytes[rng.int(bytes.length)] = pick(rng, [0x00, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x0f, 0x0c, 0x0b, rng.int(256)]);
  return bytes;
};

const PROTOBUF_MUTATORS: readonly Mutator[] = [flipBit, truncate, changeLength, changeLength, changeWireType, changeWireType, insertUnknownField, duplicateField, setByte];

/** A damaged copy of a protobuf request. */
export function mutateProtobuf(rng: Rng, body: Uint8Array): Buffer {
  let bytes = Buffer.from(body);
  let mutations = 1;
  while (mutations < MUTATIONS_PER_BODY_MAX && rng.next() < 0.4) mutations++;
  for (let m = 0; m < mutations; m++) bytes = Buffer.from(pick(rng, PROTOBUF_MUTATORS)(rng, bytes, listFields(bytes)));
  return bytes;
}

/**
 * An ExportTraceServiceRequest with one span whose attribute value is an AnyValue nested `depth`
 * arrays deep. Written from the inside out by lengths alone, since 10^5 levels would take a
 * recursive writer past the stack and a copying one past 10^10 bytes moved.
 */
export function deeplyNestedProtobuf(depth: number, traceId: Uint8Array): Buffer {
  // Innermost: AnyValue { string_value "x" }. Each level: AnyValue { array_value (5) { values (1) <inner> } }.
  const inner = [0x0a, 0x01, 0x78];
  const lengths = new Array<number>(2 * depth);
  let size = inner.length;
  for (let level = 0; level < depth; level++) {
    lengths[2 * level] = size; // ArrayValue.values
    size += 1 + varintBytes(size).length;
    lengths[2 * level + 1] = size; // AnyValue.array_value
    size += 1 + varintBytes(size).length;
  }
  const out: number[] = [];
  for (let level = depth - 1; level >= 0; level--) {
    out.push(0x2a, ...varintBytes(lengths[2 * level + 1]!));
    out.push(0x0a, ...varintBytes(lengths[2 * level]!));
  }
  out.push(...inner);
  const value = Buffer.from(out);
  const keyValue = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b, 0x12]), Buffer.from(varintBytes(value.length)), value]);
  const span = Buffer.concat([
    Buffer.from([0x0a, 16]), traceId, Buffer.from([0x12, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x2a, 4]), Buffer.from('deep'),
    Buffer.from([0x39, 1, 0, 0, 0, 0, 0, 0, 0, 0x41, 2, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0x4a, ...varintBytes(keyValue.length)]), keyValue,
  ]);
  const scopeSpans = Buffer.concat([Buffer.from([0x12, ...varintBytes(span.length)]), span]);
  const resourceSpans = Buffer.concat([Buffer.from([0x12, ...varintBytes(scopeSpans.length)]), scopeSpans]);
  return Buffer.concat([Buffer.from([0x0a, ...varintBytes(resourceSpans.length)]), resourceSpans]);
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** Values of the wrong type (or the right type with a wrong value) for any JSON field. */
const WRONG_VALUES: readonly unknown[] = [
  null, true, 0, -1, 1.5, 1e400, 2 ** 64, '', 'x', '-1', '18446744073709551616', '1e3', '0x10', [], [1, 'a'], {}, { stringValue: 1 }, 'AAAA',
];
/** Ids that are not 32/16 hex digits: odd length, non-hex, base64 (what a proto3 JSON encoder would write), too long. */
const BAD_IDS: readonly unknown[] = ['zz', '0123456789abcdef0123456789abcdeg', 'ASNFZ4mrze8BI0VniavN7w==', '0'.repeat(31), 'f'.repeat(34), '', 12, null, 'ＦＦ'];

function mutableNodes(value: unknown, out: [Record<string, unknown> | unknown[], string | number][]): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        out.push([node, index]);
        stack.push(item);
      });
    } else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        out.push([node as Record<string, unknown>, key]);
        stack.push(item);
      }
    }
  }
}

/** An OTLP JSON request with one value of the wrong type, or (for an id) a value that is not hex. */
export function mutateJsonValue(rng: Rng, request: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(request);
  const nodes: [Record<string, unknown> | unknown[], string | number][] = [];
  mutableNodes(copy, nodes);
  if (nodes.length === 0) return copy;
  const ids = nodes.filter(([, key]) => key === 'traceId' || key === 'spanId' || key === 'parentSpanId');
  const [parent, key] = ids.length > 0 && rng.next() < 0.4 ? pick(rng, ids) : pick(rng, nodes);
  const value = key === 'traceId' || key === 'spanId' || key === 'parentSpanId' ? pick(rng, BAD_IDS) : pick(rng, WRONG_VALUES);
  (parent as Record<string | number, unknown>)[key] = value;
  return copy;
}

/** A damaged copy of a JSON request's text: bytes flipped, cut, or ranges deleted. */
export function mutateJsonText(rng: Rng, text: Buffer): Buffer {
  let bytes: Buffer = Buffer.from(text);
  const roll = rng.next();
  if (roll < 0.4) bytes = truncate(rng, bytes, []);
  else if (roll < 0.7) bytes = setByte(rng, bytes, []);
  else {
    const at = rng.int(bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + rng.int(16)))]);
  }
  return bytes;
}

/** OTLP JSON with an attribute value nested `depth` arrays deep, as text: JSON.stringify would recurse. */
export function deeplyNestedJson(depth: number, traceIdHex: string): Buffer {
  const open = '{"arrayValue":{"values":['.repeat(depth);
  const close = ']}}'.repeat(depth);
  const span = `{"traceId":"${traceIdHex}","spanId":"0102030405060708","name":"deep","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"k","value":${open}{"stringValue":"x"}${close}}]}`;
  return Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${span}]}]}]}`);
}

/** A JSON request with an unknown field whose value is bare arrays nested `depth` deep: ignored, but JSON.parse must get through it. */
export function deeplyNestedUnknownJson(depth: number): Buffer {
  return Buffer.from(`{"unknownField":${'['.repeat(depth)}${']'.repeat(depth)},"resourceSpans":[]}`);
}
