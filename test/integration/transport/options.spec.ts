import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import { ActiveMQRequestTimeoutError } from '../../../lib/errors/client-errors.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { brokerKind, deadLetterQueue, isEmbeddedBroker, sharedBrokerUrl } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { deferred, newClient, RecordingLogger, startService } from '../../support/nest.js';

const P = `opt.${process.pid}.${Date.now().toString(36)}`;

describe('serializer and deserializer hooks', () => {
  it('let an app put its own envelope on the wire, both ways', async () => {
    const wire = deferred<unknown>();
    @Controller()
    class Envelope {
      @MessagePattern<string>(`${P}.envelope`)
      handle(@Payload() data: { n: number }, @Ctx() ctx: ActiveMQContext): number {
        wire.resolve(JSON.parse(ctx.getMessage().body.toString()));
        return data.n + 1;
      }
    }
    const service = await startService([Envelope], {
      deserializer: { deserialize: (body) => (body as { body: unknown }).body },
      serializer: { serialize: (packet) => ({ v: 1, reply: packet.data as unknown }) },
    });
    const client = newClient({
      serializer: { serialize: (packet) => ({ v: 1, body: packet.data as unknown }) },
      deserializer: { deserialize: (body) => (body as { reply: unknown }).reply },
    });
    try {
      expect(await firstValueFrom(client.send(`${P}.envelope`, { n: 20 }))).toBe(21);
      expect(await wire.promise).toEqual({ v: 1, body: { n: 20 } });
    } finally {
      await client.close();
      await service.close();
    }
  });
});

describe('time to live and expiry', () => {
  it('sends a record’s time to live as the absolute JMS expiry', async () => {
    const seen = deferred<number>();
    @Controller()
    class Ttl {
      @EventPattern<string>(`${P}.ttl`)
      handle(@Ctx() ctx: ActiveMQContext): void {
        seen.resolve(Number(ctx.getHeaders()['expires']));
      }
    }
    const service = await startService([Ttl]);
    const client = newClient();
    const before = Date.now();
    await lastValueFrom(client.emit(`${P}.ttl`, new ActiveMQRecordBuilder('x').setTimeToLive(60_000).build()), { defaultValue: undefined });
    const expires = await seen.promise;
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(expires).toBeLessThan(Date.now() + 60_000);
    await client.close();
    await service.close();
  });

  it('a request its caller gave up on expires on the broker: a server started later never handles it', async () => {
    const client = newClient({ requestTimeout: 300 });
    const stale: unknown = await firstValueFrom(client.send(`${P}.late`, 'stale')).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ActiveMQRequestTimeoutError);
    const handled: string[] = [];
    @Controller()
    class Late {
      @MessagePattern<string>(`${P}.late`)
      handle(@Payload() data: string): string {
        handled.push(data);
        return `done ${data}`;
      }
    }
    const service = await startService([Late], { concurrency: 1 });
    const fresh = newClient();
    // The queue is FIFO and one handler runs at a time: had the stale request been delivered, it would have been handled first.
    expect(await firstValueFrom(fresh.send(`${P}.late`, 'fresh'))).toBe('done fresh');
    expect(handled).toEqual(['fresh']);
    await Promise.all([client.close(), fresh.close(), service.close()]);
  });

  it('an expired request ends where the broker puts expired messages: ActiveMQ.DLQ on the Classic test brokers, ExpiryQueue on Artemis, nowhere on the embedded broker', async () => {
    const probe = `expiry-${process.pid}-${Date.now().toString(36)}`;
    const kind = isEmbeddedBroker() ? 'embedded' : brokerKind();
    // Classic's test broker: sharedDeadLetterStrategy processExpired + processNonPersistent (scripts/activemq/activemq.xml.in);
    // Artemis' test broker: expiry-address ExpiryQueue (scripts/artemis/broker.xml.in).
    const whereTo = kind === 'embedded' ? undefined : kind === 'artemis' ? '/queue/ExpiryQueue' : deadLetterQueue();
    const watcher = whereTo === undefined ? undefined : await connect();
    const arrived = deferred<Record<string, string>>();
    if (whereTo !== undefined) await watcher!.subscribe(whereTo, (m) => m.headers['probe'] === probe && arrived.resolve({ ...m.headers }));
    const client = newClient({ requestTimeout: 300 });
    const stale: unknown = await firstValueFrom(client.send(`${P}.expiring`, new ActiveMQRecordBuilder('stale').setHeaders({ probe }).build())).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ActiveMQRequestTimeoutError);
    const handled: string[] = [];
    @Controller()
    class Late {
      @MessagePattern<string>(`${P}.expiring`)
      handle(@Payload() data: string): string {
        handled.push(data);
        return `done ${data}`;
      }
    }
    // A consumer makes the broker look at the queue: Classic expires a message as it would dispatch it.
    const service = await startService([Late], { concurrency: 1 });
    const fresh = newClient();
    try {
      expect(await firstValueFrom(fresh.send(`${P}.expiring`, 'fresh'))).toBe('done fresh');
      expect(handled).toEqual(['fresh']);
      if (whereTo !== undefined) {
        const headers = await arrived.promise;
        expect(headers['probe']).toBe(probe);
      } else {
        // The embedded broker drops an expired message: its DLQ has no copy of it.
        const dead = await fresh.browse('ActiveMQ.DLQ');
        expect(dead.filter((m) => m.headers['probe'] === probe)).toEqual([]);
      }
    } finally {
      await Promise.all([client.close(), fresh.close(), service.close(), watcher?.disconnect()]);
    }
  });
});

describe('several transports in one app', () => {
  it('binds each handler to the server with its transport id', async () => {
    const billing = Symbol('billing');
    const audit = Symbol('audit');
    const got = { billing: deferred<string>(), audit: deferred<string>() };
    @Controller()
    class Handlers {
      @EventPattern<string>(`${P}.billing`, billing)
      onBilling(@Payload() data: string): void {
        got.billing.resolve(data);
      }

      @EventPattern<string>(`${P}.audit`, audit)
      onAudit(@Payload() data: string): void {
        got.audit.resolve(data);
      }
    }
    @Module({ controllers: [Handlers] })
    class HybridModule {}
    const app = await NestFactory.create(HybridModule, { logger: new RecordingLogger() });
    const billingServer = new ServerActiveMQ({ uri: sharedBrokerUrl(), transportId: billing });
    const auditServer = new ServerActiveMQ({ uri: sharedBrokerUrl(), transportId: audit });
    app.connectMicroservice({ strategy: billingServer });
    app.connectMicroservice({ strategy: auditServer });
    await app.startAllMicroservices();
    await app.init();
    try {
      expect([...billingServer.getHandlers().keys()]).toEqual([`${P}.billing`]);
      expect([...auditServer.getHandlers().keys()]).toEqual([`${P}.audit`]);
      const client = newClient();
      await lastValueFrom(client.emit(`${P}.billing`, 'invoice'), { defaultValue: undefined });
      await lastValueFrom(client.emit(`${P}.audit`, 'entry'), { defaultValue: undefined });
      expect(await got.billing.promise).toBe('invoice');
      expect(await got.audit.promise).toBe('entry');
      await client.close();
    } finally {
      await app.close();
    }
  });
});
