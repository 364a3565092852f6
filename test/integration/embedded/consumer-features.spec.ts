import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../lib/broker/embedded-broker.js';
import { compileSelector } from '../../../lib/selector/index.js';
import { RawStomp, type RawFrame } from '../../support/raw-stomp.js';

/**
 * The consumer-side JMS features of ActiveMQ Classic's STOMP (its "STOMP" page and the pages of
 * each feature), on the embedded broker: selectors, exclusive consumers and consumer priority,
 * message groups, noLocal, durable topic subscriptions (across a restart too), retroactive
 * subscribers, queue browsing, wildcards and composite destinations, and the refusal of what it
 * does not implement. Raw STOMP 1.2 over in-process streams; every wait is on a frame.
 *
 * Sends and subscriptions are mostly on one connection: the broker writes a MESSAGE during the
 * send that routes it, before that send's RECEIPT, so once a RECEIPT is in, everything the send
 * could deliver to that connection is in too, and a count taken then is final.
 */

const brokers: EmbeddedBroker[] = [];
const clients: Client[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.raw.destroy();
  for (const broker of brokers.splice(0)) await broker.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const broker = await EmbeddedBroker.start({ log: () => {}, ...options });
  brokers.push(broker);
  return broker;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'consumer-features-'));
  dirs.push(dir);
  return dir;
}

