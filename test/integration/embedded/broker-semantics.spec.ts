import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../lib/broker/embedded-broker.js';
import { StompConnection, type StompConnectionOptions, type StompSubscribeOptions } from '../../../lib/connection/stomp-connection.js';
import { StompAuthenticationError, StompBrokerError } from '../../../lib/stomp/errors.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';

/**
 * What the embedded broker promises its clients, checked over TCP with the library's own STOMP
 * connection: priority, expiry, topics and queues, the three ack modes, redelivery and the DLQ,
 * transactions, temporary and virtual destinations, the journal across a restart, memory and
 * store limits, and logins. Every wait is on an event (a MESSAGE, a RECEIPT, an ERROR), never a sleep.
 */

const brokers: EmbeddedBroker[] = [];
const connections: StompConnection[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.destroy();
  for (const broker of brokers.splice(0)) await broker.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const broker = await EmbeddedBroker.start({ port: 0, ...options });
  brokers.push(broker);
  return broker;
}

async function connect(broker: EmbeddedBroker, options: Partial<StompConnectionOptions> = {}): Promise<StompConnection> {
  const connection = await StompConnection.connect({ host: '127.0.0.1', port: broker.port!, heartBeat: [0, 0], ...options });
  connections.push(connection);
  return connection;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'broker-semantics-'));
  dirs.push(dir);
  return dir;
}

/** Collects a subscription's MESSAGEs; `until(n)` resolves once n have arrived in all. */
class Inbox {
  readonly messages: StompFrame[] = [];
  private readonly waiters: Array<{ count: number; resolve: (messages: StompFrame[]) => void }> = [];
  /** Called for each MESSAGE before it is stored (e.g. to ACK or NACK it). */
  onMessage: ((message: StompFrame) => void) | undefined;

  readonly handler = (message: StompFrame): void => {
    this.messages.push(message);
    this.onMessage?.(message);
    for (const waiter of [...this.waiters]) {
      if (this.messages.length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(this.messages.slice(0, waiter.count));
      }
    }
  };

