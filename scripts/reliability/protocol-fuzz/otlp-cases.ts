/**
 * One seed's stream of OTLP requests for the protocol fuzz, each with the answer it must get
 * (otlp-expect.ts): well-formed protobuf and JSON from the span model, plain and gzipped, two
 * requests glued together (which protobuf merges into one); mutated protobuf (otlp-mutate.ts),
 * JSON with wrong types or bad hex ids or damaged text; gzip truncated, corrupted or a bomb;
 * bodies over the limit; wrong content types and encodings; missing and wrong tokens; empty
 * bodies and raw garbage. The hostile set adds the shapes worth sending every run: nesting at and
 * past the depth limits, a large request (65,536 spans in a full run), a body over the limit, a
 * bomb, and a wrong token.
 */
import zlib from 'node:zlib';
import { ATTRIBUTE_NESTING_MAX } from '../../../src/constants.js';
import { makeRng, type Rng } from '../../../src/workload/rng.js';
import { FUZZ_TOKEN } from './corpus.js';
import { FUZZ_OTLP_REQUEST_BYTES_MAX, type Expectations, type Expected, type OtlpFormat } from './otlp-expect.js';
import { deeplyNestedJson, deeplyNestedProtobuf, deeplyNestedUnknownJson, mutateJsonText, mutateJsonValue, mutateProtobuf } from './otlp-mutate.js';
import { largeRequest, otlpRequest, type OtlpRequestSpec } from './otlp-requests.js';
import { exportRequest, exportRequestJson } from '../../testkit/otlp-request.js';

export const AUTHORIZATION = `Bearer ${FUZZ_TOKEN}`;
/** AnyValue nesting depths of the hostile set: around the attribute limit, and far past the stack. */
const HOSTILE_NESTING_DEPTHS = [ATTRIBUTE_NESTING_MAX - 1, ATTRIBUTE_NESTING_MAX, ATTRIBUTE_NESTING_MAX + 1, 1_000, 30_000];
/** Bytes a gzip bomb inflates to: past the fuzzed limit by half again; 1,000-odd times smaller on the wire. */
const BOMB_INFLATED_BYTES = FUZZ_OTLP_REQUEST_BYTES_MAX + FUZZ_OTLP_REQUEST_BYTES_MAX / 2;
/** Content types the receiver must refuse with 415: near misses of the two it takes, and none at all. */
const WRONG_CONTENT_TYPES = ['text/plain', 'application/protobuf', 'application/grpc', 'application/json; charset=latin1', 'application/x-protobuf2', 'multipart/form-data', undefined];
const WRONG_ENCODINGS = ['br', 'deflate', 'gzip, gzip', 'x-gzip2'];

export interface OtlpCase {
  /** What kind of case it is, for failure lines and counts. */
  kind: string;
  /** The format the reply must come in (the request's, when it has a valid one). */
  format: OtlpFormat;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  authorization: string | undefined;
  /** The body as sent (gzipped when contentEncoding says so). */
  body: Buffer;
  /** Trace ids the request's spans were written with: whatever its answer, the ledger checks them. */
  traceIdsHex: string[];
  expected: Expected;
}

interface CaseKind {
  kind: string;
  weight: number;
  make: (source: OtlpCaseSource) => OtlpCase;
}

const CONTENT_TYPES: Record<OtlpFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

export class OtlpCaseSource {
  readonly rng: Rng;
  private readonly kinds: CaseKind[];
  private readonly weightTotal: number;

  /** `grpc`: only what a gRPC client can send (protobuf messages; the channel does the gzip). */
  constructor(
    seed: number,
    private readonly expectations: Expectations,
    grpc: boolean,
  ) {
    this.rng = makeRng(seed);
    this.kinds = grpc ? GRPC_KINDS : HTTP_KINDS;
    this.weightTotal = this.kinds.reduce((sum, kind) => sum + kind.weight, 0);
  }

  next(): OtlpCase {
    let roll = this.rng.next() * this.weightTotal;
    for (const kind of this.kinds) {
      roll -= kind.weight;
      if (roll < 0) return kind.make(this);
    }
    return this.kinds[0]!.make(this);
  }

  request(): OtlpRequestSpec {
    return otlpRequest(this.rng);
  }

  /** A case with a known content type and the right token, its expectation worked out. */
  make(kind: string, format: OtlpFormat, body: Uint8Array, traceIdsHex: string[], gzip = false): OtlpCase {
    const wire = Buffer.from(body);
    return {
      kind,
      format,
      contentType: CONTENT_TYPES[format],
      contentEncoding: gzip ? 'gzip' : undefined,
      authorization: AUTHORIZATION,
      body: wire,
      traceIdsHex,
      expected: this.expectations.expect(wire, format, gzip, `OTLP case ${kind}`),
    };
  }
}

function jsonBody(spec: OtlpRequestSpec): Buffer {
  return Buffer.from(JSON.stringify(exportRequestJson(spec.groups)));
}