function frame(command: string, headers: Record<string, string>, body = ''): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}:${value}`);
  return `${command}\n${lines.join('\n')}\n\n${body}\0`;
}

/** A STOMP 1.2 peer that files the broker's MESSAGEs by subscription and matches answers to receipts. */
class Client {
  private readonly bySubscription = new Map<string, RawFrame[]>();
  private waiters: Array<() => boolean> = [];
  private receipts = 0;

  private constructor(readonly raw: RawStomp) {
    raw.onFrame = (received) => {
      if (received.command === 'MESSAGE') {
        const id = received.headers['subscription']!;
        let list = this.bySubscription.get(id);
        if (!list) this.bySubscription.set(id, (list = []));
        list.push(received);
      }
      this.wake();
    };
    void raw.closed.then(() => this.wake());
  }

  /** A connection and the broker's first answer to its CONNECT (CONNECTED or ERROR). */
  static async open(broker: EmbeddedBroker, headers: Record<string, string> = {}): Promise<{ client: Client; answer: RawFrame }> {
    const raw = RawStomp.attach(broker.connect());
    const client = new Client(raw);
    clients.push(client);
    raw.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', ...headers }));
    return { client, answer: await raw.next() };
  }

  static async connect(broker: EmbeddedBroker, headers: Record<string, string> = {}): Promise<Client> {
    const { client, answer } = await Client.open(broker, headers);
    if (answer.command !== 'CONNECTED') throw new Error(`CONNECT refused: ${answer.body}`);
    return client;
  }

  /** Sends a frame with a receipt; resolves with the RECEIPT, or the ERROR that answered it. */
  request(command: string, headers: Record<string, string>, body = ''): Promise<RawFrame> {
    const receipt = `r${++this.receipts}`;
    this.raw.write(frame(command, { ...headers, receipt }, body));
    return this.until(
      () => this.raw.frames.find((f) => (f.command === 'RECEIPT' || f.command === 'ERROR') && f.headers['receipt-id'] === receipt),
      `the answer to ${command} (receipt ${receipt})`,
    );
  }

  /** A request that must be answered by its RECEIPT. */
  async ok(command: string, headers: Record<string, string>, body = ''): Promise<void> {
    const answer = await this.request(command, headers, body);
    if (answer.command !== 'RECEIPT') throw new Error(`${command} ${JSON.stringify(headers)} refused: ${answer.body}`);
  }

  /** The ERROR a request must be answered by. */
  async refused(command: string, headers: Record<string, string>, body = ''): Promise<RawFrame> {
    const answer = await this.request(command, headers, body);
    if (answer.command !== 'ERROR') throw new Error(`${command} ${JSON.stringify(headers)} was not refused`);
    return answer;
  }

  send(destination: string, body: string, headers: Record<string, string> = {}): Promise<void> {
    return this.ok('SEND', { destination, ...headers }, body);
  }

  subscribe(id: string, destination: string, headers: Record<string, string> = {}): Promise<void> {
    return this.ok('SUBSCRIBE', { id, destination, ...headers });
  }

  /** What subscription `id` got so far. */
  messages(id: string): RawFrame[] {
    return this.bySubscription.get(id) ?? [];
  }

  bodies(id: string): string[] {
    return this.messages(id).map((m) => m.body);
  }

  /** Resolves once subscription `id` got `count` messages in all. */
  received(id: string, count: number): Promise<RawFrame[]> {
    return this.until(() => (this.messages(id).length >= count ? this.messages(id).slice(0, count) : undefined), `${count} messages on ${id}`);
  }

  ack(message: RawFrame): Promise<void> {
    return this.ok('ACK', { id: message.headers['ack']! });
  }

  private until<T>(found: () => T | undefined, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = found();
        if (value !== undefined) resolve(value);
        else if (!this.raw.isOpen) reject(new Error(`the connection closed before ${what}`));
        else return false;
        return true;
      };
      if (!check()) this.waiters.push(check);
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((settled) => !settled());
  }
}

const bodiesOf = (messages: readonly RawFrame[]): string[] => messages.map((m) => m.body);

/** What compileSelector says of an invalid selector: the ERROR quotes it. */
function syntaxErrorOf(selector: string): string {
  try {
    compileSelector(selector);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`'${selector}' is a valid selector`);
}

describe('SUBSCRIBE headers the broker does not implement are refused', () => {
  it('an activemq.* header it does not know: ERROR naming it (with the receipt-id), no subscription made, the connection kept', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    const answer = await c.refused('SUBSCRIBE', { id: 's', destination: '/queue/refused', 'activemq.maximumPendingMessageLimit': '10' });
    expect(answer.body).toBe(
      "SUBSCRIBE header 'activemq.maximumPendingMessageLimit' is not supported by the embedded broker (it supports activemq.prefetchSize, activemq.exclusive, " +
        'activemq.priority, activemq.noLocal, activemq.retroactive, activemq.subscriptionName, activemq.dispatchAsync): refused rather than ignored',
    );
    // Nothing was made: the id is free, and the message sent meanwhile goes to the subscription made now.
    await c.send('/queue/refused', 'one');
    await c.subscribe('s', '/queue/refused', { 'x-own-header': 'kept', 'activemq.dispatchAsync': 'true' });
    expect(bodiesOf(await c.received('s', 1))).toEqual(['one']);
  });

  it('without a receipt, the ERROR ends the connection, as every protocol error of this broker does', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    c.raw.write(frame('SUBSCRIBE', { id: 's', destination: '/queue/x', 'activemq.subcriptionName': 'old-spelling' }));
    await c.raw.closed;
    expect(c.raw.frames.at(-1)).toMatchObject({ command: 'ERROR', body: expect.stringMatching(/^SUBSCRIBE header 'activemq\.subcriptionName' is not supported/) });
  });

  it.each([
    [{ 'activemq.exclusive': 'yes' }, "activemq.exclusive 'yes' is not true or false"],
    [{ 'activemq.noLocal': '1' }, "activemq.noLocal '1' is not true or false"],
    [{ 'activemq.priority': '128' }, "activemq.priority '128' is not a consumer priority from 0 to 127"],
    [{ 'activemq.priority': '-1' }, "activemq.priority '-1' is not a consumer priority from 0 to 127"],
    [{ 'activemq.subscriptionName': '' }, 'activemq.subscriptionName is empty: a durable subscription needs a name'],
    [{ browser: 'maybe' }, "browser 'maybe' is not true or false"],
  ])('%j: refused with "%s"', async (headers, message) => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    expect((await c.refused('SUBSCRIBE', { id: 's', destination: '/topic/t', ...headers })).body).toBe(message);
  });

  it('an invalid selector: ERROR naming the selector and the syntax error, with the receipt-id; the subscription is not made', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    const selector = "color = 'red' AND";
    const answer = await c.refused('SUBSCRIBE', { id: 'sel', destination: '/queue/sel', selector });
    expect(answer.body).toBe(`invalid selector '${selector}': ${syntaxErrorOf(selector)}`);
    expect(answer.headers['receipt-id']).toBe('r1');
    await c.send('/queue/sel', 'kept');
    await c.subscribe('sel', '/queue/sel');
    expect(bodiesOf(await c.received('sel', 1))).toEqual(['kept']);
  });
});

describe('bounds', () => {
  it('a connection has at most 10,000 subscriptions: the next is refused; once it leaves, nothing of them is left', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    const batch: string[] = [];
    for (let i = 0; i < 10_000; i++) batch.push(frame('SUBSCRIBE', { id: `s${i}`, destination: i % 2 === 0 ? `/topic/many.${i}` : `/topic/many.*.${i}` }));
    c.raw.write(batch.join(''));
    expect((await c.refused('SUBSCRIBE', { id: 'one-more', destination: '/topic/many.x' })).body).toBe(
      'this connection has 10000 subscriptions, the most one may have: UNSUBSCRIBE some first',
    );
    await c.ok('UNSUBSCRIBE', { id: 's0' });
    await c.subscribe('one-more', '/topic/many.x');
    await c.send('/topic/many.x', 'still-routed');
    expect(c.bodies('one-more')).toEqual(['still-routed']);
    c.raw.destroy();
    await c.raw.closed;
    const other = await Client.connect(broker);
    await other.send('/topic/many.0', 'to-nobody');
    expect(broker.stats()).toMatchObject({ memoryBytes: 0, queues: 0 });
  });
});

describe('selector', () => {
  it('on a queue: each consumer gets what it selects, in order; a message nobody selects is looked past and waits for another consumer', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('red', '/queue/colors', { selector: "color = 'red'" });
    // Head of the queue: a message the only consumer does not want; the one behind it still reaches it.
    await c.send('/queue/colors', 'blue-1', { color: 'blue' });
    await c.send('/queue/colors', 'red-1', { color: 'red' });
    expect(c.bodies('red')).toEqual(['red-1']);
    await c.subscribe('blue', '/queue/colors', { selector: "color = 'blue'" });
    for (const [color, n] of [
      ['red', 2],
      ['blue', 2],
      ['green', 1],
      ['red', 3],
      ['blue', 3],
    ] as const)
      await c.send('/queue/colors', `${color}-${n}`, { color });
    expect(c.bodies('red')).toEqual(['red-1', 'red-2', 'red-3']);
    expect(c.bodies('blue')).toEqual(['blue-1', 'blue-2', 'blue-3']);
    // The green one waited; a consumer without a selector gets it, and nothing else is left.
    await c.subscribe('any', '/queue/colors');
    expect(c.bodies('any')).toEqual(['green-1']);
  });

  it('on a topic: only the matching copies, on the broker headers too (JMSPriority, JMSDeliveryMode); another subscriber gets all', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('urgent', '/topic/alerts', { selector: "JMSPriority > 6 AND JMSDeliveryMode = 'NON_PERSISTENT'" });
    await c.subscribe('all', '/topic/alerts');
    await c.send('/topic/alerts', 'low', { priority: '2' });
    await c.send('/topic/alerts', 'high-persistent', { priority: '9', persistent: 'true' });
    await c.send('/topic/alerts', 'high', { priority: '9' });
    expect(c.bodies('urgent')).toEqual(['high']);
    expect(c.bodies('all')).toEqual(['low', 'high-persistent', 'high']);
  });

  it('a backlog of thousands nobody selects does not stop a consumer from getting what it selects behind it', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    c.raw.write(Array.from({ length: 900 }, (_, i) => frame('SEND', { destination: '/queue/backlog', kind: 'other' }, `o${i}`)).join(''));
    await c.send('/queue/backlog', 'wanted', { kind: 'mine' });
    await c.subscribe('mine', '/queue/backlog', { selector: "kind = 'mine'" });
    expect(c.bodies('mine')).toEqual(['wanted']);
    expect(broker.stats().waiting).toBe(900);
  });
});

describe('activemq.exclusive and activemq.priority', () => {
  it('an exclusive consumer gets every message; when it leaves, the next exclusive one takes over (with what it left unacknowledged, in order), then an ordinary one', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('first', '/queue/ex', { 'activemq.exclusive': 'true', ack: 'client-individual' });
    await c.subscribe('second', '/queue/ex', { 'activemq.exclusive': 'true' });
    await c.subscribe('plain', '/queue/ex');
    for (let i = 1; i <= 6; i++) await c.send('/queue/ex', `m${i}`);
    expect([c.bodies('first'), c.bodies('second'), c.bodies('plain')]).toEqual([['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], [], []]);
    for (const message of c.messages('first').slice(0, 4)) await c.ack(message);
    await c.ok('UNSUBSCRIBE', { id: 'first' });
    await c.send('/queue/ex', 'm7');
    expect(c.bodies('second')).toEqual(['m5', 'm6', 'm7']);
    expect(c.messages('second').map((m) => m.headers['redelivered'])).toEqual(['true', 'true', undefined]);
    await c.ok('UNSUBSCRIBE', { id: 'second' });
    await c.send('/queue/ex', 'm8');
    expect(c.bodies('plain')).toEqual(['m8']);
  });

  it('consumer priority: the highest-priority consumer with credit gets messages first, a lower one what it has no room for', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    // Subscribed first, but of lower priority.
    await c.subscribe('low', '/queue/prio');
    await c.subscribe('high', '/queue/prio', { 'activemq.priority': '9', ack: 'client-individual', 'activemq.prefetchSize': '2' });
    for (let i = 1; i <= 6; i++) await c.send('/queue/prio', `m${i}`);
    expect([c.bodies('high'), c.bodies('low')]).toEqual([
      ['m1', 'm2'],
      ['m3', 'm4', 'm5', 'm6'],
    ]);
    await c.ack(c.messages('high')[0]!);
    await c.send('/queue/prio', 'm7');
    await c.send('/queue/prio', 'm8');
    expect([c.bodies('high'), c.bodies('low')]).toEqual([
      ['m1', 'm2', 'm7'],
      ['m3', 'm4', 'm5', 'm6', 'm8'],
    ]);
  });

  it('two consumers of one priority share round robin', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('a', '/queue/rr', { 'activemq.priority': '5' });
    await c.subscribe('b', '/queue/rr', { 'activemq.priority': '5' });
    for (let i = 1; i <= 4; i++) await c.send('/queue/rr', `m${i}`);
    expect([c.bodies('a'), c.bodies('b')]).toEqual([
      ['m1', 'm3'],
      ['m2', 'm4'],
    ]);
  });
});

describe('message groups (JMSXGroupID)', () => {
  it('interleaved groups over two consumers: each group wholly on one consumer, in order, its first message marked JMSXGroupFirstForConsumer', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('a', '/queue/groups');
    await c.subscribe('b', '/queue/groups');
    for (let n = 1; n <= 5; n++) for (const group of ['G1', 'G2', 'G3', 'G4']) await c.send('/queue/groups', `${group}-${n}`, { JMSXGroupID: group });
    const ofGroup = (id: string, group: string): string[] => c.bodies(id).filter((body) => body.startsWith(`${group}-`));
    const inOrder = (group: string): string[] => [1, 2, 3, 4, 5].map((n) => `${group}-${n}`);
    // The groups go out round robin as they first come, then stay.
    expect([ofGroup('a', 'G1'), ofGroup('a', 'G3'), ofGroup('b', 'G2'), ofGroup('b', 'G4')]).toEqual([inOrder('G1'), inOrder('G3'), inOrder('G2'), inOrder('G4')]);
    expect([c.messages('a').length, c.messages('b').length]).toEqual([10, 10]);
    const firsts = [...c.messages('a'), ...c.messages('b')].filter((m) => m.headers['JMSXGroupFirstForConsumer'] === 'true').map((m) => m.body);
    expect(firsts.sort()).toEqual(['G1-1', 'G2-1', 'G3-1', 'G4-1']);
  });

  it('when the owner leaves, the group moves: the next consumer gets what it left, in order, the first of it marked JMSXGroupFirstForConsumer', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('owner', '/queue/moving', { ack: 'client-individual' });
    for (let n = 1; n <= 3; n++) await c.send('/queue/moving', `G-${n}`, { JMSXGroupID: 'G' });
    await c.subscribe('next', '/queue/moving');
    await c.send('/queue/moving', 'G-4', { JMSXGroupID: 'G' });
    expect([c.bodies('owner'), c.bodies('next')]).toEqual([['G-1', 'G-2', 'G-3', 'G-4'], []]);
    await c.ack(c.messages('owner')[0]!);
    await c.ok('UNSUBSCRIBE', { id: 'owner' });
    await c.send('/queue/moving', 'G-5', { JMSXGroupID: 'G' });
    expect(c.bodies('next')).toEqual(['G-2', 'G-3', 'G-4', 'G-5']);
    expect(c.messages('next').map((m) => m.headers['JMSXGroupFirstForConsumer'])).toEqual(['true', undefined, undefined, undefined]);
  });

  it('JMSXGroupSeq -1 closes the group: its next message is assigned anew (to the next consumer, marked first)', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('a', '/queue/closing');
    await c.subscribe('b', '/queue/closing');
    await c.send('/queue/closing', 'X-1', { JMSXGroupID: 'X' });
    await c.send('/queue/closing', 'X-2', { JMSXGroupID: 'X', JMSXGroupSeq: '-1' });
    await c.send('/queue/closing', 'X-3', { JMSXGroupID: 'X' });
    await c.send('/queue/closing', 'X-4', { JMSXGroupID: 'X' });
    expect([c.bodies('a'), c.bodies('b')]).toEqual([
      ['X-1', 'X-2'],
      ['X-3', 'X-4'],
    ]);
    expect(c.messages('b')[0]!.headers['JMSXGroupFirstForConsumer']).toBe('true');
  });

  it('a JMSXGroupSeq that is no integer refuses the SEND', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    expect((await c.refused('SEND', { destination: '/queue/g', JMSXGroupID: 'X', JMSXGroupSeq: 'first' }, 'x')).body).toBe("JMSXGroupSeq 'first' is not an integer");
    expect(broker.stats().enqueued).toBe(0);
  });
});

describe('activemq.noLocal', () => {
  it('on a topic: the connection’s own sends are not delivered to that subscription, others’ are', async () => {
    const broker = await startBroker();
    const own = await Client.connect(broker);
    const other = await Client.connect(broker);
    await own.subscribe('remote-only', '/topic/chat', { 'activemq.noLocal': 'true' });
    await own.subscribe('everything', '/topic/chat');
    await own.send('/topic/chat', 'mine');
    await other.send('/topic/chat', 'theirs');
    expect(bodiesOf(await own.received('remote-only', 1))).toEqual(['theirs']);
    expect(bodiesOf(await own.received('everything', 2))).toEqual(['mine', 'theirs']);
    expect(own.bodies('remote-only')).toEqual(['theirs']);
  });

  it('on a queue (as Classic adds it to the selector): its own sends stay for other consumers', async () => {
    const broker = await startBroker();
    const own = await Client.connect(broker);
    const other = await Client.connect(broker);
    await own.subscribe('q', '/queue/local', { 'activemq.noLocal': 'true' });
    await own.send('/queue/local', 'mine');
    await other.send('/queue/local', 'theirs');
    expect(bodiesOf(await own.received('q', 1))).toEqual(['theirs']);
    await other.subscribe('q', '/queue/local');
    expect(bodiesOf(await other.received('q', 1))).toEqual(['mine']);
  });
});

describe('durable topic subscriptions', () => {
  it('a second connection with a client-id in use is refused ("already connected") and closed; once the first leaves, it may connect', async () => {
    const broker = await startBroker();
    const first = await Client.connect(broker, { 'client-id': 'app-1' });
    const { client: second, answer } = await Client.open(broker, { 'client-id': 'app-1' });
    expect(answer.command).toBe('ERROR');
    expect(answer.body).toMatch(/^Broker: embedded-[0-9a-f]{8} - Client: app-1 already connected from vm$/);
    await second.raw.closed;
    await first.ok('DISCONNECT', {});
    const { answer: third } = await Client.open(broker, { 'client-id': 'app-1' });
    expect(third).toMatchObject({ command: 'CONNECTED', headers: { session: 'app-1' } });
  });

  it('collects the topic’s messages while its client is away; the same client-id and name get them, in order, then live ones', async () => {
    const broker = await startBroker();
    const publisher = await Client.connect(broker);
    const away = await Client.connect(broker, { 'client-id': 'reader' });
    await away.subscribe('news', '/topic/news', { 'activemq.subscriptionName': 'news-feed' });
    await away.ok('DISCONNECT', {});
    for (let i = 1; i <= 3; i++) await publisher.send('/topic/news', `n${i}`);
    const back = await Client.connect(broker, { 'client-id': 'reader' });
    await back.subscribe('again', '/topic/news', { 'activemq.subscriptionName': 'news-feed' });
    expect(back.bodies('again')).toEqual(['n1', 'n2', 'n3']);
    expect(back.messages('again').map((m) => m.headers['destination'])).toEqual(['/topic/news', '/topic/news', '/topic/news']);
    await publisher.send('/topic/news', 'n4');
    expect(bodiesOf(await back.received('again', 4))).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  it('a plain UNSUBSCRIBE only detaches: the subscription keeps collecting', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker, { 'client-id': 'detacher' });
    await c.subscribe('d', '/topic/kept', { 'activemq.subscriptionName': 'kept' });
    await c.ok('UNSUBSCRIBE', { id: 'd' });
    await c.send('/topic/kept', 'while-detached');
    await c.subscribe('d2', '/topic/kept', { 'activemq.subscriptionName': 'kept' });
    expect(c.bodies('d2')).toEqual(['while-detached']);
  });

  it('UNSUBSCRIBE with activemq.subscriptionName removes it and what it held (its memory released); the name starts afresh', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker, { 'client-id': 'remover' });
    await c.subscribe('d', '/topic/gone', { 'activemq.subscriptionName': 'gone' });
    await c.ok('UNSUBSCRIBE', { id: 'd' });
    await c.send('/topic/gone', 'held-1');
    await c.send('/topic/gone', 'held-2');
    expect(broker.stats().memoryBytes).toBeGreaterThan(0);
    await c.ok('UNSUBSCRIBE', { destination: '/topic/gone', 'activemq.subscriptionName': 'gone' });
    expect(broker.stats().memoryBytes).toBe(0);
    await c.subscribe('d2', '/topic/gone', { 'activemq.subscriptionName': 'gone' });
    await c.send('/topic/gone', 'fresh');
    expect(c.bodies('d2')).toEqual(['fresh']);
    expect((await c.refused('UNSUBSCRIBE', { destination: '/topic/gone', 'activemq.subscriptionName': 'never-made' })).body).toBe(
      "no durable subscription 'never-made' of client-id 'remover' to remove",
    );
  });

  it('UNSUBSCRIBE with activemq.subscriptionName while it is consumed on this connection: its subscription ends, then it is removed', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker, { 'client-id': 'active-remover' });
    await c.subscribe('d', '/topic/active', { 'activemq.subscriptionName': 'active', ack: 'client' });
    await c.send('/topic/active', 'unacked');
    await c.ok('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'active' });
    expect(broker.stats().memoryBytes).toBe(0);
    await c.send('/topic/active', 'after');
    expect(c.bodies('d')).toEqual(['unacked']);
  });

  it('SUBSCRIBEd again with another selector, it is made anew: what it held is dropped (JMS)', async () => {
    const broker = await startBroker();
    const publisher = await Client.connect(broker);
    const first = await Client.connect(broker, { 'client-id': 'selective' });
    await first.subscribe('d', '/topic/kinds', { 'activemq.subscriptionName': 'kinds', selector: "kind = 'a'" });
    await first.ok('DISCONNECT', {});
    await publisher.send('/topic/kinds', 'a-1', { kind: 'a' });
    await publisher.send('/topic/kinds', 'b-1', { kind: 'b' });
    const same = await Client.connect(broker, { 'client-id': 'selective' });
    await same.subscribe('d', '/topic/kinds', { 'activemq.subscriptionName': 'kinds', selector: "kind = 'a'" });
    expect(same.bodies('d')).toEqual(['a-1']);
    await same.ok('DISCONNECT', {});
    await publisher.send('/topic/kinds', 'a-2', { kind: 'a' });
    const changed = await Client.connect(broker, { 'client-id': 'selective' });
    await changed.subscribe('d', '/topic/kinds', { 'activemq.subscriptionName': 'kinds', selector: "kind = 'b'" });
    expect(changed.bodies('d')).toEqual([]);
    await publisher.send('/topic/kinds', 'a-3', { kind: 'a' });
    await publisher.send('/topic/kinds', 'b-2', { kind: 'b' });
    expect(bodiesOf(await changed.received('d', 1))).toEqual(['b-2']);
    expect(broker.stats().memoryBytes).toBe(0);
  });

  it('refusals: no client-id, a queue, a name already consumed, retroactive', async () => {
    const broker = await startBroker();
    const anonymous = await Client.connect(broker);
    expect((await anonymous.refused('SUBSCRIBE', { id: 'd', destination: '/topic/t', 'activemq.subscriptionName': 'n' })).body).toBe(
      "activemq.subscriptionName 'n' needs a client-id on CONNECT: a durable subscription is known by its client-id and name",
    );
    expect((await anonymous.refused('UNSUBSCRIBE', { destination: '/topic/t', 'activemq.subscriptionName': 'n' })).body).toBe(
      "UNSUBSCRIBE with activemq.subscriptionName 'n' needs a client-id on CONNECT: a durable subscription is known by its client-id and name",
    );
    const c = await Client.connect(broker, { 'client-id': 'refused' });
    expect((await c.refused('SUBSCRIBE', { id: 'q', destination: '/queue/q', 'activemq.subscriptionName': 'n' })).body).toBe(
      "cannot durably subscribe to '/queue/q': a durable subscription (activemq.subscriptionName) is of one topic",
    );
    await c.subscribe('d', '/topic/t', { 'activemq.subscriptionName': 'n' });
    expect((await c.refused('SUBSCRIBE', { id: 'd2', destination: '/topic/t', 'activemq.subscriptionName': 'n' })).body).toBe(
      "durable subscription 'n' of client-id 'refused' is in use by another subscription of this connection",
    );
    expect((await c.refused('SUBSCRIBE', { id: 'r', destination: '/topic/t', 'activemq.subscriptionName': 'r', 'activemq.retroactive': 'true' })).body).toBe(
      'activemq.retroactive is for non-durable topic subscriptions (ActiveMQ\'s "Retroactive Consumer"): not with activemq.subscriptionName',
    );
  });

  it('while its client is away it holds no more than the memory limit allows: past it, sends are refused; back, the client gets all that was taken', async () => {
    const broker = await startBroker({ memoryLimitBytes: 32 * 1024 });
    const away = await Client.connect(broker, { 'client-id': 'slow' });
    await away.subscribe('d', '/topic/flood', { 'activemq.subscriptionName': 'flood' });
    await away.ok('DISCONNECT', {});
    const producer = await Client.connect(broker);
    // A producer that consumes is never paused: its sends are taken, held or refused, each answered.
    await producer.subscribe('idle', '/queue/idle');
    const answers = Array.from({ length: 100 }, (_, i) => producer.request('SEND', { destination: '/topic/flood' }, `m${i}-${'x'.repeat(1024)}`));
    const last = await answers[99]!;
    expect(last.command).toBe('ERROR');
    expect(last.body).toMatch(/^memory limit reached \(\d+ bytes held, limit 32768\): send refused; consume messages first$/);
    expect(broker.stats().memoryBytes).toBeLessThanOrEqual(2 * 32 * 1024 + 2048);
    const back = await Client.connect(broker, { 'client-id': 'slow' });
    await back.subscribe('d', '/topic/flood', { 'activemq.subscriptionName': 'flood' });
    const outcomes = await Promise.all(answers);
    const taken = outcomes.flatMap((answer, i) => (answer.command === 'RECEIPT' ? [`m${i}`] : []));
    expect(taken.length).toBeGreaterThan(20);
    expect(taken.length).toBeLessThan(100);
    expect((await back.received('d', taken.length)).map((m) => m.body.split('-')[0])).toEqual(taken);
    expect(broker.stats().memoryBytes).toBe(0);
  });

  it('with a data directory, its persistent messages and its registration survive restarts; its removal too', async () => {
    const dataDir = tempDir();
    let broker = await startBroker({ dataDir });
    const away = await Client.connect(broker, { 'client-id': 'durable-reader' });
    await away.subscribe('d', '/topic/audit', { 'activemq.subscriptionName': 'audit' });
    await away.subscribe('e', '/topic/audit', { 'activemq.subscriptionName': 'empty-at-restart' });
    await away.ok('DISCONNECT', {});
    let publisher = await Client.connect(broker);
    await publisher.send('/topic/audit', 'p1', { persistent: 'true' });
    await publisher.send('/topic/audit', 'n1');
    await publisher.send('/topic/audit', 'p2', { persistent: 'true' });
    const back = await Client.connect(broker, { 'client-id': 'durable-reader' });
    await back.subscribe('e', '/topic/audit', { 'activemq.subscriptionName': 'empty-at-restart' });
    expect(bodiesOf(await back.received('e', 3))).toEqual(['p1', 'n1', 'p2']);
    await back.ok('DISCONNECT', {});

    await broker.stop();
    broker = await startBroker({ dataDir });
    publisher = await Client.connect(broker);
    // Collected after the restart: the registration came back, though it held nothing then.
    await publisher.send('/topic/audit', 'p3', { persistent: 'true' });
    const afterRestart = await Client.connect(broker, { 'client-id': 'durable-reader' });
    await afterRestart.subscribe('d', '/topic/audit', { 'activemq.subscriptionName': 'audit' });
    await afterRestart.subscribe('e', '/topic/audit', { 'activemq.subscriptionName': 'empty-at-restart' });
    // The non-persistent one did not survive, as on ActiveMQ.
    expect(afterRestart.bodies('d')).toEqual(['p1', 'p2', 'p3']);
    expect(afterRestart.bodies('e')).toEqual(['p3']);
    // Removed, with what it held: nothing of it after the next restart.
    await afterRestart.ok('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'audit' });
    await afterRestart.ok('DISCONNECT', {});
    await broker.stop();
    broker = await startBroker({ dataDir });
    publisher = await Client.connect(broker);
    const last = await Client.connect(broker, { 'client-id': 'durable-reader' });
    await last.subscribe('d', '/topic/audit', { 'activemq.subscriptionName': 'audit' });
    await last.subscribe('e', '/topic/audit', { 'activemq.subscriptionName': 'empty-at-restart' });
    // `e` was consumed (ack:auto): nothing of it either.
    expect([last.bodies('d'), last.bodies('e')]).toEqual([[], []]);
    await publisher.send('/topic/audit', 'p4', { persistent: 'true' });
    expect(bodiesOf(await last.received('d', 1))).toEqual(['p4']);
    expect(bodiesOf(await last.received('e', 1))).toEqual(['p4']);
  });
});

describe('activemq.retroactive (Classic’s default recovery policy: the retained message)', () => {
  it('a retroactive subscriber first gets the last message sent with ActiveMQ.Retain:true, marked ActiveMQ.Retained; others do not', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.send('/topic/prices', 'not-retained');
    await c.send('/topic/prices', 'old', { 'ActiveMQ.Retain': 'true' });
    await c.send('/topic/prices', 'retained', { 'ActiveMQ.Retain': 'true' });
    await c.send('/topic/prices', 'after-it');
    await c.subscribe('retro', '/topic/prices', { 'activemq.retroactive': 'true' });
    await c.subscribe('plain', '/topic/prices');
    await c.subscribe('retro-selecting', '/topic/prices', { 'activemq.retroactive': 'true', selector: "color = 'red'" });
    await c.send('/topic/prices', 'live');
    expect(c.bodies('retro')).toEqual(['retained', 'live']);
    expect(c.messages('retro')[0]!.headers).toMatchObject({ 'ActiveMQ.Retained': 'true', destination: '/topic/prices' });
    expect(c.messages('retro')[0]!.headers['ActiveMQ.Retain']).toBeUndefined();
    expect(c.bodies('plain')).toEqual(['live']);
    expect(c.bodies('retro-selecting')).toEqual([]);
  });

  it('a retained message with an empty body clears it; a wildcard retroactive subscriber gets each matching topic’s', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.send('/topic/state.a', 'a-state', { 'ActiveMQ.Retain': 'true' });
    await c.send('/topic/state.b', 'b-state', { 'ActiveMQ.Retain': 'true' });
    await c.send('/topic/state.b', '', { 'ActiveMQ.Retain': 'true' });
    await c.send('/topic/other', 'other-state', { 'ActiveMQ.Retain': 'true' });
    await c.subscribe('retro', '/topic/state.>', { 'activemq.retroactive': 'true' });
    expect(c.bodies('retro')).toEqual(['a-state']);
  });
});

describe('browser:true', () => {
  it('shows the waiting messages in dispatch order, then browser:end; nothing is consumed; a selector is honoured', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.send('/queue/browsed', 'low', { priority: '1' });
    await c.send('/queue/browsed', 'high', { priority: '8', color: 'red' });
    await c.send('/queue/browsed', 'normal', { color: 'red' });
    await c.subscribe('look', '/queue/browsed', { browser: 'true', ack: 'client' });
    expect(c.bodies('look')).toEqual(['high', 'normal', 'low', '']);
    expect(c.messages('look')[3]!.headers).toEqual({ subscription: 'look', destination: '/queue/browsed', 'message-id': '0', browser: 'end' });
    expect(
      c
        .messages('look')
        .slice(0, 3)
        .map((m) => m.headers['ack']),
    ).toEqual([undefined, undefined, undefined]);
    await c.subscribe('red', '/queue/browsed', { browser: 'true', selector: "color = 'red'" });
    expect(c.bodies('red')).toEqual(['high', 'normal', '']);
    // Ended, its id is kept for its UNSUBSCRIBE (as Classic keeps it).
    await c.ok('UNSUBSCRIBE', { id: 'look' });
    await c.subscribe('take', '/queue/browsed');
    expect(c.bodies('take')).toEqual(['high', 'normal', 'low']);
    expect(broker.stats().waiting).toBe(0);
  });

  it('a topic cannot be browsed', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    expect((await c.refused('SUBSCRIBE', { id: 'b', destination: '/topic/t', browser: 'true' })).body).toBe(
      "cannot browse '/topic/t': browser:true is for queues, a topic keeps no messages to browse",
    );
  });

  it('a browse of more than the stream holds goes on as the client reads; every message shown once, then the end', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    const body = 'x'.repeat(4096);
    c.raw.write(Array.from({ length: 299 }, (_, i) => frame('SEND', { destination: '/queue/big', n: String(i) }, body)).join(''));
    await c.send('/queue/big', body, { n: '299' });
    c.raw.write(frame('SUBSCRIBE', { id: 'all', destination: '/queue/big', browser: 'true' }));
    const shown = await c.received('all', 301);
    expect(shown.slice(0, 300).map((m) => m.headers['n'])).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    expect(shown[300]!.headers['browser']).toBe('end');
    expect(broker.stats().waiting).toBe(300);
  });
});

describe('wildcards', () => {
  it('on topics: * is one element, > the rest (none included); MESSAGE destination is where it was sent', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('one', '/topic/w.*.c');
    await c.subscribe('rest', '/topic/w.>');
    for (const topic of ['w.b.c', 'w.b.d', 'w.b.c.d', 'w', 'x.b.c', 'w.x.c', 'ww.b.c']) await c.send(`/topic/${topic}`, topic);
    expect(c.messages('one').map((m) => m.headers['destination'])).toEqual(['/topic/w.b.c', '/topic/w.x.c']);
    expect(c.bodies('rest')).toEqual(['w.b.c', 'w.b.d', 'w.b.c.d', 'w', 'w.x.c']);
  });

  it('on queues: consumes every matching queue, those made before and after it', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.send('/queue/orders.eu', 'before');
    await c.send('/queue/returns.eu', 'not-matching');
    await c.subscribe('all-orders', '/queue/orders.>');
    await c.send('/queue/orders.us', 'made-after');
    await c.send('/queue/orders.us.west', 'deeper');
    expect(c.messages('all-orders').map((m) => [m.body, m.headers['destination']])).toEqual([
      ['before', '/queue/orders.eu'],
      ['made-after', '/queue/orders.us'],
      ['deeper', '/queue/orders.us.west'],
    ]);
    await c.subscribe('returns', '/queue/returns.eu');
    expect(c.bodies('returns')).toEqual(['not-matching']);
  });
});

describe('composite destinations on SEND', () => {
  it('one SEND, one RECEIPT, a copy to each destination of the list (a bare name of the first one’s type)', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    await c.subscribe('a', '/queue/comp.a');
    await c.subscribe('b', '/queue/comp.b');
    await c.subscribe('t', '/topic/comp.t');
    await c.send('/queue/comp.a,/queue/comp.b,/topic/comp.t', 'to-all-three');
    await c.send('/queue/comp.a,comp.b', 'bare-name');
    expect(c.raw.frames.filter((f) => f.command === 'RECEIPT')).toHaveLength(5);
    expect(c.messages('a').map((m) => [m.body, m.headers['destination']])).toEqual([
      ['to-all-three', '/queue/comp.a'],
      ['bare-name', '/queue/comp.a'],
    ]);
    expect(c.messages('b').map((m) => [m.body, m.headers['destination']])).toEqual([
      ['to-all-three', '/queue/comp.b'],
      ['bare-name', '/queue/comp.b'],
    ]);
    expect(c.messages('t').map((m) => [m.body, m.headers['destination']])).toEqual([['to-all-three', '/topic/comp.t']]);
  });

  it('a list with a destination the broker does not know is refused whole', async () => {
    const broker = await startBroker();
    const c = await Client.connect(broker);
    const destination = '/queue/comp.ok,/exchange/x';
    expect((await c.refused('SEND', { destination }, 'x')).body).toBe(
      `unknown destination '${destination}': use /queue/<name>, /topic/<name> or a reply-to temporary queue (in the composite destination '${destination}', '/exchange/x' has no such prefix)`,
    );
    expect(broker.stats()).toMatchObject({ enqueued: 0, queues: 0 });
  });

  it('persistent copies are journaled with the send: all there after a restart', async () => {
    const dataDir = tempDir();
    let broker = await startBroker({ dataDir });
    let c = await Client.connect(broker);
    await c.send('/queue/kept.a,/queue/kept.b', 'durable', { persistent: 'true' });
    expect(broker.stats().journal?.liveMessages).toBe(2);
    await broker.stop();
    broker = await startBroker({ dataDir });
    c = await Client.connect(broker);
    await c.subscribe('a', '/queue/kept.a');
    await c.subscribe('b', '/queue/kept.b');
    expect([c.bodies('a'), c.bodies('b')]).toEqual([['durable'], ['durable']]);
  });
});
