/**
 * The one check of an object's keys against the keys its reader knows, so that a misspelt or
 * misplaced field (`attrs` for `attributes`, a flat `{ 'service.name': … }` resource, `timeout` for
 * `timeoutMs`) fails with a message naming it, where it was, and what was probably meant, instead
 * of being dropped as if absent. Used by every options object and every object BatchEncoder reads.
 *
 * The rules, the same everywhere:
 * - A key is refused whatever its value: an unknown key set to undefined is still an error, since
 *   the caller who wrote it meant something by it. A known key set to undefined is absent.
 * - The keys checked are the ones `for…in` sees, own and inherited enumerable, since those are the
 *   ones a field read sees too. Symbol keys are ignored.
 * - Attribute maps are free-form: their keys are never checked.
 *
 * The per-span objects (span, event, link, status) are checked on the hot path by a `for…in` and a
 * `switch` of their own in batch/input-keys.ts, with no allocation and no lookup per key; they share
 * their tables and messages with everything else through unknownKeyError.
 */
import { type TraceKvError, invalidArgument, invalidOption } from './errors.js';

/** Keys longer than this are cut in messages: a key can be any string a caller built. */
const MESSAGE_KEY_CHARS_MAX = 64;
/** A key at least this long that begins exactly one known key names it ("timeout" → timeoutMs). */
const PREFIX_HINT_CHARS_MIN = 4;

export interface KnownKeys {
  /** What the object is ('span', 'resource') or what takes the options ('TraceStore.open'). */
  readonly noun: string;
  /** In the order messages list them. */
  readonly keys: readonly string[];
  /** Likely mistakes: a key, and either the known key meant or a sentence saying where it belongs. */
  readonly aliases: ReadonlyMap<string, string>;
  /** Where a dotted key (an attribute name such as "service.name") belongs, when not in this object's attributes. */
  readonly dottedHint: string | undefined;
  readonly set: ReadonlySet<string>;
  readonly normalized: readonly string[];
}

export interface KnownKeysHints {
  /** key → a known key meant (message "did you mean …?") or any other text, said as is. */
  aliases?: Record<string, string>;
  dottedHint?: string;
}

/**
 * The key table of one kind of object. `keys` may be an object so that its declaration can be
 * checked against the input type: `{ … } satisfies Record<keyof SpanInput, true>` fails to compile
 * when a field is added to SpanInput and not here. Options tables pass the keys of their defaults.
 */
export function knownKeys(noun: string, keys: Readonly<Record<string, true>> | readonly string[], hints: KnownKeysHints = {}): KnownKeys {
  const list: readonly string[] = Array.isArray(keys) ? keys : Object.keys(keys);
  return {
    noun,
    keys: list,
    aliases: new Map(Object.entries(hints.aliases ?? {})),
    dottedHint: hints.dottedHint,
    set: new Set(list),
    normalized: list.map(normalize),
  };
}

/** Throws ERR_INVALID_ARGUMENT for the first key of `value` not in `known`; `where` names the object ('resource', 'traceIds[3]'). */
export function checkKnownKeys(value: object, known: KnownKeys, where: string): void {
  for (const key in value) if (!known.set.has(key)) throw unknownKeyError(known, where, key);
}

/** Throws ERR_INVALID_OPTION, naming the option, for the first key of `options` not in `known`. */
export function checkKnownOptions(options: object, known: KnownKeys): void {
  for (const key in options) if (!known.set.has(key)) throw unknownOptionError(known, key);
}

/** e.g. `span.events[3]: unknown key "time"; did you mean span.events[3].timeUnixNano?` */
export function unknownKeyError(known: KnownKeys, where: string, key: string): TraceKvError {
  return invalidArgument(`${where}: unknown key ${quoted(key)}; ${hintFor(known, key, where)}`);
}

/** e.g. `option timeout: unknown TraceClient.connect option; did you mean timeoutMs?` */
export function unknownOptionError(known: KnownKeys, key: string): TraceKvError {
  return invalidOption(key, `unknown ${known.noun} option; ${hintFor(known, key, null)}`);
}

/** `where` is null for options, whose keys are named bare. */
function hintFor(known: KnownKeys, key: string, where: string | null): string {
  const alias = known.aliases.get(key);
  const meant = alias ?? closestKey(known, key);
  if (meant !== undefined && known.set.has(meant)) return `did you mean ${where === null ? meant : `${where}.${meant}`}?`;
  if (meant !== undefined) return meant;
  if (key.includes('.')) {
    if (known.dottedHint !== undefined) return known.dottedHint;
    if (known.set.has('attributes') && where !== null) return `${known.noun} attributes go in ${where}.attributes`;
  }
  return `want one of ${known.keys.join(', ')}`;
}

/**
 * The known key `key` most likely means, if exactly one: the same but for case, `_` and `-`
 * (trace_id, traceID); the singular or plural (event); or a unique prefix ("timeout").
 */
function closestKey(known: KnownKeys, key: string): string | undefined {
  const wanted = normalize(key);
  const rules: ((candidate: string) => boolean)[] = [
    (candidate) => candidate === wanted,
    (candidate) => candidate === `${wanted}s` || `${candidate}s` === wanted,
    (candidate) => wanted.length >= PREFIX_HINT_CHARS_MIN && candidate.startsWith(wanted),
  ];
  for (const rule of rules) {
    const matches = known.keys.filter((_, i) => rule(known.normalized[i]!));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) return undefined;
  }
  return undefined;
}

function normalize(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

function quoted(key: string): string {
  return key.length <= MESSAGE_KEY_CHARS_MAX ? JSON.stringify(key) : `${JSON.stringify(key.slice(0, MESSAGE_KEY_CHARS_MAX))}… (${key.length} chars)`;
}
