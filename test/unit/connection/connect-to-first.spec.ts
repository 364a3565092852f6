import { afterEach, describe, expect, it, jest } from '@jest/globals';
import * as net from 'node:net';
import { EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';
import { brokerList, BrokerUnreachableError, connectToFirst } from '../../../lib/connection/connect-to-first.js';
import type { StompConnection, StompConnectionOptions } from '../../../lib/connection/stomp-connection.js';
import { StompAuthenticationError, StompConnectionClosedError, StompEncodeError, StompError, StompTimeoutError } from '../../../lib/stomp/errors.js';
import { rejectionOf } from '../../support/thrown.js';
import { closedPort } from '../../support/ports.js';
import { expectAttemptsAfter } from '../../support/backoff.js';

/** Everything a test opened, closed after it. */
const brokers: EmbeddedBroker[] = [];
const connections: StompConnection[] = [];
const servers: net.Server[] = [];
const serverSockets: net.Socket[] = [];

afterEach(async () => {
  jest.useRealTimers();
  for (const connection of connections.splice(0)) connection.destroy();
  for (const socket of serverSockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  await Promise.all(brokers.splice(0).map((broker) => broker.stop()));
});

/** Which in-process brokers were asked for a stream, in order. */
let tried: string[] = [];
afterEach(() => {
  tried = [];
});

/** An in-process embedded broker named `name`, each stream it opens recorded in {@link tried}. */
function inMemory(name: string, extra: Partial<StompConnectionOptions> = {}): StompConnectionOptions {
  const broker = EmbeddedBroker.inMemory();
  brokers.push(broker);
  return {
    host: name,
    port: 0,
    heartBeat: [0, 0],
    stream: () => {
      tried.push(name);
      return broker.connect();
    },
    ...extra,
  };
}

/** An in-process broker that is down: its stream cannot be opened (a stopped broker refuses it). */
async function down(name: string): Promise<StompConnectionOptions> {
  const endpoint = inMemory(name);
  await brokers.at(-1)!.stop();
  return endpoint;
}

async function refusing(): Promise<StompConnectionOptions> {
  return { host: '127.0.0.1', port: await closedPort(), heartBeat: [0, 0], connectTimeout: 5000 };
}

/** Keeps the connection for cleanup. */
function kept(connection: StompConnection): StompConnection {
  connections.push(connection);
  return connection;
}

describe('connectToFirst: which broker', () => {
  it('connects to the first broker that answers, passing over one that refuses the connection', async () => {
    const connection = kept(await connectToFirst([await refusing(), inMemory('a'), inMemory('b')]));
    expect(connection.broker).toBe('vm://a');
    expect(connection.isClosed).toBe(false);
    expect(tried).toEqual(['a']);
  });

  it('tries the brokers in the order written', async () => {
    const connection = kept(await connectToFirst([await down('x'), await down('y'), inMemory('z')]));
    expect(tried).toEqual(['x', 'y', 'z']);
    expect(connection.broker).toBe('vm://z');
  });

  it('connects over TCP as well as in-process', async () => {
    const broker = await EmbeddedBroker.start({ port: 0 });
    brokers.push(broker);
    const connection = kept(await connectToFirst([await refusing(), { host: '127.0.0.1', port: broker.port!, heartBeat: [0, 0] }]));
    expect(connection.broker).toBe(`127.0.0.1:${broker.port}`);
  });

  it('an empty list fails at once with NO_BROKER', async () => {
    const error = await rejectionOf(connectToFirst([], { retries: 3 }));
    expect(error).toBeInstanceOf(StompError);
    expect(error).not.toBeInstanceOf(BrokerUnreachableError);
    expect(error).toMatchObject({ code: 'NO_BROKER', message: 'no broker to connect to' });
  });
});

describe('connectToFirst: giving up', () => {
  it('makes one round only by default: no retry, and the message says 1 attempt', async () => {
    const onRetry = jest.fn();
    const only = await refusing();
    const error = await rejectionOf(connectToFirst([only], { onRetry }));
    expect(onRetry).not.toHaveBeenCalled();
    expect(error.message).toMatch(new RegExp(`^could not connect to 127\\.0\\.0\\.1:${only.port} after 1 attempt: `));
  });

  it('fails with BrokerUnreachableError naming every broker, the attempts and the last failure, with its network code', async () => {
    const [first, last] = [await refusing(), await refusing()];
    const error = await rejectionOf(connectToFirst([first, last], { retries: 1, initialDelay: 1 }));
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect(error).toBeInstanceOf(StompConnectionClosedError);
    expect(error.message).toBe(
      `could not connect to 127.0.0.1:${first.port}, 127.0.0.1:${last.port} after 2 attempts: connection to 127.0.0.1:${last.port} failed: connect ECONNREFUSED 127.0.0.1:${last.port}`,
    );
    expect((error as BrokerUnreachableError).code).toBe('ECONNREFUSED');
    expect(error.cause).toBeInstanceOf(StompConnectionClosedError);
    expect((error.cause as Error).message).toContain(`127.0.0.1:${last.port}`);
  });

  it('a broker that accepts the socket but never answers CONNECT is unreachable once connectTimeout passes', async () => {
    const server = net.createServer((socket) => void serverSockets.push(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const error = await rejectionOf(connectToFirst([{ host: '127.0.0.1', port, heartBeat: [0, 0], connectTimeout: 50 }]));
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect(error.message).toBe(`could not connect to 127.0.0.1:${port} after 1 attempt: 127.0.0.1:${port} did not answer CONNECT within 50 ms`);
    expect(error.cause).toBeInstanceOf(StompTimeoutError);
    expect((error as BrokerUnreachableError).code).toBe('BROKER_UNREACHABLE');
  });
});

describe('connectToFirst: retries', () => {
  it("retries=N makes N more rounds over every broker, calling onRetry with the retry number, the delay and the round's error", async () => {
    const onRetry = jest.fn<(retry: number, delay: number, error: unknown) => void>();
    const error = await rejectionOf(connectToFirst([await down('x'), await down('y')], { retries: 2, initialDelay: 1, multiplier: 2, onRetry }));
    expect(tried).toEqual(['x', 'y', 'x', 'y', 'x', 'y']);
    expect(onRetry.mock.calls.map(([retry, delay]) => [retry, delay])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    for (const [, , cause] of onRetry.mock.calls) expect(cause).toMatchObject({ message: 'the embedded broker is stopped' });
    expect(error.message).toBe('could not connect to vm://x, vm://y after 3 attempts: the embedded broker is stopped');
  });

  it('a broker that comes up during the retries is connected to, and the retries stop there', async () => {
    const broker = EmbeddedBroker.inMemory();
    brokers.push(broker);
    let opened = 0;
    const comesUp: StompConnectionOptions = {
      host: 'late',
      port: 0,
      heartBeat: [0, 0],
      stream: () => {
        if (++opened <= 2) throw new Error('not yet');
        return broker.connect();
      },
    };
    const onRetry = jest.fn();
    const connection = kept(await connectToFirst([comesUp], { retries: 5, initialDelay: 1, onRetry }));
    expect(connection.broker).toBe('vm://late');
    expect(opened).toBe(3);
    expect(onRetry).toHaveBeenCalledTimes(2);
  });

  it('retries=-1 retries for ever', async () => {
    const broker = EmbeddedBroker.inMemory();
    brokers.push(broker);
    let opened = 0;
    const onRetry = jest.fn<(retry: number, delay: number, error: unknown) => void>();
    const endpoint: StompConnectionOptions = {
      host: 'patient',
      port: 0,
      heartBeat: [0, 0],
      stream: () => {
        if (++opened <= 12) throw new Error('not yet');
        return broker.connect();
      },
    };
    const connection = kept(await connectToFirst([endpoint], { retries: -1, initialDelay: 0, onRetry }));
    expect(connection.broker).toBe('vm://patient');
    expect(onRetry.mock.calls.map(([retry]) => retry)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('waits initialDelay before the first retry, multiplying the wait after each round up to maxDelay', async () => {
    jest.useFakeTimers();
    const onRetry = jest.fn<(retry: number, delay: number, error: unknown) => void>();
    const outcome = rejectionOf(connectToFirst([await down('x')], { retries: 4, initialDelay: 100, multiplier: 3, maxDelay: 500, onRetry }));
    await jest.advanceTimersByTimeAsync(0);
    expect(tried).toHaveLength(1);
    await expectAttemptsAfter(tried, [
      [100, 2],
      [300, 3],
      [500, 4],
      [500, 5],
    ]);
    expect(onRetry.mock.calls.map(([, delay]) => delay)).toEqual([100, 300, 500, 500]);
    expect((await outcome).message).toMatch(/after 5 attempts/);
  });

  it('by default waits 100 ms, doubling, at most 30 s', async () => {
    jest.useFakeTimers();
    const onRetry = jest.fn<(retry: number, delay: number, error: unknown) => void>();
    const outcome = rejectionOf(connectToFirst([await down('x')], { retries: 10, onRetry }));
    await jest.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 1600 + 3200 + 6400 + 12800 + 25600 + 30000);
    expect(onRetry.mock.calls.map(([, delay]) => delay)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000]);
    expect(await outcome).toBeInstanceOf(BrokerUnreachableError);
  });
});

describe('connectToFirst: failures retrying cannot fix', () => {
  it('a refused login is final at once: no other broker, no retry', async () => {
    const broker = await EmbeddedBroker.start({ port: 0, users: { app: 'secret' } });
    brokers.push(broker);
    const endpoint = { host: '127.0.0.1', port: broker.port!, heartBeat: [0, 0] as const, login: 'app' };
    const onRetry = jest.fn();
    const error = await rejectionOf(connectToFirst([{ ...endpoint, passcode: 'hunter2' }, inMemory('fallback')], { retries: 3, initialDelay: 1, onRetry }));
    expect(error).toBeInstanceOf(StompAuthenticationError);
    expect(error.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${broker.port} refused the login as 'app': `));
    expect(error.message).not.toContain('hunter2');
    expect(tried).toEqual([]);
    expect(onRetry).not.toHaveBeenCalled();
    // The same broker takes the right passcode: the refusal was the login's.
    kept(await connectToFirst([{ ...endpoint, passcode: 'secret' }]));
  });

  it('a CONNECT that cannot be encoded is final at once: no other broker, no retry', async () => {
    const onRetry = jest.fn();
    const error = await rejectionOf(connectToFirst([inMemory('a', { login: 'two\nlines' }), inMemory('b')], { retries: 3, initialDelay: 1, onRetry }));
    expect(error).toBeInstanceOf(StompEncodeError);
    expect(tried).toEqual(['a']);
    expect(onRetry).not.toHaveBeenCalled();
  });
});

describe('brokerList', () => {
  it('joins each broker as host:port, an IPv6 host in brackets and an in-process broker as vm://name', () => {
    const stream = () => {
      throw new Error('brokerList opens nothing');
    };
    expect(
      brokerList([
        { host: 'mq1.example', port: 61613 },
        { host: '::1', port: 61614 },
        { host: 'embedded', port: 0, stream },
      ]),
    ).toBe('mq1.example:61613, [::1]:61614, vm://embedded');
  });

  it('is empty for no broker', () => {
    expect(brokerList([])).toBe('');
  });
});
