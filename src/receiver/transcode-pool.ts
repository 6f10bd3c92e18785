/**
 * Where OTLP requests are transcoded: on a piscina pool of worker threads, so that the daemon's
 * thread, which parses HTTP and gRPC and drives the store, is not also the one that decodes every
 * span (transcoding is most of an OTLP request's CPU). Bodies under
 * OTLP_TRANSCODE_INLINE_BYTES_MAX, and every body when `threads` is 0, are transcoded inline.
 * Undecodable input is ERR_INVALID_ARGUMENT whichever thread found it.
 */
import { Piscina } from 'piscina';
import { OTLP_TRANSCODE_INLINE_BYTES_MAX } from '../constants.js';
import { invalidArgument } from '../errors.js';
import { JsonTranscoder, ProtobufTranscoder, type TranscodeLimits, type TranscodeResult } from '../otlp/index.js';

export type TranscodeFormat = 'protobuf' | 'json';

export interface TranscodeTask {
  body: Uint8Array;
  format: TranscodeFormat;
}

/** A worker's answer: the batches, or why the body is not an OTLP request. */
export type TranscodeTaskResult = { result: TranscodeResult } | { invalid: string };

/** The worker module beside this one, in this module's own form (.js from the build, .ts from the sources), as reader-pool does. */
function workerFile(): string {
  const here = new URL(import.meta.url);
  const extension = here.pathname.slice(here.pathname.lastIndexOf('.'));
  return new URL(`./transcode-worker${extension}`, here).href;
}

export class TranscodePool {
  private readonly protobuf: ProtobufTranscoder;
  private readonly json: JsonTranscoder;
  private readonly pool: Piscina | null;

  constructor(
    limits: TranscodeLimits,
    readonly threads: number,
  ) {
    this.protobuf = new ProtobufTranscoder(limits);
    this.json = new JsonTranscoder(limits);
    this.pool =
      threads === 0
        ? null
        : new Piscina({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: Number.POSITIVE_INFINITY, workerData: { limits } });
  }

  /** The body's batches; ERR_INVALID_ARGUMENT when it is not an OTLP request. */
  async transcode(body: Uint8Array, format: TranscodeFormat): Promise<TranscodeResult> {
    if (this.pool === null || body.length < OTLP_TRANSCODE_INLINE_BYTES_MAX) {
      return format === 'protobuf' ? this.protobuf.transcode(body) : this.json.transcode(body);
    }
    const answer = (await this.pool.run({ body, format } satisfies TranscodeTask)) as TranscodeTaskResult;
    if ('invalid' in answer) throw invalidArgument(answer.invalid);
    return answer.result;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
