/**
 * A transcoding worker thread: transcodes one OTLP request body into batches (src/otlp/) off the
 * daemon's thread, which then only appends them. Its transcoders are made once per thread and
 * reused for every request, like the receivers' own.
 */
import { workerData } from 'node:worker_threads';
import { TraceKvError } from '../errors.js';
import { JsonTranscoder, ProtobufTranscoder, type TranscodeLimits } from '../otlp/index.js';
import type { TranscodeTask, TranscodeTaskResult } from './transcode-pool.js';

const limits = (workerData as { limits: TranscodeLimits }).limits;
const protobuf = new ProtobufTranscoder(limits);
const json = new JsonTranscoder(limits);

export default function transcodeTask(task: TranscodeTask): TranscodeTaskResult {
  // Piscina hands over a structured clone: a Uint8Array over its own memory.
  const body = task.body;
  try {
    return { result: task.format === 'protobuf' ? protobuf.transcode(body) : json.transcode(body) };
  } catch (error) {
    // Undecodable input comes back as data: an Error's code does not survive the thread boundary.
    if (error instanceof TraceKvError && error.code === 'ERR_INVALID_ARGUMENT') return { invalid: error.message };
    throw error;
  }
}
