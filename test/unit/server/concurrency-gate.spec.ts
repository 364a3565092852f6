import { describe, expect, it } from '@jest/globals';
import { ConcurrencyGate } from '../../../lib/server/concurrency-gate.js';

/** Tasks the test finishes by hand, recording which started, in order, and the most running at once. */
function tasks(gate: ConcurrencyGate) {
  const started: string[] = [];
  const finishers = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  let peak = 0;
  const task = (name: string) => () => {
    started.push(name);
    peak = Math.max(peak, gate.running);
    return new Promise<void>((resolve, reject) => finishers.set(name, { resolve, reject }));
  };
  /** Finishes `name` and lets the gate's bookkeeping (a `finally`) run. */
  const finish = async (name: string, error?: Error) => {
    const finisher = finishers.get(name)!;
    if (error) finisher.reject(error);
    else finisher.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, task, finish, peak: () => peak };
}

describe('ConcurrencyGate', () => {
  it('starts tasks at once up to its limit, then queues them', () => {
    const gate = new ConcurrencyGate(2);
    const { started, task } = tasks(gate);
    expect([gate.run(task('a')), gate.run(task('b')), gate.run(task('c'))]).toEqual([true, true, false]);
    expect(started).toEqual(['a', 'b']);
    expect(gate.running).toBe(2);
  });

  it('starts queued tasks in arrival order as running ones finish, never more than the limit at once', async () => {
    const gate = new ConcurrencyGate(2);
    const { started, task, finish, peak } = tasks(gate);
    for (const name of ['a', 'b', 'c', 'd', 'e']) gate.run(task(name));
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('a');
    await finish('c');
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(peak()).toBe(2);
    expect(gate.running).toBe(2);
  });

  it('a task that fails frees its place like one that succeeds', async () => {
    const gate = new ConcurrencyGate(1);
    const { started, task, finish } = tasks(gate);
    gate.run(task('a'));
    gate.run(task('b'));
    await finish('a', new Error('handler failed'));
    expect(started).toEqual(['a', 'b']);
    expect(gate.running).toBe(1);
  });

  it('stop() drops what waits and refuses new tasks; the tasks in flight go on', async () => {
    const gate = new ConcurrencyGate(1);
    const { started, task, finish } = tasks(gate);
    gate.run(task('a'));
    gate.run(task('queued'));
    gate.stop();
    expect(gate.run(task('refused'))).toBe(false);
    expect(gate.running).toBe(1);
    await finish('a');
    expect(started).toEqual(['a']);
    expect(gate.running).toBe(0);
  });

  it('reopen() takes tasks again, still counting those in flight from before stop(); what stop() dropped stays dropped', async () => {
    const gate = new ConcurrencyGate(1);
    const { started, task, finish } = tasks(gate);
    gate.run(task('old'));
    gate.run(task('dropped'));
    gate.stop();
    gate.reopen();
    expect(gate.run(task('new'))).toBe(false);
    expect(started).toEqual(['old']);
    await finish('old');
    expect(started).toEqual(['old', 'new']);
  });

  it('idle() resolves at once when nothing runs', async () => {
    await new ConcurrencyGate(3).idle();
  });

  it('idle() resolves once every task in flight, queued ones included, is done', async () => {
    const gate = new ConcurrencyGate(1);
    const { task, finish } = tasks(gate);
    gate.run(task('a'));
    gate.run(task('b'));
    let idle = false;
    const waited = gate.idle().then(() => (idle = true));
    await finish('a');
    expect(idle).toBe(false);
    await finish('b');
    await waited;
    expect(idle).toBe(true);
  });

  it('idle() after stop() waits for the tasks in flight only, not for those dropped', async () => {
    const gate = new ConcurrencyGate(1);
    const { task, finish } = tasks(gate);
    gate.run(task('a'));
    gate.run(task('dropped'));
    gate.stop();
    const waited = gate.idle();
    await finish('a');
    await waited;
    expect(gate.running).toBe(0);
  });
});

describe('ConcurrencyGate: a task that releases its place before it ends', () => {
  it('lets the next task start at release, counts it no more as running, and idle() still waits for its end', async () => {
    const gate = new ConcurrencyGate(1);
    const order: string[] = [];
    let releaseA!: () => void;
    let endA!: () => void;
    gate.run((release) => {
      order.push('a starts');
      releaseA = release;
      return new Promise<void>((resolve) => (endA = resolve));
    });
    let endB!: () => void;
    expect(
      gate.run(() => {
        order.push('b starts');
        return new Promise<void>((resolve) => (endB = resolve));
      }),
    ).toBe(false);
    expect(order).toEqual(['a starts']);
    releaseA();
    releaseA(); // a second release gives nothing more
    expect(order).toEqual(['a starts', 'b starts']);
    expect(gate.running).toBe(1);
    let idle = false;
    void gate.idle().then(() => (idle = true));
    endB();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false); // a has released its place, not ended
    endA();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(true);
    expect(gate.running).toBe(0);
  });
});