function gzip(body: Uint8Array): Buffer {
  return zlib.gzipSync(body, { level: 1 });
}

const validProtobuf = (s: OtlpCaseSource, gzipped: boolean): OtlpCase => {
  const spec = s.request();
  const body = exportRequest(spec.groups);
  return s.make(gzipped ? 'protobuf-gzip' : 'protobuf', 'protobuf', gzipped ? gzip(body) : body, spec.traceIdsHex, gzipped);
};

const validJson = (s: OtlpCaseSource, gzipped: boolean): OtlpCase => {
  const spec = s.request();
  const body = jsonBody(spec);
  return s.make(gzipped ? 'json-gzip' : 'json', 'json', gzipped ? gzip(body) : body, spec.traceIdsHex, gzipped);
};

const mutatedProtobuf = (s: OtlpCaseSource, gzipped: boolean): OtlpCase => {
  const spec = s.request();
  const body = mutateProtobuf(s.rng, exportRequest(spec.groups));
  return s.make(gzipped ? 'protobuf-mutated-gzip' : 'protobuf-mutated', 'protobuf', gzipped ? gzip(body) : body, spec.traceIdsHex, gzipped);
};

/** Two requests back to back: protobuf merges repeated fields, so this is one valid request of both. */
const concatenated = (s: OtlpCaseSource): OtlpCase => {
  const a = s.request();
  const b = s.request();
  return s.make('protobuf-concatenated', 'protobuf', Buffer.concat([exportRequest(a.groups), exportRequest(b.groups)]), [...a.traceIdsHex, ...b.traceIdsHex]);
};

const damagedGzip = (s: OtlpCaseSource, how: 'truncated' | 'corrupt'): OtlpCase => {
  const spec = s.request();
  const whole = gzip(s.rng.next() < 0.5 ? exportRequest(spec.groups) : jsonBody(spec));
  const format: OtlpFormat = whole.length > 0 && s.rng.next() < 0.5 ? 'protobuf' : 'json';
  let wire: Buffer;
  if (how === 'truncated') {
    wire = whole.subarray(0, 1 + s.rng.int(whole.length - 1));
  } else {
    wire = Buffer.from(whole);
    // Past the 10-byte gzip header: the deflate data or the CRC-32 and size trailer.
    const at = 10 + s.rng.int(wire.length - 10);
    wire[at] = wire[at]! ^ (1 << s.rng.int(8));
  }
  return s.make(`gzip-${how}`, format, wire, spec.traceIdsHex, true);
};

const bomb = (s: OtlpCaseSource): OtlpCase => {
  const format: OtlpFormat = s.rng.next() < 0.5 ? 'protobuf' : 'json';
  return s.make('gzip-bomb', format, gzip(Buffer.alloc(BOMB_INFLATED_BYTES)), [], true);
};

/** Over the limit on the wire: a valid request padded with an unknown field (protobuf) or spaces (JSON). */
const tooLarge = (s: OtlpCaseSource): OtlpCase => {
  const spec = s.request();
  const format: OtlpFormat = s.rng.next() < 0.5 ? 'protobuf' : 'json';
  const head = format === 'protobuf' ? exportRequest(spec.groups) : jsonBody(spec);
  return s.make('too-large', format, Buffer.concat([head, Buffer.alloc(FUZZ_OTLP_REQUEST_BYTES_MAX + 1 - head.length + s.rng.int(1024), 0x20)]), spec.traceIdsHex);
};

const wrongContentType = (s: OtlpCaseSource): OtlpCase => {
  const valid = s.rng.next() < 0.5 ? validProtobuf(s, false) : validJson(s, false);
  return { ...valid, kind: 'wrong-content-type', contentType: pick(s.rng, WRONG_CONTENT_TYPES), expected: { class: 'unsupported' } };
};

const wrongEncoding = (s: OtlpCaseSource): OtlpCase => {
  const valid = validProtobuf(s, true);
  return { ...valid, kind: 'wrong-encoding', contentEncoding: pick(s.rng, WRONG_ENCODINGS), expected: { class: 'unsupported' } };
};

const badToken = (s: OtlpCaseSource): OtlpCase => {
  const valid = s.rng.next() < 0.5 ? validProtobuf(s, false) : validJson(s, false);
  const authorization = pick(s.rng, [undefined, 'Bearer wrong', `Basic ${FUZZ_TOKEN}`, `Bearer ${FUZZ_TOKEN}x`, 'Bearer']);
  return { ...valid, kind: 'bad-token', authorization, expected: { class: 'unauthenticated' } };
};

const empty = (s: OtlpCaseSource): OtlpCase => {
  const format: OtlpFormat = s.rng.next() < 0.5 ? 'protobuf' : 'json';
  const body = format === 'json' && s.rng.next() < 0.5 ? Buffer.from(pick(s.rng, ['{}', '{"resourceSpans":[]}', '{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}'])) : Buffer.alloc(0);
  return s.make('empty', format, body, []);
};

