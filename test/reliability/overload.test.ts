// Proves that a daemon offered twice its measured ingest capacity sheds the excess with ERR_BUSY and retryAfterMs, stays under its RSS budget, and that clients which retry lose nothing: every offered batch (some larger than the whole in-flight budget) is acknowledged once and reads back byte-identical, and no refused batch is stored.
import { describe, expect, it } from 'vitest';
import { runOverloadCampaign } from '../../scripts/reliability/overload.js';
import { testSeed } from '../helpers/rng.js';

describe('overload campaign', () => {
  it('sheds load at 2× capacity with BUSY, within its RSS budget, losing nothing', async () => {
    const seed = testSeed();
    const result = await runOverloadCampaign({ quick: true, seed });
    try {
      expect(result.failures).toEqual([]);
      expect(result.counts.busyReplies).toBeGreaterThan(0);
      expect(result.counts.probeBusyReplies).toBeGreaterThan(0);
      expect(result.counts.batchesOffered).toBeGreaterThan(0);
      expect(result.counts.batchesAcknowledged).toBe(result.counts.batchesOffered);
      expect(result.counts.oversizedAcknowledged).toBe(result.counts.oversizedOffered);
      expect(result.counts.spansAcknowledged).toBe(result.counts.spansOffered);
      expect(result.figures.daemonRssPeakMiB).toBeLessThanOrEqual(result.figures.rssBudgetMiB!);
    } catch (error) {
      console.error(`overload campaign failed with seed ${seed} (replay: TRACEKV_SEED=${seed}, or node --import tsx scripts/reliability/overload.ts --quick --seed ${seed})`);
      console.error(JSON.stringify(result, null, 2));
      throw error;
    }
  }, 300_000);
});
