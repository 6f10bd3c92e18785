/**
 * ColumnarBatchEncoder: the client side of batch version 2 (data-format.md §2.7), from span objects.
 *
 * add() checks a span and writes what it can straight into the column streams, in the order spans
 * arrive (ColumnarRows keeps them, with what finish() needs per row: the trace runs, the parent
 * reference, the search section's fields). finish() orders rows by trace run (traces in order of
 * their first span, spans in the order added), resolves parents to rows of the run, and lays the
 * sections out. When spans arrive grouped by trace, as SDK exporters and the load generator send
 * them, the columns are copied whole. Strings are keyed by JS string (StringDictionary);
 * ColumnarRecordEncoder is the same from span records, keyed by their bytes.
 *
 * Every add() is all-or-nothing, as BatchEncoder's: a span that fails a check, or would take the
 * batch past its limits (ERR_BATCH_TOO_LARGE), leaves the encoder exactly as it was.
 */
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { TraceKvError } from '../errors.js';
import type { ByteOut } from './byte-stream.js';
import { VALUE_TAG } from './columnar-layout.js';
import { ColumnarRows, IDS_PARENT_AT, IDS_SPAN_AT } from './columnar-rows.js';
import { resolveEncoderOptions, type BatchEncoderOptions } from './encoder.js';
import { parseSpanId, parseTraceId } from './ids.js';
import { checkObject, fail } from './input-checks.js';
import { checkSpanKeys } from './input-keys.js';
import { type CheckedSpanFields, checkLink, checkSpanFields, checkedEvent, newCheckedSpanFields } from './span-codec.js';
import { StringDictionary } from './string-dictionary.js';
import type { AttributeValue, Attributes, SpanInput } from './types.js';

