import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';
import { duplexPair } from '../../../lib/broker/session/pipe.js';
import { BrokerUnreachableError } from '../../../lib/connection/connect-to-first.js';
import { logAttempt, logStartupRetry, reconnect, watchPrimary, type ReconnectPolicy } from '../../../lib/connection/reconnection.js';
import { StompConnection, type StompConnectionOptions } from '../../../lib/connection/stomp-connection.js';
import { rejectionOf } from '../../support/thrown.js';
import { expectAttemptsAfter } from '../../support/backoff.js';

/** Everything a test opened, closed after it. */
const brokers: EmbeddedBroker[] = [];
const connections: StompConnection[] = [];
const streams: Duplex[] = [];
/** Which in-process brokers were asked for a stream, in order. */
let tried: string[] = [];

afterEach(async () => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  tried = [];
  for (const connection of connections.splice(0)) connection.destroy();
  for (const stream of streams.splice(0)) stream.destroy();
  await Promise.all(brokers.splice(0).map((broker) => broker.stop()));
});

function policyOf(overrides: Partial<ReconnectPolicy> = {}): ReconnectPolicy {
  return { enabled: true, maxAttempts: -1, initialDelay: 0, maxDelay: 30_000, multiplier: 2, randomize: false, sendWait: 30_000, priorityBackup: false, ...overrides };
}

/**
 * An in-process embedded broker named `name`, each stream asked of it recorded in {@link tried}.
 * `failures` first streams cannot be opened (the broker is not up yet); `onOpen` runs as a stream is opened.
 */
function inMemory(name: string, { failures = 0, onOpen }: { failures?: number; onOpen?: () => void } = {}): StompConnectionOptions {
  const broker = EmbeddedBroker.inMemory();
  brokers.push(broker);
  let asked = 0;
  return {
    host: name,
    port: 0,
    heartBeat: [0, 0],
    stream: () => {
      tried.push(name);
      if (++asked <= failures) throw new Error(`${name} is not up yet`);
      const stream = broker.connect();
      streams.push(stream);
      onOpen?.();
      return stream;
    },
  };
}

/** An in-process broker that is down for good: a stopped broker refuses every stream. */
async function down(name: string): Promise<StompConnectionOptions> {
  const endpoint = inMemory(name);
  await brokers.at(-1)!.stop();
  return endpoint;
}

/** A connection kept for cleanup. */
async function connected(endpoint: StompConnectionOptions): Promise<StompConnection> {
  const connection = await StompConnection.connect(endpoint);
  connections.push(connection);
  return connection;
}

/** Whether `promise` has settled, read after the microtasks queued so far. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

const never = () => false;

/** An `onUp` that keeps what it is handed (closed after the test); `first` resolves with the first. */
function handOvers() {
  const calls: StompConnection[] = [];
  let resolve!: (connection: StompConnection) => void;
  const first = new Promise<StompConnection>((r) => (resolve = r));
  const take = (connection: StompConnection) => {
    calls.push(connection);
    connections.push(connection);
    resolve(connection);
  };
  return { calls, first, take };
}

/** Resolves once `stream` has closed. */
const closed = (stream: Duplex) => (stream.closed ? Promise.resolve() : new Promise<void>((resolve) => stream.once('close', () => resolve())));

