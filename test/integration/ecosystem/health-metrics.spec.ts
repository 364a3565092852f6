import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, ServiceUnavailableException } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import * as net from 'node:net';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { ActiveMQHealthIndicator } from '../../../lib/health/activemq.health.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { deferred, startService, type RunningService } from '../../support/nest.js';

const P = `eco.${process.pid}.${Date.now().toString(36)}`;
/** Resolves on the failing event's second delivery: by then its first was counted as failed and rejected. */
const redelivered = deferred();
let boomDeliveries = 0;

@Controller()
class Handlers {
  @MessagePattern(`${P}.double`)
  double(@Payload() n: number): number {
    return n * 2;
  }
  @EventPattern<string>(`${P}.boom`)
  boom(@Payload() _data: string): void {
    if (++boomDeliveries === 2) redelivered.resolve();
    throw new Error('boom');
  }
}

let terminus: TestingModule;
let health: HealthCheckService;
let indicator: ActiveMQHealthIndicator;
let service: RunningService;
beforeAll(async () => {
  terminus = await Test.createTestingModule({ imports: [TerminusModule], providers: [ActiveMQHealthIndicator] }).compile();
  health = terminus.get(HealthCheckService);
  indicator = terminus.get(ActiveMQHealthIndicator);
  service = await startService([Handlers]);
});
afterAll(async () => {
  await service?.close();
  await terminus?.close();
});

describe('ActiveMQHealthIndicator with @nestjs/terminus', () => {
  it('reports a connected client and server up, with the broker and the window fill', async () => {
    const client = new ClientActiveMQ({ uri: `${sharedBrokerUrl()}?jms.useAsyncSend=true&confirmationWindowSize=65536` });
    // Never connected yet: the check connects it.
    const result = await health.check([() => indicator.isHealthy('activemq-client', client), () => indicator.isHealthy('activemq-server', service.server)]);
    expect(result.status).toBe('ok');
    expect(result.info!['activemq-client']).toMatchObject({ status: 'up', connection: 'connected', windowCapacityBytes: 65536, windowFill: 0, pendingRequests: 0 });
    expect(result.info!['activemq-client']!['broker']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(result.info!['activemq-server']).toMatchObject({ status: 'up', connection: 'connected', handlersRunning: 0 });
    await client.close();
  });

  it('reports an unreachable broker down, and terminus answers 503 with the reason', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new ClientActiveMQ({ uri: `stomp://127.0.0.1:${port}?startupMaxReconnectAttempts=0` });
    const failure = await health.check([() => indicator.isHealthy('activemq', client, { timeout: 2000 })]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ServiceUnavailableException);
    const body = (failure as ServiceUnavailableException).getResponse() as { status: string; error: Record<string, { status: string; connection: string; message: string }> };
    expect(body.status).toBe('error');
    expect(body.error['activemq']).toMatchObject({ status: 'down', connection: ActiveMQStatus.DISCONNECTED });
    expect(body.error['activemq']!.message).toMatch(/ECONNREFUSED|unreachable|refused/i);
    await client.close();
  });

  it.each([
    [{ timeout: 0 }, /timeout must be a positive whole number of milliseconds, got 0/],
    [{ maxWindowFill: 1.5 }, /maxWindowFill must be a fraction above 0 and at most 1, got 1.5/],
  ])('refuses the options %j', async (options, message) => {
    await expect(indicator.isHealthy('activemq', service.server, options)).rejects.toThrow(message);
  });

  it('reports a client down when its window is fuller than maxWindowFill', async () => {
    const client = new ClientActiveMQ({ uri: `${sharedBrokerUrl()}?jms.useAsyncSend=true&confirmationWindowSize=65536` });
    await client.connect();
    // Written in one run: none can be confirmed before the check reads the window.
    const sends = Array.from({ length: 20 }, (_, i) => lastValueFrom(client.emit(`${P}.window`, 'x'.repeat(1000) + i), { defaultValue: undefined }));
    const down = await indicator.isHealthy('activemq', client, { maxWindowFill: 0.1 });
    expect(down['activemq']).toMatchObject({ status: 'down', connection: 'connected' });
    expect(down['activemq']!['windowFill']).toBeGreaterThanOrEqual(0.1);
    expect(down['activemq']!['message']).toMatch(/confirmation window \d+% full/);
    await Promise.all(sends);
    await client.flush();
    expect((await indicator.isHealthy('activemq', client, { maxWindowFill: 0.1 }))['activemq']!.status).toBe('up');
    await client.close();
  });
});

describe('logging', () => {
  it('is quiet by default: routine lines (subscriptions) are debug, nothing at log or warn level from the transport', async () => {
    const transportLines = service.logger.lines.filter((l) => /consuming|reconnect|re-sent/.test(l.message));
    expect(transportLines.length).toBeGreaterThan(0);
    expect(transportLines.every((l) => l.level === 'debug')).toBe(true);
  });
});

describe('metrics', () => {
  it('count what a client and a server did', async () => {
    const client = new ClientActiveMQ({ uri: `${sharedBrokerUrl()}?jms.useAsyncSend=true&confirmationWindowSize=65536` });
    await client.connect();
    try {
      const before = service.server.metrics();
      for (let i = 0; i < 3; i++) expect(await firstValueFrom(client.send(`${P}.double`, i))).toBe(i * 2);
      for (let i = 0; i < 5; i++) await lastValueFrom(client.emit(`${P}.counted`, i), { defaultValue: undefined });
      await client.flush();
      await lastValueFrom(client.emit(`${P}.boom`, 'x'), { defaultValue: undefined });
      await client.flush();
      await redelivered.promise;
      const m = client.metrics();
      expect(m).toMatchObject({
        status: 'connected',
        requests: 3,
        replies: 3,
        requestsFailed: 0,
        pendingRequests: 0,
        sent: 6,
        confirmed: 6,
        failed: 0,
        inFlight: 0,
        windowBytes: 0,
        windowCapacityBytes: 65536,
        reconnections: 0,
      });
      const s = service.server.metrics();
      expect(s.status).toBe('connected');
      // Three requests and the failing event (and its redeliveries, which may still be coming).
      expect(s.received - before.received).toBeGreaterThanOrEqual(4);
      expect(s.acknowledged - before.acknowledged).toBeGreaterThanOrEqual(3);
      expect(s.handlerFailures - before.handlerFailures).toBeGreaterThanOrEqual(1);
      expect(s.rejected - before.rejected).toBeGreaterThanOrEqual(1);
      expect(s.redelivered - before.redelivered).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
    expect(client.metrics().status).toBe('closed');
  });
});
