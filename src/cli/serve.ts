/**
 * `tracekv serve`: the daemon, with its OTLP/HTTP and OTLP/gRPC receivers and its query servers
 * (Tempo's API, Jaeger's). Settings come from flags, else from TRACEKV_* environment variables,
 * else the defaults. SIGTERM and SIGINT stop it gracefully: stop accepting, finish in-flight
 * appends, sync and close the store, exit 0.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { DAEMON_DIR_DEFAULT, DAEMON_HOST_DEFAULT, DAEMON_PORT_DEFAULT, OTLP_GRPC_PORT_DEFAULT, OTLP_HTTP_PORT_DEFAULT, QUERY_PORT_DEFAULT, JAEGER_PORT_DEFAULT } from '../constants.js';
import { TraceKvError, invalidOption } from '../errors.js';
import { startDaemon } from '../daemon/server.js';
import type { DaemonOptions } from '../daemon/daemon-options.js';

interface ServeFlags {
  dir?: string;
  host?: string;
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
  retentionHours?: string;
  readerThreads?: string;
  otlpHttpPort?: string;
  otlpGrpcPort?: string;
  /** commander's `--no-otlp`: false when given. */
  otlp?: boolean;
  queryPort?: string;
  /** commander's `--no-query`: false when given. */
  query?: boolean;
  jaegerPort?: string;
  /** commander's `--no-jaeger`: false when given. */
  jaeger?: boolean;
}

function portOf(value: string, option = 'port'): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535) throw invalidOption(option, `got ${value}; want 0..65535`);
  return port;
}

/** TRACEKV_OTLP=false (TRACEKV_QUERY, TRACEKV_JAEGER; or 0, off, no) is --no-otlp (--no-query, --no-jaeger); anything else keeps the face on. */
function faceEnabled(flag: boolean | undefined, env: string | undefined, option: 'otlp' | 'query' | 'jaeger'): boolean {
  if (flag === false) return false;
  if (env === undefined) return true;
  const value = env.trim().toLowerCase();
  if (['false', '0', 'off', 'no'].includes(value)) return false;
  if (['true', '1', 'on', 'yes', ''].includes(value)) return true;
  throw invalidOption(option, `TRACEKV_${option.toUpperCase()} got ${env}; want true or false`);
}

export function daemonOptionsFrom(flags: ServeFlags, env: NodeJS.ProcessEnv): DaemonOptions {
  const options: DaemonOptions = {
    dir: flags.dir ?? env.TRACEKV_DIR ?? DAEMON_DIR_DEFAULT,
    host: flags.host ?? env.TRACEKV_HOST ?? DAEMON_HOST_DEFAULT,
    port: portOf(flags.port ?? env.TRACEKV_PORT ?? String(DAEMON_PORT_DEFAULT)),
    insecure: flags.insecure === true,
    otlp: faceEnabled(flags.otlp, env.TRACEKV_OTLP, 'otlp'),
    query: faceEnabled(flags.query, env.TRACEKV_QUERY, 'query'),
    jaeger: faceEnabled(flags.jaeger, env.TRACEKV_JAEGER, 'jaeger'),
  };
  // Unset, the OTLP ports are 4318 and 4317, or 0 when --port is 0 (see daemon-options.ts).
  const otlpHttpPort = flags.otlpHttpPort ?? env.TRACEKV_OTLP_HTTP_PORT;
  const otlpGrpcPort = flags.otlpGrpcPort ?? env.TRACEKV_OTLP_GRPC_PORT;
  if (otlpHttpPort !== undefined) options.otlpHttpPort = portOf(otlpHttpPort, 'otlpHttpPort');
  if (otlpGrpcPort !== undefined) options.otlpGrpcPort = portOf(otlpGrpcPort, 'otlpGrpcPort');
  const queryPort = flags.queryPort ?? env.TRACEKV_QUERY_PORT;
  if (queryPort !== undefined) options.queryPort = portOf(queryPort, 'queryPort');
  const jaegerPort = flags.jaegerPort ?? env.TRACEKV_JAEGER_PORT;
  if (jaegerPort !== undefined) options.jaegerPort = portOf(jaegerPort, 'jaegerPort');
  const retention = flags.retentionHours ?? env.TRACEKV_RETENTION_HOURS;
  const readers = flags.readerThreads ?? env.TRACEKV_READER_THREADS;
  // Store options are validated, with the option named, when the store opens.
  options.store = {
    ...(retention !== undefined ? { retentionHours: Number(retention) } : {}),
    ...(readers !== undefined ? { readerThreads: Number(readers) } : {}),
  };
  // The token comes only from the environment: a flag would show in `ps` for every user.
  if (env.TRACEKV_TOKEN !== undefined && env.TRACEKV_TOKEN !== '') options.token = env.TRACEKV_TOKEN;
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw invalidOption('tls', '--tls-cert and --tls-key go together');
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    options.tls = { cert: fs.readFileSync(flags.tlsCert), key: fs.readFileSync(flags.tlsKey) };
  }
  return options;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the tracekv daemon (TCP; see data-format.md §6)')
    .option('--dir <dir>', `data directory (env TRACEKV_DIR, default ${DAEMON_DIR_DEFAULT})`)
    .option('--host <host>', `address to bind (env TRACEKV_HOST, default ${DAEMON_HOST_DEFAULT})`)
    .option('--port <port>', `port, 0 for any free one (env TRACEKV_PORT, default ${DAEMON_PORT_DEFAULT})`)
    .option('--tls-cert <file>', 'PEM certificate: serve TLS (≥ 1.2)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--insecure', 'allow a non-loopback address without TRACEKV_TOKEN')
    .option('--retention-hours <hours>', 'drop closed generations this long after closing (env TRACEKV_RETENTION_HOURS, default 0: keep)')
    .option('--reader-threads <n>', 'reader worker threads (env TRACEKV_READER_THREADS, default: cores)')
    .option('--otlp-http-port <port>', `OTLP/HTTP receiver port (env TRACEKV_OTLP_HTTP_PORT, default ${OTLP_HTTP_PORT_DEFAULT}; 0 when --port is 0)`)
    .option('--otlp-grpc-port <port>', `OTLP/gRPC receiver port (env TRACEKV_OTLP_GRPC_PORT, default ${OTLP_GRPC_PORT_DEFAULT}; 0 when --port is 0)`)
    .option('--no-otlp', 'serve no OTLP receivers (env TRACEKV_OTLP=false)')
    .option('--query-port <port>', `HTTP query server port: Tempo's API (env TRACEKV_QUERY_PORT, default ${QUERY_PORT_DEFAULT}; 0 when --port is 0)`)
    .option('--no-query', 'serve no query server (env TRACEKV_QUERY=false)')
    .option('--jaeger-port <port>', `Jaeger query API port (env TRACEKV_JAEGER_PORT, default ${JAEGER_PORT_DEFAULT}; 0 when --port is 0)`)
    .option('--no-jaeger', 'serve no Jaeger query API (env TRACEKV_JAEGER=false)')
    .action(async (flags: ServeFlags) => {
      // A log reader that went away (a closed pipe) must not take the daemon down with EPIPE.
      process.stdout.on('error', () => {});
      const daemon = await startDaemon(daemonOptionsFrom(flags, process.env));
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`${JSON.stringify({ event: 'signal', signal })}\n`);
        daemon.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`tracekv: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

export { TraceKvError };