describe('reconnect', () => {
  it('numbers the attempts from 1 through onAttempt, with the delay waited before each', async () => {
    const onAttempt = jest.fn<(attempt: number, delay: number) => void>();
    await rejectionOf(reconnect([await down('x')], policyOf({ maxAttempts: 3, initialDelay: 1, multiplier: 2 }), never, onAttempt));
    expect(onAttempt.mock.calls).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
    ]);
    expect(tried).toEqual(['x', 'x', 'x']);
  });

  it('waits the delay before each attempt, growing by the multiplier and capped at maxDelay', async () => {
    jest.useFakeTimers();
    const onAttempt = jest.fn<(attempt: number, delay: number) => void>();
    const outcome = rejectionOf(reconnect([await down('x')], policyOf({ maxAttempts: 4, initialDelay: 100, multiplier: 3, maxDelay: 500 }), never, onAttempt));
    await expectAttemptsAfter(tried, [
      [100, 1],
      [300, 2],
      [500, 3],
      [500, 4],
    ]);
    expect(onAttempt.mock.calls.map(([, delay]) => delay)).toEqual([100, 300, 500, 500]);
    expect(await outcome).toBeInstanceOf(BrokerUnreachableError);
  });

  it('resolves with the connection of the first broker that answers, and makes no further attempt', async () => {
    const onAttempt = jest.fn();
    const connection = await reconnect([await down('x'), inMemory('y', { failures: 2 })], policyOf({ maxAttempts: 10, initialDelay: 1 }), never, onAttempt);
    connections.push(connection);
    expect(connection.broker).toBe('vm://y');
    expect(connection.isClosed).toBe(false);
    expect(onAttempt).toHaveBeenCalledTimes(3);
    expect(tried).toEqual(['x', 'y', 'x', 'y', 'x', 'y']);
  });

  it('maxAttempts=-1 keeps trying until a broker answers', async () => {
    const onAttempt = jest.fn();
    const connection = await reconnect([inMemory('late', { failures: 15 })], policyOf({ maxAttempts: -1, initialDelay: 0 }), never, onAttempt);
    connections.push(connection);
    expect(connection.broker).toBe('vm://late');
    expect(onAttempt).toHaveBeenCalledTimes(16);
  });

  it('gives up after maxAttempts with a BrokerUnreachableError naming the brokers, the attempts and the last failure', async () => {
    const error = await rejectionOf(reconnect([await down('x'), await down('y')], policyOf({ maxAttempts: 2, initialDelay: 1 }), never));
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect(error.message).toBe('gave up reconnecting to vm://x, vm://y after 2 attempts: could not connect to vm://x, vm://y after 1 attempt: the embedded broker is stopped');
    expect(error.cause).toBeInstanceOf(BrokerUnreachableError);
    expect(tried).toEqual(['x', 'y', 'x', 'y']);
  });

  it("carries the last failure's network code, as ECONNREFUSED", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await rejectionOf(reconnect([{ host: '127.0.0.1', port, heartBeat: [0, 0] }], policyOf({ maxAttempts: 1 }), never));
    expect(error.message).toMatch(new RegExp(`^gave up reconnecting to 127\\.0\\.0\\.1:${port} after 1 attempt: .*ECONNREFUSED`));
    expect((error as BrokerUnreachableError).code).toBe('ECONNREFUSED');
  });

  it('cancelled() turning true during a long backoff stops it within 100 ms, trying no broker, saying it is closing', async () => {
    jest.useFakeTimers();
    let cancelled = false;
    const onAttempt = jest.fn();
    const outcome = rejectionOf(reconnect([inMemory('x')], policyOf({ initialDelay: 30_000 }), () => cancelled, onAttempt));
    await jest.advanceTimersByTimeAsync(250);
    expect(await settled(outcome)).toBe(false);
    cancelled = true;
    await jest.advanceTimersByTimeAsync(100);
    expect(await settled(outcome)).toBe(true);
    const error = await outcome;
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect(error.message).toBe('reconnection to vm://x stopped: closing');
    expect(tried).toEqual([]);
    expect(onAttempt).toHaveBeenCalledTimes(1);
  });

  it('cancelled() true between attempts stops before the next one tries a broker', async () => {
    let cancelled = false;
    const onAttempt = (attempt: number) => void (cancelled = attempt === 2);
    const error = await rejectionOf(reconnect([await down('x')], policyOf({ maxAttempts: 5, initialDelay: 1 }), () => cancelled, onAttempt));
    expect(error.message).toBe('reconnection to vm://x stopped: closing');
    expect(tried).toEqual(['x']);
  });

  it('cancelled() already true: nothing is tried', async () => {
    const error = await rejectionOf(reconnect([inMemory('x')], policyOf({ initialDelay: 0 }), () => true));
    expect(error.message).toBe('reconnection to vm://x stopped: closing');
    expect(tried).toEqual([]);
  });

  it('without randomize, every attempt tries the brokers in the order written', async () => {
    const random = jest.spyOn(Math, 'random');
    await rejectionOf(reconnect([await down('a'), await down('b'), await down('c')], policyOf({ maxAttempts: 2, initialDelay: 1 }), never));
    expect(tried).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(random).not.toHaveBeenCalled();
  });

  it('randomize shuffles the brokers anew for each attempt, each tried once, the message keeping the order written', async () => {
    // Fisher–Yates from the end: 0, 0 gives b, c, a; 0.99, 0.99 leaves a, b, c.
    jest.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0).mockReturnValueOnce(0.99).mockReturnValueOnce(0.99);
    const brokersWritten = [await down('a'), await down('b'), await down('c')];
    const error = await rejectionOf(reconnect(brokersWritten, policyOf({ maxAttempts: 2, initialDelay: 1, randomize: true }), never));
    expect(tried).toEqual(['b', 'c', 'a', 'a', 'b', 'c']);
    expect(brokersWritten.map((b) => b.host)).toEqual(['a', 'b', 'c']);
    expect(error.message).toMatch(/^gave up reconnecting to vm:\/\/a, vm:\/\/b, vm:\/\/c after 2 attempts/);
  });
});

