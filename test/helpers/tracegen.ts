/** Tracegen-shaped spans for tests: see src/workload/tracegen.ts. */
export * from '../../src/workload/tracegen.js';
