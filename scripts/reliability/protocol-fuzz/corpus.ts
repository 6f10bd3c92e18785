/**
 * The seed corpus of the protocol fuzz: a few small batches whose traces the fuzzed store holds, and
 * one well-formed frame of every request kind (data-format.md §6.2) for the mutators to start from.
 * Reads of corpus traces find real spans, so the fuzz reaches the response path, not only the
 * "not found" one.
 */
import { BatchEncoder } from '../../../src/index.js';
import { Opcode, encodeFrame } from '../../../src/protocol/frame.js';

/** The token of the fuzzed daemons: HELLO frames of the corpus carry it, so half of them authenticate. */
export const FUZZ_TOKEN = 'protocol-fuzz-token';
/**
 * The fuzzed stores seal their index tail this often. The few appends that succeed add index
 * entries, which a store holds in memory until a seal: by design, but it would read as growth.
 */
export const FUZZ_STORE_INDEX_FLUSH_ENTRIES = 256;
/** Spans per corpus trace: several, so range reads and streamed answers have something to cut. */
const CORPUS_SPANS_PER_TRACE = 3;
/** Start of the corpus time range; spans are 1 µs apart. */
const CORPUS_START_TIME_UNIX_NANO = 1_700_000_000_000_000_000n;

export interface Corpus {
  /** One batch per trace, stored before the fuzz; the last one holds a span record that is not msgpack (reads of it must fail cleanly). */
  batches: Uint8Array[];
  /**
   * The batch APPEND frames carry, valid or damaged. Its trace is not one of the read targets: the
   * fuzz appends it many times, and read targets that grew with every append would make each read
   * slower than the last and the heap bigger.
   */
  appendBatch: Uint8Array;
  traceIds: Uint8Array[];
  /** The first span id of each trace. */
  spanIds: Uint8Array[];
  /** Well-formed request frames, the mutation loop's starting points. */
  frames: Buffer[];
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

function idBytes(byteLength: number, value: number): Uint8Array {
  const bytes = new Uint8Array(byteLength);
  new DataView(bytes.buffer).setUint32(byteLength - 4, value);
  return bytes;
}

function corpusBatch(traceNo: number, traceId: Uint8Array, undecodable: boolean): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'protocol-fuzz', trace: traceNo } }, scope: { name: 'fuzz' } });
  for (let s = 1; s <= CORPUS_SPANS_PER_TRACE; s++) {
    const startTimeUnixNano = CORPUS_START_TIME_UNIX_NANO + BigInt(traceNo * 1000 + s * 1000);
    const spanId = idBytes(8, traceNo * 100 + s);
    if (undecodable && s === CORPUS_SPANS_PER_TRACE) {
      // 0xc1 is the one byte msgpack never uses: the store accepts the batch (it never decodes
      // span records) and a decoded read must then fail with a typed error.
      encoder.addRaw(traceId, spanId, startTimeUnixNano, new Uint8Array([0xc1, 0xc1]));
      continue;
    }
    encoder.add({
      traceId,
      spanId,
      ...(s > 1 ? { parentSpanId: idBytes(8, traceNo * 100 + 1) } : {}),
      name: `fuzz-${traceNo}-${s}`,
      startTimeUnixNano,
      endTimeUnixNano: startTimeUnixNano + 500n,
      attributes: { 'http.status_code': 200, nested: { list: [1, 2n, 'x', true], bytes: new Uint8Array([traceNo, s]) } },
      events: [{ name: 'event', timeUnixNano: startTimeUnixNano + 1n, attributes: { n: s } }],
    });
  }
  return encoder.finish();
}

export function buildCorpus(): Corpus {
  const traceCount = 4;
  const traceIds = Array.from({ length: traceCount }, (_, t) => idBytes(16, 0xf022_0000 + t));
  const spanIds = traceIds.map((_, t) => idBytes(8, t * 100 + 1));
  const batches = traceIds.map((traceId, t) => corpusBatch(t, traceId, t === traceCount - 1));
  const appendBatch = corpusBatch(traceCount, new Uint8Array(16).fill(0xab), false);
  const startTimeUnixNano = CORPUS_START_TIME_UNIX_NANO;
  const endTimeUnixNano = CORPUS_START_TIME_UNIX_NANO + BigInt(traceCount * 1000 + CORPUS_SPANS_PER_TRACE * 1000 + 1000);
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  const frames = [
    encodeFrame(Opcode.HELLO, 0, 1, { version: 1, token: FUZZ_TOKEN }),
    encodeFrame(Opcode.HELLO, 0, 2, { version: 1 }),
    encodeFrame(Opcode.APPEND, 0, 3, {}, appendBatch),
    encodeFrame(Opcode.GET_SPAN, 0, 4, { traceId: traceIds[1], spanId: spanIds[1] }),
    encodeFrame(Opcode.GET_TRACE, 0, 5, { traceId: traceIds[0] }),
    encodeFrame(Opcode.GET_TRACE, 0, 6, { traceId: traceIds[2], startTimeUnixNano, endTimeUnixNano, raw: true }),
    encodeFrame(Opcode.GET_TRACE, 0, 7, { traceId: traceIds[traceCount - 1] }),
    encodeFrame(Opcode.GET_TRACES, 0, 8, {
      ids: [traceIds[0], hex(traceIds[1]!), { traceId: traceIds[2], startTimeUnixNano, endTimeUnixNano: startTimeUnixNano + 2500n }, traceIds[traceCount - 1]],
      raw: false,
    }),
    encodeFrame(Opcode.STATS, 0, 9, {}),
    encodeFrame(Opcode.PING, 0, 10, {}),
    encodeFrame(0x42, 0, 11, {}),
  ];
  return { batches, appendBatch, traceIds, spanIds, frames, startTimeUnixNano, endTimeUnixNano };
}

/**
 * A batch of its own for the "still serves" check of a fresh TraceClient: `checkNo` makes its trace
 * id unique, so the spans read back are exactly the ones just appended.
 */
export function roundTripBatch(checkNo: number): { batch: Uint8Array; traceId: Uint8Array; spans: number } {
  const traceId = idBytes(16, 0xc0ffee00 + checkNo);
  return { batch: corpusBatch(checkNo, traceId, false), traceId, spans: CORPUS_SPANS_PER_TRACE };
}
