import { afterEach, describe, expect, it } from '@jest/globals';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../lib/broker/embedded-broker.js';
import { RawStomp, type RawFrame } from '../../support/raw-stomp.js';

/**
 * Issue 13, items 6 to 9: what the embedded broker holds stays bounded and is given back on every
 * path. Figures are the broker's own (`stats().memoryBytes`, `stats().queues`), not the process's
 * RSS. Peers are raw STOMP over in-process streams: no kernel buffers, so a reader that stops
 * reading pushes back on the broker at once.
 */

const brokers: EmbeddedBroker[] = [];
const peers: RawStomp[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  for (const broker of brokers.splice(0)) await broker.stop();
});

async function startBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const broker = await EmbeddedBroker.start(options);
  brokers.push(broker);
  return broker;
}

async function peer(broker: EmbeddedBroker): Promise<RawStomp> {
  const raw = RawStomp.attach(broker.connect());
  peers.push(raw);
  raw.write('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0');
  await raw.next('CONNECTED');
  return raw;
}

function frame(command: string, headers: Record<string, string>, body = ''): string {
  return `${command}\n${Object.entries(headers)
    .map(([name, value]) => `${name}:${value}`)
    .join('\n')}\n\n${body}\0`;
}

/** Sends `frameText` and returns the answer to its receipt `id` (a RECEIPT or an ERROR). */
async function ask(raw: RawStomp, frameText: string): Promise<RawFrame> {
  raw.write(frameText);
  return raw.next();
}

async function subscribe(raw: RawStomp, destination: string, ack: string, id = 'sub'): Promise<void> {
  expect(await ask(raw, frame('SUBSCRIBE', { id, destination, ack, receipt: `sub-${id}` }))).toMatchObject({ command: 'RECEIPT' });
}

