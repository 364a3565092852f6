import { describe, expect, it } from '@jest/globals';
import { KNOWN_PARAMETERS } from '../../../lib/config/parameters.js';
import { editDistance, nearest } from '../../../lib/config/suggest.js';

describe('nearest', () => {
  it('suggests the known name a typo was meant to be', () => {
    expect(nearest('initialReconectDelay', KNOWN_PARAMETERS)).toBe('initialReconnectDelay');
    expect(nearest('jms.useAsynSend', KNOWN_PARAMETERS)).toBe('jms.useAsyncSend');
    expect(nearest('priorityBakup', KNOWN_PARAMETERS)).toBe('priorityBackup');
  });

  it('compares without case, and answers with the known spelling', () => {
    expect(nearest('PRIORITYBACKUP', ['priorityBackup', 'randomize'])).toBe('priorityBackup');
    expect(nearest('maxreconnectattempts', ['maxReconnectDelay', 'maxReconnectAttempts'])).toBe('maxReconnectAttempts');
    // Compared case for case, 'ssl' would be 3 edits from 'SSL': too far.
    expect(nearest('ssl', ['SSL'])).toBe('SSL');
  });

  it('suggests nothing for a name too far from every known one', () => {
    expect(nearest('banana', ['priorityBackup', 'randomize'])).toBeUndefined();
    expect(nearest('completelyUnrelatedSetting', KNOWN_PARAMETERS)).toBeUndefined();
  });

  it('suggests nothing when nothing is known', () => {
    expect(nearest('anything', [])).toBeUndefined();
  });

  it('allows 2 edits, or a third of the length when that is more', () => {
    // 9 letters: up to 3 edits.
    expect(nearest('abcdefghi', ['abcdefXYZ'])).toBe('abcdefXYZ');
    expect(nearest('abcdefghi', ['abcdeWXYZ'])).toBeUndefined();
    // 3 letters: still 2 edits, not 1.
    expect(nearest('abc', ['aXY'])).toBe('aXY');
    expect(nearest('abc', ['XYZ'])).toBeUndefined();
  });

  it('takes the closest candidate, the first of the list on a tie', () => {
    expect(nearest('timeot', ['timeout', 'timeouts'])).toBe('timeout');
    expect(nearest('cat', ['bat', 'hat'])).toBe('bat');
    expect(nearest('cat', ['hat', 'bat'])).toBe('hat');
  });

  it('an exact name is its own suggestion', () => {
    expect(nearest('randomize', KNOWN_PARAMETERS)).toBe('randomize');
  });
});

describe('editDistance', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['same', 'same', 0],
    ['flaw', 'lawn', 2],
    ['A', 'a', 1],
  ])('%j to %j is %i edits', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});
