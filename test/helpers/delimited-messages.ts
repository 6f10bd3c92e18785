// Splits a length-delimited protobuf stream (the bulk read's protobuf reply, data-format.md §8.4), written from the spec rather than with the code under test.
/** The messages of a length-delimited protobuf stream (each a varint length, then its bytes), decoded here from the spec. */
export function delimitedMessages(stream: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = stream[at++]!;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    if (at + length > stream.length) throw new Error(`delimited message at ${at} of ${length} bytes runs past the stream's ${stream.length}`);
    messages.push(stream.subarray(at, at + length));
    at += length;
  }
  return messages;
}