/** Resolves once `condition` holds; the broker's state changes on its own timers (redelivery), so it is checked each few ms, up to `ms`. */
async function eventually(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The next `count` frames of `raw`. */
async function frames(raw: RawStomp, count: number): Promise<RawFrame[]> {
  const all: RawFrame[] = [];
  for (let i = 0; i < count; i++) all.push(await raw.next());
  return all;
}

const KIB = 1024;

describe('item 6: a consumer that stops reading', () => {
  it('takes no more than its stream holds: the rest waits, counted, and producers are refused past twice the limit', async () => {
    const memoryLimitBytes = 64 * KIB;
    const broker = await startBroker({ memoryLimitBytes });
    const reader = await peer(broker);
    await subscribe(reader, '/queue/slow', 'auto');
    reader.pause();
    const producer = await peer(broker);
    // A consumer itself, so that flow control refuses its sends instead of pausing it.
    await subscribe(producer, '/queue/elsewhere', 'auto');
    const count = 200;
    const body = 'x'.repeat(4 * KIB);
    for (let i = 0; i < count; i++) producer.write(frame('SEND', { destination: '/queue/slow', receipt: `s${i}` }, body));
    // Answers come as RECEIPTs while under the limit, none (held) over it, ERRORs past twice it.
    // Before the fix: 200 RECEIPTs, nothing counted, every byte queued on the reader's stream.
    const answers: RawFrame[] = [];
    while (answers.length < count && answers.at(-1)?.command !== 'ERROR') answers.push(await producer.next());
    const first = answers.at(-1)!;
    expect(first.command).toBe('ERROR');
    expect(first.headers['message']).toMatch(/memory limit reached/);
    // Refused past twice the limit; what the reader's stream took since may have been released.
    const held = broker.stats();
    expect(held.waiting).toBeGreaterThan(0);
    expect(held.memoryBytes).toBeGreaterThan(memoryLimitBytes);
    expect(held.memoryBytes).toBeLessThan(2 * memoryLimitBytes + 2 * body.length);
    // The reader comes back: everything accepted reaches it, and the memory is given back.
    reader.resume();
    answers.push(...(await frames(producer, count - answers.length)));
    const accepted = answers.filter((answer) => answer.command === 'RECEIPT').length;
    expect(accepted).toBeGreaterThan(0);
    expect((await frames(reader, accepted)).every((message) => message.command === 'MESSAGE')).toBe(true);
    await eventually(() => broker.stats().memoryBytes === 0, 'memory back to 0');
  });
});

describe('item 7: sends in a transaction', () => {
  it('count against the memory limit: refused past twice the limit', async () => {
    const memoryLimitBytes = 64 * KIB;
    const broker = await startBroker({ memoryLimitBytes });
    const producer = await peer(broker);
    expect(await ask(producer, frame('BEGIN', { transaction: 't', receipt: 'b' }))).toMatchObject({ command: 'RECEIPT' });
    const body = 'x'.repeat(4 * KIB);
    const count = 64;
    for (let i = 0; i < count; i++) producer.write(frame('SEND', { destination: '/queue/tx', transaction: 't', receipt: `s${i}` }, body));
    const answers = await frames(producer, count);
    const refused = answers.filter((answer) => answer.command === 'ERROR');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.headers['message']).toMatch(/memory limit reached/);
    expect(broker.stats().memoryBytes).toBeGreaterThan(2 * memoryLimitBytes);
    expect(broker.stats().memoryBytes).toBeLessThan(2 * memoryLimitBytes + 2 * body.length);
    // An ABORT gives it all back.
    expect(await ask(producer, frame('ABORT', { transaction: 't', receipt: 'a' }))).toMatchObject({ command: 'RECEIPT' });
    expect(broker.stats().memoryBytes).toBe(0);
  });

  it('a COMMIT over the limit with no consumer is answered (its hold is bounded), and its messages wait', async () => {
    const memoryLimitBytes = 64 * KIB;
    const broker = await startBroker({ memoryLimitBytes });
    const producer = await peer(broker);
    // A consumer itself: over the limit it is held, never paused (a paused producer's COMMIT could not be read).
    await subscribe(producer, '/queue/elsewhere', 'auto');
    producer.write(frame('BEGIN', { transaction: 't' }));
    const count = 24; // 96 KiB: over the limit, under twice it.
    for (let i = 0; i < count; i++) producer.write(frame('SEND', { destination: '/queue/tx-commit', transaction: 't' }, 'x'.repeat(4 * KIB)));
    const answer = await Promise.race([
      ask(producer, frame('COMMIT', { transaction: 't', receipt: 'c' })),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 5 s'), 5000).unref()),
    ]);
    expect(answer).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'c' } });
    expect(broker.stats()).toMatchObject({ waiting: count });
    expect(broker.stats().memoryBytes).toBeGreaterThan(memoryLimitBytes);
  }, 10_000);
});

describe('item 8: topic messages are released on every path', () => {
  it('ACKed in a transaction, then the connection drops: released (150 times, then a send is still taken)', async () => {
    const broker = await startBroker({ memoryLimitBytes: 32 * KIB });
    const producer = await peer(broker);
    for (let i = 0; i < 150; i++) {
      const subscriber = await peer(broker);
      await subscribe(subscriber, '/topic/leak-tx', 'client-individual');
      expect(await ask(producer, frame('SEND', { destination: '/topic/leak-tx', receipt: `s${i}` }, 'y'.repeat(KIB)))).toMatchObject({ command: 'RECEIPT' });
      const message = await subscriber.next('MESSAGE');
      subscriber.write(frame('BEGIN', { transaction: 't' }));
      expect(await ask(subscriber, frame('ACK', { id: message.headers['ack']!, transaction: 't', receipt: 'a' }))).toMatchObject({ command: 'RECEIPT' });
      subscriber.destroy();
      await eventually(() => broker.stats().connections === 1, 'the subscriber gone');
      expect(broker.stats().memoryBytes).toBe(0);
    }
    expect(await ask(producer, frame('SEND', { destination: '/queue/after', receipt: 'last' }, 'z'))).toMatchObject({ command: 'RECEIPT' });
  });

  it('NACKed, then the subscriber leaves before the redelivery: released when it is due', async () => {
    const broker = await startBroker({ memoryLimitBytes: 32 * KIB, redeliveryDelayMs: 10 });
    const producer = await peer(broker);
    const subscriber = await peer(broker);
    for (let i = 0; i < 100; i++) {
      await subscribe(subscriber, '/topic/leak-nack', 'client-individual', `s${i}`);
      expect(await ask(producer, frame('SEND', { destination: '/topic/leak-nack', receipt: `s${i}` }, 'y'.repeat(KIB)))).toMatchObject({ command: 'RECEIPT' });
      const message = await subscriber.next('MESSAGE');
      subscriber.write(frame('NACK', { id: message.headers['ack']! }));
      expect(await ask(subscriber, frame('UNSUBSCRIBE', { id: `s${i}`, receipt: `u${i}` }))).toMatchObject({ command: 'RECEIPT' });
    }
    await eventually(() => broker.stats().memoryBytes === 0, 'every NACKed copy released');
    expect(await ask(producer, frame('SEND', { destination: '/queue/after', receipt: 'last' }, 'z'))).toMatchObject({ command: 'RECEIPT' });
  });
});

