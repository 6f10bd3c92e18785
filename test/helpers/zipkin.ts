/** The real Zipkin fixtures for tests: see src/workload/zipkin.ts. */
export * from '../../src/workload/zipkin.js';
