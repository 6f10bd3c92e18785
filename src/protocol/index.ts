/** The daemon's wire frames (data-format.md §6), shared by the daemon and the client: frame layout, opcodes, the streaming decoder, and msgpack wire values; and what its HTTP faces share: the listener, the request-body reader and the bearer-token check. */
export { encodeFrame, encodeFrameHead, FLAG_MORE, FrameDecoder, Opcode, ProtocolError, RESPONSE_BIT, type Frame } from './frame.js';
export { describeWireValue, fromWireValue, toPlainBytes } from './wire-values.js';
export { BearerToken } from './bearer-token.js';
