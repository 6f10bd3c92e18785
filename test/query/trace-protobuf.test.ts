// Proves the query faces' OTLP writer loses nothing: over arbitrary valid spans (fixed seed), a stored batch, decoded and written as TracesData, transcodes back (TracesData and ExportTraceServiceRequest share field 1) into the very same batch bytes; and that ProtobufBuilder's nested lengths are right at every varint-size boundary.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../src/constants.js';
import { decodeBatch } from '../../src/batch/index.js';
import { transcodeProtobuf } from '../../src/otlp/index.js';
import { ProtobufReader } from '../../src/otlp/protobuf-reader.js';
import { ProtobufBuilder } from '../../src/codec/index.js';
import { writeTracesData } from '../../src/otlp/index.js';
import { resource, scope, span, storedBatch } from '../helpers/span-arbitraries.js';

const SEED = 20_261_205;
const RUNS = 300;
const LIMITS = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };

describe('writeTracesData', () => {
  it('stored spans → TracesData → the transcoder gives back the stored batch, byte for byte', () => {
    const builder = new ProtobufBuilder();
    fc.assert(
      fc.property(resource, fc.option(scope, { nil: undefined }), fc.array(span, { minLength: 1, maxLength: 5 }), (resourceInput, scopeInput, spans) => {
        const batch = storedBatch(resourceInput, scopeInput, spans);
        builder.reset();
        writeTracesData(builder, decodeBatch(batch).spans);
        const again = transcodeProtobuf(builder.finish(), LIMITS);
        expect(again.errorMessage).toBe('');
        expect(again.batches.map((b) => Buffer.from(b).toString('hex'))).toEqual([Buffer.from(batch).toString('hex')]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('ProtobufBuilder', () => {
  it('writes each nested length as the shortest varint, moving the body when it is longer than one byte', () => {
    const builder = new ProtobufBuilder();
    const sizes = [0, 1, 126, 127, 128, 129, 16_383, 16_384, 16_385, 2_097_151, 2_097_152];
    // Mixed UTF-8, all ASCII (copied in a loop up to 127 units), and ASCII up to a last non-ASCII unit.
    const texts = [...sizes.map((size) => 'é'.repeat(size >> 1) + 'x'.repeat(size & 1)), ...[0, 1, 126, 127, 128, 200].flatMap((units) => ['x'.repeat(units), `${'x'.repeat(units)}é`])];
    for (const text of texts) {
      const size = Buffer.byteLength(text);
      builder.reset();
      builder.begin(1);
      builder.begin(2);
      builder.string(3, text);
      builder.end();
      builder.uint(4, size);
      builder.end();
      const bytes = builder.finish();
      const reader = new ProtobufReader(bytes);
      expect(reader.nextField()).toBe(true);
      const outer = reader.enter();
      expect(reader.nextField() && reader.fieldNumber).toBe(2);
      const inner = reader.enter();
      expect(reader.nextField() && reader.fieldNumber).toBe(3);
      const end = reader.lengthDelimited();
      expect(Buffer.from(bytes.subarray(reader.pos, end)).toString('utf8')).toBe(text);
      reader.pos = end;
      reader.leave(inner);
      if (size !== 0) {
        expect(reader.nextField() && reader.fieldNumber).toBe(4);
        expect(reader.uint32()).toBe(size);
      }
      expect(reader.nextField()).toBe(false);
      reader.leave(outer);
      expect(reader.pos).toBe(bytes.length);
    }
  });

  it('writes negative int64 as ten bytes of two’s complement, and a oneof member at its default', () => {
    const builder = new ProtobufBuilder();
    builder.int64(1, -1n, true);
    builder.int64(2, 0n, true);
    builder.int64(3, 0n);
    builder.uint(4, 0, true);
    const bytes = builder.finish();
    expect(Buffer.from(bytes).toString('hex')).toBe(`08${'ff'.repeat(9)}01` + '1000' + '2000');
  });
});
