import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { StompConnection } from '../../lib/connection/stomp-connection.js';
import { StompConnectionClosedError, StompHeartbeatTimeoutError } from '../../lib/stomp/errors.js';
import { parseActiveMQUri } from '../../lib/config/parse-uri.js';
import { stompConnectionOptions } from '../../lib/config/connection-options.js';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../lib/client/client-activemq.js';
import { brokerKind, serverHeaderPattern, TestBroker } from '../support/broker.js';
import { connect, optionsFor, uniqueQueue } from '../support/connect.js';

/**
 * These tests stop, pause and kill a broker, and open its stomp+ssl connector, so they run
 * against a broker of their own, started by the project's script.
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await TestBroker.start({ ACTIVEMQ_SSL: 'on' });
}, 120_000);
afterAll(async () => {
  await broker?.clean();
});

function tlsUrl(query = ''): string {
  const e = broker.env;
  return `stomp+ssl://${e.user}:${e.password}@localhost:${e.sslPort}${query}`;
}

describe('TLS (stomp+ssl://)', () => {
  it('connects when the broker certificate is trusted (caFile), and messages flow', async () => {
    const connection = await connect(tlsUrl(`?caFile=${encodeURIComponent(broker.env.caFile!)}`));
    const queue = uniqueQueue('tls');
    await connection.send(queue, {}, 'over tls', { receipt: true });
    const received = new Promise<string>((resolve) => {
      void connection.subscribe(queue, (m) => resolve(m.body.toString()));
    });
    expect(await received).toBe('over tls');
    await connection.disconnect();
  });

  it('refuses a broker whose certificate no trusted CA signed, by default', async () => {
    const error = await StompConnection.connect(optionsFor(tlsUrl())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StompConnectionClosedError);
    expect((error as Error).message).toMatch(/self[- ]signed certificate/i);
  });

  it('refuses a certificate for another host name', async () => {
    const parsed = parseActiveMQUri(tlsUrl(`?caFile=${encodeURIComponent(broker.env.caFile!)}&servername=broker.example`));
    const error = await StompConnection.connect(stompConnectionOptions(parsed, parsed.endpoints[0]!)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StompConnectionClosedError);
    expect((error as Error).message).toMatch(/broker\.example/);
  });

  it('connects without verification only when rejectUnauthorized=false is written', async () => {
    const connection = await StompConnection.connect(optionsFor(tlsUrl('?rejectUnauthorized=false')));
    expect(connection.server).toMatch(serverHeaderPattern());
    await connection.disconnect();
  });

  it('accepts the CA as TLS options given in code', async () => {
    const connection = await StompConnection.connect(optionsFor(tlsUrl(), { tls: { ca: readFileSync(broker.env.caFile!) } }));
    await connection.disconnect();
  });
});

describe('a broker that stops answering', () => {
  it('is detected by heart-beats when it goes silent with its socket open (SIGSTOP)', async () => {
    const connection = await connect(broker.url, { heartBeat: [200, 200] });
    // The interval the broker agreed to: 200 ms on Classic; Artemis sends heart-beats no faster
    // than every 500 ms (its STOMP acceptor's minimum; the Artemis documentation's STOMP page,
    // heart-beating and connection TTL), so there the offer is agreed as 500.
    const interval = connection.heartbeat.expectEvery;
    expect(interval).toBe(brokerKind() === 'artemis' ? 500 : 200);
    const started = Date.now();
    broker.pause();
    try {
      const reason = await connection.closed;
      const detectedAfter = Date.now() - started;
      expect(reason).toBeInstanceOf(StompHeartbeatTimeoutError);
      // Declared dead after 3 silent intervals, checked every half interval.
      expect(detectedAfter).toBeGreaterThanOrEqual(3 * interval - interval);
      expect(detectedAfter).toBeLessThan(3 * interval + interval / 2 + 1000);
    } finally {
      broker.resume();
    }
  });

  it('is detected as a disconnect at once when it is killed (kill -9), and can be connected to after a restart', async () => {
    const connection = await connect(broker.url, { heartBeat: [1000, 1000] });
    const closed = connection.closed;
    const started = Date.now();
    await broker.kill();
    const reason = await closed;
    expect(reason).toBeInstanceOf(StompConnectionClosedError);
    expect(reason).not.toBeInstanceOf(StompHeartbeatTimeoutError);
    // Well inside the heart-beat window (3 s here): the kernel reports the dead peer's socket.
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(connection.send('/queue/x', {}, 'y')).rejects.toBe(reason);

    await broker.restart();
    const again = await connect(broker.url);
    expect(again.isClosed).toBe(false);
    await again.disconnect();
  }, 60_000);

  it('keeps durable messages across a kill -9 and restart', async () => {
    const queue = uniqueQueue('durable');
    const producer = await connect(broker.url);
    await producer.send(queue, { persistent: 'true' }, 'survives', { receipt: true });
    await producer.disconnect();
    await broker.kill();
    await broker.restart();
    const consumer = await connect(broker.url);
    const body = await new Promise<string>((resolve) => {
      void consumer.subscribe(queue, (m) => resolve(m.body.toString()));
    });
    expect(body).toBe('survives');
    await consumer.disconnect();
  }, 60_000);
});

describe('durability of blocking sends', () => {
  it('200 blocking durable emits, then kill -9 and restart: all 200 are there', async () => {
    const queue = uniqueQueue('blocking-durable').slice('/queue/'.length);
    const client = new ClientActiveMQ({ uri: broker.url });
    for (let i = 0; i < 200; i++) await lastValueFrom(client.emit(queue, i), { defaultValue: undefined });
    await broker.kill();
    await client.close();
    await broker.restart();
    const consumer = await connect(broker.url);
    const received: number[] = [];
    await new Promise<void>((resolve) => {
      void consumer.subscribe(`/queue/${queue}`, (m) => {
        received.push(Number(m.body.toString()));
        if (received.length === 200) resolve();
      });
    });
    expect(received).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await consumer.disconnect();
  }, 60_000);
});
