/**
 * Tracegen-shaped spans (the benchmark issue's W1 workload): 1 server span with 9 client children,
 * children with 11 string attributes cycling over 97 keys and 1000 values, 10 services.
 */
import type { SpanInput } from '../batch/types.js';
import type { Rng } from './rng.js';

export const TRACEGEN_SERVICES = 10;
const ATTRIBUTE_KEYS = 97;
const ATTRIBUTE_VALUES = 1000;
const CHILDREN = 9;
const CHILD_ATTRIBUTES = 11;
const CHILD_DURATION_NS = 123_000n;

function nonZeroId(rng: Rng, n: number): Uint8Array {
  const id = rng.bytes(n);
  id[0] = id[0]! | 1;
  return id;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** One trace; `counter` drives the attribute cycling so consecutive traces differ. */
export function tracegenTrace(rng: Rng, counter: number, startTimeUnixNano: bigint): { service: number; spans: SpanInput[] } {
  const traceId = hex(nonZeroId(rng, 16));
  const rootId = hex(nonZeroId(rng, 8));
  const service = counter % TRACEGEN_SERVICES;
  const spans: SpanInput[] = [
    {
      traceId,
      spanId: rootId,
      name: `lets-go-${service}`,
      kind: 2,
      startTimeUnixNano,
      endTimeUnixNano: startTimeUnixNano + 1_000_000n,
      attributes: { 'peer.service': `tracegen-server-${service}`, 'peer.host.ipv4': `10.0.0.${service}` },
    },
  ];
  for (let c = 0; c < CHILDREN; c++) {
    const attributes: Record<string, string> = {};
    for (let a = 0; a < CHILD_ATTRIBUTES; a++) {
      const n = counter * CHILDREN * CHILD_ATTRIBUTES + c * CHILD_ATTRIBUTES + a;
      attributes[`attr_${String(n % ATTRIBUTE_KEYS).padStart(2, '0')}`] = `val_${String(n % ATTRIBUTE_VALUES).padStart(2, '0')}`;
    }
    const start = startTimeUnixNano + BigInt(c) * 1000n;
    spans.push({
      traceId,
      spanId: hex(nonZeroId(rng, 8)),
      parentSpanId: rootId,
      name: `okey-dokey-${c}`,
      kind: 3,
      startTimeUnixNano: start,
      endTimeUnixNano: start + CHILD_DURATION_NS,
      attributes,
    });
  }
  return { service, spans };
}
