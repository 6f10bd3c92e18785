import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Storage tests fsync and reopen real directories; the default 5 s is too tight on a shared 2-core box.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: {
      // Reader worker threads load reader-worker.ts from the sources under test and inherit this
      // loader from the test process (reader-pool.ts workerFile), so no test runs a stale dist/.
      forks: { execArgv: ['--import', 'tsx'] },
    },
  },
});
