import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Queue, type BrokerMessage, type QueueConsumer } from '../../../../lib/broker/core/queue.js';

let nextId = 1;

function message(name: string, priority = 4, expires = 0): BrokerMessage {
  return {
    id: nextId++,
    destination: '/queue/q',
    headers: { name },
    body: Buffer.from(name),
    persistent: false,
    priority,
    expires,
    timestamp: Date.now(),
    size: 10,
    deliveries: 0,
  };
}

/** A consumer taking up to `credit` messages (Infinity by default), recording their names. */
function consumer(credit = Infinity) {
  const received: string[] = [];
  const state = { credit };
  const self: QueueConsumer & { received: string[]; state: { credit: number } } = {
    received,
    state,
    hasCredit: () => state.credit > 0,
    deliver: (m) => {
      state.credit--;
      received.push(m.headers['name']!);
    },
  };
  return self;
}

function queueOf(onExpired: (m: BrokerMessage, q: Queue) => void = () => {}): Queue {
  return new Queue('q', true, onExpired);
}

afterEach(() => {
  jest.useRealTimers();
});

describe('Queue: order', () => {
  it('keeps messages while nobody consumes, then hands them over first in, first out', () => {
    const queue = queueOf();
    for (const name of ['a', 'b', 'c']) queue.enqueue(message(name));
    expect([queue.size, queue.unused]).toEqual([3, false]);
    const c = consumer();
    queue.addConsumer(c);
    expect(c.received).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(0);
  });

  it('dispatches the highest priority first, FIFO within one priority', () => {
    const queue = queueOf();
    queue.enqueue(message('p4-first', 4));
    queue.enqueue(message('p9-first', 9));
    queue.enqueue(message('p0', 0));
    queue.enqueue(message('p9-second', 9));
    queue.enqueue(message('p4-second', 4));
    const c = consumer();
    queue.addConsumer(c);
    expect(c.received).toEqual(['p9-first', 'p9-second', 'p4-first', 'p4-second', 'p0']);
  });

  it('a message given back goes in front of its priority level, before those that came after it', () => {
    const queue = queueOf();
    const c = consumer(1);
    queue.addConsumer(c);
    const first = message('first');
    queue.enqueue(first);
    queue.enqueue(message('second'));
    queue.enqueue(message('third'));
    expect(c.received).toEqual(['first']);
    queue.requeue(first);
    c.state.credit = 3;
    queue.dispatch();
    expect(c.received).toEqual(['first', 'first', 'second', 'third']);
  });

  it('a message given back to an empty level is next too, and higher priorities still go before it', () => {
    const queue = queueOf();
    const back = message('back', 4);
    queue.requeue(back);
    queue.enqueue(message('urgent', 9));
    queue.enqueue(message('later', 4));
    const c = consumer();
    queue.addConsumer(c);
    expect(c.received).toEqual(['urgent', 'back', 'later']);
  });

  it('keeps the order over thousands of messages, taken and given back (its storage compacts as it goes)', () => {
    const queue = queueOf();
    const all = Array.from({ length: 3000 }, (_, i) => message(String(i)));
    for (const m of all) queue.enqueue(m);
    const c = consumer(2000);
    queue.addConsumer(c);
    expect(c.received).toEqual(all.slice(0, 2000).map((m) => m.headers['name']));
    queue.requeue(all[1999]!);
    c.state.credit = Infinity;
    queue.dispatch();
    expect(c.received.slice(2000)).toEqual(['1999', ...all.slice(2000).map((m) => m.headers['name'])]);
    expect(queue.size).toBe(0);
  });
});

describe('Queue: consumers', () => {
  it('shares messages round robin among consumers with credit', () => {
    const queue = queueOf();
    const [a, b] = [consumer(), consumer()];
    queue.addConsumer(a);
    queue.addConsumer(b);
    for (const name of ['1', '2', '3', '4', '5']) queue.enqueue(message(name));
    expect([a.received, b.received]).toEqual([
      ['1', '3', '5'],
      ['2', '4'],
    ]);
  });

  it('skips a consumer without credit, and keeps messages waiting when none has any', () => {
    const queue = queueOf();
    const [full, free] = [consumer(0), consumer(2)];
    queue.addConsumer(full);
    queue.addConsumer(free);
    for (const name of ['1', '2', '3']) queue.enqueue(message(name));
    expect([full.received, free.received, queue.size]).toEqual([[], ['1', '2'], 1]);
    full.state.credit = 1;
    queue.dispatch();
    expect([full.received, queue.size]).toEqual([['3'], 0]);
  });

  it('a removed consumer gets nothing more; a queue without consumers and messages is unused', () => {
    const queue = queueOf();
    const c = consumer();
    queue.addConsumer(c);
    queue.removeConsumer(c);
    queue.removeConsumer(c); // twice: nothing
    queue.enqueue(message('kept'));
    expect([c.received, queue.size]).toEqual([[], 1]);
    expect(queue.drainAll().map((m) => m.headers['name'])).toEqual(['kept']);
    expect(queue.unused).toBe(true);
  });

  it('counts what it enqueued and dispatched', () => {
    const queue = queueOf();
    const c = consumer(1);
    queue.addConsumer(c);
    queue.enqueue(message('a'));
    queue.enqueue(message('b'));
    expect([queue.enqueued, queue.dispatched]).toEqual([2, 1]);
  });
});

describe('Queue: expiry and draining', () => {
  it('a message whose time has passed while it waited is not delivered but handed to onExpired', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const expired: string[] = [];
    const queue = queueOf((m, q) => {
      expect(q).toBe(queue);
      expired.push(m.headers['name']!);
    });
    queue.enqueue(message('short', 4, 1_000_500));
    queue.enqueue(message('never', 4, 0));
    queue.enqueue(message('long', 4, 2_000_000));
    jest.setSystemTime(1_000_500);
    const c = consumer();
    queue.addConsumer(c);
    expect(expired).toEqual(['short']);
    expect(c.received).toEqual(['never', 'long']);
    expect(queue.dispatched).toBe(2);
  });

  it('an expired message costs the consumer no credit', () => {
    jest.useFakeTimers({ now: 5000 });
    const queue = queueOf();
    queue.enqueue(message('gone', 4, 4000));
    queue.enqueue(message('live'));
    const c = consumer(1);
    queue.addConsumer(c);
    expect(c.received).toEqual(['live']);
  });

  it('drainAll() takes every waiting message, highest priority first, and leaves the queue empty', () => {
    const queue = queueOf();
    queue.enqueue(message('low', 1));
    queue.enqueue(message('high', 8));
    expect(queue.drainAll().map((m) => m.headers['name'])).toEqual(['high', 'low']);
    expect(queue.size).toBe(0);
    expect(queue.drainAll()).toEqual([]);
  });
});
