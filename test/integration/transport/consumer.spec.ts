import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import type { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { ServerActiveMQ, type ActiveMQServerOptions } from '../../../lib/server/server-activemq.js';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { BrokerUnreachableError } from '../../../lib/connection/connect-to-first.js';
import { UnknownUriParameterError } from '../../../lib/config/errors.js';
import { aheadOf, brokerKind, messageIdSource, sharedBrokerUrl } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { DeadLetters } from '../../support/dead-letters.js';
import { deferred, newClient, RecordingLogger, startService, type RunningService } from '../../support/nest.js';

const P = `cons.${process.pid}.${Date.now().toString(36)}`;
const emitted = (client: ClientActiveMQ, pattern: string, data: unknown) => lastValueFrom(client.emit(pattern, data), { defaultValue: undefined });

const failing = { calls: new Map<string, number>() };
const badJson = { calls: 0 };
const manual = { received: [] as string[], kept: deferred(), redelivered: deferred() };
const concurrency = { running: 0, max: 0, finished: 0, two: deferred(), all: deferred(), release: deferred() };
const closing = { started: deferred(), release: deferred(), finished: false };
const virtual = { billing: deferred<string>(), audit: deferred<string>() };
const topic = { received: deferred<string>() };

@Controller()
class EventsController {
  @EventPattern<string>(`${P}.fails`)
  fails(@Payload() data: { id: string }, @Ctx() ctx: ActiveMQContext): void {
    failing.calls.set(data.id, (failing.calls.get(data.id) ?? 0) + 1);
    throw new Error(`cannot process ${data.id} (redelivered: ${ctx.isRedelivered()})`);
  }

  @EventPattern<string>(`${P}.json`)
  json(): void {
    badJson.calls++;
  }

  @EventPattern<string>(`${P}.concurrent`)
  async concurrent(): Promise<void> {
    concurrency.running++;
    concurrency.max = Math.max(concurrency.max, concurrency.running);
    if (concurrency.running === 2) concurrency.two.resolve();
    await concurrency.release.promise;
    concurrency.running--;
    if (++concurrency.finished === 6) concurrency.all.resolve();
  }

  @EventPattern<string>(`VirtualTopic.${P}.orders`)
  virtualTopic(@Payload() data: string, @Ctx() ctx: ActiveMQContext): void {
    (ctx.getDestination().includes('Consumer.billing.') ? virtual.billing : virtual.audit).resolve(`${data}@${ctx.getDestination()}`);
  }

  @EventPattern<string>(`topic://${P}.prices`)
  prices(@Payload() data: string): void {
    topic.received.resolve(data);
  }
}

@Controller()
class SlowController {
  @EventPattern<string>(`${P}.closing`)
  async closingHandler(): Promise<void> {
    closing.started.resolve();
    await closing.release.promise;
    closing.finished = true;
  }
}

@Controller()
class ManualAckController {
  @EventPattern<string>(`${P}.manual`)
  async manual(@Payload() data: string, @Ctx() ctx: ActiveMQContext): Promise<void> {
    manual.received.push(`${data}:${ctx.isRedelivered()}`);
    if (data === 'reject' && !ctx.isRedelivered()) await ctx.nack();
    else await ctx.ack();
    if (data === 'keep') manual.kept.resolve();
    if (data === 'reject' && ctx.isRedelivered()) manual.redelivered.resolve();
  }
}

let service: RunningService;
let client: ClientActiveMQ;
let deadLetters: DeadLetters;
beforeAll(async () => {
  // prefetch above concurrency, so that the handler limit is the server's and not the broker's.
  service = await startService([EventsController], { concurrency: 2, ...aheadOf(6), consumerGroup: 'billing' });
  client = newClient();
  deadLetters = await DeadLetters.watch();
});
afterAll(async () => {
  await client?.close();
  await service?.close();
  await deadLetters?.connection.disconnect();
});

describe('ServerActiveMQ consuming', () => {
  it('NACKs a failing event handler: it is delivered again, then dead-lettered (ActiveMQ.DLQ on Classic and the embedded broker, DLQ on Artemis)', async () => {
    const probe = `${P}-fail-1`;
    await emitted(client, `${P}.fails`, new ActiveMQRecordBuilder({ id: probe }).setHeaders({ probe }).build());
    const dead = await deadLetters.next(probe);
    expect(JSON.parse(dead.body.toString())).toEqual({ id: probe });
    // First delivery plus the test broker's two redeliveries.
    expect(failing.calls.get(probe)).toBe(3);
    const attempts = service.logger.lines.filter((l) => l.message.includes(`cannot process ${probe}`)).map((l) => /redelivered: (\w+)/.exec(l.message)![1]);
    expect(attempts).toEqual(['false', 'true', 'true']);
    expect(await service.logger.waitFor(new RegExp(`handler for '${P}.fails' failed on message ${messageIdSource()}:`))).toMatch(/rejected/);
  }, 20_000);

  it('never calls a handler with a body that is not the JSON its content type claims: logged with the message id and dead-lettered', async () => {
    const probe = `${P}-badjson`;
    const raw = await connect();
    await raw.send(`/queue/${P}.json`, { 'content-type': 'application/json', probe, persistent: 'true' }, '{"broken": ', { receipt: true });
    await raw.disconnect();
    const dead = await deadLetters.next(probe);
    expect(dead.body.toString()).toBe('{"broken": ');
    expect(badJson.calls).toBe(0);
    const line = await service.logger.waitFor(/content-type application\/json but its body is not valid JSON/);
    expect(line).toMatch(new RegExp(`message ${messageIdSource()} on /queue/.*\\.json`));
  }, 20_000);

  it('runs at most `concurrency` handlers at once per subscription', async () => {
    for (let i = 0; i < 6; i++) await emitted(client, `${P}.concurrent`, i);
    await concurrency.two.promise;
    concurrency.release.resolve();
    await concurrency.all.promise;
    expect(concurrency.max).toBe(2);
  });

  it('reads a virtual topic through its consumer group queue', async () => {
    const audit = await startService([EventsController], { consumerGroup: 'audit' });
    try {
      await emitted(client, `VirtualTopic.${P}.orders`, 'order-1');
      expect(await virtual.billing.promise).toBe(`order-1@/queue/Consumer.billing.VirtualTopic.${P}.orders`);
      expect(await virtual.audit.promise).toBe(`order-1@/queue/Consumer.audit.VirtualTopic.${P}.orders`);
    } finally {
      await audit.close();
    }
  });

  it('honours the topic:// prefix', async () => {
    await emitted(client, `topic://${P}.prices`, 'EUR 10');
    expect(await topic.received.promise).toBe('EUR 10');
  });

  it('close() stops taking messages and lets the handler in flight finish (its message is acked, not redelivered)', async () => {
    const own = await startService([SlowController], {});
    await emitted(client, `${P}.closing`, 'slow');
    await closing.started.promise;
    const closed = own.close();
    closing.release.resolve();
    await closed;
    expect(closing.finished).toBe(true);
    // Had the message gone back to the queue, it would come before this marker.
    const raw = await connect();
    await raw.send(`/queue/${P}.closing`, {}, 'marker', { receipt: true });
    const first = await new Promise<string>((resolve) => void raw.subscribe(`/queue/${P}.closing`, (m) => resolve(m.body.toString())));
    expect(first).toBe('marker');
    await raw.disconnect();
  });
});

describe('manual acknowledgement', () => {
  let manualService: RunningService;
  afterEach(async () => manualService?.close());

  it('settles with ctx.ack() / ctx.nack(); a NACKed message comes back redelivered', async () => {
    manualService = await startService([ManualAckController], { ackMode: 'manual', concurrency: 1 });
    await emitted(client, `${P}.manual`, 'reject');
    await emitted(client, `${P}.manual`, 'keep');
    await Promise.all([manual.kept.promise, manual.redelivered.promise]);
    expect(manual.received).toEqual(['reject:false', 'keep:false', 'reject:true']);
  });

  it('refuses ctx.ack() and ctx.nack() outside manual mode', () => {
    const ctx = new ActiveMQContext([{ command: 'MESSAGE', headers: {}, body: Buffer.alloc(0) }, 'p', undefined as never, false]);
    expect(() => ctx.ack()).toThrow(/ctx.ack\(\) needs ackMode 'manual'/);
    expect(() => ctx.nack()).toThrow(/ctx.nack\(\) needs ackMode 'manual'/);
  });
});

describe('start-up', () => {
  it('listen() fails clearly, without hanging, when the broker is unreachable after the configured attempts', async () => {
    const app = await NestFactory.createMicroservice(class {}, {
      strategy: new ServerActiveMQ({ uri: 'stomp://127.0.0.1:1?startupMaxReconnectAttempts=2&initialReconnectDelay=20' }),
      logger: new RecordingLogger(),
    });
    const error: unknown = await app.listen().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect((error as Error).message).toMatch(/after 3 attempts/);
    await app.close();
  });

  it('an option in the other broker’s terms is refused when the server meets the broker, by name and without retrying', async () => {
    @Controller()
    class One {
      @EventPattern<string>(`${P}.refused`)
      on(): void {}
    }
    @Module({ controllers: [One] })
    class OneModule {}
    const refusal = async (options: ActiveMQServerOptions): Promise<unknown> => {
      const app = await NestFactory.createMicroservice(OneModule, { strategy: new ServerActiveMQ({ uri: sharedBrokerUrl(), ...options }), logger: new RecordingLogger() });
      const error: unknown = await app.listen().then(
        () => undefined,
        (e: unknown) => e,
      );
      await app.close();
      return error;
    };
    const artemis = brokerKind() === 'artemis';
    // Artemis limits a STOMP subscriber in bytes and redelivers nothing a consumer NACKs (the
    // server does it, with `redelivery`); Classic counts messages and redelivers itself.
    const [prefetch, windowSize, redelivery] = [await refusal({ prefetch: 6 }), await refusal({ consumerWindowSize: 65536 }), await refusal({ redelivery: { delay: 10 } })];
    expect([prefetch, windowSize, redelivery].map((e) => (e instanceof InvalidOptionError ? e.option : e))).toEqual(
      artemis ? ['prefetch', undefined, undefined] : [undefined, 'consumerWindowSize', 'redelivery'],
    );
    if (artemis) expect((prefetch as Error).message).toMatch(/^prefetch 6 counts messages, which ActiveMQ Artemis cannot limit .* give consumerWindowSize/);
    else
      expect((redelivery as Error).message).toMatch(
        /^redelivery is the server's own redelivery on ActiveMQ Artemis, whose STOMP NACK discards a message; (ActiveMQ\/[56]\.|nestjs-activemq-embedded\/)\S+ redelivers a NACKed message itself/,
      );
  });

  it('refuses an unknown option by name, suggesting the nearest', () => {
    expect(() => new ServerActiveMQ({ prefech: 10 } as never)).toThrow(UnknownUriParameterError);
    expect(() => new ServerActiveMQ({ prefech: 10 } as never)).toThrow(/unknown option 'prefech' of ServerActiveMQ options; did you mean 'prefetch'\?/);
    expect(() => new ServerActiveMQ({ concurrency: 0 })).toThrow(/concurrency must be a whole number >= 1/);
    expect(() => new ServerActiveMQ({ ackMode: 'sometimes' as never })).toThrow(/ackMode must be/);
  });
});
