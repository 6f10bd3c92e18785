/**
 * An SDK resource and instrumentation scope as the BatchEncoder's ResourceInput and ScopeInput, once
 * per resource and scope pair (the encoder then writes the common section, data-format.md §2.4, once).
 * The mapping is the OTLP transformer's (createResource, writeInstrumentationScope): resource
 * droppedAttributesCount 0; schema URLs, and the scope version, only when not empty; attribute
 * numbers as in attribute-writer.ts (an integral number is an intValue, so here a bigint). Empty
 * values (null, undefined) follow data-format.md §7.1 as there: a top-level one is left out and
 * counted in droppedAttributesCount, an array element or nested map entry is left out.
 */
import type { AttributeValue, Attributes, ResourceInput, ScopeInput } from '../batch/index.js';
import type { OtelResource, OtelScope } from './otel-types.js';

const INT64_FLOOR = -(2 ** 63);
const INT64_CEILING = 2 ** 63;

export function resourceInput(resource: OtelResource): ResourceInput {
  const attributes = resource.attributes as Record<string, unknown>;
  const input: ResourceInput = { attributes: converted(attributes) };
  const empty = emptyCount(attributes);
  if (empty > 0) input.droppedAttributesCount = empty;
  if (resource.schemaUrl) input.schemaUrl = resource.schemaUrl;
  return input;
}

export function scopeInput(scope: OtelScope): ScopeInput {
  const input: ScopeInput = { name: scope.name };
  if (scope.version) input.version = scope.version;
  if (scope.schemaUrl) input.schemaUrl = scope.schemaUrl;
  // Not in the InstrumentationScope type of core 2.x, but the transformer sends it when present.
  const attributes = (scope as { attributes?: Record<string, unknown> }).attributes;
  if (attributes !== undefined && attributes !== null) {
    input.attributes = converted(attributes);
    const empty = emptyCount(attributes);
    if (empty > 0) input.droppedAttributesCount = empty;
  }
  return input;
}

/** Top-level entries whose value is null or undefined: OTLP's empty values, counted as dropped. */
function emptyCount(attributes: Record<string, unknown> | undefined | null): number {
  if (attributes === undefined || attributes === null) return 0;
  let empty = 0;
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    if (attributes[key] === undefined || attributes[key] === null) empty++;
  }
  return empty;
}

/** Null and undefined entries are left out; anything else the encoder checks (and may refuse). */
function converted(attributes: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    const value = attributes[key];
    if (value !== undefined && value !== null) out[key] = convertedValue(value);
  }
  return out;
}

function convertedValue(value: unknown): AttributeValue {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= INT64_FLOOR && value < INT64_CEILING ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.filter((item) => item !== undefined && item !== null).map(convertedValue);
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && Object.getPrototypeOf(value) === Object.prototype) {
    return converted(value as Record<string, unknown>);
  }
  return value as AttributeValue;
}
