/**
 * A local ClickHouse server for the peer benchmark: Debian's `clickhouse-server` run from a config
 * written into a temp dir (data, logs and users there too), listening on loopback only, queried
 * over its HTTP interface with POST (GET is read-only in ClickHouse). Never used by `npm test`.
 *
 * Install it with `apt-get install clickhouse-server` (Debian ships 18.16). When no binary is found,
 * `findClickHouseServer` returns null with the reason, and the peer benchmark skips ClickHouse.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Where Debian's package puts the server; TRACEKV_CLICKHOUSE_SERVER overrides it. */
const DEBIAN_SERVER_BINARY = '/usr/sbin/clickhouse-server';
export const CLICKHOUSE_INSTALL_HINT = 'install it with `apt-get install clickhouse-server` (Debian), or set TRACEKV_CLICKHOUSE_SERVER to its binary';
/** The server maps its binary and loads dictionaries before it answers: seconds, not milliseconds. */
const START_TIMEOUT_MS = 60_000;
const START_POLL_MS = 100;
const STOP_TIMEOUT_MS = 30_000;
/** ClickHouse drops an idle keep-alive socket after 3 s: ours are closed after 1 s, before it does. */
const KEEP_ALIVE_IDLE_MS = 1_000;

export type ServerBinary = { binary: string } | { missing: string };

/** The server binary to run, or why there is none. */
export function findClickHouseServer(env: NodeJS.ProcessEnv = process.env): ServerBinary {
  const wanted = env.TRACEKV_CLICKHOUSE_SERVER ?? DEBIAN_SERVER_BINARY;
  try {
    fs.accessSync(wanted, fs.constants.X_OK);
    return { binary: wanted };
  } catch {
    const source = env.TRACEKV_CLICKHOUSE_SERVER === undefined ? 'Debian\'s default path' : 'TRACEKV_CLICKHOUSE_SERVER';
    return { missing: `no executable ClickHouse server at ${wanted} (${source}); ${CLICKHOUSE_INSTALL_HINT}` };
  }
}

/** The config the server runs from: everything under `dir`, loopback only, zstd for every part. */
export function clickHouseConfig(dir: string, httpPort: number, tcpPort: number): { config: string; users: string } {
  const config = `<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog><console>0</console></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>1073741824</mark_cache_size>
  <compression><case><method>zstd</method></case></compression>
</yandex>
`;
  const users = `<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;
  return { config, users };
}

export class ClickHouseServer {
  private agent = new http.Agent({ keepAlive: true, timeout: KEEP_ALIVE_IDLE_MS, maxSockets: 4 });

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly httpPort: number,
  ) {}

  static async start(binary: string): Promise<ClickHouseServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-peer-clickhouse-'));
    const [httpPort, tcpPort] = [await freePort(), await freePort()];
    const { config, users } = clickHouseConfig(dir, httpPort, tcpPort);
    fs.writeFileSync(path.join(dir, 'config.xml'), config);
    fs.writeFileSync(path.join(dir, 'users.xml'), users);
    const child = spawn(binary, [`--config-file=${path.join(dir, 'config.xml')}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4096)));
    const server = new ClickHouseServer(child, dir, httpPort);
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`clickhouse-server exited with ${child.exitCode} while starting: ${stderr || readTail(path.join(dir, 'error.log'))}`);
      try {
        if ((await server.query('SELECT 1')).toString('utf8').trim() === '1') return server;
      } catch {
        // Not listening yet.
      }
      if (performance.now() > deadline) {
        await server.stop();
        throw new Error(`clickhouse-server did not answer within ${START_TIMEOUT_MS} ms: ${readTail(path.join(dir, 'error.log'))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, START_POLL_MS));
    }
  }

  /**
   * Runs `sql` (POST), with `body` appended as the statement's data (INSERT … FORMAT …) and
   * `settings` as the query's settings, and returns the reply bytes.
   */
  query(sql: string, body?: Uint8Array, settings: Record<string, string> = {}): Promise<Buffer> {
    const params = new URLSearchParams(settings);
    if (body !== undefined) params.set('query', sql);
    const pathWithQuery = `/?${params.toString()}`;
    const payload = body ?? Buffer.from(sql, 'utf8');
    return new Promise<Buffer>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: this.httpPort, method: 'POST', path: pathWithQuery, agent: this.agent, headers: { 'content-length': payload.byteLength } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const reply = Buffer.concat(chunks);
          if (response.statusCode === 200) resolve(reply);
          else reject(new Error(`ClickHouse answered ${response.statusCode} to ${sql.slice(0, 200)}: ${reply.toString('utf8').slice(0, 500)}`));
        });
      });
      request.on('error', reject);
      request.end(payload);
    });
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    this.agent.destroy();
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '(no error log)';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
