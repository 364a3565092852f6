import { describe, expect, it } from '@jest/globals';
import { ConcurrencyGate } from '../../../lib/server/concurrency-gate.js';
import { GroupSequencer } from '../../../lib/server/group-sequencer.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('GroupSequencer', () => {
  it("runs a group's tasks one at a time in order, other groups and ungrouped tasks beside them", async () => {
    const gate = new ConcurrencyGate(8);
    const groups = new GroupSequencer((task) => gate.run(task));
    const log: string[] = [];
    const releases = new Map<string, () => void>();
    const task = (name: string) => () =>
      new Promise<void>((resolve) => {
        log.push(`start ${name}`);
        releases.set(name, () => (log.push(`end ${name}`), resolve()));
      });
    expect(groups.submit('a', task('a1'))).toBe(true);
    expect(groups.submit('a', task('a2'))).toBe(false);
    expect(groups.submit('b', task('b1'))).toBe(true);
    expect(groups.submit(undefined, task('x'))).toBe(true);
    expect(log).toEqual(['start a1', 'start b1', 'start x']);
    releases.get('a1')!();
    await new Promise((r) => setImmediate(r));
    expect(log).toContain('start a2');
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(groups.size).toBe(2);
    releases.get('a2')!();
    releases.get('b1')!();
    releases.get('x')!();
    await gate.idle();
    expect(groups.size).toBe(0);
  });

  it('clear() drops what waits; a task of before clear() does not start the new era’s queue out of turn', async () => {
    const gate = new ConcurrencyGate(8);
    const groups = new GroupSequencer((task) => gate.run(task));
    const started: string[] = [];
    const old = deferred();
    groups.submit('g', async () => {
      started.push('old');
      await old.promise;
    });
    groups.submit('g', () => (started.push('dropped'), Promise.resolve()));
    groups.clear();
    const fresh = deferred();
    groups.submit('g', async () => {
      started.push('new-1');
      await fresh.promise;
    });
    groups.submit('g', () => (started.push('new-2'), Promise.resolve()));
    old.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['old', 'new-1']);
    fresh.resolve();
    await gate.idle();
    expect(started).toEqual(['old', 'new-1', 'new-2']);
  });
});
