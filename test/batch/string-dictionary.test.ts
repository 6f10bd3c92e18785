// StringDictionary against a plain model (first-seen order, bytes as §2.7.3 lays them out), over
// strings made to share the front cache's slots, with marks, rollbacks and resets in between.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringDictionary } from '../../src/batch/string-dictionary.js';

const SEED = 20_261_205;
const RUNS = 300;

/** The dictionary's bytes as the model has them: per string a uvarint length, then its UTF-8. */
function modelBytes(strings: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const text of strings) {
    const utf8 = Buffer.from(text, 'utf8');
    const length: number[] = [];
    let n = utf8.length;
    while (n >= 0x80) {
      length.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    length.push(n);
    parts.push(Buffer.from(length), utf8);
  }
  return Buffer.concat(parts);
}

/**
 * Strings that differ only in their first unit and so share a front-cache slot (the slot reads the
 * length and the last two and middle units), strings of the other lengths the cache treats apart
 * (0, 1, 2), long and non-ASCII ones; each built fresh, so equal strings are distinct objects.
 */
const text = fc.oneof(
  fc.tuple(fc.constantFrom('a', 'b', 'c', 'é'), fc.constantFrom('-x-yz', '-q-yz', '12345')).map(([head, tail]) => `${head}${tail}`),
  fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'é', '😀'),
  fc.tuple(fc.constantFrom('p', 'q'), fc.integer({ min: 0, max: 3 })).map(([head, n]) => `${head}${'long value '.repeat(5)}${n}`),
  fc.string({ maxLength: 6, unit: 'grapheme' }),
);

type Op = { kind: 'id'; text: string } | { kind: 'mark' } | { kind: 'rollback' } | { kind: 'reset' };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: text.map((t) => ({ kind: 'id' as const, text: t })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'mark' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rollback' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

describe('StringDictionary', () => {
  it('gives the ids and bytes of a first-seen model, across marks, rollbacks and resets', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const dictionary = new StringDictionary();
        let model: string[] = [];
        let mark = { count: 0, bytes: 0 };
        for (const step of ops) {
          if (step.kind === 'id') {
            // A copy that is not the same object: the cache must compare contents, not identity.
            const fresh = [...step.text].join('');
            let want = model.indexOf(fresh);
            if (want < 0) want = model.push(fresh) - 1;
            expect(dictionary.id(fresh)).toBe(want);
          } else if (step.kind === 'mark') {
            mark = { count: dictionary.mark(), bytes: dictionary.byteLength };
          } else if (step.kind === 'rollback') {
            dictionary.rollback(mark.count, mark.bytes);
            model = model.slice(0, mark.count);
          } else {
            dictionary.reset();
            model = [];
            mark = { count: 0, bytes: 0 };
          }
          expect(dictionary.count).toBe(model.length);
        }
        expect(Buffer.from(dictionary.out.bytes.subarray(0, dictionary.byteLength))).toStrictEqual(modelBytes(model));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('does not answer from the cache an id a rollback took back', () => {
    const dictionary = new StringDictionary();
    dictionary.id('kept');
    const mark = dictionary.mark();
    const bytes = dictionary.byteLength;
    expect(dictionary.id('taken-back')).toBe(1);
    dictionary.rollback(mark, bytes);
    expect(dictionary.id('other')).toBe(1);
    // Without the clear, the cache would still map 'taken-back' to 1, which is now 'other'.
    expect(dictionary.id('taken-back')).toBe(2);
    expect(dictionary.id('kept')).toBe(0);
  });

  it('tells apart strings that share a slot', () => {
    const dictionary = new StringDictionary();
    const strings = ['a-x-yz', 'b-x-yz', 'c-x-yz', 'é-x-yz'];
    for (let round = 0; round < 3; round++) strings.forEach((s, i) => expect(dictionary.id([...s].join(''))).toBe(i));
  });
});