const garbage = (s: OtlpCaseSource): OtlpCase => {
  const format: OtlpFormat = s.rng.next() < 0.8 ? 'protobuf' : 'json';
  return s.make('garbage', format, Buffer.from(s.rng.bytes(1 + s.rng.int(512))), []);
};

const jsonWrongType = (s: OtlpCaseSource): OtlpCase => {
  const spec = s.request();
  const body = Buffer.from(JSON.stringify(mutateJsonValue(s.rng, exportRequestJson(spec.groups))));
  return s.make('json-wrong-type', 'json', body, spec.traceIdsHex);
};

const jsonDamagedText = (s: OtlpCaseSource): OtlpCase => {
  const spec = s.request();
  return s.make('json-damaged-text', 'json', mutateJsonText(s.rng, jsonBody(spec)), spec.traceIdsHex);
};

const HTTP_KINDS: CaseKind[] = [
  { kind: 'protobuf', weight: 14, make: (s) => validProtobuf(s, false) },
  { kind: 'protobuf-gzip', weight: 6, make: (s) => validProtobuf(s, true) },
  { kind: 'protobuf-concatenated', weight: 2, make: concatenated },
  { kind: 'protobuf-mutated', weight: 24, make: (s) => mutatedProtobuf(s, false) },
  { kind: 'protobuf-mutated-gzip', weight: 4, make: (s) => mutatedProtobuf(s, true) },
  { kind: 'json', weight: 8, make: (s) => validJson(s, false) },
  { kind: 'json-gzip', weight: 3, make: (s) => validJson(s, true) },
  { kind: 'json-wrong-type', weight: 10, make: jsonWrongType },
  { kind: 'json-damaged-text', weight: 5, make: jsonDamagedText },
  { kind: 'gzip-truncated', weight: 3, make: (s) => damagedGzip(s, 'truncated') },
  { kind: 'gzip-corrupt', weight: 2, make: (s) => damagedGzip(s, 'corrupt') },
  { kind: 'gzip-bomb', weight: 0.5, make: bomb },
  { kind: 'too-large', weight: 0.3, make: tooLarge },
  { kind: 'wrong-content-type', weight: 3, make: wrongContentType },
  { kind: 'wrong-encoding', weight: 1, make: wrongEncoding },
  { kind: 'bad-token', weight: 2, make: badToken },
  { kind: 'empty', weight: 2, make: empty },
  { kind: 'garbage', weight: 3, make: garbage },
];

const GRPC_KINDS: CaseKind[] = [
  { kind: 'protobuf', weight: 30, make: (s) => validProtobuf(s, false) },
  { kind: 'protobuf-concatenated', weight: 3, make: concatenated },
  { kind: 'protobuf-mutated', weight: 50, make: (s) => mutatedProtobuf(s, false) },
  { kind: 'bad-token', weight: 3, make: (s) => ({ ...validProtobuf(s, false), kind: 'bad-token', authorization: undefined, expected: { class: 'unauthenticated' } }) },
  { kind: 'empty', weight: 3, make: (s) => s.make('empty', 'protobuf', Buffer.alloc(0), []) },
  { kind: 'garbage', weight: 5, make: garbage },
];

/** The hostile set: sent whole in every phase, HTTP unless `grpc`; its large requests have `largeSpans` spans. */
export function hostileCases(seed: number, expectations: Expectations, grpc: boolean, largeSpans: number): OtlpCase[] {
  const s = new OtlpCaseSource(seed, expectations, grpc);
  const cases: OtlpCase[] = [];
  const large = largeRequest(s.rng, largeSpans);
  cases.push(s.make('large', 'protobuf', exportRequest(large.groups), large.traceIdsHex));
  for (const depth of HOSTILE_NESTING_DEPTHS) {
    const traceId = s.rng.bytes(16);
    traceId[0] = traceId[0]! | 0x80;
    const hex = Buffer.from(traceId).toString('hex');
    cases.push(s.make(`protobuf-nested-${depth}`, 'protobuf', deeplyNestedProtobuf(depth, traceId), [hex]));
    if (!grpc) cases.push(s.make(`json-nested-${depth}`, 'json', deeplyNestedJson(depth, hex), [hex]));
  }
  // Over gRPC, past grpc.max_receive_message_length; on the gzip channel it is a bomb as well.
  cases.push(tooLarge(s));
  cases.push({ ...validProtobuf(s, false), kind: 'bad-token', authorization: 'Bearer wrong', expected: { class: 'unauthenticated' } });
  if (!grpc) {
    cases.push(s.make('json-unknown-nested', 'json', deeplyNestedUnknownJson(HOSTILE_NESTING_DEPTHS.at(-1)!), []));
    cases.push(bomb(s));
    const gzipped = largeRequest(s.rng, largeSpans);
    cases.push(s.make('large-gzip', 'protobuf', gzip(exportRequest(gzipped.groups)), gzipped.traceIdsHex, true));
  }
  return cases;
}
