import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { BrokerCore, type BrokerPolicy } from '../../../../lib/broker/core/broker-core.js';
import { BrokerProtocolError, type BrokerClient } from '../../../../lib/broker/core/contracts.js';
import type { BrokerMessage, Queue } from '../../../../lib/broker/core/queue.js';
import type { Journal } from '../../../../lib/broker/store/journal.js';
import type { StompFrame, StompHeaders } from '../../../../lib/stomp/frame.js';

const POLICY: BrokerPolicy = { memoryLimitBytes: 1 << 20, storeLimitBytes: 1 << 30, maxRedeliveries: 2, redeliveryDelayMs: 1000, deadLetterQueue: 'ActiveMQ.DLQ' };

/** A client connection as the core sees it, recording what the core asked of it. */
class FakeClient implements BrokerClient {
  readonly events: string[] = [];
  constructor(
    readonly id: string,
    public consumes = false,
  ) {}
  pause(): void {
    this.events.push('pause');
  }
  resume(): void {
    this.events.push('resume');
  }
  close(): void {
    this.events.push('close');
  }
}

interface Delivery {
  readonly message: BrokerMessage;
  readonly queue: Queue;
}

/** A broker core in memory only (no journal), with its log kept. */
function brokerOf(policy: Partial<BrokerPolicy> = {}, journal?: Journal) {
  const core = new BrokerCore({ ...POLICY, ...policy }, journal, 1);
  const log: string[] = [];
  core.log = (line) => log.push(line);
  return { core, log };
}

function sendFrame(destination: string, body = 'body', headers: StompHeaders = {}): StompFrame {
  return { command: 'SEND', headers: { destination, ...headers }, body: Buffer.from(body) };
}

/** `from` sends `body` to `destination`, as a SEND frame would. */
function send(core: BrokerCore, from: BrokerClient, destination: string, body = 'body', headers: StompHeaders = {}): Promise<void> {
  return core.send(core.createMessage(from, destination, sendFrame(destination, body, headers)), from);
}

