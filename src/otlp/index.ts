/** OTLP in: the protobuf wire reader the OTLP receivers decode requests with (issue 13 builds the receivers and the transcoder into batches on it). */
export { ProtobufReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf-reader.js';
