/**
 * What the protocol fuzz holds the daemon to, whatever it was sent (data-format.md §6): every
 * answer is a well-formed frame; an ERROR carries a TraceKvError code; and no ERROR is a
 * non-typed exception (TypeError, RangeError, a failed assert) that the connection caught and
 * wrapped — those are bugs the fuzz exists to find, even when the daemon survives them.
 */
import { FLAG_MORE, Opcode, RESPONSE_BIT, type Frame } from '../../../src/protocol/frame.js';
import { TraceKvError } from '../../../src/errors.js';
import { ProtocolError } from '../../../src/protocol/frame.js';

const ERROR_CODE_PATTERN = /^ERR_[A-Z_]+$/;
/** How the connection words an ERROR made from a non-typed exception (src/daemon/connection.ts). */
const UNTYPED_ERROR_MESSAGES = /^(internal error|response could not be encoded)/;
const RESPONSE_OPCODES = new Set([
  Opcode.HELLO | RESPONSE_BIT, Opcode.APPEND | RESPONSE_BIT, Opcode.GET_SPAN | RESPONSE_BIT, Opcode.GET_TRACE | RESPONSE_BIT,
  Opcode.GET_TRACES | RESPONSE_BIT, Opcode.STATS | RESPONSE_BIT, Opcode.PING | RESPONSE_BIT, Opcode.ERROR,
]);
/** Characters of a failing frame shown in a failure line: enough to recognise it; the seed replays the rest. */
const FRAME_HEX_SHOWN_BYTES = 48;

/** What is wrong with one answer of the daemon, or null. */
export function responseProblem(frame: Frame): string | null {
  if (!RESPONSE_OPCODES.has(frame.opcode)) return `answer opcode 0x${frame.opcode.toString(16)} is not a response opcode`;
  if ((frame.flags & FLAG_MORE) !== 0 && frame.opcode !== (Opcode.GET_TRACES | RESPONSE_BIT)) return 'MORE flag on an answer that is not streamed';
  if (frame.opcode !== Opcode.ERROR) return null;
  const { code, message } = frame.header;
  if (typeof code !== 'string' || !ERROR_CODE_PATTERN.test(code)) return `ERROR without a TraceKvError code: ${String(code)}`;
  if (typeof message !== 'string') return `ERROR ${code} without a message`;
  if (UNTYPED_ERROR_MESSAGES.test(message)) return `non-typed exception answered as ${code}: ${message}`;
  return null;
}

/** What is wrong with a request frame the decoder let through, or null: §6.1 wants its header to be a msgpack map. */
export function decodedFrameProblem(frame: Frame): string | null {
  const prototype = Object.getPrototypeOf(frame.header) as unknown;
  if (prototype === Object.prototype || prototype === null) return null;
  return `decoder accepted a header that is not a msgpack map (${Object.prototype.toString.call(frame.header)})`;
}

/** What is wrong with an exception a decoder threw, or null: only typed protocol errors may leave it. */
export function decoderErrorProblem(error: unknown): string | null {
  if (error instanceof ProtocolError) return null;
  if (error instanceof TraceKvError) return `decoder threw ${error.code} without a request id (not a ProtocolError): ${error.message}`;
  return `decoder threw a non-typed ${describeError(error)}`;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}${error.stack === undefined ? '' : ` @ ${error.stack.split('\n')[1]?.trim() ?? ''}`}`;
  return `non-Error ${typeof error}`;
}

/** A decoded value for a failure line: JSON, with bigints and bytes spelled out, cut short. */
export function show(value: unknown): string {
  const text = JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? `${item}n` : item instanceof Uint8Array ? `bin:${Buffer.from(item).toString('hex')}` : item,
  );
  return text === undefined ? String(typeof value) : text.slice(0, 200);
}

/** A frame as a failure line shows it. */
export function frameHex(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.subarray(0, FRAME_HEX_SHOWN_BYTES)).toString('hex');
  return bytes.length > FRAME_HEX_SHOWN_BYTES ? `${shown}… (${bytes.length} B)` : shown;
}
