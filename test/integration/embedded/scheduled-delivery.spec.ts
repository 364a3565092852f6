import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../lib/broker/embedded-broker.js';
import { Journal } from '../../../lib/broker/store/journal.js';
import { RawStomp, type RawFrame } from '../../support/raw-stomp.js';

/**
 * Scheduled delivery on the embedded broker (lib/broker/core/scheduler.ts), as ActiveMQ Classic
 * gives it (https://activemq.apache.org/components/classic/documentation/delay-and-schedule-message-delivery):
 * raw STOMP 1.2 peers over the broker's in-process streams, where what the broker writes arrives
 * in the turn it was written. Times are measured with the clock the broker schedules by: a copy
 * must arrive no sooner than its delay after its SEND was written. What must not have arrived is
 * shown with a marker message that comes first.
 */

const brokers: EmbeddedBroker[] = [];
const peers: RawStomp[] = [];
const dirs: string[] = [];
/** When each frame a peer got was read (ms since the epoch). */
const arrivals = new WeakMap<RawFrame, number>();

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  for (const broker of brokers.splice(0)) await broker.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const broker = await EmbeddedBroker.start({ log: () => {}, ...options });
  brokers.push(broker);
  return broker;
}

async function stopBroker(broker: EmbeddedBroker): Promise<void> {
  brokers.splice(brokers.indexOf(broker), 1);
  await broker.stop();
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scheduled-delivery-'));
  dirs.push(dir);
  return dir;
}

/** A raw STOMP 1.2 peer, CONNECTED, whose frames are stamped with their arrival time. */
async function peer(broker: EmbeddedBroker): Promise<RawStomp> {
  const raw = RawStomp.attach(broker.connect());
  peers.push(raw);
  raw.onFrame = (frame) => arrivals.set(frame, Date.now());
  raw.write('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0');
  await raw.next('CONNECTED');
  return raw;
}

function frame(command: string, headers: Record<string, string>, body = ''): string {
  return `${command}\n${Object.entries(headers)
    .map(([name, value]) => `${name}:${value}`)
    .join('\n')}\n\n${body}\0`;
}

/** Subscribes and waits for the broker to have taken it (a RECEIPT). */
async function subscribe(raw: RawStomp, destination: string, ack = 'auto', id = 'sub'): Promise<void> {
  raw.write(frame('SUBSCRIBE', { id, destination, ack, receipt: `subscribed-${id}` }));
  expect((await raw.next('RECEIPT')).headers['receipt-id']).toBe(`subscribed-${id}`);
}

