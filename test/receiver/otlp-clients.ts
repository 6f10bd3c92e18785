/** Test-only OTLP clients: a raw node:http POST and a grpc-js unary Export with identity serializers, so tests choose every byte and header. */
import http from 'node:http';
import { Metadata, credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { OTLP_GRPC_EXPORT_PATH, OTLP_HTTP_TRACES_PATH } from '../../src/constants.js';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface PostOptions {
  path?: string;
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Uint8Array;
}

/** One request on a fresh connection. A server that answers before reading the whole body (413, 401) may reset the upload: the reply still counts. */
export function post(port: number, options: PostOptions = {}): Promise<HttpReply> {
  const body = options.body ?? new Uint8Array(0);
  // A header given as undefined is left out (chunked uploads have no Content-Length).
  const headers = Object.fromEntries(Object.entries({ 'content-type': 'application/x-protobuf', 'content-length': body.length, ...options.headers }).filter(([, value]) => value !== undefined));
  return new Promise((resolve, reject) => {
    let replied = false;
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? OTLP_HTTP_TRACES_PATH,
        method: options.method ?? 'POST',
        agent: false,
        headers,
      },
      (response) => {
        replied = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    request.on('error', (error) => {
      if (!replied) reject(error);
    });
    request.end(body);
  });
}

const keep = (bytes: Buffer): Buffer => bytes;
const TraceServiceClient = makeGenericClientConstructor(
  { Export: { path: OTLP_GRPC_EXPORT_PATH, requestStream: false, responseStream: false, requestSerialize: keep, requestDeserialize: keep, responseSerialize: keep, responseDeserialize: keep } },
  'TraceService',
);

export interface GrpcReply {
  error: ServiceError | null;
  response: Buffer | undefined;
}

export interface GrpcExporter {
  exportRequest(body: Uint8Array, options?: { token?: string; deadlineMs?: number }): Promise<GrpcReply>;
  close(): void;
}

export function grpcExporter(port: number, options: { gzip?: boolean } = {}): GrpcExporter {
  // grpc-js's own numbering: 2 is gzip.
  const client = new TraceServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), options.gzip === true ? { 'grpc.default_compression_algorithm': 2 } : {});
  const exportMethod = (client as unknown as Record<string, Function>).Export!.bind(client) as (
    body: Buffer,
    metadata: Metadata,
    callOptions: { deadline?: number },
    callback: (error: ServiceError | null, response?: Buffer) => void,
  ) => void;
  return {
    exportRequest(body, callOptions = {}) {
      const metadata = new Metadata();
      if (callOptions.token !== undefined) metadata.set('authorization', `Bearer ${callOptions.token}`);
      const deadline = callOptions.deadlineMs === undefined ? {} : { deadline: Date.now() + callOptions.deadlineMs };
      return new Promise((resolve) => exportMethod(Buffer.from(body), metadata, deadline, (error, response) => resolve({ error, response })));
    },
    close: () => client.close(),
  };
}
