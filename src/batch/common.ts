/**
 * The common section (data-format.md §2.4): resource and instrumentation scope, written once per
 * batch and shared by all its spans.
 */
import { BATCH_HEADER_BYTES, SPAN_RECORD_BYTES_MAX } from '../constants.js';
import { batchCorrupt, invalidArgument, TraceKvError } from '../errors.js';
import { checkKnownKeys } from '../known-keys.js';
import type { Resource, ResourceInput, Scope, ScopeInput } from './types.js';
import { type CorruptError, checkAttributes, decodeAttributes, hasAttributes } from './attributes.js';
import { checkArray, decodeOptionalString, decodeU32, messageOf } from './decode-checks.js';
import { checkObject, checkOptionalString, u32OrZero } from './input-checks.js';
import { RESOURCE_KEYS, SCOPE_KEYS } from './input-keys.js';
import { packTransient, unpackOne } from './msgpack.js';

/** Array length of the common section in format version 1. */
const COMMON_FIELDS = 8;

/** Validates and encodes; the result is a fresh copy the caller owns. */
export function encodeCommon(resource: ResourceInput, scope: ScopeInput | undefined): Uint8Array {
  checkObject(resource, 'resource');
  checkKnownKeys(resource, RESOURCE_KEYS, 'resource');
  const resourceAttributes = checkAttributes(resource.attributes, 'resource.attributes');
  const resourceDropped = u32OrZero(resource.droppedAttributesCount, 'resource.droppedAttributesCount');
  checkOptionalString(resource.schemaUrl, 'resource.schemaUrl');
  const scopeInput: ScopeInput = scope ?? {};
  checkObject(scopeInput, 'scope');
  checkKnownKeys(scopeInput, SCOPE_KEYS, 'scope');
  checkOptionalString(scopeInput.name, 'scope.name');
  checkOptionalString(scopeInput.version, 'scope.version');
  const scopeAttributes = checkAttributes(scopeInput.attributes, 'scope.attributes');
  const scopeDropped = u32OrZero(scopeInput.droppedAttributesCount, 'scope.droppedAttributesCount');
  checkOptionalString(scopeInput.schemaUrl, 'scope.schemaUrl');

  const fields: unknown[] = [
    resourceAttributes,
    resourceDropped,
    resource.schemaUrl ?? null,
    scopeInput.name ?? null,
    scopeInput.version ?? null,
    scopeAttributes,
    scopeDropped,
    scopeInput.schemaUrl ?? null,
  ];
  const isDefault = [
    !hasAttributes(resourceAttributes),
    resourceDropped === 0,
    resource.schemaUrl === undefined,
    scopeInput.name === undefined,
    scopeInput.version === undefined,
    !hasAttributes(scopeAttributes),
    scopeDropped === 0,
    scopeInput.schemaUrl === undefined,
  ];
  let length = COMMON_FIELDS;
  while (length > 0 && isDefault[length - 1]) length--;
  fields.length = length;

  const packed = packTransient(fields);
  if (packed.length > SPAN_RECORD_BYTES_MAX) {
    throw invalidArgument(`resource and scope: encoded size got ${packed.length} bytes; want ≤ ${SPAN_RECORD_BYTES_MAX}`);
  }
  // A copy as a plain Uint8Array: Buffer#slice would alias msgpackr's reusable buffer.
  return new Uint8Array(packed);
}

/** Decodes and type-checks; any malformed input throws ERR_BATCH_CORRUPT. */
export function decodeCommon(bytes: Uint8Array): { resource: Resource; scope: Scope } {
  let value: unknown;
  try {
    value = unpackOne(bytes);
  } catch (error) {
    throw new TraceKvError('ERR_BATCH_CORRUPT', `common section: not one msgpack value (${messageOf(error)})`, {
      offset: BATCH_HEADER_BYTES,
      cause: error,
    });
  }
  // The common section always starts right after the header, so that is the offset to report.
  const corrupt: CorruptError = (message) => batchCorrupt(`common section: ${message}`, BATCH_HEADER_BYTES);
  const fields = checkArray(value, 'common', 0, COMMON_FIELDS, corrupt);

  const resource: Resource = {
    attributes: fields.length > 0 ? decodeAttributes(fields[0], 'resource.attributes', corrupt) : {},
    droppedAttributesCount: decodeU32(fields[1], 'resource.droppedAttributesCount', corrupt),
  };
  const schemaUrl = decodeOptionalString(fields[2], 'resource.schemaUrl', corrupt);
  if (schemaUrl !== undefined) resource.schemaUrl = schemaUrl;

  const scope: Scope = {
    attributes: fields.length > 5 ? decodeAttributes(fields[5], 'scope.attributes', corrupt) : {},
    droppedAttributesCount: decodeU32(fields[6], 'scope.droppedAttributesCount', corrupt),
  };
  const name = decodeOptionalString(fields[3], 'scope.name', corrupt);
  if (name !== undefined) scope.name = name;
  const version = decodeOptionalString(fields[4], 'scope.version', corrupt);
  if (version !== undefined) scope.version = version;
  const scopeSchemaUrl = decodeOptionalString(fields[7], 'scope.schemaUrl', corrupt);
  if (scopeSchemaUrl !== undefined) scope.schemaUrl = scopeSchemaUrl;
  return { resource, scope };
}