/** Sends with a receipt and waits for it; returns when the SEND was written (ms since the epoch). */
async function send(raw: RawStomp, destination: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const sentAt = Date.now();
  raw.write(frame('SEND', { destination, receipt: `sent-${body}`, ...headers }, body));
  expect(await raw.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': `sent-${body}` } });
  return sentAt;
}

/** The next MESSAGE, and when it arrived. */
async function message(raw: RawStomp): Promise<{ frame: RawFrame; at: number }> {
  const next = await raw.next('MESSAGE');
  return { frame: next, at: arrivals.get(next)! };
}

let roundTrips = 0;
/** A round trip to the broker (BEGIN with a receipt, then ABORT): what it did in the turns before is done. */
async function roundTrip(raw: RawStomp): Promise<void> {
  const id = `round-trip-${++roundTrips}`;
  raw.write(frame('BEGIN', { transaction: id, receipt: id }));
  expect((await raw.next('RECEIPT')).headers['receipt-id']).toBe(id);
  raw.write(frame('ABORT', { transaction: id }));
}

/** ACKs a client-individual delivery and waits until the broker has settled it (journaled its removal). */
async function ack(raw: RawStomp, delivered: RawFrame): Promise<void> {
  raw.write(frame('ACK', { id: delivered.headers['ack']!, receipt: `acked-${delivered.body}` }));
  expect((await raw.next('RECEIPT')).headers['receipt-id']).toBe(`acked-${delivered.body}`);
}

describe('scheduled delivery: delay, time, period and repeat', () => {
  it('holds a delayed message for its delay: a marker sent after it without one arrives first', async () => {
    const broker = await startBroker();
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/delayed');
    const producer = await peer(broker);
    const sentAt = await send(producer, '/queue/delayed', 'later', { AMQ_SCHEDULED_DELAY: '400', 'x-trace': 't1' });
    expect(broker.stats()).toMatchObject({ scheduled: 1, waiting: 0, enqueued: 0 });
    await send(producer, '/queue/delayed', 'marker');

    expect((await message(consumer)).frame.body).toBe('marker');
    const later = await message(consumer);
    expect(later.frame.body).toBe('later');
    expect(later.at - sentAt).toBeGreaterThanOrEqual(400);
    // As on Classic: the scheduling header is gone, scheduledJobId names the job, the rest is kept.
    expect(later.frame.headers).not.toHaveProperty('AMQ_SCHEDULED_DELAY');
    expect(later.frame.headers['x-trace']).toBe('t1');
    expect(later.frame.headers['scheduledJobId']).toMatch(/^ID\\cembedded-[0-9a-f]{8}-\d+$/);
    expect(later.frame.headers['message-id']).not.toBe(later.frame.headers['scheduledJobId']);
    await roundTrip(producer);
    expect(broker.stats()).toMatchObject({ scheduled: 0, waiting: 0, enqueued: 2 });
  });

  it('answers a persistent scheduled SEND once it is journaled', async () => {
    const broker = await startBroker({ dataDir: tempDir() });
    const producer = await peer(broker);
    await send(producer, '/queue/journaled', 'later', { persistent: 'true', AMQ_SCHEDULED_DELAY: '60000' });
    expect(broker.stats()).toMatchObject({ scheduled: 1, waiting: 0, journal: { liveMessages: 1 } });
    expect(broker.stats().memoryBytes).toBeGreaterThan(0);
  });

  it('delivers at an absolute AMQ_SCHEDULED_TIME (as Artemis does), not before', async () => {
    const broker = await startBroker();
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/at-time');
    const producer = await peer(broker);
    const time = Date.now() + 400;
    await send(producer, '/queue/at-time', 'at-time', { AMQ_SCHEDULED_TIME: String(time) });
    await send(producer, '/queue/at-time', 'marker');
    expect((await message(consumer)).frame.body).toBe('marker');
    const atTime = await message(consumer);
    expect(atTime.frame.body).toBe('at-time');
    expect(atTime.at).toBeGreaterThanOrEqual(time);
    expect(atTime.frame.headers).not.toHaveProperty('AMQ_SCHEDULED_TIME');
  });

  it('delivers period + repeat as exactly repeat + 1 copies, each at least a period after the one before', async () => {
    const broker = await startBroker();
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/repeated');
    const producer = await peer(broker);
    const sentAt = await send(producer, '/queue/repeated', 'tick', { AMQ_SCHEDULED_DELAY: '200', AMQ_SCHEDULED_PERIOD: '200', AMQ_SCHEDULED_REPEAT: '3' });

    const copies: Array<{ frame: RawFrame; at: number }> = [];
    for (let i = 0; i < 4; i++) copies.push(await message(consumer));
    expect(copies.map((copy) => copy.frame.body)).toEqual(['tick', 'tick', 'tick', 'tick']);
    // The i-th copy went out a period after the one before it, the first after the delay.
    copies.forEach((copy, i) => expect(copy.at - sentAt).toBeGreaterThanOrEqual(200 + 200 * i));
    expect(new Set(copies.map((copy) => copy.frame.headers['message-id'])).size).toBe(4);
    expect(new Set(copies.map((copy) => copy.frame.headers['scheduledJobId'])).size).toBe(1);
    for (const copy of copies) expect(Object.keys(copy.frame.headers).filter((name) => name.startsWith('AMQ_SCHEDULED'))).toEqual([]);

    // A fifth copy would come a period after the fourth: a marker due three periods later comes next.
    await send(producer, '/queue/repeated', 'marker', { AMQ_SCHEDULED_DELAY: '600' });
    expect((await message(consumer)).frame.body).toBe('marker');
    await roundTrip(producer);
    expect(broker.stats()).toMatchObject({ scheduled: 0, enqueued: 5 });
  });

  it('routes a scheduled message to a topic at its time, to the subscribers then', async () => {
    const broker = await startBroker();
    const subscriber = await peer(broker);
    await subscribe(subscriber, '/topic/news');
    const producer = await peer(broker);
    const sentAt = await send(producer, '/topic/news', 'late-news', { AMQ_SCHEDULED_DELAY: '300' });
    await send(producer, '/topic/news', 'marker');
    expect((await message(subscriber)).frame.body).toBe('marker');
    const late = await message(subscriber);
    expect(late.frame.body).toBe('late-news');
    expect(late.frame.headers['destination']).toBe('/topic/news');
    expect(late.at - sentAt).toBeGreaterThanOrEqual(300);
  });

  it('ends the schedule of a message for a temporary queue whose connection has gone, with a log line', async () => {
    const lines: string[] = [];
    let logged: () => void = () => {};
    const dropped = new Promise<void>((resolve) => (logged = resolve));
    const broker = await startBroker({
      log: (line) => {
        lines.push(line);
        if (line.includes('dropped')) logged();
      },
    });
    const requester = await peer(broker);
    await subscribe(requester, '/temp-queue/replies');
    const server = await peer(broker);
    await subscribe(server, '/queue/requests');
    await send(requester, '/queue/requests', 'request', { 'reply-to': '/temp-queue/replies' });
    const replyTo = (await message(server)).frame.headers['reply-to']!;
    expect(replyTo).toMatch(/^\/remote-temp-queue\//);
    await send(server, replyTo, 'late-reply', { AMQ_SCHEDULED_DELAY: '100', AMQ_SCHEDULED_PERIOD: '100', AMQ_SCHEDULED_REPEAT: '5' });
    requester.destroy();
    await requester.closed;
    await dropped;
    await roundTrip(server);
    expect(lines.filter((line) => line.includes('dropped'))).toEqual([
      expect.stringMatching(
        /^embedded broker: scheduled message \d+ for \/remote-temp-queue\/\S+ dropped, its schedule ended: destination .* does not exist \(its connection has gone\)$/,
      ),
    ]);
    expect(broker.stats()).toMatchObject({ scheduled: 0, memoryBytes: 0 });
  });

  it('sends a message carrying scheduledJobId at once, headers and all, as Classic does', async () => {
    const broker = await startBroker();
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/job-id');
    const producer = await peer(broker);
    await send(producer, '/queue/job-id', 'resent', { scheduledJobId: 'ID:elsewhere-1', AMQ_SCHEDULED_DELAY: '60000' });
    expect(broker.stats().scheduled).toBe(0);
    await send(producer, '/queue/job-id', 'marker');
    const resent = await message(consumer);
    expect(resent.frame.body).toBe('resent');
    expect(resent.frame.headers).toMatchObject({ scheduledJobId: 'ID\\celsewhere-1', AMQ_SCHEDULED_DELAY: '60000' });
    expect((await message(consumer)).frame.body).toBe('marker');
  });
});

describe('scheduled delivery: cron', () => {
  it('accepts a 5-field cron entry, holds the message and journals it; refuses one of 6 fields', async () => {
    const dir = tempDir();
    let broker = await startBroker({ dataDir: dir });
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/cron');
    const producer = await peer(broker);
    // Half an hour away, whenever the test runs: it cannot fire during it. Firing times are the unit tests' (a clock they move).
    const minute = (new Date().getMinutes() + 30) % 60;
    await send(producer, '/queue/cron', 'hourly', { persistent: 'true', AMQ_SCHEDULED_CRON: `${minute} * * * *` });
    expect(broker.stats()).toMatchObject({ scheduled: 1, waiting: 0, journal: { liveMessages: 1 } });

    producer.write(frame('SEND', { destination: '/queue/cron', receipt: 'six', AMQ_SCHEDULED_CRON: '* * * * * *' }, 'every-second'));
    const refused = await producer.next('ERROR');
    expect(refused.headers['receipt-id']).toBe('six');
    expect(refused.body).toBe("AMQ_SCHEDULED_CRON '* * * * * *' has 6 field(s): a cron entry has 5 (minute hour day-of-month month day-of-week), as on ActiveMQ Classic");
    await send(producer, '/queue/cron', 'marker');
    expect((await message(consumer)).frame.body).toBe('marker');
    expect(broker.stats()).toMatchObject({ scheduled: 1, enqueued: 1 });

    // Journaled: a restarted broker holds it again, still a cron entry.
    await stopBroker(broker);
    broker = await startBroker({ dataDir: dir });
    expect(broker.stats()).toMatchObject({ scheduled: 1, waiting: 0, journal: { liveMessages: 1 } });
  });
});

describe('scheduled delivery: across a restart', () => {
  it('delivers a persistent scheduled message at its time after a restart, exactly once', async () => {
    const dir = tempDir();
    let broker = await startBroker({ dataDir: dir });
    const producer = await peer(broker);
    const sentAt = await send(producer, '/queue/durable', 'durable', { persistent: 'true', AMQ_SCHEDULED_DELAY: '1000' });
    await stopBroker(broker);

    broker = await startBroker({ dataDir: dir });
    expect(broker.stats()).toMatchObject({ scheduled: 1, waiting: 0 });
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/durable', 'client-individual');
    const delivered = await message(consumer);
    expect(delivered.frame.body).toBe('durable');
    expect(delivered.at - sentAt).toBeGreaterThanOrEqual(1000);
    expect(delivered.frame.headers['persistent']).toBe('true');
    await ack(consumer, delivered.frame);
    const producer2 = await peer(broker);
    await send(producer2, '/queue/durable', 'marker', { persistent: 'true' });
    const marker = await message(consumer);
    expect(marker.frame.body).toBe('marker');
    await ack(consumer, marker.frame);
    await stopBroker(broker);

    // Nothing of it is left to come back.
    broker = await startBroker({ dataDir: dir });
    expect(broker.stats()).toMatchObject({ scheduled: 0, waiting: 0, journal: { liveMessages: 0 } });
  });

  it('goes on with the repeats still to come after a restart', async () => {
    const dir = tempDir();
    let broker = await startBroker({ dataDir: dir });
    let consumer = await peer(broker);
    await subscribe(consumer, '/queue/repeats', 'client-individual');
    const producer = await peer(broker);
    const sentAt = await send(producer, '/queue/repeats', 'beat', { persistent: 'true', AMQ_SCHEDULED_DELAY: '200', AMQ_SCHEDULED_PERIOD: '300', AMQ_SCHEDULED_REPEAT: '2' });
    const first = await message(consumer);
    await ack(consumer, first.frame);
    await stopBroker(broker);

    broker = await startBroker({ dataDir: dir });
    expect(broker.stats()).toMatchObject({ scheduled: 1, waiting: 0 });
    consumer = await peer(broker);
    await subscribe(consumer, '/queue/repeats', 'client-individual');
    const rest = [await message(consumer), await message(consumer)];
    const times = [first, ...rest].map((copy) => copy.at - sentAt);
    times.forEach((time, i) => expect(time).toBeGreaterThanOrEqual(200 + 300 * i));
    expect(new Set([first, ...rest].map((copy) => copy.frame.headers['message-id'])).size).toBe(3);
    // No fourth copy: it would come a period after the third, before this marker.
    const producer2 = await peer(broker);
    await send(producer2, '/queue/repeats', 'marker', { AMQ_SCHEDULED_DELAY: '900' });
    expect((await message(consumer)).frame.body).toBe('marker');
    await roundTrip(producer2);
    expect(broker.stats().scheduled).toBe(0);
  });

  it('delivers at start a message that fell due while the broker was down', async () => {
    const dir = tempDir();
    // The journal of a broker stopped a minute ago with a message due 55 seconds ago, as it journals one.
    const { journal } = await Journal.open(dir);
    const sentAt = Date.now() - 60_000;
    await journal.write({
      adds: [
        {
          id: 1,
          destination: '/queue/overdue',
          headers: { AMQ_SCHEDULED_DELAY: '5000', 'x-trace': 'overdue', persistent: 'true', priority: '4', expires: '0', timestamp: String(sentAt) },
          body: Buffer.from('overdue'),
          schedule: { due: sentAt + 5000, remaining: 0, cron: false },
        },
      ],
    });
    await journal.close();

    const broker = await startBroker({ dataDir: dir });
    const consumer = await peer(broker);
    // Already waiting in its queue: it may come before the SUBSCRIBE's RECEIPT would, so none is asked.
    consumer.write(frame('SUBSCRIBE', { id: 'sub', destination: '/queue/overdue', ack: 'auto' }));
    const overdue = await message(consumer);
    expect(overdue.frame.body).toBe('overdue');
    expect(overdue.frame.headers['x-trace']).toBe('overdue');
    expect(overdue.frame.headers).not.toHaveProperty('AMQ_SCHEDULED_DELAY');
    await roundTrip(consumer);
    expect(broker.stats().scheduled).toBe(0);
  });
});

describe('scheduled delivery: transactions', () => {
  it('schedules a transacted SEND at COMMIT, its delay counted from there', async () => {
    const broker = await startBroker({ dataDir: tempDir() });
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/tx');
    const producer = await peer(broker);
    producer.write(frame('BEGIN', { transaction: 'tx1' }));
    await send(producer, '/queue/tx', 'committed', { transaction: 'tx1', persistent: 'true', AMQ_SCHEDULED_DELAY: '300' });
    expect(broker.stats()).toMatchObject({ scheduled: 0, journal: { liveMessages: 0 } });
    // Time passes between the SEND and its COMMIT: a marker of the same delay, outside the transaction, comes and goes.
    await send(producer, '/queue/tx', 'marker', { AMQ_SCHEDULED_DELAY: '300' });
    expect((await message(consumer)).frame.body).toBe('marker');

    const committedAt = Date.now();
    producer.write(frame('COMMIT', { transaction: 'tx1', receipt: 'committed' }));
    expect((await producer.next('RECEIPT')).headers['receipt-id']).toBe('committed');
    expect(broker.stats()).toMatchObject({ scheduled: 1, journal: { liveMessages: 1 } });
    const committed = await message(consumer);
    expect(committed.frame.body).toBe('committed');
    expect(committed.at - committedAt).toBeGreaterThanOrEqual(300);
    expect(committed.frame.headers).not.toHaveProperty('transaction');
  });

  it('drops a transacted scheduled SEND at ABORT', async () => {
    const broker = await startBroker();
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/tx-abort');
    const producer = await peer(broker);
    producer.write(frame('BEGIN', { transaction: 'tx2' }));
    await send(producer, '/queue/tx-abort', 'aborted', { transaction: 'tx2', AMQ_SCHEDULED_DELAY: '100' });
    producer.write(frame('ABORT', { transaction: 'tx2', receipt: 'aborted' }));
    expect((await producer.next('RECEIPT')).headers['receipt-id']).toBe('aborted');
    expect(broker.stats()).toMatchObject({ scheduled: 0, memoryBytes: 0 });
    // It would have come 100 ms after its SEND: a marker due 400 ms after the ABORT comes first, and alone.
    await send(producer, '/queue/tx-abort', 'marker', { AMQ_SCHEDULED_DELAY: '400' });
    expect((await message(consumer)).frame.body).toBe('marker');
    await roundTrip(producer);
    expect(broker.stats()).toMatchObject({ scheduled: 0, enqueued: 1 });
  });
});

describe('scheduled delivery: refused headers', () => {
  const far = String(Date.now() + 11 * 365 * 24 * 60 * 60 * 1000);
  const cases: Array<[string, Record<string, string>, string]> = [
    ['a delay that is not a number', { AMQ_SCHEDULED_DELAY: 'soon' }, "AMQ_SCHEDULED_DELAY 'soon' is not a whole number of ms from 0 to 315360000000 (10 years)"],
    ['a negative delay', { AMQ_SCHEDULED_DELAY: '-1000' }, "AMQ_SCHEDULED_DELAY '-1000' is not a whole number of ms from 0 to 315360000000 (10 years)"],
    ['NaN', { AMQ_SCHEDULED_DELAY: 'NaN' }, "AMQ_SCHEDULED_DELAY 'NaN' is not a whole number of ms from 0 to 315360000000 (10 years)"],
    ['a delay past 10 years', { AMQ_SCHEDULED_DELAY: '315360000001' }, "AMQ_SCHEDULED_DELAY '315360000001' is not a whole number of ms from 0 to 315360000000 (10 years)"],
    ['a negative period', { AMQ_SCHEDULED_PERIOD: '-5' }, "AMQ_SCHEDULED_PERIOD '-5' is not a whole number of ms from 0 to 315360000000 (10 years)"],
    [
      'a repeat without a period',
      { AMQ_SCHEDULED_DELAY: '100', AMQ_SCHEDULED_REPEAT: '3' },
      'AMQ_SCHEDULED_REPEAT 3 needs an AMQ_SCHEDULED_PERIOD above 0: the ms between the copies',
    ],
    ['a repeat past 1000', { AMQ_SCHEDULED_PERIOD: '10', AMQ_SCHEDULED_REPEAT: '1000000' }, "AMQ_SCHEDULED_REPEAT '1000000' is not a whole number from 0 to 1000"],
    ['a time past 10 years', { AMQ_SCHEDULED_TIME: far }, `AMQ_SCHEDULED_TIME '${far}' is not a time in ms since the epoch at most 10 years from now`],
    ['an invalid cron entry', { AMQ_SCHEDULED_CRON: '61 * * * *' }, "AMQ_SCHEDULED_CRON '61 * * * *' is not a valid cron entry: CronPattern: Invalid value for minute: 61"],
    ['a cron entry that never fires', { AMQ_SCHEDULED_CRON: '0 0 30 2 *' }, "AMQ_SCHEDULED_CRON '0 0 30 2 *' never fires"],
    [
      'a time with a cron entry',
      { AMQ_SCHEDULED_TIME: '1', AMQ_SCHEDULED_CRON: '* * * * *' },
      'AMQ_SCHEDULED_TIME cannot be combined with AMQ_SCHEDULED_CRON: give the first time with one or the other',
    ],
  ];

  it('answers each with an ERROR naming the header, stores nothing, and delivers nothing of them', async () => {
    const broker = await startBroker({ dataDir: tempDir() });
    const consumer = await peer(broker);
    await subscribe(consumer, '/queue/refused');
    const producer = await peer(broker);
    for (const [what, headers, text] of cases) {
      producer.write(frame('SEND', { destination: '/queue/refused', persistent: 'true', receipt: what, ...headers }, what));
      const answer = await producer.next();
      expect({ what, command: answer.command, receipt: answer.headers['receipt-id'], text: answer.body }).toEqual({ what, command: 'ERROR', receipt: what, text });
    }
    // In a transaction too: refused at the SEND, its COMMIT has nothing of it.
    producer.write(frame('BEGIN', { transaction: 'tx' }));
    producer.write(frame('SEND', { destination: '/queue/refused', transaction: 'tx', receipt: 'in-tx', AMQ_SCHEDULED_DELAY: 'x' }, 'in-tx'));
    expect(await producer.next()).toMatchObject({ command: 'ERROR', headers: { 'receipt-id': 'in-tx' } });
    producer.write(frame('COMMIT', { transaction: 'tx', receipt: 'committed' }));
    expect(await producer.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'committed' } });
    expect(broker.stats()).toMatchObject({ scheduled: 0, waiting: 0, enqueued: 0, memoryBytes: 0, journal: { liveMessages: 0 } });

    // The connection goes on; a marker due after any of them would have been comes first and alone.
    await send(producer, '/queue/refused', 'marker', { AMQ_SCHEDULED_DELAY: '200' });
    expect((await message(consumer)).frame.body).toBe('marker');
    await roundTrip(producer);
    expect(broker.stats()).toMatchObject({ scheduled: 0, enqueued: 1 });
  });

  it('counts scheduled messages against the memory limit: past twice the limit, scheduled sends are refused', async () => {
    const memoryLimitBytes = 32 * 1024;
    const broker = await startBroker({ memoryLimitBytes });
    const producer = await peer(broker);
    // A producer that also consumes is refused past the limit rather than paused (paused, its frames would not be read).
    await subscribe(producer, '/queue/elsewhere');
    const body = 'x'.repeat(2000);
    const sends = Array.from({ length: 60 }, (_, i) => frame('SEND', { destination: '/queue/full', receipt: `s${i}`, AMQ_SCHEDULED_DELAY: '600000' }, body)).join('');
    // One write, read in one turn: a refusal is answered in the order of the SENDs, so a last plain
    // SEND, refused too, is answered after every scheduled one refused before it. (Receipts of
    // those taken past the limit are held, as for any send: memory is not freed here.)
    producer.write(sends + frame('SEND', { destination: '/queue/full', receipt: 'last' }, 'last'));
    const answers: RawFrame[] = [];
    for (let answer = await producer.next(); answer.headers['receipt-id'] !== 'last'; answer = await producer.next()) answers.push(answer);
    expect(producer.frames.at(-1)).toMatchObject({ command: 'ERROR', headers: { 'receipt-id': 'last' } });
    const refused = answers.filter((answer) => answer.command === 'ERROR');
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) expect(error.body).toMatch(/^memory limit reached \(\d+ bytes held, limit 32768\): send refused; consume messages first$/);
    const stats = broker.stats();
    expect(stats.scheduled).toBe(60 - refused.length);
    expect(stats.memoryBytes).toBeLessThanOrEqual(2 * memoryLimitBytes + 2200);
    expect(stats).toMatchObject({ waiting: 0, enqueued: 0 });
  });
});
