// Proves the daemon protocol (data-format.md §6) withstands hostile input at quick counts: 20,000 fast-check and mutated frames in process raise only typed errors and leave the heap where it was, and over TCP 2,000 random frames, 20 0xFFFFFFFF prefixes, 50 slow connections and connections past the limit neither crash nor hang the daemon, which then still serves a fresh client.
import { describe, expect, it } from 'vitest';
import { PROTOCOL_FUZZ_QUICK, runProtocolFuzzCampaign } from '../../scripts/reliability/protocol-fuzz.js';
import { testSeed } from '../helpers/rng.js';

describe('protocol fuzz campaign', () => {
  it(`survives ${PROTOCOL_FUZZ_QUICK.framesInProcess} frames in process and ${PROTOCOL_FUZZ_QUICK.framesTcp} over TCP with only typed errors`, async () => {
    const seed = testSeed();
    try {
      const result = await runProtocolFuzzCampaign({ quick: true, seed });
      expect(result.failures).toEqual([]);
      expect(result.counts).toMatchObject(PROTOCOL_FUZZ_QUICK);
      // The connection table was really full: the refusal path ran.
      expect(result.counts.refusedConnections).toBeGreaterThan(0);
    } catch (error) {
      console.error(
        `protocol fuzz failed with seed ${seed} (replay: TRACEKV_SEED=${seed}, or node --import tsx scripts/reliability/protocol-fuzz.ts --quick --seed ${seed})`,
      );
      throw error;
    }
  }, 300_000);
});
