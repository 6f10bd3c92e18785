/** The daemon: a store served over TCP or TLS (data-format.md §6), with its options, in-flight budget and metrics. */
export { REQUEST_OVERHEAD_BYTES, createConnectionContext, startDaemon, type Daemon } from './server.js';
export { DAEMON_DEFAULTS, resolveDaemonOptions, type DaemonOptions, type DaemonTlsOptions, type ResolvedDaemonOptions } from './daemon-options.js';
export { DaemonMetrics } from './metrics.js';
