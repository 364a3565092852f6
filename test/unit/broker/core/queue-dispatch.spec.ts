import { describe, expect, it } from '@jest/globals';
import { Queue, type BrokerMessage, type QueueConsumer } from '../../../../lib/broker/core/queue.js';

/** The consumer-side features of Queue (selectors, consumer priority, exclusive consumers, message groups) and the bound of its scan. */

let nextId = 1;

function message(name: string, headers: Record<string, string> = {}, priority = 4): BrokerMessage {
  return {
    id: nextId++,
    destination: '/queue/q',
    headers: { name, ...headers },
    body: Buffer.from(name),
    persistent: false,
    priority,
    expires: 0,
    timestamp: Date.now(),
    size: 10,
    deliveries: 0,
  };
}

interface TestConsumer extends QueueConsumer {
  readonly received: string[];
  readonly firsts: string[];
  credit: number;
  tested: number;
}

function consumer(options: { credit?: number; priority?: number; exclusive?: boolean; accepts?: (m: BrokerMessage) => boolean } = {}): TestConsumer {
  const self: TestConsumer = {
    received: [],
    firsts: [],
    credit: options.credit ?? Infinity,
    tested: 0,
    priority: options.priority,
    exclusive: options.exclusive,
    hasCredit: () => self.credit > 0,
    deliver: (m, _queue, first) => {
      self.credit--;
      self.received.push(m.headers['name']!);
      if (first) self.firsts.push(m.headers['name']!);
    },
  };
  const accepts = options.accepts;
  if (accepts)
    self.accepts = (m) => {
      self.tested++;
      return accepts(m);
    };
  return self;
}

const queueOf = (): Queue => new Queue('q', true, () => {});

describe('Queue: selecting consumers', () => {
  it('a message no consumer wants is looked past; it stays, in place, for the next consumer', () => {
    const queue = queueOf();
    const odd = consumer({ accepts: (m) => Number(m.headers['name']) % 2 === 1 });
    queue.addConsumer(odd);
    for (let i = 1; i <= 6; i++) queue.enqueue(message(String(i)));
    expect(odd.received).toEqual(['1', '3', '5']);
    const any = consumer();
    queue.addConsumer(any);
    expect(any.received).toEqual(['2', '4', '6']);
  });

  it('a consumer without a selector costs no test: the head is taken each time', () => {
    const queue = queueOf();
    const plain = consumer();
    const selecting = consumer({ credit: 0, accepts: () => true });
    queue.addConsumer(plain);
    queue.addConsumer(selecting);
    for (let i = 0; i < 100; i++) queue.enqueue(message(String(i)));
    expect([plain.received.length, selecting.tested]).toEqual([100, 0]);
  });

  it('the scan looks past at most 1000 messages nobody wants: one further on waits until those before are taken', () => {
    const queue = queueOf();
    for (let i = 0; i < 1000; i++) queue.enqueue(message(`other-${i}`, { kind: 'other' }));
    queue.enqueue(message('wanted', { kind: 'mine' }));
    const mine = consumer({ accepts: (m) => m.headers['kind'] === 'mine' });
    queue.addConsumer(mine);
    expect([mine.received, mine.tested]).toEqual([[], 1000]);
    // Once one of those before it is taken, it is within reach.
    const other = consumer({ credit: 1 });
    queue.addConsumer(other);
    queue.dispatch();
    expect([other.received, mine.received]).toEqual([['other-0'], ['wanted']]);
  });

  it('many selecting consumers over a backlog nobody wants: one dispatch makes a bounded number of tests', () => {
    const queue = queueOf();
    const consumers = Array.from({ length: 100 }, () => consumer({ accepts: () => false }));
    for (const c of consumers) queue.addConsumer(c);
    for (let i = 0; i < 1000; i++) queue.enqueue(message(String(i)));
    const before = consumers.reduce((sum, c) => sum + c.tested, 0);
    queue.dispatch();
    const spent = consumers.reduce((sum, c) => sum + c.tested, 0) - before;
    expect(spent).toBeGreaterThan(19_000);
    expect(spent).toBeLessThanOrEqual(20_100);
  });
});