export class ColumnarBatchEncoder extends ColumnarRows<StringDictionary> {
  /** The checked fields of the span being added, refilled per span (checkSpanFields). */
  private readonly checked = newCheckedSpanFields();
  /** The traceId string whose bytes ids[0, 16) hold, or null: nothing else writes there. */
  private parsedTraceId: string | null = null;
  /** Where a link's ids are parsed while it is checked (written to its column later, from the input). */
  private readonly linkIds = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES);

  constructor(options: BatchEncoderOptions) {
    super(new StringDictionary(), resolveEncoderOptions(options));
  }

  /**
   * Validates and adds one span. Throws ERR_INVALID_ARGUMENT for a bad span, and
   * ERR_BATCH_TOO_LARGE when it does not fit: finish() this batch and add it to the next.
   */
  add(span: SpanInput): void {
    checkObject(span, 'span');
    checkSpanKeys(span);
    if (this.rows + 1 > this.batchSpansMax) {
      throw new TraceKvError('ERR_BATCH_TOO_LARGE', `batch spanCount got ${this.rows + 1} with this span; want ≤ batchSpansMax ${this.batchSpansMax} (finish this batch and start another)`);
    }
    const ids = this.ids;
    // Spans of one trace usually arrive together and share one traceId string: parse it once.
    // (parseId refuses an all-zero id itself.)
    const traceId = span.traceId;
    if (typeof traceId !== 'string' || traceId !== this.parsedTraceId) {
      this.parsedTraceId = null;
      parseTraceId(traceId, ids, 0, 'span.traceId');
      if (typeof traceId === 'string') this.parsedTraceId = traceId;
    }
    parseSpanId(span.spanId, ids, IDS_SPAN_AT, 'span.spanId');
    const parent = span.parentSpanId !== undefined;
    if (parent) parseSpanId(span.parentSpanId!, ids, IDS_PARENT_AT, 'span.parentSpanId');
    const checked = this.checked;
    checkSpanFields(span, checked);
    const start = checked.start;
    const events = span.events;
    if (events !== undefined) {
      if (!Array.isArray(events)) fail('span.events', events, 'an array');
      for (let i = 0; i < events.length; i++) checkedEvent(events[i]!, i, start);
    }
    const links = span.links;
    if (links !== undefined) {
      if (!Array.isArray(links)) fail('span.links', links, 'an array');
      for (let i = 0; i < links.length; i++) checkLink(links[i]!, i, this.linkIds);
    }

    // Every check has passed: write, and undo it all if the batch would grow past its limit.
    const row = this.openRow();
    let run: number;
    let nameId: number;
    try {
      run = this.runOf(ids);
      nameId = this.dictionary.id(span.name);
      this.writeRow(span, checked);
    } catch (error) {
      // Every field was checked above, so this is a bug; the batch still loses nothing it held.
      this.rollbackRow(row);
      throw error;
    }
    if (!this.rowFits()) {
      this.rollbackRow(row);
      const hint = row === 0 ? 'this span does not fit even in an empty batch' : 'finish this batch and start another';
      throw new TraceKvError('ERR_BATCH_TOO_LARGE', `batch length would pass batchBytesMax ${this.batchBytesMax} with this span (${hint})`);
    }
    this.starts[row] = start;
    this.durations[row] = checked.duration;
    this.commitRow(row, run, parent, nameId, checked.kind, checked.statusCode);
  }

  /** Writes the row's entries of columns 2–10 into the arrival-order streams. */
  private writeRow(span: SpanInput, checked: CheckedSpanFields): void {
    const [flags, traceState, message, dropped, counts, keys, tags, values, events, links] = this.streams as [ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut];
    const { attributes, statusMessage, start } = checked;
    flags.uvarint(span.flags === undefined ? 0 : span.flags + 1);
    dropped.uvarint(checked.droppedAttributes);
    dropped.uvarint(checked.droppedEvents);
    dropped.uvarint(checked.droppedLinks);
    let count = 0;
    for (const key in attributes) {
      keys.uvarint(this.dictionary.id(key));
      this.writeValue(tags, values, attributes[key]!);
      count++;
    }
    counts.uvarint(count);
    const eventList = span.events ?? [];
    events.uvarint(eventList.length);
    for (const event of eventList) {
      events.svarint(event.timeUnixNano - start);
      events.uvarint(this.dictionary.id(event.name));
      this.writeAttributes(events, event.attributes);
      events.uvarint(event.droppedAttributesCount ?? 0);
    }
    const linkList = span.links ?? [];
    links.uvarint(linkList.length);
    for (const link of linkList) {
      links.ensure(TRACE_ID_BYTES + SPAN_ID_BYTES);
      parseTraceId(link.traceId, links.bytes, links.length, 'link.traceId');
      parseSpanId(link.spanId, links.bytes, links.length + TRACE_ID_BYTES, 'link.spanId');
      links.length += TRACE_ID_BYTES + SPAN_ID_BYTES;
      links.uvarint(link.traceState === undefined ? 0 : this.dictionary.id(link.traceState) + 1);
      this.writeAttributes(links, link.attributes);
      links.uvarint(link.droppedAttributesCount ?? 0);
      links.uvarint(link.flags === undefined ? 0 : link.flags + 1);
    }
    // Strings enter the dictionary in a span record's field order (§2.5: status, then traceState,
    // last), so ColumnarRecordEncoder writes the same bytes for the same span.
    message.uvarint(statusMessage === '' ? 0 : this.dictionary.id(statusMessage) + 1);
    traceState.uvarint(span.traceState === undefined ? 0 : this.dictionary.id(span.traceState) + 1);
  }

  /**
   * A count, then key id and AnyValue pairs: events, links and kvlist values. Tags go to `tags`
   * and everything else to `out`: the same stream inside the events and links columns, the two
   * attribute value columns for a kvlist nested in an attribute value.
   */
  private writeAttributes(out: ByteOut, attributes: Attributes | undefined, tags: ByteOut = out): void {
    if (attributes === undefined) {
      out.uvarint(0);
      return;
    }
    let count = 0;
    for (const _key in attributes) count++;
    out.uvarint(count);
    for (const key in attributes) {
      out.uvarint(this.dictionary.id(key));
      this.writeValue(tags, out, attributes[key]!);
    }
  }

  /** An AnyValue (§2.7.5): its tag into `tags`, its payload into `out`. */
  private writeValue(tags: ByteOut, out: ByteOut, value: AttributeValue): void {
    switch (typeof value) {
      case 'string':
        tags.u8(VALUE_TAG.string);
        out.uvarint(this.dictionary.id(value));
        return;
      case 'boolean':
        tags.u8(value ? VALUE_TAG.true : VALUE_TAG.false);
        return;
      case 'bigint':
        tags.u8(VALUE_TAG.int);
        out.svarint(value);
        return;
      case 'number':
        tags.u8(VALUE_TAG.double);
        out.f64(value);
        return;
      default:
        if (value instanceof Uint8Array) {
          tags.u8(VALUE_TAG.bytes);
          out.uvarint(value.length);
          out.raw(value);
        } else if (Array.isArray(value)) {
          tags.u8(VALUE_TAG.array);
          out.uvarint(value.length);
          for (const item of value) this.writeValue(tags, out, item);
        } else {
          tags.u8(VALUE_TAG.kvlist);
          this.writeAttributes(out, value, tags);
        }
    }
  }

}
