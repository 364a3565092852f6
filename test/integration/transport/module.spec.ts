import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientsModule, Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { DurableSend, NonDurableSend, Transactional } from '../../../lib/decorators/send-decorators.js';
import { getMessagingClientToken, InjectMessagingClient, MessagingModule } from '../../../lib/module/messaging.module.js';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';
import { DelayProxy } from '../../support/delay-proxy.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { UnknownUriParameterError } from '../../../lib/config/errors.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { seenTo, sentTo } from '../../support/artemis-helpers.js';
import { deferred, RecordingLogger, startService } from '../../support/nest.js';

const P = `mod.${process.pid}.${Date.now().toString(36)}`;

@Injectable()
class Publisher {
  constructor(
    readonly client: ClientActiveMQ,
    @InjectMessagingClient('audit') readonly audit: ClientActiveMQ,
  ) {}
}

describe('MessagingModule', () => {
  it('forRoot(uri) registers an injectable client, a named second one, and closes both on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot(sharedBrokerUrl()), MessagingModule.forRoot({ uri: sharedBrokerUrl(), name: 'audit' })],
      providers: [Publisher],
    }).compile();
    const app = moduleRef.createNestApplication();
    app.enableShutdownHooks();
    await app.init();
    const publisher = app.get(Publisher);
    expect(publisher.client).toBeInstanceOf(ClientActiveMQ);
    expect(publisher.audit).toBeInstanceOf(ClientActiveMQ);
    expect(publisher.audit).not.toBe(publisher.client);
    const statuses: string[] = [];
    publisher.client.status.subscribe((s) => statuses.push(s));
    await lastValueFrom(publisher.client.emit(`${P}.module`, { ok: true }), { defaultValue: undefined });
    await publisher.audit.connect();
    await app.close();
    expect(statuses).toEqual([ActiveMQStatus.CONNECTING, ActiveMQStatus.CONNECTED, ActiveMQStatus.CLOSED]);
    expect(() => publisher.audit.unwrap<{ isClosed: boolean }>().isClosed).toThrow(/connect/);
  });

  it('forRootAsync() builds the client from injected configuration', async () => {
    @Injectable()
    class Config {
      readonly url = sharedBrokerUrl();
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRootAsync({ imports: [ConfigModule], inject: [Config], useFactory: (config: Config) => ({ uri: config.url, requestTimeout: 1234 }) })],
    }).compile();
    const client = moduleRef.get(ClientActiveMQ);
    await client.connect();
    // CONNECTED's server header: ActiveMQ/5.x or 6.x, ActiveMQ-Artemis/2.x, or the embedded broker.
    expect(client.unwrap<{ server: string }>().server).toMatch(/^(ActiveMQ|ActiveMQ-Artemis|nestjs-activemq-embedded)\//);
    await moduleRef.close();
  });

  it('stops start-up with a clear error for a bad URI or option', async () => {
    expect(() => MessagingModule.forRoot('stomp://localhost:61613?jms.useAsyncSnd=true')).toThrow(UnknownUriParameterError);
    expect(() => MessagingModule.forRoot({ uri: sharedBrokerUrl(), requestTimout: 5 } as never)).toThrow(
      /^MessagingModule\.forRoot: unknown option 'requestTimout' of ClientActiveMQ options; did you mean 'requestTimeout'\?/,
    );
    const moduleRef = Test.createTestingModule({
      imports: [MessagingModule.forRootAsync({ useFactory: () => 'tcp://localhost:61616' })],
    });
    await expect(moduleRef.compile()).rejects.toThrow(/This client speaks STOMP/);
  });

  it('gives each name its own token', () => {
    expect(getMessagingClientToken()).toBe(ClientActiveMQ);
    expect(getMessagingClientToken('a')).not.toBe(getMessagingClientToken('b'));
  });
});

describe('ClientActiveMQ through ClientsModule', () => {
  it('registers with customClass and publishes', async () => {
    const received = deferred<string>();
    @Controller()
    class Listener {
      @EventPattern<string>(`${P}.clients-module`)
      on(@Payload() data: string): void {
        received.resolve(data);
      }
    }
    const service = await startService([Listener]);
    @Injectable()
    class Sender {
      constructor(@Inject('ORDERS') readonly client: ClientProxy) {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ClientsModule.register([{ name: 'ORDERS', customClass: ClientActiveMQ, options: { uri: sharedBrokerUrl() } }])],
      providers: [Sender],
    }).compile();
    const sender = moduleRef.get(Sender);
    expect(sender.client).toBeInstanceOf(ClientActiveMQ);
    await lastValueFrom(sender.client.emit(`${P}.clients-module`, 'via ClientsModule'), { defaultValue: undefined });
    expect(await received.promise).toBe('via ClientsModule');
    await moduleRef.close();
    await service.close();
  });
});

