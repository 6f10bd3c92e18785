// Proves the receivers' replies are what OTLP clients read: ExportTraceServiceResponse as OpenTelemetry's own deserializers decode it (empty on full success, partial_success otherwise) and google.rpc.Status with a RetryInfo, byte for byte as the protobuf encoding gives it.
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { encodeExportResponseJson, encodeExportResponseProtobuf, encodeRpcStatusJson, encodeRpcStatusProtobuf } from '../../src/receiver/index.js';

describe('ExportTraceServiceResponse', () => {
  it('is empty on a full success, in protobuf (0 bytes) and JSON ({})', () => {
    expect(encodeExportResponseProtobuf({ rejectedSpans: 0, errorMessage: '' }).length).toBe(0);
    expect(encodeExportResponseJson({ rejectedSpans: 0, errorMessage: '' }).toString()).toBe('{}');
  });

  it('carries partial_success as OpenTelemetry decodes it, int64 as a string in JSON', () => {
    const result = { rejectedSpans: 300, errorMessage: 'span 2: trace id got 3 bytes; want 16' };
    const protobuf = encodeExportResponseProtobuf(result);
    // Field 1 (len) { field 1 varint 300 = ac 02, field 2 (len) message }.
    expect([...protobuf.subarray(0, 5)]).toEqual([0x0a, 3 + 2 + result.errorMessage.length, 0x08, 0xac, 0x02]);
    const decoded = ProtobufTraceSerializer.deserializeResponse(protobuf);
    expect({ rejectedSpans: Number(decoded.partialSuccess?.rejectedSpans), errorMessage: decoded.partialSuccess?.errorMessage }).toEqual(result);
    const json = encodeExportResponseJson(result);
    expect(JSON.parse(json.toString())).toEqual({ partialSuccess: { rejectedSpans: '300', errorMessage: result.errorMessage } });
    expect(JsonTraceSerializer.deserializeResponse(json).partialSuccess?.errorMessage).toBe(result.errorMessage);
    expect(JSON.parse(encodeExportResponseJson({ rejectedSpans: 0, errorMessage: 'warning' }).toString())).toEqual({ partialSuccess: { errorMessage: 'warning' } });
  });
});

describe('google.rpc.Status', () => {
  it('encodes code, message and a RetryInfo of seconds and nanos', () => {
    const typeUrl = Buffer.from('type.googleapis.com/google.rpc.RetryInfo');
    // RetryInfo { retry_delay { seconds 1, nanos 250_000_000 } }.
    const duration = [0x08, 0x01, 0x10, 0x80, 0xe5, 0x9a, 0x77];
    const retryInfo = [0x0a, duration.length, ...duration];
    const any = [0x0a, typeUrl.length, ...typeUrl, 0x12, retryInfo.length, ...retryInfo];
    expect([...encodeRpcStatusProtobuf({ code: 8, message: 'busy', retryAfterMs: 1250 })]).toEqual([0x08, 8, 0x12, 4, ...Buffer.from('busy'), 0x1a, any.length, ...any]);
    expect([...encodeRpcStatusProtobuf({ code: 3, message: 'x' })]).toEqual([0x08, 3, 0x12, 1, 0x78]);
    expect(JSON.parse(encodeRpcStatusJson({ code: 8, message: 'busy', retryAfterMs: 1250 }).toString())).toEqual({
      code: 8,
      message: 'busy',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.250s' }],
    });
  });
});
