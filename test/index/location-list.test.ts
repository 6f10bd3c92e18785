// Proves LocationList keeps its columns in push order across growth, clears without shrinking and
// reverses a suffix in place.
import { describe, expect, it } from 'vitest';
import { LocationList } from '../../src/index/location-list.js';
import { hitsOf } from './helpers.js';

describe('LocationList', () => {
  it('grows, clears and reverses a suffix', () => {
    const list = new LocationList(2);
    for (let i = 0; i < 100; i++) list.push(i + 1, i * 10, 48 + i, (i % 65535) + 1);
    expect(list.length).toBe(100);
    expect(list.capacity).toBeGreaterThanOrEqual(100);
    expect(hitsOf(list)[99]).toEqual({ segmentId: 100, fileOffset: 990, recordLength: 147, spanCount: 100 });
    list.reverseFrom(97);
    expect(hitsOf(list).slice(96).map((h) => h.segmentId)).toEqual([97, 100, 99, 98]);
    const capacity = list.capacity;
    list.clear();
    expect(list.length).toBe(0);
    expect(list.capacity).toBe(capacity);
    list.push(0xffffffff, 0xffffffff, 0xffffffff, 0xffff);
    expect(hitsOf(list)).toEqual([{ segmentId: 0xffffffff, fileOffset: 0xffffffff, recordLength: 0xffffffff, spanCount: 0xffff }]);
  });
});