describe('item 9: queues are removed once empty and unused', () => {
  it('2,000 SUBSCRIBEs of a client that left leave no queue behind; a queue holding messages, or with a consumer, stays', async () => {
    const broker = await startBroker();
    const keeper = await peer(broker);
    expect(await ask(keeper, frame('SEND', { destination: '/queue/holding', receipt: 'h' }, 'kept'))).toMatchObject({ command: 'RECEIPT' });
    await subscribe(keeper, '/queue/consumed', 'auto');
    const client = await peer(broker);
    const count = 2000;
    for (let i = 0; i < count; i++) client.write(frame('SUBSCRIBE', { id: `q${i}`, destination: `/queue/many.${i}`, ack: 'client' }));
    expect(await ask(client, frame('SUBSCRIBE', { id: 'last', destination: '/queue/consumed', receipt: 'r' }))).toMatchObject({ command: 'RECEIPT' });
    expect(broker.stats().queues).toBe(count + 2);
    client.destroy();
    await eventually(() => broker.stats().connections === 1, 'the client gone');
    expect(broker.stats().queues).toBe(2);
    // An UNSUBSCRIBE of the last consumer of an empty queue removes it too.
    expect(await ask(keeper, frame('UNSUBSCRIBE', { id: 'sub', receipt: 'u' }))).toMatchObject({ command: 'RECEIPT' });
    expect(broker.stats()).toMatchObject({ queues: 1, waiting: 1 });
    // Counters of removed queues are kept.
    expect(broker.stats().enqueued).toBe(1);
  });

  it('a virtual topic reaches its consumer queues through an index, also after a queue was removed and made again', async () => {
    const broker = await startBroker();
    const a = await peer(broker);
    await subscribe(a, '/queue/Consumer.A.VirtualTopic.orders', 'auto');
    const producer = await peer(broker);
    expect(await ask(producer, frame('SEND', { destination: '/topic/VirtualTopic.orders', receipt: '1' }, 'one'))).toMatchObject({ command: 'RECEIPT' });
    expect(await a.next('MESSAGE')).toMatchObject({ body: 'one', headers: { destination: '/queue/Consumer.A.VirtualTopic.orders' } });
    // A consumer queue of a virtual topic is its group's durable subscription: kept while nobody consumes.
    expect(await ask(a, frame('UNSUBSCRIBE', { id: 'sub', receipt: 'u' }))).toMatchObject({ command: 'RECEIPT' });
    expect(await ask(producer, frame('SEND', { destination: '/topic/VirtualTopic.orders', receipt: '2' }, 'two'))).toMatchObject({ command: 'RECEIPT' });
    expect(broker.stats()).toMatchObject({ queues: 1, waiting: 1 });
    a.write(frame('SUBSCRIBE', { id: 'again', destination: '/queue/Consumer.A.VirtualTopic.orders' }));
    expect((await a.next('MESSAGE')).body).toBe('two');
    // Names that only look alike get nothing.
    const b = await peer(broker);
    await subscribe(b, '/queue/Consumer.B.VirtualTopic.orders.eu', 'auto');
    expect(await ask(producer, frame('SEND', { destination: '/topic/VirtualTopic.orders', receipt: '3' }, 'three'))).toMatchObject({ command: 'RECEIPT' });
    expect((await a.next('MESSAGE')).body).toBe('three');
    expect(b.frames.filter((f) => f.command === 'MESSAGE')).toHaveLength(0);
  });
});
