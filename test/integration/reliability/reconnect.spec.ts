import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ActiveMQConnectionLostError } from '../../../lib/errors/client-errors.js';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { TestBroker } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { watchConfirmations } from '../../support/confirmations.js';
import { drainIds } from '../../support/drain.js';
import { deferred, startService } from '../../support/nest.js';
import { report as reportFigure } from '../../support/report.js';

/** These tests crash their broker, so they have one of their own. */
let broker: TestBroker;
beforeAll(async () => {
  broker = await TestBroker.start();
}, 120_000);
afterAll(async () => broker?.clean());

const P = `rel.${process.pid}.${Date.now().toString(36)}`;
const emitted = (c: ClientActiveMQ, pattern: string, data: unknown) => lastValueFrom(c.emit(pattern, data), { defaultValue: undefined });
const statusReached = (c: ClientActiveMQ, status: ActiveMQStatus) => new Promise<void>((resolve) => c.status.subscribe((s) => s === status && resolve()));

describe('reconnection', () => {
  it('a client survives kill -9 and restart: it reports reconnecting, a send made meanwhile waits and completes', async () => {
    const client = new ClientActiveMQ({ uri: `${broker.url}?initialReconnectDelay=50&maxReconnectDelay=500&timeout=60000` });
    await client.connect();
    const statuses: string[] = [];
    client.status.subscribe((s) => statuses.push(s));
    const reconnecting = statusReached(client, ActiveMQStatus.RECONNECTING);
    await broker.kill();
    await reconnecting;
    const sentWhileDown = emitted(client, `${P}.while-down`, 'waited');
    await broker.restart();
    await sentWhileDown;
    expect(statuses).toEqual([ActiveMQStatus.CONNECTED, ActiveMQStatus.DISCONNECTED, ActiveMQStatus.RECONNECTING, ActiveMQStatus.CONNECTED]);
    await client.close();
    const consumer = await connect(broker.url);
    const body = await new Promise<string>((resolve) => void consumer.subscribe(`/queue/${P}.while-down`, (m) => resolve(m.body.toString())));
    expect(body).toBe('waited');
    await consumer.disconnect();
  }, 60_000);

  it('a send made while the broker stays down fails after `timeout`, clearly', async () => {
    const client = new ClientActiveMQ({ uri: `${broker.url}?initialReconnectDelay=50&maxReconnectDelay=200&timeout=500` });
    await client.connect();
    const reconnecting = statusReached(client, ActiveMQStatus.RECONNECTING);
    await broker.kill();
    await reconnecting;
    try {
      const error = await emitted(client, `${P}.timeout`, 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ActiveMQConnectionLostError);
      expect((error as Error).message).toMatch(/^emit\('[^']+'\): no connection to the broker within 500 ms \(timeout\); nothing was sent$/);
    } finally {
      await broker.restart();
      await client.close();
    }
  }, 60_000);

  it('a server resubscribes after the broker restarts and handles what comes next; requests work again', async () => {
    const seen = deferred<string>();
    @Controller()
    class Handlers {
      @EventPattern<string>(`${P}.after-restart`)
      on(@Payload() data: string): void {
        seen.resolve(data);
      }

      @MessagePattern<string>(`${P}.double`)
      double(@Payload() n: number): number {
        return n * 2;
      }
    }
    const service = await startService([Handlers], { uri: `${broker.url}?initialReconnectDelay=50&maxReconnectDelay=500` });
    const client = new ClientActiveMQ({ uri: `${broker.url}?initialReconnectDelay=50&maxReconnectDelay=500&timeout=60000` });
    try {
      expect(await firstValueFrom(client.send(`${P}.double`, 2))).toBe(4);
      const serverBack = new Promise<void>((resolve) => {
        let lost = false;
        service.server.status.subscribe((s) => {
          if (s === ActiveMQStatus.RECONNECTING) lost = true;
          if (lost && s === ActiveMQStatus.CONNECTED) resolve();
        });
      });
      await broker.kill();
      await broker.restart();
      await serverBack;
      await emitted(client, `${P}.after-restart`, 'handled');
      expect(await seen.promise).toBe('handled');
      expect(await firstValueFrom(client.send(`${P}.double`, 21))).toBe(42);
    } finally {
      await client.close();
      await service.close();
    }
  }, 60_000);
});

describe('zero loss under broker crashes (acknowledged async, 10,000 durable messages, 3 kill -9)', () => {
  it('loses nothing that was confirmed', async () => {
    const queue = `${P}.zero-loss`;
    const total = 10_000;
    const client = new ClientActiveMQ({ uri: `${broker.url}?jms.useAsyncSend=true&confirmationWindowSize=262144&initialReconnectDelay=50&maxReconnectDelay=500&timeout=120000` });
    const { confirmed, failed, reached: confirmations } = watchConfirmations(client);
    // Crash at random points of the run.
    const crashAt = [0, 1, 2].map((i) => Math.floor(((i + Math.random()) * total) / 3.5)).sort((a, b) => a - b);
    let crashes = 0;
    const chaos = (async () => {
      for (const at of crashAt) {
        await confirmations(at);
        await broker.kill();
        crashes++;
        await broker.restart();
      }
    })();
    for (let i = 0; i < total; i++) await emitted(client, queue, { i });
    await chaos;
    await client.flush();
    await client.close();

    const received = await drainIds(broker.url, queue, confirmed);
    const unique = new Set(received);
    const lost = [...confirmed].filter((id) => !unique.has(id));
    const duplicates = received.length - unique.size;
    const unconfirmedDelivered = [...unique].filter((id) => !confirmed.has(id)).length;
    reportFigure(
      `zero-loss: sent ${total}, confirmed ${confirmed.size}, failed ${failed.length}, crashes ${crashes}, received ${received.length}, lost ${lost.length}, duplicates ${duplicates}, unconfirmed but delivered ${unconfirmedDelivered}`,
    );
    expect(crashes).toBe(3);
    expect(lost).toEqual([]);
    expect(failed).toEqual([]);
    expect(confirmed.size).toBe(total);
  }, 240_000);
});
