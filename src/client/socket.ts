/**
 * Opens the byte stream to the daemon: plain TCP or TLS ≥ 1.2 (data-format.md §6), with a
 * deadline. Every failure is ERR_CONNECTION naming the address, since nothing was sent yet and
 * the caller may try again.
 */
import net from 'node:net';
import tls from 'node:tls';
import { TraceKvError } from '../errors.js';
import type { CloseSignal } from './call-deadline.js';
import { SOCKET_KEEPALIVE_DELAY_MS } from '../constants.js';

export interface SocketTarget {
  host: string;
  port: number;
  /** null for plain TCP. */
  tls: tls.ConnectionOptions | null;
}

export function addressOf(target: SocketTarget): string {
  return `${target.tls === null ? 'tcp' : 'tls'}://${target.host}:${target.port}`;
}

/** Connects within `timeoutMs`; gives up at once (with the close error) when `closed` fires. */
export function connectSocket(target: SocketTarget, timeoutMs: number, closed: CloseSignal): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    if (closed.reason !== null) return reject(closed.reason);
    const socket = target.tls === null ? net.connect({ host: target.host, port: target.port }) : tls.connect(tlsOptionsOf(target));
    const ready = target.tls === null ? 'connect' : 'secureConnect';
    const giveUp = (error: TraceKvError) => {
      clearTimeout(timer);
      unlisten();
      socket.destroy();
      reject(error);
    };
    const fail = (message: string, cause?: unknown) => {
      giveUp(new TraceKvError('ERR_CONNECTION', `connect to ${addressOf(target)}: ${message}`, cause === undefined ? {} : { cause }));
    };
    const onError = (error: Error) => fail(error.message, error);
    const timer = setTimeout(() => fail(`no connection within connectTimeoutMs ${timeoutMs}`), timeoutMs);
    const unlisten = closed.listen(giveUp);
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      unlisten();
      socket.off('error', onError);
      // Pipelined requests are small and latency-bound; Nagle would hold each one back for an ACK.
      socket.setNoDelay(true);
      socket.setKeepAlive(true, SOCKET_KEEPALIVE_DELAY_MS);
      resolve(socket);
    });
  });
}

function tlsOptionsOf(target: SocketTarget): tls.ConnectionOptions {
  // SNI takes a host name only; an IP address there is a TLS error on some servers.
  const servername = net.isIP(target.host) === 0 ? target.host : undefined;
  return {
    ...(servername === undefined ? {} : { servername }),
    ...target.tls,
    host: target.host,
    port: target.port,
    minVersion: target.tls?.minVersion ?? 'TLSv1.2',
  };
}