describe('Queue: consumer priority and exclusive consumers', () => {
  it('the highest priority with credit first, round robin within a priority', () => {
    const queue = queueOf();
    const low = consumer({ priority: 1 });
    const [highA, highB] = [consumer({ priority: 9, credit: 2 }), consumer({ priority: 9, credit: 1 })];
    queue.addConsumer(low);
    queue.addConsumer(highA);
    queue.addConsumer(highB);
    for (let i = 1; i <= 5; i++) queue.enqueue(message(`m${i}`));
    expect([highA.received, highB.received, low.received]).toEqual([['m1', 'm3'], ['m2'], ['m4', 'm5']]);
  });

  it('the first exclusive consumer owns the queue; a later one of higher priority (or 127) takes over; at its leaving, the best exclusive one left', () => {
    const queue = queueOf();
    const plain = consumer();
    const first = consumer({ exclusive: true, priority: 3 });
    const same = consumer({ exclusive: true, priority: 3 });
    queue.addConsumer(plain);
    queue.addConsumer(first);
    queue.addConsumer(same);
    queue.enqueue(message('a'));
    const higher = consumer({ exclusive: true, priority: 5 });
    queue.addConsumer(higher);
    queue.enqueue(message('b'));
    queue.removeConsumer(higher);
    queue.enqueue(message('c'));
    queue.removeConsumer(first);
    queue.removeConsumer(same);
    queue.enqueue(message('d'));
    expect([plain.received, first.received, same.received, higher.received]).toEqual([['d'], ['a', 'c'], [], ['b']]);
  });
});

describe('Queue: message groups', () => {
  it('a group stays with its owner while it has no credit: the group waits, other messages go on', () => {
    const queue = queueOf();
    const [a, b] = [consumer({ credit: 1 }), consumer()];
    queue.addConsumer(a);
    queue.addConsumer(b);
    queue.enqueue(message('g1', { JMSXGroupID: 'G' }));
    queue.enqueue(message('g2', { JMSXGroupID: 'G' }));
    queue.enqueue(message('free'));
    expect([a.received, b.received, a.firsts]).toEqual([['g1'], ['free'], ['g1']]);
    a.credit = 5;
    queue.dispatch();
    expect(a.received).toEqual(['g1', 'g2']);
  });

  it('JMSXGroupSeq 1 starts a group afresh on the consumer it is offered to', () => {
    const queue = queueOf();
    const [a, b] = [consumer(), consumer()];
    queue.addConsumer(a);
    queue.addConsumer(b);
    queue.enqueue(message('one', { JMSXGroupID: 'G' }));
    queue.enqueue(message('two', { JMSXGroupID: 'G' }));
    queue.enqueue(message('restart', { JMSXGroupID: 'G', JMSXGroupSeq: '1' }));
    queue.enqueue(message('after', { JMSXGroupID: 'G' }));
    expect([a.received, b.received, b.firsts]).toEqual([['one', 'two'], ['restart', 'after'], ['restart']]);
  });

  it('remembers at most 1024 groups, the least recently used forgotten first', () => {
    const queue = queueOf();
    const [a, b] = [consumer(), consumer()];
    queue.addConsumer(a);
    queue.addConsumer(b);
    for (let g = 0; g <= 1024; g++) queue.enqueue(message(`g${g}`, { JMSXGroupID: `G${g}` }));
    // G0 (on a) was forgotten; its next message is assigned anew, round robin: to b.
    queue.enqueue(message('g0-again', { JMSXGroupID: 'G0' }));
    queue.enqueue(message('g1024-again', { JMSXGroupID: 'G1024' }));
    expect([a.received[0], b.received.at(-1), b.firsts.at(-1), a.received.at(-1), a.firsts.at(-1)]).toEqual(['g0', 'g0-again', 'g0-again', 'g1024-again', 'g1024']);
  });
});
