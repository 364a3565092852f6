import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';
import {
  StompAuthenticationError,
  StompBrokerError,
  StompConnectionClosedError,
  StompHeartbeatTimeoutError,
  StompParseError,
  StompTimeoutError,
} from '../../../lib/stomp/errors.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { connected, FakeStompServer, type FakeBehaviour } from '../../support/fake-stomp-server.js';
import type { Socket } from 'node:net';
import { RecordingLogger } from '../../support/nest.js';

let fake: FakeStompServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const connectTo = (port: number, extra = {}) => StompConnection.connect({ host: '127.0.0.1', port, login: 'app', passcode: 's3cr3t-pass', connectTimeout: 2000, ...extra });

/** Answers CONNECT with `reply`, once. */
const onConnect = (reply: string) => (socket: Socket, _received: string, chunk: number) => {
  if (chunk === 0) socket.write(reply);
};

async function closeReason(behaviour: FakeBehaviour, extra = {}): Promise<unknown> {
  fake = await FakeStompServer.start(behaviour);
  const connection = await connectTo(fake.port, extra);
  return connection.closed;
}

/** Behaves (CONNECTED, a RECEIPT for the reply queue's SUBSCRIBE), then sends garbage. */
const acceptsThenGarbage: FakeBehaviour = (socket, received, chunk) => {
  if (chunk === 0) socket.write(connected());
  const receipt = /SUBSCRIBE\n(?:[^\0]*\n)?receipt:(\w+)/.exec(received);
  if (receipt && !socket.writableEnded) socket.end(`RECEIPT\nreceipt-id:${receipt[1]}\n\n\0GARBAGE\n\n\0`);
};

describe('a broken or hostile peer', () => {
  it('garbage after CONNECTED: the connection closes with a typed parse error, the process lives on', async () => {
    const reason = await closeReason(onConnect(connected() + '\x01\x02NOT STOMP AT ALL\n\n\0'));
    expect(reason).toBeInstanceOf(StompConnectionClosedError);
    expect((reason as Error).cause).toBeInstanceOf(StompParseError);
    expect((reason as Error).message).toMatch(/sent an invalid frame: .*is not a STOMP 1\.2 command/);
  });

  it('a malformed header line: typed error', async () => {
    const reason = await closeReason(onConnect(connected() + 'MESSAGE\nno colon here\n\n\0'));
    expect(((reason as Error).cause as StompParseError).code).toBe('MALFORMED_HEADER');
  });

  it('an oversize frame is refused from its header, without buffering the body', async () => {
    const before = process.memoryUsage().rss;
    const reason = await closeReason(onConnect(connected() + `MESSAGE\nsubscription:x\ncontent-length:${200 * 1024 * 1024}\n\n` + 'x'.repeat(64 * 1024)), {
      limits: { maxBodyBytes: 1024 * 1024 },
    });
    expect(((reason as Error).cause as StompParseError).code).toBe('BODY_TOO_LARGE');
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('CONNECTED then silence: the heart-beat check closes the connection', async () => {
    const reason = await closeReason(onConnect(connected('100,100')), { heartBeat: [100, 100] });
    expect(reason).toBeInstanceOf(StompHeartbeatTimeoutError);
  });

  it('no answer to CONNECT: a connect timeout', async () => {
    fake = await FakeStompServer.start(() => {});
    await expect(connectTo(fake.port, { connectTimeout: 200 })).rejects.toBeInstanceOf(StompTimeoutError);
  });

  it('ERROR then close on CONNECT: a typed broker error', async () => {
    fake = await FakeStompServer.start((socket) => void socket.end('ERROR\nmessage:maintenance\n\nback soon\0'));
    const error = await connectTo(fake.port).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StompBrokerError);
    expect((error as StompBrokerError).brokerMessage).toBe('maintenance');
    expect((error as StompBrokerError).details).toBe('back soon');
  });

  it('closed right after CONNECT: a clear error', async () => {
    fake = await FakeStompServer.start((socket) => socket.destroy());
    await expect(connectTo(fake.port)).rejects.toThrow(/127\.0\.0\.1:\d+ closed the connection|ECONNRESET/);
  });

  it('a ClientActiveMQ facing a peer that drops it keeps reconnecting, then stops cleanly on close()', async () => {
    fake = await FakeStompServer.start(acceptsThenGarbage);
    const client = new ClientActiveMQ({ uri: `stomp://app:x@127.0.0.1:${fake.port}?initialReconnectDelay=20&maxReconnectDelay=50` });
    const reconnecting = new Promise<void>((resolve) => client.status.subscribe((s) => s === ActiveMQStatus.RECONNECTING && resolve()));
    await client.connect().catch(() => undefined);
    await reconnecting;
    await fake.connected(3); // the first connection and two reconnections
    await client.close();
    expect(fake.connections).toBeGreaterThanOrEqual(3);
  });
});

describe('credentials', () => {
  it('a bad password gives an authentication error naming the broker; no log line carries the password', async () => {
    const logger = new RecordingLogger();
    Logger.overrideLogger(logger);
    try {
      const url = sharedBrokerUrl().replace(/:[^:@/]*@/, ':Wr0ng-Passw0rd@');
      const client = new ClientActiveMQ({ uri: url });
      const error: unknown = await firstValueFrom(client.send('x', 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StompAuthenticationError);
      expect((error as Error).message).toMatch(/127\.0\.0\.1:\d+ refused the login as 'app'/);
      expect((error as Error).message).not.toContain('Wr0ng-Passw0rd');
      await client.close();
      // A connection that is lost and retried logs too: none of it may show the password.
      fake = await FakeStompServer.start(acceptsThenGarbage);
      const retrying = new ClientActiveMQ({ uri: `stomp://app:Wr0ng-Passw0rd@127.0.0.1:${fake.port}?initialReconnectDelay=20` });
      await retrying.connect().catch(() => undefined);
      await logger.waitFor(/reconnecting/);
      await retrying.close();
      expect(logger.lines.length).toBeGreaterThan(0);
      expect(logger.lines.filter((l) => l.message.includes('Wr0ng-Passw0rd'))).toEqual([]);
    } finally {
      Logger.overrideLogger(['log', 'error', 'warn']);
    }
  });
});
