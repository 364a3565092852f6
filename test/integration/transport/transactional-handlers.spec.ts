import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { Transactional } from '../../../lib/decorators/send-decorators.js';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { StompConnectionClosedError } from '../../../lib/stomp/errors.js';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import type { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { brokerKind, sharedBrokerUrl } from '../../support/broker.js';
import { DeadLetters } from '../../support/dead-letters.js';
import { DelayProxy } from '../../support/delay-proxy.js';
import { drainIds } from '../../support/drain.js';
import { connect } from '../../support/connect.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { rejectionOf } from '../../support/thrown.js';
import { deferred, newClient, reconnected, startService, type RunningService } from '../../support/nest.js';

/**
 * Consume-transform-produce (`{ transactional: true }`): the input's ACK, the handler's sends and
 * its reply commit together, or not at all. ActiveMQ Classic 5.17 and 6 and the embedded broker
 * give it; on Artemis the option is refused at start-up (its STOMP applies an ACK at once).
 */
const P = `txh.${process.pid}.${Date.now().toString(36)}`;
const artemis = brokerKind() === 'artemis';
let client: ClientActiveMQ;
const emitted = (pattern: string, data: unknown) => lastValueFrom(client.emit(pattern, data), { defaultValue: undefined });
const probed = (data: unknown, probe: string) => new ActiveMQRecordBuilder(data).setHeaders({ probe }).build();

beforeAll(async () => {
  client = newClient();
  await client.connect();
});
afterAll(async () => client.close());

/** Counts a handler's runs per input. */
class Runs {
  private readonly counts = new Map<string, number>();
  private readonly waiters: Array<{ key: string; n: number; resolve: () => void }> = [];
  next(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    for (const w of [...this.waiters]) {
      if (w.key !== key || n < w.n) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return n;
  }
  of(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  reached(key: string, n: number): Promise<void> {
    if (this.of(key) >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ key, n, resolve }));
  }
}

const runs = new Runs();
const ids = new Map<string, string>();
const settled = new Map<string, ReturnType<typeof deferred<void>>>();
const settledOf = (key: string) => settled.get(key) ?? settled.set(key, deferred()).get(key)!;

/** Sends through the app's client, in a provider method with `@Transactional()`: both join the handler's transaction. */
@Injectable()
class Publisher {
  @Transactional()
  async publish(pattern: string, data: unknown): Promise<void> {
    await lastValueFrom(client.emit(pattern, data), { defaultValue: undefined });
  }
}

@Controller()
class Handlers {
  constructor(private readonly publisher: Publisher) {}

  /** Emits three messages, then fails on its first `failures` runs (the input's `failures`). */
  @EventPattern<string>(`${P}.events`, { transactional: true })
  async transform(@Payload() input: { key: string; failures: number }, @Ctx() ctx: ActiveMQContext): Promise<void> {
    const n = runs.next(input.key);
    ids.set(input.key, ctx.getHeaders()['nestjsMessageId'] ?? ctx.getMessage().messageId ?? '');
    sawTransactional = ctx.isTransactional();
    try {
      await ctx.emit(`${P}.out.${input.key}`, { run: n, part: 1 });
      await lastValueFrom(client.emit(`${P}.out.${input.key}`, { run: n, part: 2 }), { defaultValue: undefined });
      await this.publisher.publish(`${P}.out.${input.key}`, { run: n, part: 3 });
      if (n <= input.failures) throw new Error(`run ${n} of ${input.key} fails on purpose`);
    } finally {
      // The settlement follows the handler: this says that the run ended, not how.
      queueMicrotask(() => settledOf(`${input.key}#${n}`).resolve());
    }
  }

  @MessagePattern<string>(`${P}.quote`, { transactional: true })
  async quote(@Payload() input: { key: string; fail: boolean }, @Ctx() ctx: ActiveMQContext): Promise<{ price: number }> {
    await ctx.emit(`${P}.out.${input.key}`, { audited: input.key });
    if (input.fail) throw new RpcException(`no quote for ${input.key}`);
    return { price: 42 };
  }

  @EventPattern<string>(`${P}.plain`)
  async plain(@Payload() input: { key: string }, @Ctx() ctx: ActiveMQContext): Promise<void> {
    plainRefusal.resolve({ error: await rejectionOf(ctx.emit(`${P}.out.${input.key}`, 'x')), transactional: ctx.isTransactional() });
  }
}
const plainRefusal = deferred<{ error: Error; transactional: boolean }>();
let sawTransactional: boolean | undefined;

/** Registered only where the feature exists: on Artemis its refusal is the test. */
const onTransactionalBrokers = (name: string, fn: () => void): void => void (artemis || describe(name, fn));
const onTransactionalBrokersIt = (name: string, fn: () => Promise<void>): void => void (artemis || it(name, fn));
const onArtemis = (name: string, fn: () => Promise<void>): void => void (artemis && it(name, fn));

const drained = (key: string, expected: ReadonlySet<string> = new Set()) => drainIds(sharedBrokerUrl(), `${P}.out.${key}`, expected);

/** A message read back: its `nestjsMessageId` and its JSON body. */
interface Read {
  readonly id: string;
  readonly body: Record<string, unknown>;
}

/**
 * Reads `/queue/<queue>` until `complete(read)` holds (the committed messages a test expects, by
 * their bodies), then up to a fence sent after them: so a copy from a run that should have
 * vanished, sent earlier or later, is read too.
 */
async function readUntil(queue: string, complete: (read: readonly Read[]) => boolean): Promise<Read[]> {
  const reader = await connect();
  const read: Read[] = [];
  const fenced = deferred();
  let fenceSent = false;
  const check = () => {
    if (fenceSent || !complete(read)) return;
    fenceSent = true;
    // Priority 0: the embedded broker delivers by priority, and the fence must come last.
    void reader.send(`/queue/${queue}`, { persistent: 'true', priority: '0' }, 'fence', { receipt: true });
  };
  await reader.subscribe(`/queue/${queue}`, (m) => {
    const text = m.body.toString();
    if (text === 'fence') return fenced.resolve();
    read.push({ id: m.headers['nestjsMessageId'] ?? '(no id)', body: JSON.parse(text) as Record<string, unknown> });
    check();
  });
  check();
  await fenced.promise;
  await reader.disconnect();
  return read;
}

/** Waits for the server's own bookkeeping (its COMMIT's receipt may come after the broker delivered the outputs). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

onTransactionalBrokers('transactional handlers (ActiveMQ Classic and the embedded broker)', () => {
  let service: RunningService;
  let deadLetters: DeadLetters;
  beforeAll(async () => {
    deadLetters = await DeadLetters.watch();
    service = await startService([Handlers], {}, [Publisher]);
  });
  afterAll(async () => {
    await service?.close();
    await deadLetters?.connection.disconnect();
  });

  it('a handler that sends 3 messages and always fails leaves none of them, through its redeliveries to the DLQ', async () => {
    const before = service.server.metrics().transactions;
    await emitted(`${P}.events`, probed({ key: 'poison', failures: 99 }, 'poison'));
    const dead = await deadLetters.next('poison');
    expect(JSON.parse(dead.body.toString())).toEqual({ key: 'poison', failures: 99 });
    expect(runs.of('poison')).toBe(3); // the test brokers' policy: 2 redeliveries
    expect(await drained('poison')).toEqual([]);
    const after = service.server.metrics().transactions;
    expect(after.aborted - before.aborted).toBe(3);
    expect(after.committed - before.committed).toBe(0);
  }, 30_000);

  it('one that succeeds after 2 failures leaves exactly its 3 messages, once, with ids derived from its input', async () => {
    const before = service.server.metrics().transactions;
    await emitted(`${P}.events`, { key: 'flaky', failures: 2 });
    await settledOf('flaky#3').promise;
    const base = ids.get('flaky')!;
    const read = await readUntil(`${P}.out.flaky`, (r) => r.filter((m) => m.body['run'] === 3).length === 3);
    // Only the third run's, with the ids its transaction derives from the input and the handler.
    expect(read.map((m) => m.body['run'])).toEqual([3, 3, 3]);
    expect(read.map((m) => m.id).sort()).toEqual([1, 2, 3].map((n) => `${base}@${P}.events.${n}`));
    await until(() => service.server.metrics().transactions.committed - before.committed === 1);
    const after = service.server.metrics().transactions;
    expect(after.aborted - before.aborted).toBe(2);
    expect(after.commitLatencyMs.max).toBeGreaterThan(0);
    expect(sawTransactional).toBe(true);
  }, 30_000);

  it('a request handler’s reply is part of its transaction; one that fails answers the error and leaves nothing', async () => {
    expect(await firstValueFrom(client.send(`${P}.quote`, { key: 'q-ok', fail: false }))).toEqual({ price: 42 });
    expect(await drained('q-ok', new Set())).toHaveLength(1);
    const failure = await rejectionOf(firstValueFrom(client.send(`${P}.quote`, { key: 'q-fail', fail: true })));
    expect(failure.message).toBe('no quote for q-fail');
    expect(await drained('q-fail')).toEqual([]);
  }, 30_000);

  it('ctx.emit() outside a transactional handler is refused, naming the option', async () => {
    await emitted(`${P}.plain`, { key: 'plain' });
    const refusal = await plainRefusal.promise;
    expect(refusal.transactional).toBe(false);
    expect(refusal.error.message).toMatch(/ctx\.emit\(\) sends in the handler's transaction: it needs \{ transactional: true \}/);
  });
});

onTransactionalBrokers('transactional handlers: sends the handler does not await, and joined transactions', () => {
  it('an emit() the handler does not await (its client not even connected yet) is in the COMMIT, once', async () => {
    const lazy = newClient();
    const done = deferred();
    @Controller()
    class Unawaited {
      @EventPattern<string>(`${P}.unawaited`, { transactional: true })
      handle(@Payload() input: { key: string }): void {
        runs.next(input.key);
        lazy.emit(`${P}.out.unawaited`, { late: true }); // neither awaited nor subscribed: the client connects first
        done.resolve();
      }
    }
    const service = await startService([Unawaited]);
    try {
      await emitted(`${P}.unawaited`, { key: 'unawaited' });
      await done.promise;
      const read = await readUntil(`${P}.out.unawaited`, (r) => r.length === 1);
      expect(read.map((m) => m.body)).toEqual([{ late: true }]);
      expect(runs.of('unawaited')).toBe(1);
      await until(() => service.server.metrics().transactions.committed === 1);
    } finally {
      await service.close();
      await lazy.close();
    }
  });

  it('client.transaction() in a handler joins its transaction: its commit() is refused, and a throw inside rolls everything back even when caught', async () => {
    const refusals: string[] = [];
    @Controller()
    class Joined {
      @EventPattern<string>(`${P}.joined`, { transactional: true })
      async handle(@Payload() input: { key: string }): Promise<void> {
        const n = runs.next(input.key);
        await client
          .transaction(async (tx) => {
            await tx.emit(`${P}.out.joined`, { run: n });
            refusals.push((await rejectionOf(tx.commit())).message);
            if (n === 1) throw new Error('the inner call fails');
          })
          .catch(() => undefined); // caught: the handler itself succeeds
        if (n === 2) settledOf('joined#2').resolve();
      }
    }
    const service = await startService([Joined]);
    try {
      await emitted(`${P}.joined`, { key: 'joined' });
      await settledOf('joined#2').promise;
      const read = await readUntil(`${P}.out.joined`, (r) => r.some((m) => m.body['run'] === 2));
      expect(read.map((m) => m.body)).toEqual([{ run: 2 }]);
      expect(refusals[0]).toMatch(/is a transactional handler's: the server commits it when the handler succeeds/);
      expect(service.logger.lines.some((l) => /failed on message .*the inner call fails/.test(l.message))).toBe(true);
    } finally {
      await service.close();
    }
  });
});

onTransactionalBrokers('transactional handlers on the in-process broker (vm://)', () => {
  it('a client of the same vm:// broker joins the handler’s transaction: a failed run leaves nothing, the next one its message once', async () => {
    const uri = `vm://txh-${process.pid}`;
    const local = new ClientActiveMQ({ uri });
    const done = deferred();
    @Controller()
    class InProcess {
      @EventPattern<string>(`${P}.vm`, { transactional: true })
      async handle(@Payload() input: { key: string }): Promise<void> {
        const n = runs.next(input.key);
        await lastValueFrom(local.emit(`${P}.out.vm`, new ActiveMQRecordBuilder({ n }).setHeaders({ run: String(n) }).build()), { defaultValue: undefined });
        if (n === 1) throw new Error('the first run fails');
        done.resolve();
      }
    }
    const service = await startService([InProcess], { uri });
    try {
      await lastValueFrom(local.emit(`${P}.vm`, { key: 'vm' }), { defaultValue: undefined });
      await done.promise;
      const seen: string[] = [];
      const reader = new ClientActiveMQ({ uri });
      const raw = await reader.connect();
      const fence = deferred();
      // The second run's message comes once its COMMIT is through; a fence after it shows whatever else is there.
      await raw.subscribe(`/queue/${P}.out.vm`, (m) => {
        if (m.body.toString() === 'fence') return fence.resolve();
        seen.push(m.headers['run'] ?? '?');
        if (m.headers['run'] === '2') void raw.send(`/queue/${P}.out.vm`, { persistent: 'false' }, 'fence', { receipt: true });
      });
      await fence.promise;
      await reader.close();
      expect(seen).toEqual(['2']);
    } finally {
      await service.close();
      await local.close();
    }
  });
});

onTransactionalBrokers('transactional handlers: each in-flight handler has its own transaction', () => {
  it('at concurrency 4, the one that fails takes back only its own sends', async () => {
    const running = { count: 0, all: deferred() };
    const bases = new Map<string, string>();
    @Controller()
    class Concurrent {
      @EventPattern<string>(`${P}.parallel`, { transactional: true, concurrency: 4 })
      async handle(@Payload() input: { key: string }, @Ctx() ctx: ActiveMQContext): Promise<void> {
        const n = runs.next(input.key);
        bases.set(input.key, ctx.getHeaders()['nestjsMessageId']!);
        await ctx.emit(`${P}.out.parallel`, { from: input.key, run: n });
        if (n === 1 && ++running.count === 4) running.all.resolve();
        await running.all.promise; // all four are in flight, each with its sends written
        if (input.key === 'p2' && n === 1) throw new Error('p2 fails once');
        if (n === 1 || input.key === 'p2') settledOf(`parallel:${input.key}`).resolve();
      }
    }
    const service = await startService([Concurrent]);
    try {
      for (const key of ['p1', 'p2', 'p3', 'p4']) await emitted(`${P}.parallel`, { key });
      await Promise.all(['p1', 'p2', 'p3', 'p4'].map((key) => settledOf(`parallel:${key}`).promise));
      await runs.reached('p2', 2);
      // Every committed send is there once; p2's first run's is not.
      const wanted = ['p1#1', 'p2#2', 'p3#1', 'p4#1'];
      const runOf = (m: Read) => `${String(m.body['from'])}#${String(m.body['run'])}`;
      const read = await readUntil(`${P}.out.parallel`, (r) => wanted.every((w) => r.some((m) => runOf(m) === w)));
      expect(read.map(runOf).sort()).toEqual(wanted);
      expect(read.map((m) => m.id).sort()).toEqual(['p1', 'p2', 'p3', 'p4'].map((key) => `${bases.get(key)!}@${P}.parallel.1`));
      expect(service.server.metrics().transactions.aborted).toBe(1);
    } finally {
      await service.close();
    }
  }, 30_000);
});

onTransactionalBrokers('transactional handlers: a lost connection or a lost COMMIT receipt', () => {
  it('a connection lost mid-handler rolls the transaction back: the input comes again, and its sends are there once', async () => {
    const firstRun = deferred();
    const goOn = deferred();
    @Controller()
    class Cut {
      @EventPattern<string>(`${P}.cut`, { transactional: true })
      async handle(@Payload() input: { key: string }, @Ctx() ctx: ActiveMQContext): Promise<void> {
        const n = runs.next(input.key);
        ids.set(input.key, ctx.getHeaders()['nestjsMessageId']!);
        await ctx.emit(`${P}.out.${input.key}`, { n });
        if (n === 1) {
          firstRun.resolve();
          await goOn.promise;
        }
        settledOf(`${input.key}#${n}`).resolve();
      }
    }
    const service = await startService([Cut], { uri: `${sharedBrokerUrl()}?initialReconnectDelay=20` });
    try {
      await emitted(`${P}.cut`, { key: 'cut' });
      await firstRun.promise;
      const back = reconnected(service);
      service.server.unwrap().destroy(new StompConnectionClosedError('cut by the test'));
      await back;
      goOn.resolve(); // the first run ends after its connection did: its COMMIT cannot be written
      await settledOf('cut#2').promise;
      const read = await readUntil(`${P}.out.cut`, (r) => r.some((m) => m.body['n'] === 2));
      expect(read).toEqual([{ id: `${ids.get('cut')!}@${P}.cut.1`, body: { n: 2 } }]);
      expect(runs.of('cut')).toBe(2);
      await until(() => service.server.metrics().transactions.failed === 1);
    } finally {
      await service.close();
    }
  }, 30_000);

  it('a COMMIT whose receipt is lost is in doubt: logged as such; here the broker had committed, and the input does not come again', async () => {
    const proxy = await DelayProxy.start(parseActiveMQUri(sharedBrokerUrl()).endpoints[0]!.port, 0);
    @Controller()
    class Doubt {
      @EventPattern<string>(`${P}.doubt`, { transactional: true })
      async handle(@Payload() input: { key: string }, @Ctx() ctx: ActiveMQContext): Promise<void> {
        runs.next(input.key);
        ids.set(input.key, ctx.getHeaders()['nestjsMessageId']!);
        await ctx.emit(`${P}.out.${input.key}`, { in: 'doubt' });
        proxy.holdReplies(); // what the broker says from here is lost: the COMMIT's receipt too
      }
    }
    const service = await startService([Doubt], { uri: `${proxy.urlFor(sharedBrokerUrl())}?initialReconnectDelay=20&callTimeout=1000` });
    try {
      await emitted(`${P}.doubt`, { key: 'doubt' });
      const line = await service.logger.waitFor(/COMMIT of tx-.* got no answer within 1000 ms: in doubt/);
      expect(line).toMatch(/the handler runs again, sending the same nestjsMessageId values/);
      const back = reconnected(service);
      proxy.releaseReplies();
      proxy.cut();
      await back;
      const base = ids.get('doubt')!;
      expect(await drained('doubt', new Set([`${base}@${P}.doubt.1`]))).toEqual([`${base}@${P}.doubt.1`]);
      expect(service.server.metrics().transactions.inDoubt).toBe(1);
    } finally {
      await service.close();
      await proxy.close();
    }
    // The server stopped: an input the broker had not committed would wait on its queue now.
    expect(await drainIds(sharedBrokerUrl(), `${P}.doubt`)).toEqual([]);
    expect(runs.of('doubt')).toBe(1);
  }, 30_000);
});

describe('the broker’s transacted ACK, on which transactional handlers rest', () => {
  it(
    artemis
      ? 'Artemis applies an ACK at once, its transaction aborted or not: the message is gone (why transactional is refused there)'
      : 'an ACK in a transaction that is aborted leaves its message unacknowledged: it is delivered again',
    async () => {
      const queue = `${P}.raw-ack`;
      const producer = await connect();
      await producer.send(`/queue/${queue}`, { persistent: 'true' }, 'once', { receipt: true });
      await producer.disconnect();
      const consumer = await connect();
      const got = deferred<StompFrame>();
      await consumer.subscribe(`/queue/${queue}`, (m) => got.resolve(m), { ack: 'client-individual' });
      const message = await got.promise;
      await consumer.begin('tx-raw');
      await consumer.ack(message, { transaction: 'tx-raw' });
      await consumer.abort('tx-raw');
      await consumer.disconnect();
      expect(await drainIds(sharedBrokerUrl(), queue)).toEqual(artemis ? [] : ['(no id)']);
    },
  );
});

describe('transactional handlers: bad options are refused at start-up', () => {
  const refusal = (controller: new (...args: never[]) => unknown, options: ConstructorParameters<typeof ServerActiveMQ>[0] = {}) =>
    rejectionOf(startService([controller as never], options));

  it('a non-boolean transactional', async () => {
    @Controller()
    class Bad {
      @EventPattern<string>(`${P}.bad1`, { transactional: 'yes' })
      handle(): void {}
    }
    const error = await refusal(Bad);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toMatch(new RegExp(`@Pattern\\('${P.replace(/\./g, '\\.')}\\.bad1'\\)\\.transactional`));
  });

  it('transactional with ackMode manual, the handler’s or the server’s', async () => {
    @Controller()
    class Own {
      @EventPattern<string>(`${P}.bad2`, { transactional: true, ackMode: 'manual' })
      handle(): void {}
    }
    expect(await refusal(Own)).toMatchObject({ message: expect.stringMatching(/acknowledges its message at COMMIT; ackMode 'manual' cannot apply/) });
    @Controller()
    class Server {
      @EventPattern<string>(`${P}.bad3`, { transactional: true })
      handle(): void {}
    }
    expect(await refusal(Server, { ackMode: 'manual' })).toMatchObject({ message: expect.stringMatching(/the server's ackMode 'manual' cannot apply/) });
  });

  onArtemis('on Artemis, transactional itself: its STOMP ACK ignores the transaction', async () => {
    @Controller()
    class OnArtemis {
      @EventPattern<string>(`${P}.artemis`, { transactional: true })
      handle(): void {}
    }
    const error = await refusal(OnArtemis);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toMatch(/ActiveMQ Artemis .* applies a STOMP ACK at once whatever its transaction header/);
  });

  onTransactionalBrokersIt('a client of another broker, sending in a transactional handler, is refused rather than sending outside the transaction', async () => {
    const other = new ClientActiveMQ({ uri: 'vm://txh-other' });
    const refused = deferred<unknown>();
    @Controller()
    class Elsewhere {
      @EventPattern<string>(`${P}.elsewhere`, { transactional: true })
      async handle(): Promise<void> {
        refused.resolve(await rejectionOf(lastValueFrom(other.emit(`${P}.out.elsewhere`, 'x'), { defaultValue: undefined })));
      }
    }
    const service = await startService([Elsewhere]);
    try {
      await emitted(`${P}.elsewhere`, 'go');
      expect(((await refused.promise) as Error).message).toMatch(/joins the handler's transaction only on the same broker/);
    } finally {
      await service.close();
      await other.close();
    }
  });
});