describe('events and status', () => {
  it('keeps listeners registered before connect, and reports connect and disconnect', async () => {
    const client = new ClientActiveMQ({ uri: sharedBrokerUrl() });
    const seen: string[] = [];
    client.on('connect', (broker) => seen.push(`connect ${broker}`));
    client.on('disconnect', (error) => seen.push(`disconnect ${error === undefined ? 'clean' : error.message}`));
    await client.connect();
    await client.close();
    expect(seen).toEqual([expect.stringMatching(/^connect 127\.0\.0\.1:\d+$/), 'disconnect clean']);
  });

  it('server status goes connecting → connected → closed', async () => {
    const server = new ServerActiveMQ({ uri: sharedBrokerUrl() });
    const statuses: string[] = [];
    server.status.subscribe((s) => statuses.push(s));
    const app = await NestFactory.createMicroservice(class {}, { strategy: server, logger: new RecordingLogger() });
    await app.listen();
    expect(server.unwrap<{ isClosed: boolean }>().isClosed).toBe(false);
    await app.close();
    expect(statuses).toEqual([ActiveMQStatus.CONNECTING, ActiveMQStatus.CONNECTED, ActiveMQStatus.CLOSED]);
  });
});

describe('prefetch', () => {
  it.each([
    ['with prefetch 1', { prefetch: 1, concurrency: 1 }, 'explicit'],
    ['with concurrency 1 and no prefetch (prefetch defaults to concurrency)', { concurrency: 1 }, 'default'],
  ])('%s a busy consumer holds one message and leaves the rest to others', async (_, options, name) => {
    const pattern = `${P}.prefetch-${name}`;
    const release = deferred();
    const first = deferred<string>();
    const byB: string[] = [];
    const bothToB = deferred();
    @Controller()
    class A {
      @EventPattern<string>(pattern)
      async on(@Payload() data: string): Promise<void> {
        first.resolve(data);
        await release.promise;
      }
    }
    @Controller()
    class B {
      @EventPattern<string>(pattern)
      on(@Payload() data: string, @Ctx() ctx: ActiveMQContext): void {
        byB.push(`${data}${ctx.isRedelivered() ? ' (redelivered)' : ''}`);
        if (byB.length === 2) bothToB.resolve();
      }
    }
    const a = await startService([A], options);
    const client = new ClientActiveMQ({ uri: sharedBrokerUrl() });
    await lastValueFrom(client.emit(pattern, 'm1'), { defaultValue: undefined });
    expect(await first.promise).toBe('m1');
    await lastValueFrom(client.emit(pattern, 'm2'), { defaultValue: undefined });
    await lastValueFrom(client.emit(pattern, 'm3'), { defaultValue: undefined });
    const b = await startService([B]);
    await bothToB.promise;
    // Never dispatched to A (a prefetched message would come to B only after A let it go, redelivered).
    expect(byB).toEqual(['m2', 'm3']);
    release.resolve();
    await Promise.all([a.close(), b.close(), client.close()]);
  });
});

describe('send decorators on Nest providers, with the client MessagingModule injects', () => {
  it('choose each call’s mode, and a thrown @Transactional call sends nothing', async () => {
    const proxy = await DelayProxy.start(parseActiveMQUri(sharedBrokerUrl()).endpoints[0]!.port, 0);
    @Injectable()
    @DurableSend({ priority: 3 })
    class Orders {
      constructor(readonly client: ClientActiveMQ) {}

      async place(id: string): Promise<void> {
        await lastValueFrom(this.client.emit(`${P}.decorated-orders`, id), { defaultValue: undefined });
      }

      @NonDurableSend()
      async track(id: string): Promise<void> {
        await lastValueFrom(this.client.emit(`${P}.decorated-clicks`, id), { defaultValue: undefined });
      }

      @Transactional()
      async placeAndFail(id: string): Promise<void> {
        await this.place(id);
        throw new Error('rolled back');
      }
    }
    const moduleRef = await Test.createTestingModule({ imports: [MessagingModule.forRoot(proxy.urlFor(sharedBrokerUrl()))], providers: [Orders] }).compile();
    const orders = moduleRef.get(Orders);
    try {
      await Promise.all([orders.place('o-1'), orders.track('c-1')]);
      await expect(orders.placeAndFail('o-2')).rejects.toThrow('rolled back');
      await orders.place('o-3');
      const placed = sentTo(proxy, 'SEND', `/queue/${P}.decorated-orders`);
      const clicks = await seenTo(proxy, 'SEND', `/queue/${P}.decorated-clicks`);
      expect(placed.map((f) => [f.headers['persistent'], f.headers['priority'], f.headers['receipt'] !== undefined, f.headers['transaction'] !== undefined])).toEqual([
        ['true', '3', true, false],
        ['true', '3', false, true],
        ['true', '3', true, false],
      ]);
      expect(clicks.headers).toMatchObject({ persistent: 'false', priority: '3' });
      expect(clicks.headers['receipt']).toBeUndefined();
      // The rolled-back order never reached the queue: o-1 then o-3.
      const consumer = await connect();
      const bodies: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.subscribe(`/queue/${P}.decorated-orders`, (m) => {
          bodies.push(m.body.toString());
          if (bodies.length === 2) resolve();
        });
      });
      expect(bodies).toEqual(['o-1', 'o-3']);
      await consumer.disconnect();
    } finally {
      await moduleRef.close();
      await proxy.close();
    }
  });
});
