/** The TCP client: the TraceStoreApi over the daemon protocol (data-format.md §6), with deadlines, retries and pipelined requests. */
export { TraceClient, type ClientStats, type RemoteStats, type TraceClientOptions } from './trace-client.js';
