import { describe, expect, it } from '@jest/globals';
import { RecentMap } from '../../../lib/server/recent-map.js';

describe('RecentMap', () => {
  it('keeps the last `capacity` keys set', () => {
    const map = new RecentMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([map.has('a'), map.has('b'), map.has('c'), map.size]).toEqual([true, false, true, 2]);
    expect(map.get('a')).toBe(3);
    const none = new RecentMap<true>(0);
    none.set('x', true);
    expect(none.has('x')).toBe(false);
  });

  it('forgets the oldest key first, in the order keys were set', () => {
    const map = new RecentMap<number>(3);
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) map.set(key, i);
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => map.get(key))).toEqual([undefined, undefined, 2, 3, 4]);
    expect(map.size).toBe(3);
  });

  it('reading a key does not make it newer: only set() does', () => {
    const map = new RecentMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    expect(map.has('a')).toBe(true);
    map.set('c', 3);
    expect([map.has('a'), map.has('b'), map.has('c')]).toEqual([false, true, true]);
  });

  it('setting a key again replaces its value without growing', () => {
    const map = new RecentMap<string>(2);
    map.set('a', 'first');
    map.set('a', 'second');
    expect([map.get('a'), map.size]).toEqual(['second', 1]);
  });

  it('holds falsy values as values', () => {
    const map = new RecentMap<number | undefined>(2);
    map.set('zero', 0);
    map.set('none', undefined);
    expect([map.has('zero'), map.get('zero'), map.has('none')]).toEqual([true, 0, true]);
  });
});