describe('watchPrimary', () => {
  beforeEach(() => {
    // The in-memory pipe hands bytes over with setImmediate: only the timers are fake.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  });

  const watching = policyOf({ priorityBackup: true, initialDelay: 100 });

  it('does nothing without priorityBackup: no timer, the primary never tried', async () => {
    const primary = inMemory('primary');
    const backup = inMemory('backup');
    const current = await connected(backup);
    const timers = jest.getTimerCount();
    const onUp = jest.fn();
    const stop = watchPrimary([primary, backup], current, policyOf({ priorityBackup: false }), onUp);
    expect(jest.getTimerCount()).toBe(timers);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(tried).toEqual(['backup']);
    expect(onUp).not.toHaveBeenCalled();
    stop();
  });

  it('does nothing with a single broker in the list', async () => {
    const primary = inMemory('primary');
    const current = await connected(inMemory('elsewhere'));
    const timers = jest.getTimerCount();
    const onUp = jest.fn();
    watchPrimary([primary], current, watching, onUp);
    expect(jest.getTimerCount()).toBe(timers);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(tried).toEqual(['elsewhere']);
    expect(onUp).not.toHaveBeenCalled();
  });

  it('does nothing when already on the primary', async () => {
    const primary = inMemory('primary');
    const current = await connected(primary);
    const timers = jest.getTimerCount();
    const onUp = jest.fn();
    watchPrimary([primary, inMemory('backup')], current, watching, onUp);
    expect(jest.getTimerCount()).toBe(timers);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(tried).toEqual(['primary']);
    expect(onUp).not.toHaveBeenCalled();
  });

  it('on a backup, tries the primary every 500 ms at least and hands its connection to onUp once it answers', async () => {
    const primary = inMemory('primary');
    const backup = inMemory('backup');
    const current = await connected(backup);
    const onUp = handOvers();
    watchPrimary([primary, backup], current, watching, onUp.take);
    await jest.advanceTimersByTimeAsync(499);
    expect(tried).toEqual(['backup']);
    await jest.advanceTimersByTimeAsync(1);
    expect(tried).toEqual(['backup', 'primary']);
    const up = await onUp.first;
    expect(up.broker).toBe('vm://primary');
    expect(up.isClosed).toBe(false);
    // The caller moves over; the backup connection is left to it.
    expect(current.isClosed).toBe(false);
  });

  it('waits initialDelay between tries when it is above 500 ms', async () => {
    const primary = inMemory('primary', { failures: 1 });
    const backup = inMemory('backup');
    const current = await connected(backup);
    watchPrimary([primary, backup], current, policyOf({ priorityBackup: true, initialDelay: 2000 }), jest.fn());
    await jest.advanceTimersByTimeAsync(1999);
    expect(tried).toEqual(['backup']);
    await jest.advanceTimersByTimeAsync(1);
    expect(tried).toEqual(['backup', 'primary']);
    await jest.advanceTimersByTimeAsync(1999);
    expect(tried).toEqual(['backup', 'primary']);
    await jest.advanceTimersByTimeAsync(1);
    expect(tried).toEqual(['backup', 'primary', 'primary']);
  });

  it('keeps trying while the primary is down, and stops watching once it has handed it over', async () => {
    const primary = inMemory('primary', { failures: 2 });
    const backup = inMemory('backup');
    const current = await connected(backup);
    const onUp = handOvers();
    watchPrimary([primary, backup], current, watching, onUp.take);
    await jest.advanceTimersByTimeAsync(1000);
    expect(tried).toEqual(['backup', 'primary', 'primary']);
    expect(onUp.calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(500);
    await onUp.first;
    await jest.advanceTimersByTimeAsync(5000);
    expect(tried).toEqual(['backup', 'primary', 'primary', 'primary']);
    expect(onUp.calls).toHaveLength(1);
  });

  it('starts no new try while the last one still waits for the primary to answer CONNECT', async () => {
    const silent: StompConnectionOptions = {
      host: 'silent',
      port: 0,
      heartBeat: [0, 0],
      connectTimeout: 1800,
      stream: () => {
        tried.push('silent');
        // The far end takes the CONNECT and never answers.
        const [near, far] = duplexPair();
        streams.push(near, far);
        return near;
      },
    };
    const backup = inMemory('backup');
    const current = await connected(backup);
    watchPrimary([silent, backup], current, watching, jest.fn());
    await jest.advanceTimersByTimeAsync(500);
    expect(tried).toEqual(['backup', 'silent']);
    // Ticks at 1000, 1500 and 2000 find the try still waiting; it times out at 2300.
    await jest.advanceTimersByTimeAsync(1999);
    expect(tried).toEqual(['backup', 'silent']);
    await jest.advanceTimersByTimeAsync(1);
    expect(tried).toEqual(['backup', 'silent', 'silent']);
  });

  it('the function it returns stops watching', async () => {
    const primary = inMemory('primary');
    const backup = inMemory('backup');
    const current = await connected(backup);
    const onUp = jest.fn();
    const stop = watchPrimary([primary, backup], current, watching, onUp);
    stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(tried).toEqual(['backup']);
    expect(onUp).not.toHaveBeenCalled();
  });

  it('stops watching when the current connection closes', async () => {
    const primary = inMemory('primary');
    const backup = inMemory('backup');
    const current = await connected(backup);
    const onUp = jest.fn();
    watchPrimary([primary, backup], current, watching, onUp);
    current.destroy();
    await current.closed;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(tried).toEqual(['backup']);
    expect(onUp).not.toHaveBeenCalled();
  });

  it('a primary that answers after watching stopped is closed, not handed over', async () => {
    let stop!: () => void;
    const primary = inMemory('primary', { onOpen: () => stop() });
    const backup = inMemory('backup');
    const current = await connected(backup);
    const onUp = handOvers();
    stop = watchPrimary([primary, backup], current, watching, onUp.take);
    await jest.advanceTimersByTimeAsync(500);
    expect(tried).toEqual(['backup', 'primary']);
    await Promise.race([closed(streams.at(-1)!), onUp.first]);
    expect(onUp.calls).toHaveLength(0);
    expect(streams.at(-1)!.destroyed).toBe(true);
  });

  it('a primary that answers after the current connection closed during the try is closed, not handed over', async () => {
    let current!: StompConnection;
    const primary = inMemory('primary', { onOpen: () => current.destroy() });
    const backup = inMemory('backup');
    current = await connected(backup);
    const onUp = handOvers();
    watchPrimary([primary, backup], current, watching, onUp.take);
    await jest.advanceTimersByTimeAsync(500);
    expect(tried).toEqual(['backup', 'primary']);
    await Promise.race([closed(streams.at(-1)!), onUp.first]);
    expect(onUp.calls).toHaveLength(0);
    expect(streams.at(-1)!.destroyed).toBe(true);
  });

  it('a primary that answers while the current connection is closing, not yet closed, is closed, not handed over', async () => {
    // The current connection's broker is scripted: it answers CONNECT and DISCONNECT, then never closes its end.
    const [near, far] = duplexPair();
    streams.push(near, far);
    far.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.startsWith('CONNECT')) far.write('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
      const receipt = /^DISCONNECT\n(?:.*\n)*?receipt:(\S+)/.exec(text)?.[1];
      if (receipt !== undefined) far.write(`RECEIPT\nreceipt-id:${receipt}\n\n\0`);
    });
    const backup: StompConnectionOptions = { host: 'backup', port: 0, heartBeat: [0, 0], stream: () => near };
    const current = await connected(backup);
    const primary = inMemory('primary');
    const onUp = handOvers();
    const onClose = jest.fn();
    current.on('close', onClose);
    watchPrimary([primary, backup], current, watching, onUp.take);
    const ended = new Promise((resolve) => far.once('end', resolve));
    void current.disconnect();
    await ended;
    expect(current.isClosed).toBe(true);
    await jest.advanceTimersByTimeAsync(500);
    expect(tried).toEqual(['primary']);
    await Promise.race([closed(streams.at(-1)!), onUp.first]);
    expect(onUp.calls).toHaveLength(0);
    expect(onClose).not.toHaveBeenCalled();
  });
});

describe('logAttempt', () => {
  const loggerOf = () => ({ warn: jest.fn<(message: string) => void>(), debug: jest.fn<(message: string) => void>() });

  it('logs the first attempt as a warning that the connection was lost', () => {
    const logger = loggerOf();
    logAttempt(logger, 1);
    expect(logger.warn.mock.calls).toEqual([['connection lost; reconnecting (attempt 1)']]);
    expect(logger.debug).not.toHaveBeenCalled();
  });

  it('logs the later attempts at debug level, with their number', () => {
    const logger = loggerOf();
    logAttempt(logger, 2);
    logAttempt(logger, 17);
    expect(logger.debug.mock.calls).toEqual([['reconnecting (attempt 2)'], ['reconnecting (attempt 17)']]);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('a logger without debug takes the later attempts silently', () => {
    const warn = jest.fn<(message: string) => void>();
    logAttempt({ warn }, 2);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('logStartupRetry', () => {
  const loggerOf = () => ({ warn: jest.fn<(message: string) => void>(), debug: jest.fn<(message: string) => void>() });
  const list: StompConnectionOptions[] = [
    { host: 'mq1', port: 61613 },
    { host: 'mq2', port: 61614 },
  ];

  it('logs the first retry as a warning naming the brokers, the reason, the delay and the count', () => {
    const logger = loggerOf();
    logStartupRetry(logger, list, 3, 1, 100, new Error('connect ECONNREFUSED'));
    expect(logger.warn.mock.calls).toEqual([['could not connect to mq1:61613, mq2:61614 at start-up (connect ECONNREFUSED); retrying in 100 ms (retry 1 of 3)']]);
    expect(logger.debug).not.toHaveBeenCalled();
  });

  it('says "for ever" when the retries are unbounded', () => {
    const logger = loggerOf();
    logStartupRetry(logger, list, -1, 1, 100, new Error('down'));
    expect(logger.warn.mock.calls).toEqual([['could not connect to mq1:61613, mq2:61614 at start-up (down); retrying in 100 ms (retry 1, for ever)']]);
  });

  it('logs the later retries at debug level', () => {
    const logger = loggerOf();
    logStartupRetry(logger, list, 3, 2, 200, new Error('down'));
    logStartupRetry(logger, list, -1, 5, 1600, new Error('down'));
    expect(logger.debug.mock.calls).toEqual([['start-up retry 2 of 3 in 200 ms (down)'], ['start-up retry 5, for ever in 1600 ms (down)']]);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('gives a reason that is no Error as its text', () => {
    const logger = loggerOf();
    logStartupRetry(logger, list, 3, 1, 100, 'no route');
    expect(logger.warn.mock.calls[0]![0]).toContain('at start-up (no route);');
  });

  it('a logger without debug takes the later retries silently', () => {
    const warn = jest.fn<(message: string) => void>();
    logStartupRetry({ warn }, list, 3, 2, 200, new Error('down'));
    expect(warn).not.toHaveBeenCalled();
  });
});