/** Subscribes `connection` to `destination` with a consumer that takes everything (or `credit` messages). */
function subscribe(core: BrokerCore, connection: BrokerClient, destination: string, credit = Infinity) {
  const queue = core.queueForSubscription(connection, destination);
  const received: Delivery[] = [];
  const state = { credit };
  const consumer = {
    hasCredit: () => state.credit > 0,
    deliver: (message: BrokerMessage, from: Queue) => {
      state.credit--;
      received.push({ message, queue: from });
    },
  };
  queue.addConsumer(consumer);
  const bodies = () => received.map((d) => d.message.body.toString());
  const end = () => {
    queue.removeConsumer(consumer);
    core.subscriptionEnded({ destination, queue });
  };
  return { queue, received, bodies, state, consumer, end };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('BrokerCore: messages from SEND frames', () => {
  it('keeps the sender’s headers, not the frame’s, and reads persistence, priority and expiry', () => {
    const { core } = brokerOf();
    const frame = sendFrame('/queue/q', 'hello', {
      persistent: 'true',
      priority: '7',
      expires: '123',
      receipt: 'r-1',
      transaction: 'tx',
      tenant: 'a',
      'content-type': 'text/plain',
    });
    const message = core.createMessage(new FakeClient('ID:c1'), '/queue/q', frame);
    expect(message).toMatchObject({ destination: '/queue/q', persistent: true, priority: 7, expires: 123, deliveries: 0 });
    expect(message.headers).toEqual({ tenant: 'a', 'content-type': 'text/plain' });
    expect(message.size).toBe(5 + 64 + ('tenant'.length + 1 + 2) + ('content-type'.length + 'text/plain'.length + 2));
  });

  it('defaults to non-persistent, priority 4, never expiring, with increasing ids', () => {
    const { core } = brokerOf();
    const client = new FakeClient('ID:c1');
    const first = core.createMessage(client, '/queue/q', sendFrame('/queue/q'));
    const second = core.createMessage(client, '/topic/t', sendFrame('/topic/t'));
    expect(first).toMatchObject({ persistent: false, priority: 4, expires: 0 });
    expect(second.id).toBeGreaterThan(first.id);
  });

  it.each([
    ['a priority above 9', '/queue/q', { priority: '10' }, "priority '10' is not 0–9"],
    ['a priority that is no number', '/queue/q', { priority: 'high' }, "priority 'high' is not 0–9"],
    ['a fractional priority', '/queue/q', { priority: '4.5' }, "priority '4.5' is not 0–9"],
    ['an empty priority (Number() would read 0)', '/queue/q', { priority: '' }, "priority '' is not 0–9"],
    ['a hexadecimal priority', '/queue/q', { priority: '0x9' }, "priority '0x9' is not 0–9"],
    ['a priority with spaces', '/queue/q', { priority: ' 7 ' }, "priority ' 7 ' is not 0–9"],
    ['an empty expiry (Number() would read never)', '/queue/q', { expires: '' }, "expires '' is not a time in ms"],
    ['a negative expiry', '/queue/q', { expires: '-1' }, "expires '-1' is not a time in ms"],
    ['an expiry that is no number', '/queue/q', { expires: 'soon' }, "expires 'soon' is not a time in ms"],
    ['an unknown kind of destination', '/exchange/x', {}, "unknown destination '/exchange/x': use /queue/<name>, /topic/<name> or a reply-to temporary queue"],
    ['a queue without a name', '/queue/', {}, "unknown destination '/queue/'"],
    ['a header without a name', '/queue/q', { '': 'v' }, "SEND has a header with an empty name (':v'), which no MESSAGE can carry: refused"],
  ])('refuses %s', (_label, destination, headers, message) => {
    const { core } = brokerOf();
    const create = () => core.createMessage(new FakeClient('ID:c1'), destination, sendFrame(destination, 'x', headers));
    expect(create).toThrow(BrokerProtocolError);
    expect(create).toThrow(message);
  });

  it('a send to, or a reply-to of, the sender’s own temporary queue names it so that others can reach it', () => {
    const { core } = brokerOf();
    const client = new FakeClient('ID:c1');
    const message = core.createMessage(client, '/temp-queue/mine', sendFrame('/temp-queue/mine', 'x', { 'reply-to': '/temp-queue/replies' }));
    expect(message.destination).toBe('/remote-temp-queue/ID:c1.mine');
    expect(message.headers['reply-to']).toBe('/remote-temp-queue/ID:c1.replies');
  });
});

describe('BrokerCore: routing', () => {
  it('a queue message goes to one of the queue’s consumers', async () => {
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    const a = subscribe(core, new FakeClient('ID:a'), '/queue/orders');
    const b = subscribe(core, new FakeClient('ID:b'), '/queue/orders');
    await send(core, producer, '/queue/orders', 'one');
    await send(core, producer, '/queue/orders', 'two');
    expect([a.bodies(), b.bodies()]).toEqual([['one'], ['two']]);
    expect(a.received[0]!.message.destination).toBe('/queue/orders');
  });

  it('a queue keeps its messages for a consumer that comes later, highest priority first', async () => {
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    await send(core, producer, '/queue/q', 'p1', { priority: '1' });
    await send(core, producer, '/queue/q', 'p9', { priority: '9' });
    await send(core, producer, '/queue/q', 'p4');
    expect(core.stats()).toMatchObject({ queues: 1, waiting: 3, enqueued: 3, dispatched: 0 });
    expect(subscribe(core, new FakeClient('ID:c'), '/queue/q').bodies()).toEqual(['p9', 'p4', 'p1']);
    expect(core.stats()).toMatchObject({ waiting: 0, dispatched: 3 });
  });

  it('a topic message is copied to every subscriber, each copy with its own id; with none it goes nowhere', async () => {
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    await send(core, producer, '/topic/prices', 'unheard');
    const a = subscribe(core, new FakeClient('ID:a'), '/topic/prices');
    const b = subscribe(core, new FakeClient('ID:b'), '/topic/prices');
    await send(core, producer, '/topic/prices', 'tick');
    expect([a.bodies(), b.bodies()]).toEqual([['tick'], ['tick']]);
    expect(a.received[0]!.message.id).not.toBe(b.received[0]!.message.id);
    expect(a.received[0]!.message.destination).toBe('/topic/prices');
    expect(core.stats()).toMatchObject({ queues: 0, memoryBytes: 2 * a.received[0]!.message.size });
  });

  it('a topic subscription that ended gets nothing more, and what waited for it is released', async () => {
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    const sub = subscribe(core, new FakeClient('ID:a'), '/topic/t', 0);
    await send(core, producer, '/topic/t', 'waiting');
    expect(sub.queue.size).toBe(1);
    sub.end();
    expect(sub.queue.removed).toBe(true);
    expect(core.stats().memoryBytes).toBe(0);
    await send(core, producer, '/topic/t', 'after');
    expect(core.stats().memoryBytes).toBe(0);
  });

  it("a virtual topic's sends are copied to each consumer group's queue, which collects them while nobody consumes", async () => {
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    const billing = subscribe(core, new FakeClient('ID:a'), '/queue/Consumer.billing.VirtualTopic.Orders');
    billing.end();
    const shipping = subscribe(core, new FakeClient('ID:b'), '/queue/Consumer.shipping.VirtualTopic.Orders');
    await send(core, producer, '/topic/VirtualTopic.Orders', 'order-1');
    expect(shipping.bodies()).toEqual(['order-1']);
    expect(shipping.received[0]!.message.destination).toBe('/queue/Consumer.shipping.VirtualTopic.Orders');
    expect(core.stats()).toMatchObject({ queues: 2, waiting: 1 });
    const later = subscribe(core, new FakeClient('ID:c'), '/queue/Consumer.billing.VirtualTopic.Orders');
    expect(later.bodies()).toEqual(['order-1']);
    expect(later.received[0]!.message.destination).toBe('/queue/Consumer.billing.VirtualTopic.Orders');
  });

  it('a temporary queue is reached by others under its remote name, and each connection’s names are its own', async () => {
    const { core } = brokerOf();
    const requester = new FakeClient('ID:req');
    const other = new FakeClient('ID:other');
    const replies = subscribe(core, requester, '/temp-queue/replies');
    const others = subscribe(core, other, '/temp-queue/replies');
    expect(replies.queue).not.toBe(others.queue);
    expect(replies.queue.name).toBe('/remote-temp-queue/ID:req.replies');
    await send(core, new FakeClient('ID:server'), '/remote-temp-queue/ID:req.replies', 'answer');
    expect(replies.bodies()).toEqual(['answer']);
    expect(others.bodies()).toEqual([]);
    expect(core.stats().queues).toBe(0);
  });

  it('a temporary queue goes away with its connection: what waited is released, and a send to it is refused', async () => {
    const { core } = brokerOf();
    const requester = new FakeClient('ID:req');
    const replies = subscribe(core, requester, '/temp-queue/replies', 0);
    const server = new FakeClient('ID:server');
    await send(core, server, '/remote-temp-queue/ID:req.replies', 'unread');
    expect(core.stats().memoryBytes).toBeGreaterThan(0);
    core.connectionClosed(requester);
    expect(replies.queue.removed).toBe(true);
    expect(replies.queue.size).toBe(0);
    expect(core.stats().memoryBytes).toBe(0);
    await expect(send(core, server, '/remote-temp-queue/ID:req.replies', 'late')).rejects.toThrow(
      new BrokerProtocolError('destination /remote-temp-queue/ID:req.replies does not exist (its connection has gone)'),
    );
  });

  it('an ordinary queue left empty and unused when its last subscription ends is forgotten, its counts kept', async () => {
    const { core } = brokerOf();
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/once');
    await send(core, new FakeClient('ID:p'), '/queue/once', 'x');
    void core.acknowledge(sub.received[0]!.message, sub.queue);
    sub.end();
    expect(core.stats()).toMatchObject({ queues: 0, enqueued: 1, dispatched: 1 });
  });

  it('a queue with messages waiting stays when its subscription ends', async () => {
    const { core } = brokerOf();
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/kept', 0);
    await send(core, new FakeClient('ID:p'), '/queue/kept', 'x');
    sub.end();
    expect(core.stats()).toMatchObject({ queues: 1, waiting: 1 });
  });

  it.each([
    ['/exchange/x', "cannot subscribe to '/exchange/x': use /queue/, /topic/ or /temp-queue/"],
    ['/queue/', "'/queue/' names no destination"],
    ['/topic/', "'/topic/' names no destination"],
  ])('refuses a subscription to %s', (destination, message) => {
    const { core } = brokerOf();
    expect(() => core.queueForSubscription(new FakeClient('ID:a'), destination)).toThrow(new BrokerProtocolError(message));
  });
});

describe('BrokerCore: acknowledgement and redelivery', () => {
  it('an acknowledged message is gone and its memory released; without a journal nothing is waited for', async () => {
    const { core } = brokerOf();
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q');
    await send(core, new FakeClient('ID:p'), '/queue/q', 'x', { persistent: 'true' });
    expect(core.stats().memoryBytes).toBe(sub.received[0]!.message.size);
    expect(core.acknowledge(sub.received[0]!.message, sub.queue)).toBeUndefined();
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('a rejected message is delivered again after the redelivery delay, counted', async () => {
    jest.useFakeTimers();
    const { core } = brokerOf({ redeliveryDelayMs: 500 });
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q');
    await send(core, new FakeClient('ID:p'), '/queue/q', 'poison');
    expect(core.reject(sub.received[0]!.message, sub.queue)).toBeUndefined();
    jest.advanceTimersByTime(499);
    expect(sub.received).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(sub.bodies()).toEqual(['poison', 'poison']);
    expect(sub.received[1]!.message.deliveries).toBe(1);
  });

  it('after maxRedeliveries redeliveries a rejected message goes to the dead-letter queue, saying why and whence', async () => {
    jest.useFakeTimers();
    const { core } = brokerOf({ maxRedeliveries: 2, redeliveryDelayMs: 10 });
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/orders');
    await send(core, new FakeClient('ID:p'), '/queue/orders', 'poison', { tenant: 't' });
    for (let i = 0; i < 2; i++) {
      void core.reject(sub.received.at(-1)!.message, sub.queue);
      jest.advanceTimersByTime(10);
    }
    expect(sub.received).toHaveLength(3);
    const last = sub.received[2]!.message;
    void core.reject(last, sub.queue);
    jest.advanceTimersByTime(10_000);
    expect(sub.received).toHaveLength(3);
    const dlq = subscribe(core, new FakeClient('ID:ops'), '/queue/ActiveMQ.DLQ');
    expect(dlq.bodies()).toEqual(['poison']);
    const dead = dlq.received[0]!.message;
    expect(dead.headers).toEqual({ tenant: 't', 'original-destination': '/queue/orders', dlqDeliveryFailureCause: 'delivery 3 was rejected; redelivery limit 2 reached' });
    expect(dead.deliveries).toBe(0);
    expect(dead.id).not.toBe(last.id);
    expect(core.stats().memoryBytes).toBe(dead.size);
  });

  it('maxRedeliveries 0 dead-letters at the first rejection, into the queue the policy names', async () => {
    const { core } = brokerOf({ maxRedeliveries: 0, deadLetterQueue: 'DEAD' });
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q');
    await send(core, new FakeClient('ID:p'), '/queue/q', 'x');
    void core.reject(sub.received[0]!.message, sub.queue);
    expect(subscribe(core, new FakeClient('ID:ops'), '/queue/DEAD').bodies()).toEqual(['x']);
  });

  it('a delivery given back (its consumer left) is at the head of its queue again, counted as redelivered', async () => {
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q', 1);
    await send(core, producer, '/queue/q', 'first');
    await send(core, producer, '/queue/q', 'second');
    const first = sub.received[0]!;
    sub.queue.removeConsumer(sub.consumer);
    core.giveBack(first.message, first.queue);
    const next = subscribe(core, new FakeClient('ID:b'), '/queue/q');
    expect(next.bodies()).toEqual(['first', 'second']);
    expect(next.received[0]!.message.deliveries).toBe(1);
  });

  it('a redelivery due after its queue was forgotten goes to a live queue of the same name', async () => {
    jest.useFakeTimers();
    const { core } = brokerOf({ redeliveryDelayMs: 100 });
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q');
    await send(core, new FakeClient('ID:p'), '/queue/q', 'x');
    void core.reject(sub.received[0]!.message, sub.queue);
    sub.end();
    expect(sub.queue.removed).toBe(true);
    jest.advanceTimersByTime(100);
    expect(subscribe(core, new FakeClient('ID:b'), '/queue/q').bodies()).toEqual(['x']);
  });

  it('stop() cancels pending redeliveries and closes every connection', async () => {
    jest.useFakeTimers();
    const { core } = brokerOf({ redeliveryDelayMs: 100 });
    const consumer = new FakeClient('ID:a');
    core.addConnection(consumer);
    const sub = subscribe(core, consumer, '/queue/q');
    await send(core, new FakeClient('ID:p'), '/queue/q', 'x');
    void core.reject(sub.received[0]!.message, sub.queue);
    core.stop();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(sub.received).toHaveLength(1);
    expect(consumer.events).toEqual(['close']);
  });

  it('an undeliverable message goes to the dead-letter queue without its nameless header, and is dropped from there', async () => {
    const { core, log } = brokerOf();
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q', 0);
    const broken: BrokerMessage = { ...core.createMessage(new FakeClient('ID:p'), '/queue/q', sendFrame('/queue/q', 'x', { ok: 'yes' })) };
    broken.headers[''] = 'bad';
    await core.send(broken, new FakeClient('ID:p'));
    const [waiting] = sub.queue.drainAll();
    core.undeliverable(waiting!, sub.queue, 'a header without a name');
    const dlq = subscribe(core, new FakeClient('ID:ops'), '/queue/ActiveMQ.DLQ');
    expect(dlq.received[0]!.message.headers).toEqual({ ok: 'yes', 'original-destination': '/queue/q', dlqDeliveryFailureCause: 'undeliverable: a header without a name' });
    core.undeliverable(dlq.received[0]!.message, dlq.queue, 'again');
    expect(log).toEqual([
      `embedded broker: message ${broken.id} of /queue/q is undeliverable (a header without a name): moved to ActiveMQ.DLQ without the headers at fault`,
      `embedded broker: message ${dlq.received[0]!.message.id} of /queue/ActiveMQ.DLQ is undeliverable (again): dropped (it is on the dead-letter queue already)`,
    ]);
    expect(core.stats().memoryBytes).toBe(0);
  });
});

describe('BrokerCore: expiry', () => {
  it('a message that expires while it waits is never delivered, and its memory is released', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    await send(core, producer, '/queue/q', 'stale', { expires: String(1_000_000 + 100) });
    await send(core, producer, '/queue/q', 'fresh');
    jest.setSystemTime(1_000_000 + 100);
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q');
    expect(sub.bodies()).toEqual(['fresh']);
    expect(core.stats().memoryBytes).toBe(sub.received[0]!.message.size);
  });
});

describe('BrokerCore: limits', () => {
  it('over the memory limit a producer that does not consume is paused and its send held; it resumes once consumers make room', async () => {
    const { core } = brokerOf({ memoryLimitBytes: 1000 });
    const producer = new FakeClient('ID:p');
    let firstDone = false;
    const first = send(core, producer, '/queue/q', 'x'.repeat(1000)).then(() => (firstDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(firstDone).toBe(false);
    expect(producer.events).toEqual([]); // counted before this send: it was admitted under the limit
    const second = send(core, producer, '/queue/q', 'y');
    expect(producer.events).toEqual(['pause']);
    const sub = subscribe(core, new FakeClient('ID:c', true), '/queue/q');
    for (const d of sub.received) void core.acknowledge(d.message, d.queue);
    await Promise.all([first, second]);
    expect(producer.events).toEqual(['pause', 'resume']);
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('a producer that also consumes is never paused', async () => {
    const { core } = brokerOf({ memoryLimitBytes: 1000 });
    const producer = new FakeClient('ID:p', true);
    void send(core, producer, '/queue/q', 'x'.repeat(1000));
    void send(core, producer, '/queue/q', 'y');
    expect(producer.events).toEqual([]);
  });

  it('past twice the memory limit a send is refused', async () => {
    const { core } = brokerOf({ memoryLimitBytes: 1000 });
    const producer = new FakeClient('ID:p');
    void send(core, producer, '/queue/q', 'x'.repeat(2000));
    const held = core.stats().memoryBytes;
    await expect(send(core, producer, '/queue/q', 'y')).rejects.toThrow(
      new BrokerProtocolError(`memory limit reached (${held} bytes held, limit 1000): send refused; consume messages first`),
    );
    expect(core.stats().memoryBytes).toBe(held);
  });

  it('a transaction’s sends count against the memory limit before COMMIT, and are refused past twice the limit', () => {
    const { core } = brokerOf({ memoryLimitBytes: 1000 });
    const producer = new FakeClient('ID:p');
    const big = core.createMessage(producer, '/queue/q', sendFrame('/queue/q', 'x'.repeat(2000)));
    core.holdTransactional(big);
    expect(core.stats().memoryBytes).toBe(big.size);
    expect(() => core.holdTransactional(core.createMessage(producer, '/queue/q', sendFrame('/queue/q')))).toThrow(/memory limit reached/);
    core.dropTransactional([big]);
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('past the store limit a persistent send to a queue is refused; non-persistent ones, and topics, are not', async () => {
    const journal = { stats: () => ({ segments: 1, bytesOnDisk: 5000, liveMessages: 0, fsyncs: 0 }), write: () => Promise.resolve() } as unknown as Journal;
    const { core } = brokerOf({ storeLimitBytes: 4096 }, journal);
    const producer = new FakeClient('ID:p');
    await expect(send(core, producer, '/queue/q', 'x', { persistent: 'true' })).rejects.toThrow(
      new BrokerProtocolError('store limit reached (4096 bytes): persistent send refused'),
    );
    await send(core, producer, '/queue/q', 'x', { persistent: 'false' });
    subscribe(core, new FakeClient('ID:a'), '/topic/t');
    await send(core, producer, '/topic/t', 'x', { persistent: 'true' });
    expect(core.stats().enqueued).toBe(1);
  });
});

describe('BrokerCore: transactions, restore, logins', () => {
  it('COMMIT puts a transaction’s sends on their queues and settles its acknowledgements', async () => {
    const { core } = brokerOf();
    const producer = new FakeClient('ID:p');
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q');
    await send(core, producer, '/queue/acked', 'to-ack');
    const acked = subscribe(core, new FakeClient('ID:b'), '/queue/acked').received[0]!;
    const sends = ['t1', 't2'].map((body) => core.createMessage(producer, '/queue/q', sendFrame('/queue/q', body)));
    for (const message of sends) core.holdTransactional(message);
    expect(sub.received).toEqual([]);
    await core.commit(sends, [acked], producer);
    expect(sub.bodies()).toEqual(['t1', 't2']);
    expect(core.stats().memoryBytes).toBe(sends[0]!.size + sends[1]!.size);
  });

  it('restore() puts recovered messages back on their queues, with their priority, expiry and delivery count', () => {
    const { core } = brokerOf();
    core.restore([
      { id: 3, destination: '/queue/q', headers: { persistent: 'true', priority: '2', expires: '0', timestamp: '100', app: 'low' }, body: Buffer.from('low') },
      { id: 4, destination: '/queue/q', headers: { persistent: 'true', priority: '8', expires: '0', timestamp: '100', app: 'high' }, body: Buffer.from('high'), deliveries: 2 },
    ]);
    const sub = subscribe(core, new FakeClient('ID:a'), '/queue/q');
    expect(sub.bodies()).toEqual(['high', 'low']);
    expect(sub.received[0]!.message).toMatchObject({ id: 4, persistent: true, priority: 8, timestamp: 100, deliveries: 2, headers: { app: 'high' } });
  });

  it('anyone may connect without users; with users, only a login with its own passcode', () => {
    expect(brokerOf().core.authenticate(undefined, undefined)).toBe(true);
    const { core } = brokerOf({ users: { app: 'secret' } });
    expect(core.authenticate('app', 'secret')).toBe(true);
    expect(core.authenticate('app', 'wrong')).toBe(false);
    expect(core.authenticate('app', undefined)).toBe(false);
    expect(core.authenticate(undefined, 'secret')).toBe(false);
    expect(core.authenticate('constructor', undefined)).toBe(false);
    expect(core.authenticate('toString', 'function toString() { [native code] }')).toBe(false);
  });

  it('counts its connections', () => {
    const { core } = brokerOf();
    const a = new FakeClient('ID:a');
    core.addConnection(a);
    core.addConnection(new FakeClient('ID:b'));
    core.connectionClosed(a);
    expect(core.stats()).toMatchObject({ connections: 1, journal: undefined });
  });
});
