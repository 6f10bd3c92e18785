/**
 * The OTLP transcoders fuzzed in process (src/otlp/): fresh requests from the span model, and many
 * mutations of each (otlp-mutate.ts), straight into the protobuf and JSON transcoders, fast enough
 * for 10^5 bodies. Holds: only ERR_INVALID_ARGUMENT leaves a transcoder; a transcoder's span count
 * is what its batches hold; and every batch it builds validates and decodes whole (data-format.md
 * §2.6), resource, scope and every span, so no acknowledged span could fail a read later.
 */
import { decodeBatch } from '../../../src/batch/index.js';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../../src/constants.js';
import { TraceKvError } from '../../../src/errors.js';
import { JsonTranscoder, ProtobufTranscoder, type TranscodeResult } from '../../../src/otlp/index.js';
import { makeRng } from '../../../src/workload/rng.js';
import type { FailureLog } from '../campaign.js';
import { describeError } from './oracle.js';
import { mutateJsonText, mutateJsonValue, mutateProtobuf } from './otlp-mutate.js';
import { otlpRequest } from './otlp-requests.js';
import { exportRequest, exportRequestJson } from '../../testkit/otlp-request.js';

/** Bodies made from one request before a fresh one is drawn: mutating is far cheaper than writing a request. */
const MUTATIONS_PER_REQUEST = 16;
/** Share of the bodies that are JSON: its transcoder is the smaller one. */
const JSON_SHARE = 0.3;

export interface OtlpInProcessResult {
  bodies: number;
  /** Bodies transcoded to batches (the rest were refused as invalid). */
  transcoded: number;
}

export function fuzzOtlpInProcess(options: { seed: number; bodies: number; failures: FailureLog }): OtlpInProcessResult {
  const { failures } = options;
  const rng = makeRng((options.seed ^ 0x07_1d_0000) >>> 0);
  const limits = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };
  const protobuf = new ProtobufTranscoder(limits);
  const json = new JsonTranscoder(limits);
  const result: OtlpInProcessResult = { bodies: 0, transcoded: 0 };
  let protobufBase: Uint8Array = new Uint8Array(0);
  let jsonBase: Record<string, unknown> = {};
  for (let n = 0; n < options.bodies; n++) {
    if (n % MUTATIONS_PER_REQUEST === 0) {
      const spec = otlpRequest(rng);
      protobufBase = exportRequest(spec.groups);
      jsonBase = exportRequestJson(spec.groups);
    }
    const isJson = rng.next() < JSON_SHARE;
    const valid = n % MUTATIONS_PER_REQUEST === 0;
    let body: Uint8Array;
    if (!isJson) body = valid ? protobufBase : mutateProtobuf(rng, protobufBase);
    else if (valid) body = Buffer.from(JSON.stringify(jsonBase));
    else body = rng.next() < 0.6 ? Buffer.from(JSON.stringify(mutateJsonValue(rng, jsonBase))) : mutateJsonText(rng, Buffer.from(JSON.stringify(jsonBase)));
    result.bodies++;
    const where = `seed ${options.seed} otlp in-process body ${n} (${isJson ? 'json' : 'protobuf'}${valid ? '' : ', mutated'})`;
    let transcoded: TranscodeResult;
    try {
      transcoded = isJson ? json.transcode(body) : protobuf.transcode(body);
    } catch (error) {
      if (!(error instanceof TraceKvError) || error.code !== 'ERR_INVALID_ARGUMENT') {
        failures.add(`${where}: ${error instanceof TraceKvError ? `${error.code} (want only ERR_INVALID_ARGUMENT)` : 'non-typed error'}: ${describeError(error)}`);
      } else if (valid) {
        failures.add(`${where}: a valid request was refused: ${error.message}`);
      }
      continue;
    }
    result.transcoded++;
    try {
      let spans = 0;
      for (const batch of transcoded.batches) spans += decodeBatch(batch).spans.length;
      if (spans !== transcoded.spans) failures.add(`${where}: the transcoder says ${transcoded.spans} spans; its batches hold ${spans}`);
      if (valid && transcoded.spans === 0) failures.add(`${where}: a valid request transcoded to no spans`);
    } catch (error) {
      failures.add(`${where}: a batch the transcoder built does not decode: ${describeError(error)}`);
    }
  }
  return result;
}