  until(count: number): Promise<StompFrame[]> {
    if (this.messages.length >= count) return Promise.resolve(this.messages.slice(0, count));
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  get bodies(): string[] {
    return this.messages.map(text);
  }
}

async function subscribe(connection: StompConnection, destination: string, options: StompSubscribeOptions = {}): Promise<Inbox> {
  const inbox = new Inbox();
  await connection.subscribe(destination, inbox.handler, options);
  return inbox;
}

const text = (message: StompFrame): string => message.body.toString();

/** One request/receipt round trip that changes nothing on the broker. */
async function roundTrip(connection: StompConnection): Promise<void> {
  const transaction = `probe-${Math.random()}`;
  await connection.begin(transaction);
  await connection.abort(transaction);
}

/** The first rejection among `promises` (never resolves if none rejects). */
function firstRejection(promises: ReadonlyArray<Promise<unknown>>): Promise<unknown> {
  return Promise.race(
    promises.map((p) =>
      p.then(
        () => new Promise<never>(() => {}),
        (error: unknown) => error,
      ),
    ),
  );
}

describe('embedded broker semantics', () => {
  it('dispatches waiting messages highest priority first', async () => {
    const broker = await startBroker();
    const connection = await connect(broker);
    for (const priority of [1, 9, 4]) await connection.send('/queue/prio', { priority: String(priority) }, `p${priority}`, { receipt: true });
    const inbox = await subscribe(connection, '/queue/prio');
    const messages = await inbox.until(3);
    expect(messages.map(text)).toEqual(['p9', 'p4', 'p1']);
    expect(messages.map((m) => m.headers['priority'])).toEqual(['9', '4', '1']);
  });

  it('never delivers an expired message, waiting or sent to a consumer', async () => {
    const broker = await startBroker();
    const connection = await connect(broker);
    const future = Date.now() + 60_000;
    await connection.send('/queue/exp', { expires: String(Date.now() - 1000) }, 'expired-waiting', { receipt: true });
    await connection.send('/queue/exp', { expires: String(future) }, 'live', { receipt: true });
    expect(broker.stats()).toMatchObject({ enqueued: 2, waiting: 2 });

    const inbox = await subscribe(connection, '/queue/exp');
    await inbox.until(1);
    // Sent while the consumer is there: dropped on the way, the marker after it arrives next.
    await connection.send('/queue/exp', { expires: String(Date.now() - 1) }, 'expired-live', { receipt: true });
    await connection.send('/queue/exp', {}, 'marker', { receipt: true });
    await inbox.until(2);
    expect(inbox.bodies).toEqual(['live', 'marker']);
    expect(inbox.messages[0]!.headers['expires']).toBe(String(future));
    // Both expired ones were taken off the queue and their memory released, never dispatched.
    expect(broker.stats()).toMatchObject({ enqueued: 4, dispatched: 2, waiting: 0, memoryBytes: 0 });
  });

  it('fans a topic out to every subscriber and shares a queue among competing consumers', async () => {
    const broker = await startBroker();
    const [a, b, c] = [await connect(broker), await connect(broker), await connect(broker)];
    const topicInboxes = [await subscribe(a, '/topic/news'), await subscribe(b, '/topic/news'), await subscribe(b, '/topic/news')];
    for (const n of [1, 2, 3]) await c.send('/topic/news', {}, `news-${n}`, { receipt: true });
    for (const inbox of topicInboxes) expect((await inbox.until(3)).map(text)).toEqual(['news-1', 'news-2', 'news-3']);

    const workers = [await subscribe(a, '/queue/work'), await subscribe(b, '/queue/work')];
    const sent = Array.from({ length: 20 }, (_, i) => `job-${i}`);
    let received = 0;
    const allReceived = new Promise<void>((resolve) => {
      for (const worker of workers) worker.onMessage = () => ++received === sent.length && resolve();
    });
    for (const body of sent) await c.send('/queue/work', {}, body, { receipt: true });
    await allReceived;
    const got = workers.flatMap((w) => w.bodies);
    expect(got.sort()).toEqual([...sent].sort());
    for (const worker of workers) expect(worker.messages.length).toBeGreaterThan(0);
    // And nothing more: a marker is the next thing either of them sees.
    const before = workers.map((w) => w.messages.length);
    await c.send('/queue/work', {}, 'marker', { receipt: true });
    await Promise.race(workers.map((w, i) => w.until(before[i]! + 1)));
    expect(workers.flatMap((w, i) => w.bodies.slice(before[i]))).toEqual(['marker']);
  });

  it("'client' ack is cumulative: ACK of the 3rd settles the 1st to 3rd, the 4th comes back", async () => {
    const broker = await startBroker();
    const producer = await connect(broker);
    for (const n of [1, 2, 3, 4]) await producer.send('/queue/cumulative', {}, `m${n}`, { receipt: true });
    const first = await connect(broker);
    const inbox = await subscribe(first, '/queue/cumulative', { ack: 'client' });
    const messages = await inbox.until(4);
    expect(messages.map(text)).toEqual(['m1', 'm2', 'm3', 'm4']);
    await first.ack(messages[2]!, { receipt: true });
    await first.disconnect();

    const second = await connect(broker);
    const again = await subscribe(second, '/queue/cumulative', { ack: 'client' });
    await producer.send('/queue/cumulative', {}, 'marker', { receipt: true });
    const redelivered = await again.until(2);
    expect(redelivered.map(text)).toEqual(['m4', 'marker']);
    expect(redelivered[0]!.headers['redelivered']).toBe('true');
    expect(redelivered[1]!.headers['redelivered']).toBeUndefined();
  });

  it("'client-individual' ack settles only the message named; the others come back redelivered", async () => {
    const broker = await startBroker();
    const producer = await connect(broker);
    for (const n of [1, 2, 3]) await producer.send('/queue/individual', {}, `m${n}`, { receipt: true });
    const first = await connect(broker);
    const inbox = await subscribe(first, '/queue/individual', { ack: 'client-individual' });
    const messages = await inbox.until(3);
    expect(messages.map((m) => m.headers['redelivered'])).toEqual([undefined, undefined, undefined]);
    await first.ack(messages[1]!, { receipt: true });
    await first.disconnect();

    const second = await connect(broker);
    const again = await subscribe(second, '/queue/individual', { ack: 'client-individual' });
    await producer.send('/queue/individual', {}, 'marker', { receipt: true });
    const redelivered = await again.until(3);
    expect(redelivered.map(text)).toEqual(['m1', 'm3', 'marker']);
    expect(redelivered.map((m) => m.headers['redelivered'])).toEqual(['true', 'true', undefined]);
  });

  it('redelivers a NACKed message after the delay, then dead-letters it after maxRedeliveries', async () => {
    const redeliveryDelayMs = 100;
    const broker = await startBroker({ maxRedeliveries: 2, redeliveryDelayMs });
    const consumer = await connect(broker);
    const dlqWatcher = await connect(broker);
    const dlq = await subscribe(dlqWatcher, '/queue/ActiveMQ.DLQ');
    const inbox = await subscribe(consumer, '/queue/poison', { ack: 'client-individual' });
    const nackedAt: number[] = [];
    const arrivedAt: number[] = [];
    inbox.onMessage = (message) => {
      arrivedAt.push(performance.now());
      if (text(message) === 'poison') {
        nackedAt.push(performance.now());
        void consumer.nack(message);
      } else {
        void consumer.ack(message);
      }
    };
    await consumer.send('/queue/poison', { 'x-trace': 't1' }, 'poison', { receipt: true });

    const [dead] = await dlq.until(1);
    // 1 delivery + maxRedeliveries redeliveries, each after the delay, then the DLQ.
    const deliveries = inbox.messages;
    expect(deliveries.map(text)).toEqual(['poison', 'poison', 'poison']);
    expect(deliveries.map((m) => m.headers['redelivered'])).toEqual([undefined, 'true', 'true']);
    for (const i of [1, 2]) expect(arrivedAt[i]! - nackedAt[i - 1]!).toBeGreaterThanOrEqual(redeliveryDelayMs - 5);
    expect(text(dead!)).toBe('poison');
    expect(dead!.headers['destination']).toBe('/queue/ActiveMQ.DLQ');
    expect(dead!.headers['dlqDeliveryFailureCause']).toMatch(/redelivery limit 2/);
    expect(dead!.headers['original-destination']).toBe('/queue/poison');
    expect(dead!.headers['x-trace']).toBe('t1');

    // Nothing more of it on the queue: the next delivery is a marker.
    await consumer.send('/queue/poison', {}, 'marker', { receipt: true });
    await inbox.until(4);
    expect(inbox.bodies).toEqual(['poison', 'poison', 'poison', 'marker']);
  });

  it('keeps transactional SENDs invisible until COMMIT, discards them on ABORT, and gives back an aborted ACK', async () => {
    const broker = await startBroker();
    const connection = await connect(broker);
    const inbox = await subscribe(connection, '/queue/tx');

    await connection.begin('t1');
    await connection.send('/queue/tx', { transaction: 't1' }, 'a', { receipt: true });
    await connection.send('/queue/tx', { transaction: 't1' }, 'b', { receipt: true });
    // Had they been routed, their MESSAGEs would precede these RECEIPTs on this same connection.
    expect(inbox.messages).toEqual([]);
    expect(broker.stats()).toMatchObject({ enqueued: 0, waiting: 0 });
    await connection.commit('t1');
    expect((await inbox.until(2)).map(text)).toEqual(['a', 'b']);

    await connection.begin('t2');
    await connection.send('/queue/tx', { transaction: 't2' }, 'c', { receipt: true });
    await connection.abort('t2');
    await connection.send('/queue/tx', {}, 'd', { receipt: true });
    await inbox.until(3);
    expect(inbox.bodies).toEqual(['a', 'b', 'd']);
    expect(broker.stats().enqueued).toBe(3);

    const acker = await subscribe(connection, '/queue/tx-ack', { ack: 'client-individual' });
    await connection.send('/queue/tx-ack', {}, 'e', { receipt: true });
    const [delivered] = await acker.until(1);
    await connection.begin('t3');
    await connection.ack(delivered!, { transaction: 't3' });
    await connection.abort('t3');
    const [, back] = await acker.until(2);
    expect(text(back!)).toBe('e');
    expect(back!.headers['redelivered']).toBe('true');

    // An ACK in a committed transaction does settle it: nothing comes back after the consumer leaves.
    await connection.begin('t4');
    await connection.ack(back!, { transaction: 't4' });
    await connection.commit('t4');
    await connection.disconnect();
    const other = await connect(broker);
    const after = await subscribe(other, '/queue/tx-ack');
    await other.send('/queue/tx-ack', {}, 'marker', { receipt: true });
    await after.until(1);
    expect(after.bodies).toEqual(['marker']);
  });

  it('makes a reply-to temporary queue reachable from other connections while its owner is connected', async () => {
    const broker = await startBroker();
    const requester = await connect(broker);
    const responder = await connect(broker);
    const replies = await subscribe(requester, '/temp-queue/x');
    const requests = await subscribe(responder, '/queue/requests');
    await requester.send('/queue/requests', { 'reply-to': '/temp-queue/x', 'correlation-id': 'c1' }, 'ping', { receipt: true });

    const [request] = await requests.until(1);
    const replyTo = request!.headers['reply-to']!;
    expect(replyTo.startsWith('/remote-temp-queue/')).toBe(true);
    await responder.send(replyTo, { 'correlation-id': request!.headers['correlation-id']! }, 'pong', { receipt: true });
    const [reply] = await replies.until(1);
    expect(text(reply!)).toBe('pong');
    expect(reply!.headers['correlation-id']).toBe('c1');

    await requester.disconnect();
    const refused = responder.send(replyTo, {}, 'too late', { receipt: true });
    await expect(refused).rejects.toThrow(StompBrokerError);
    await expect(refused).rejects.toMatchObject({ brokerMessage: expect.stringMatching(/does not exist/) });
    // The responder's connection is unharmed.
    expect(responder.isClosed).toBe(false);
    await responder.send('/queue/requests', {}, 'still here', { receipt: true });
    await requests.until(2);
    expect(requests.bodies).toEqual(['ping', 'still here']);
  });

  it('copies a virtual topic message to every Consumer.*.VirtualTopic queue, as a message of that queue', async () => {
    const broker = await startBroker();
    const a = await connect(broker);
    const b = await connect(broker);
    const consumerA = await subscribe(a, '/queue/Consumer.a.VirtualTopic.T');
    const consumerB = await subscribe(b, '/queue/Consumer.b.VirtualTopic.T');
    const plain = await subscribe(b, '/topic/VirtualTopic.T');
    const unrelated = await subscribe(a, '/queue/Consumer.c.VirtualTopic.Other');
    await a.send('/topic/VirtualTopic.T', { 'x-id': '1' }, 'event', { receipt: true });

    const [[gotA], [gotB], [gotPlain]] = await Promise.all([consumerA.until(1), consumerB.until(1), plain.until(1)]);
    expect(text(gotA!)).toBe('event');
    expect(text(gotB!)).toBe('event');
    expect(gotA!.headers['destination']).toBe('/queue/Consumer.a.VirtualTopic.T');
    expect(gotB!.headers['destination']).toBe('/queue/Consumer.b.VirtualTopic.T');
    expect(gotPlain!.headers['destination']).toBe('/topic/VirtualTopic.T');
    expect(gotA!.headers['x-id']).toBe('1');
    expect(gotA!.headers['message-id']).not.toBe(gotB!.headers['message-id']);
    await a.send('/queue/Consumer.c.VirtualTopic.Other', {}, 'marker', { receipt: true });
    await unrelated.until(1);
    expect(unrelated.bodies).toEqual(['marker']);
  });

  it('recovers unacknowledged persistent messages, in order, after a restart on the same dataDir', async () => {
    const dataDir = tempDir();
    const first = await startBroker({ dataDir });
    const producer = await connect(first);
    const sends: Array<[string, boolean]> = [
      ['p1', true],
      ['n1', false],
      ['p2', true],
      ['p3', true],
      ['n2', false],
      ['p4', true],
      ['p5', true],
    ];
    for (const [body, persistent] of sends) await producer.send('/queue/durable', persistent ? { persistent: 'true' } : {}, body, { receipt: true });
    const consumer = await connect(first);
    const inbox = await subscribe(consumer, '/queue/durable', { ack: 'client-individual' });
    const messages = await inbox.until(sends.length);
    expect(messages.map(text)).toEqual(sends.map(([body]) => body));
    expect(messages.map((m) => m.headers['persistent'])).toEqual(sends.map(([, p]) => String(p)));
    for (const message of messages.filter((m) => ['p2', 'p4'].includes(text(m)))) await consumer.ack(message, { receipt: true });
    await first.stop();
    brokers.splice(brokers.indexOf(first), 1);

    const second = await startBroker({ dataDir });
    expect(second.stats()).toMatchObject({ waiting: 3 });
    const reader = await connect(second);
    const recovered = await subscribe(reader, '/queue/durable');
    await reader.send('/queue/durable', {}, 'marker', { receipt: true });
    await recovered.until(4);
    expect(recovered.bodies).toEqual(['p1', 'p3', 'p5', 'marker']);
    expect(recovered.messages.slice(0, 3).map((m) => m.headers['persistent'])).toEqual(['true', 'true', 'true']);
  });

  it('holds receipts over the memory limit until a consumer drains, and refuses SENDs beyond twice the limit', async () => {
    const memoryLimitBytes = 64 * 1024;
    const broker = await startBroker({ memoryLimitBytes });
    const body = 'x'.repeat(16 * 1024);
    const producer = await connect(broker);
    // A connection with a subscription is never paused (its ACKs free memory), so every SEND it writes is read.
    await producer.subscribe('/queue/limits.unrelated', () => {});
    const other = await connect(broker);

    for (let i = 0; i < 3; i++) await producer.send('/queue/limits', {}, body, { receipt: true });
    expect(broker.stats().memoryBytes).toBeLessThanOrEqual(memoryLimitBytes);
    const settled: boolean[] = [];
    const track = (i: number, p: Promise<void>): Promise<void> => {
      settled[i] = false;
      p.then(
        () => (settled[i] = true),
        () => {},
      );
      return p;
    };
    const crossing = track(3, producer.send('/queue/limits', {}, body, { receipt: true }));
    // A later request on the same connection and one on another are both answered: the receipt is held, not slow.
    await roundTrip(producer);
    await roundTrip(other);
    expect(broker.stats().memoryBytes).toBeGreaterThan(memoryLimitBytes);
    expect(settled[3]).toBe(false);

    const more = Array.from({ length: 10 }, (_, i) => track(4 + i, producer.send('/queue/limits', {}, body, { receipt: true })));
    const error = await firstRejection(more);
    expect(error).toBeInstanceOf(StompBrokerError);
    expect((error as StompBrokerError).brokerMessage).toMatch(/memory limit/);
    expect(broker.stats().memoryBytes).toBeGreaterThan(2 * memoryLimitBytes);
    await roundTrip(other);
    expect(settled[3]).toBe(false);
    expect(producer.isClosed).toBe(false);

    const drain = await connect(broker);
    const inbox = await subscribe(drain, '/queue/limits');
    const outcomes = await Promise.allSettled([crossing, ...more]);
    const accepted = outcomes.filter((o) => o.status === 'fulfilled').length;
    // Every SEND past the refusal point was refused too (memory only grew meanwhile); the accepted ones come first.
    expect(outcomes.map((o) => o.status)).toEqual([...Array<string>(accepted).fill('fulfilled'), ...Array<string>(outcomes.length - accepted).fill('rejected')]);
    expect(accepted).toBeGreaterThanOrEqual(4);
    expect(accepted).toBeLessThan(outcomes.length);
    await inbox.until(3 + accepted);
    expect(settled[3]).toBe(true);
    await roundTrip(drain);
    expect(inbox.messages).toHaveLength(3 + accepted);
    expect(broker.stats()).toMatchObject({ waiting: 0, memoryBytes: 0 });
  });

  it('over twice the memory limit, rolls a refused COMMIT back (its ACKs come back) and lets a COMMIT of ACKs alone through', async () => {
    const memoryLimitBytes = 64 * 1024;
    const broker = await startBroker({ memoryLimitBytes });
    const consumer = await connect(broker);
    const inbox = await subscribe(consumer, '/queue/work', { ack: 'client-individual' });
    await consumer.send('/queue/work', {}, 'm1', { receipt: true });
    await consumer.send('/queue/work', {}, 'm2', { receipt: true });
    const [m1, m2] = await inbox.until(2);

    // A transaction that sent while there was room...
    await consumer.begin('t1');
    await consumer.ack(m1!, { transaction: 't1' });
    await consumer.send('/queue/work.out', { transaction: 't1' }, 'result', { receipt: true });

    const producer = await connect(broker);
    await producer.subscribe('/queue/fill.unrelated', () => {});
    const fills = Array.from({ length: 12 }, () => producer.send('/queue/fill', {}, 'x'.repeat(16 * 1024), { receipt: true }));
    expect(await firstRejection(fills)).toMatchObject({ brokerMessage: expect.stringMatching(/memory limit/) });

    // ...is refused more sends past twice the limit (they count as they come)...
    await expect(consumer.send('/queue/work.out', { transaction: 't1' }, 'late', { receipt: true })).rejects.toMatchObject({
      brokerMessage: expect.stringMatching(/memory limit/),
    });
    // ...and its COMMIT is refused as a whole: its ACK is rolled back and m1 comes back.
    await expect(consumer.commit('t1')).rejects.toMatchObject({ brokerMessage: expect.stringMatching(/memory limit/) });
    const back = (await inbox.until(3))[2]!;
    expect(text(back)).toBe('m1');
    expect(back.headers['redelivered']).toBe('true');

    // ACKs alone free memory: their COMMIT is accepted even now.
    await consumer.begin('t2');
    await consumer.ack(back, { transaction: 't2' });
    await consumer.ack(m2!, { transaction: 't2' });
    await consumer.commit('t2');
    await consumer.disconnect();

    const drainer = await connect(broker);
    const drained = await subscribe(drainer, '/queue/fill');
    const accepted = (await Promise.allSettled(fills)).filter((o) => o.status === 'fulfilled').length;
    await drained.until(accepted);
    const work = await subscribe(drainer, '/queue/work');
    const out = await subscribe(drainer, '/queue/work.out');
    await drainer.send('/queue/work', {}, 'marker', { receipt: true });
    await work.until(1);
    expect(work.bodies).toEqual(['marker']);
    expect(out.messages).toEqual([]);
    expect(broker.stats()).toMatchObject({ waiting: 0, memoryBytes: 0 });
  });

  it('refuses persistent SENDs once the journal passes the store limit', async () => {
    const broker = await startBroker({ dataDir: tempDir(), storeLimitBytes: 1 });
    const connection = await connect(broker);
    await connection.send('/queue/store', { persistent: 'true' }, 'first', { receipt: true });
    expect(broker.stats().journal!.bytesOnDisk).toBeGreaterThan(1);
    const refused = connection.send('/queue/store', { persistent: 'true' }, 'second', { receipt: true });
    await expect(refused).rejects.toThrow(StompBrokerError);
    await expect(refused).rejects.toMatchObject({ brokerMessage: expect.stringMatching(/store limit/) });
    // Non-persistent messages take no journal space and are still accepted on the same connection.
    await connection.send('/queue/store', {}, 'transient', { receipt: true });
    const inbox = await subscribe(connection, '/queue/store');
    await inbox.until(2);
    expect(inbox.bodies).toEqual(['first', 'transient']);
  });

  it('checks logins when users are configured, and lets anyone in otherwise', async () => {
    const guarded = await startBroker({ users: { app: 'app-secret' } });
    await expect(connect(guarded, { login: 'app', passcode: 'wrong' })).rejects.toThrow(StompAuthenticationError);
    await expect(connect(guarded, { login: 'nobody', passcode: 'app-secret' })).rejects.toThrow(StompAuthenticationError);
    await expect(connect(guarded)).rejects.toThrow(StompAuthenticationError);
    const ok = await connect(guarded, { login: 'app', passcode: 'app-secret' });
    await ok.send('/queue/login', {}, 'in', { receipt: true });

    const open = await startBroker();
    const anonymous = await connect(open);
    await anonymous.send('/queue/login', {}, 'in', { receipt: true });
    const anyLogin = await connect(open, { login: 'whoever', passcode: 'whatever' });
    await anyLogin.send('/queue/login', {}, 'in', { receipt: true });
  });
});
