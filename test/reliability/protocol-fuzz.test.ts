// Proves the daemon protocol (data-format.md §6) and the OTLP receivers (§7) withstand hostile input at quick counts: 20,000 fast-check and mutated frames in process raise only typed errors and leave the heap where it was; over TCP 2,000 random frames, 20 0xFFFFFFFF prefixes, 50 slow connections and connections past the limit neither crash nor hang the daemon, which then still serves a fresh client; and 2,000 OTLP bodies in process, 300 OTLP/HTTP requests and 100 OTLP/gRPC calls (valid, mutated, gzip, bombs, wrong types and tokens), raw garbage and slow lorises each get the answer their class documents, with every acknowledged span read back and nothing of a refused request stored.
import { describe, expect, it } from 'vitest';
import { PROTOCOL_FUZZ_QUICK, runProtocolFuzzCampaign } from '../../scripts/reliability/protocol-fuzz.js';
import { testSeed } from '../helpers/rng.js';

/** OTLP answer classes a quick run must reach, so that no part of the oracle went unexercised. */
const OTLP_ANSWERS_REACHED = [
  'otlpHttp200', 'otlpHttpPartial', 'otlpHttp400', 'otlpHttp401', 'otlpHttp413', 'otlpHttp415',
  'otlpGrpcOK', 'otlpGrpcINVALID_ARGUMENT', 'otlpGrpcRESOURCE_EXHAUSTED', 'otlpGrpcUNAUTHENTICATED',
];

describe('protocol fuzz campaign', () => {
  it(`survives ${PROTOCOL_FUZZ_QUICK.framesInProcess} frames in process, ${PROTOCOL_FUZZ_QUICK.framesTcp} over TCP and ${PROTOCOL_FUZZ_QUICK.otlpHttpRequests} + ${PROTOCOL_FUZZ_QUICK.otlpGrpcRequests} OTLP requests with only documented answers`, async () => {
    const seed = testSeed();
    try {
      const result = await runProtocolFuzzCampaign({ quick: true, seed });
      expect(result.failures).toEqual([]);
      const { otlpLargeRequestSpans: _spans, ...counts } = PROTOCOL_FUZZ_QUICK;
      expect(result.counts).toMatchObject(counts);
      // The connection table was really full: the refusal path ran.
      expect(result.counts.refusedConnections).toBeGreaterThan(0);
      expect(OTLP_ANSWERS_REACHED.filter((answer) => !((result.counts[answer] ?? 0) > 0))).toEqual([]);
      // The ledger had acknowledged spans to read back.
      expect(result.counts.otlpSpansAcknowledged).toBeGreaterThan(0);
    } catch (error) {
      console.error(
        `protocol fuzz failed with seed ${seed} (replay: TRACEKV_SEED=${seed}, or node --import tsx scripts/reliability/protocol-fuzz.ts --quick --seed ${seed})`,
      );
      throw error;
    }
  }, 300_000);
});
