import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BadRequestException, Controller, UsePipes, type PipeTransform } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import type { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { StompConnectionClosedError } from '../../../lib/stomp/errors.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { aheadOf, brokerKind, deadLetterQueue, messageIdSource, TestBroker } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { deferred, reconnected, startService, type RecordingLogger } from '../../support/nest.js';

/**
 * The server's failure paths of issue 12, each against a real ActiveMQ. These tests read the DLQ
 * and one of them kills the broker, so they have a broker of their own (maximumRedeliveries 2,
 * 1100 ms apart: a rejected message is delivered three times, then dead-lettered).
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await TestBroker.start();
}, 120_000);
afterAll(async () => broker?.clean());

const MAX_REDELIVERIES = 2;
/** Artemis: the server redelivers rejected messages itself (its STOMP NACK discards them): other log lines. */
const artemis = brokerKind() === 'artemis';
const fast = () => `${broker.url}?initialReconnectDelay=50&maxReconnectDelay=500`;
const name = (label: string) => `sfp.${label}.${randomUUID().slice(0, 8)}`;
const linesOf = (logger: RecordingLogger, level: string, test: RegExp) => logger.lines.filter((l) => l.level === level && test.test(l.message));

/** Messages arriving on ActiveMQ.DLQ, by their `probe` header; only those of one test (a selector), so that tests never take each other's. */
class DeadLetters {
  private readonly seen = new Map<string, StompFrame>();
  private readonly waiting = new Map<string, (m: StompFrame) => void>();
  private constructor(private readonly connection: StompConnection) {}

  /** @param prefix What the probes of the test start with (its pattern). */
  static async watch(prefix: string): Promise<DeadLetters> {
    const watcher = new DeadLetters(await connect(broker.url));
    const take = (m: StompFrame) => {
      const probe = m.headers['probe'] ?? '';
      const waiter = watcher.waiting.get(probe);
      if (waiter) waiter(m);
      else watcher.seen.set(probe, m);
    };
    await watcher.connection.subscribe(deadLetterQueue(), take, { headers: { selector: `probe LIKE '${prefix}%'` } });
    return watcher;
  }

  next(probe: string): Promise<StompFrame> {
    const seen = this.seen.get(probe);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiting.set(probe, resolve));
  }

  close(): Promise<void> {
    return this.connection.disconnect();
  }
}

/** What is left on `queue`: the bodies before a marker sent now (consumed). */
async function leftOn(queue: string): Promise<string[]> {
  const raw = await connect(broker.url);
  const marker = `marker-${randomUUID()}`;
  await raw.send(queue, {}, marker, { receipt: true });
  const bodies: string[] = [];
  await new Promise<void>((resolve) => {
    void raw.subscribe(queue, (m) => {
      const body = m.body.toString();
      if (body === marker) resolve();
      else bodies.push(body);
    });
  });
  await raw.disconnect();
  return bodies;
}

describe('poison messages (#2, #13)', () => {
  it(
    '#2 an incoming message over maxBodyBytes is rejected once, the messages behind it are handled, no reconnection',
    async () => {
      const pattern = name('oversize');
      const handled: string[] = [];
      const last = deferred();
      @Controller()
      class Orders {
        @EventPattern<string>(pattern)
        on(@Payload() data: string): void {
          handled.push(data);
          if (data === 'after-2') last.resolve();
        }
      }
      const dlq = await DeadLetters.watch(pattern);
      // concurrency 1 (and so prefetch 1): nothing passes the oversize message unless it is settled.
      const service = await startService([Orders], { uri: `${broker.url}?maxBodyBytes=1024`, concurrency: 1 });
      const raw = await connect(broker.url);
      const replies: StompFrame[] = [];
      const marker = deferred();
      await raw.subscribe('/temp-queue/r2', (m) => (m.body.toString() === 'marker' ? marker.resolve() : replies.push(m)));
      try {
        const queue = `/queue/${pattern}`;
        // A text message (ActiveMQ sends it without content-length: the body ends at its NUL) and a
        // bytes message (with content-length), both over the limit, then two that are not.
        await raw.send(queue, { persistent: 'true', probe: `${pattern}-text` }, 'x'.repeat(5000), { receipt: true });
        await raw.send(queue, { persistent: 'true', probe: `${pattern}-bytes`, 'content-length': '' }, Buffer.alloc(300_000, 7), { receipt: true });
        // And a request: its requester is told once.
        await raw.send(queue, { persistent: 'true', probe: `${pattern}-request`, 'reply-to': '/temp-queue/r2', 'correlation-id': 'c2' }, 'y'.repeat(2000), { receipt: true });
        await raw.send(queue, { 'content-type': 'text/plain' }, 'after-1', { receipt: true });
        await raw.send(queue, { 'content-type': 'text/plain' }, 'after-2', { receipt: true });
        // Artemis discards a NACKed message, so there the server gives it back by reconnecting (asserted below).
        const lost = artemis ? new Promise<never>(() => undefined) : service.logger.waitFor(/lost the connection|invalid frame/);
        await Promise.race([last.promise, lost.then((line) => Promise.reject(new Error(`the connection failed instead: ${line}`)))]);
        expect(handled).toEqual(['after-1', 'after-2']);
        // Three deliveries each (first + two redeliveries), then the broker's DLQ, bodies intact.
        const [text, bytes] = await Promise.all([dlq.next(`${pattern}-text`), dlq.next(`${pattern}-bytes`), dlq.next(`${pattern}-request`)]);
        expect(text.body.toString()).toBe('x'.repeat(5000));
        expect(bytes.body.length).toBe(300_000);
        await raw.send('/temp-queue/r2', {}, 'marker', { receipt: true });
        await marker.promise;
        expect(replies.map((r) => [r.headers['correlation-id'], r.headers['nestjsReply']])).toEqual([['c2', 'error']]);
        const logged = linesOf(service.logger, 'error', /over maxBodyBytes/);
        if (artemis) {
          // One line and one reconnection per delivery: three messages, three deliveries each.
          expect(logged).toHaveLength(3 * (1 + MAX_REDELIVERIES));
          for (const line of logged)
            expect(line.message).toMatch(
              /not acknowledged: the server reconnects so that Artemis redelivers it, and past its max-delivery-attempts moves it to its dead-letter address$/,
            );
          // A reconnection per delivery, but two oversize deliveries on one connection share its loss (seen in CI: 8 of 9).
          const reconnections = linesOf(
            service.logger,
            'warn',
            /^lost the connection to \S+( as it opened)?: message \S+ is over maxBodyBytes: given back to Artemis unacknowledged; reconnecting/,
          );
          expect(reconnections.length).toBeGreaterThanOrEqual(1 + MAX_REDELIVERIES);
          expect(reconnections.length).toBeLessThanOrEqual(3 * (1 + MAX_REDELIVERIES));
          return;
        }
        expect(logged).toHaveLength(3);
        expect(logged[0]!.message).toMatch(
          new RegExp(`^message ${messageIdSource()} on /queue/sfp\\.oversize\\.\\S+ not handled: its body \\(without content-length\\) is over maxBodyBytes \\(1024\\)`),
        );
        expect(logged[1]!.message).toMatch(
          new RegExp(`^message ${messageIdSource()} on /queue/sfp\\.oversize\\.\\S+ not handled: its body of 300000 bytes is over maxBodyBytes \\(1024\\)`),
        );
        expect(linesOf(service.logger, 'debug', /not handled again \(its body .*over maxBodyBytes/)).toHaveLength(3 * MAX_REDELIVERIES);
        expect(service.server.metrics()).toMatchObject({ status: ActiveMQStatus.CONNECTED, reconnections: 0, rejected: 3 * (1 + MAX_REDELIVERIES) });
        expect(service.logger.lines.filter((l) => /lost the connection|invalid frame/.test(l.message))).toEqual([]);
      } finally {
        await raw.disconnect();
        await service.close();
        await dlq.close();
      }
    },
    artemis ? 90_000 : 30_000,
  ); // on Artemis: 9 deliveries, a reconnection and a 1.1 s redelivery-delay each

  it('#13 an invalid JSON request is answered once and logged once; its redeliveries are rejected quietly', async () => {
    const pattern = name('badjson');
    let calls = 0;
    @Controller()
    class Prices {
      @MessagePattern<string>(pattern)
      price(): number {
        calls++;
        return 1;
      }
    }
    const dlq = await DeadLetters.watch(pattern);
    const service = await startService([Prices], { uri: broker.url });
    const requester = await connect(broker.url);
    try {
      const replies: StompFrame[] = [];
      const marker = deferred();
      await requester.subscribe('/temp-queue/r13', (m) => (m.body.toString() === 'marker' ? marker.resolve() : replies.push(m)));
      const probe = `${pattern}-probe`;
      await requester.send(
        `/queue/${pattern}`,
        { 'content-type': 'application/json', 'reply-to': '/temp-queue/r13', 'correlation-id': 'c13', persistent: 'true', probe },
        '{"broken": ',
        { receipt: true },
      );
      await dlq.next(probe);
      // Replies go out before each NACK: a marker sent now comes after any of them.
      await requester.send('/temp-queue/r13', {}, 'marker', { receipt: true });
      await marker.promise;
      expect(replies.map((r) => r.headers['correlation-id'])).toEqual(['c13']);
      expect(calls).toBe(0);
      const errors = linesOf(service.logger, 'error', /not valid JSON/);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(
        new RegExp(`^message ${messageIdSource()} on /queue/sfp\\.badjson\\.\\S+ not handled: it has content-type application/json but its body is not valid JSON; rejected`),
      );
      // Classic redelivers it, each time rejected quietly; on Artemis it goes to the DLQ at once.
      expect(errors[0]!.message).toMatch(
        artemis
          ? /; rejected for the last time: the server moves it to DLQ at once: no delivery can handle it$/
          : /; rejected, and its redeliveries( \(at most \d+\))? will be too, quietly/,
      );
      expect(linesOf(service.logger, 'debug', /not handled again \(it has content-type application\/json but its body is not valid JSON\)/)).toHaveLength(
        artemis ? 0 : MAX_REDELIVERIES,
      );
    } finally {
      await requester.disconnect();
      await service.close();
      await dlq.close();
    }
  }, 30_000);
});

describe('redeliveries after a reconnection (#6)', () => {
  it('#6 a message redelivered while its first run still goes (dedupeWindow 1000, concurrency 1) does not run again; acknowledged once that run succeeds', async () => {
    const pattern = name('inflight');
    let calls = 0;
    const started = deferred();
    const release = deferred();
    const ranTwice = deferred();
    @Controller()
    class Payments {
      @EventPattern<string>(pattern)
      async pay(): Promise<void> {
        if (++calls > 1) return ranTwice.resolve();
        started.resolve();
        await release.promise;
      }
    }
    const service = await startService([Payments], { uri: fast(), dedupeWindow: 1000, concurrency: 1 });
    const raw = await connect(broker.url);
    try {
      await raw.send(`/queue/${pattern}`, { nestjsMessageId: `${pattern}-1`, 'content-type': 'text/plain', persistent: 'true' }, 'pay once', { receipt: true });
      await started.promise;
      const back = reconnected(service);
      service.server.unwrap<StompConnection>().destroy(new StompConnectionClosedError('test: connection cut'));
      await back;
      // The broker redelivers the unacknowledged message on the new connection: it must wait, not run.
      const held = service.logger.waitFor(/is delivered again while its handler still runs/);
      await Promise.race([held, ranTwice.promise.then(() => Promise.reject(new Error('the handler ran a second time')))]);
      release.resolve();
      await service.logger.waitFor(/its first run succeeded: acknowledged without running the handler again/);
      expect(calls).toBe(1);
      await service.close();
      // Acknowledged on the new connection: nothing comes back once the service is gone.
      expect(await leftOn(`/queue/${pattern}`)).toEqual([]);
      expect(calls).toBe(1);
    } finally {
      release.resolve();
      await raw.disconnect();
      await service.close();
    }
  }, 30_000);

  it('#6 if that first run fails, the held redelivery is rejected as the run would have been, and runs on its next delivery', async () => {
    const pattern = name('inflight-fails');
    const calls: boolean[] = [];
    const started = deferred();
    const release = deferred();
    const ranAgain = deferred();
    @Controller()
    class Payments {
      @EventPattern<string>(pattern)
      async pay(@Ctx() ctx: ActiveMQContext): Promise<void> {
        calls.push(ctx.isRedelivered());
        if (calls.length > 1) return ranAgain.resolve();
        started.resolve();
        await release.promise;
        throw new RpcException('the first run fails');
      }
    }
    const service = await startService([Payments], { uri: fast(), dedupeWindow: 1000, concurrency: 1 });
    const raw = await connect(broker.url);
    try {
      await raw.send(`/queue/${pattern}`, { nestjsMessageId: `${pattern}-1`, 'content-type': 'text/plain', persistent: 'true' }, 'pay', { receipt: true });
      await started.promise;
      const back = reconnected(service);
      service.server.unwrap<StompConnection>().destroy(new StompConnectionClosedError('test: connection cut'));
      await back;
      await service.logger.waitFor(/is delivered again while its handler still runs/);
      expect(calls).toEqual([false]);
      release.resolve();
      await service.logger.waitFor(/its first run failed: rejected without running the handler again/);
      // The NACK goes to the broker's redelivery policy: the next delivery runs (and succeeds).
      await ranAgain.promise;
      expect(calls).toEqual([false, true]);
      expect(linesOf(service.logger, 'error', new RegExp(`failed on message ${messageIdSource()}: the first run fails; rejected`))).toHaveLength(1);
    } finally {
      release.resolve();
      await raw.disconnect();
      await service.close();
    }
  }, 30_000);

  it('#6 concurrency holds across a reconnection: a handler still running from the lost connection keeps its place', async () => {
    const pattern = name('concurrency');
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const startedA = deferred();
    const releaseA = deferred();
    const doneB = deferred();
    const overlap = deferred();
    @Controller()
    class Jobs {
      @EventPattern<string>(pattern)
      async job(@Payload() data: string): Promise<void> {
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (running > 1) overlap.resolve();
        events.push(`${data}:start`);
        if (data === 'A') {
          startedA.resolve();
          await releaseA.promise;
        }
        events.push(`${data}:end`);
        running--;
        if (data === 'B') doneB.resolve();
      }
    }
    // prefetch 2: the broker sends B while A's redelivery still waits, so B reaches the handler gate.
    const service = await startService([Jobs], { uri: fast(), concurrency: 1, ...aheadOf(2) });
    const raw = await connect(broker.url);
    try {
      const queue = `/queue/${pattern}`;
      await raw.send(queue, { 'content-type': 'text/plain', persistent: 'true' }, 'A', { receipt: true });
      await startedA.promise;
      const back = reconnected(service);
      service.server.unwrap<StompConnection>().destroy(new StompConnectionClosedError('test: connection cut'));
      await back;
      await raw.send(queue, { 'content-type': 'text/plain', persistent: 'true' }, 'B', { receipt: true });
      const waits = service.logger.waitFor(/waits for a handler place of '.*': 1 of its 1 are still taken by handlers of a lost connection/);
      await Promise.race([waits, overlap.promise.then(() => Promise.reject(new Error(`two handlers ran at once: ${events.join(', ')}`)))]);
      releaseA.resolve();
      await doneB.promise;
      expect(maxRunning).toBe(1);
      // A ran once: its redelivery (same message-id) waited for that run and was acknowledged.
      expect(events).toEqual(['A:start', 'A:end', 'B:start', 'B:end']);
    } finally {
      releaseA.resolve();
      await raw.disconnect();
      await service.close();
    }
  }, 30_000);
});

describe('reply-to (#10)', () => {
  it("#10 a request whose reply-to is another application's queue is refused: no handler run, no reply, rejected, one warning naming it", async () => {
    const pattern = name('replyto');
    let calls = 0;
    const ran = deferred();
    @Controller()
    class Accounts {
      @MessagePattern<string>(pattern)
      balance(): string {
        calls++;
        ran.resolve();
        return 'the balance';
      }
    }
    const dlq = await DeadLetters.watch(pattern);
    const service = await startService([Accounts], { uri: broker.url });
    const attacker = await connect(broker.url);
    const victim = `/queue/${name('other-app')}`;
    try {
      const probe = `${pattern}-probe`;
      await attacker.send(`/queue/${pattern}`, { 'reply-to': victim, 'correlation-id': 'c10', persistent: 'true', probe }, '{}', { receipt: true });
      await Promise.race([dlq.next(probe), ran.promise.then(() => Promise.reject(new Error('the handler ran for a reply-to it may not answer')))]);
      expect(calls).toBe(0);
      expect(await leftOn(victim)).toEqual([]);
      const warnings = linesOf(service.logger, 'warn', /reply-to/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(
        new RegExp(`^message ${messageIdSource()} on /queue/${pattern.replace(/\./g, '\\.')} not handled: its reply-to ${victim.replace(/\./g, '\\.')} is not allowed`),
      );
    } finally {
      await attacker.disconnect();
      await service.close();
      await dlq.close();
    }
  }, 30_000);

  it("#10 replies still reach the requester's temporary queue (as ActiveMQ names it) and the allowedReplyTo destinations", async () => {
    const pattern = name('allowed');
    const replyTos: string[] = [];
    @Controller()
    class Doubler {
      @MessagePattern<string>(pattern)
      double(@Payload() n: number, @Ctx() ctx: ActiveMQContext): number {
        replyTos.push(ctx.getHeaders()['reply-to'] ?? '');
        return n * 2;
      }
    }
    const service = await startService([Doubler], { uri: broker.url, allowedReplyTo: ['/queue/replies.*'] });
    const client = new ClientActiveMQ({ uri: broker.url });
    const jms = await connect(broker.url);
    try {
      expect(await firstValueFrom(client.send(pattern, 21))).toBe(42);
      // What ActiveMQ Classic hands the server for ClientActiveMQ's /temp-queue/nestjs-replies.
      // On Artemis, the client's own reply queue, written as its JMS client writes a queue.
      expect(replyTos[0]).toMatch(artemis ? /^queue:\/\/nestjs\.replies\.[0-9a-f-]{36}$/ : /^\/remote-temp-queue\/ID:/);
      const replies = `/queue/replies.${randomUUID().slice(0, 8)}`;
      const reply = deferred<string>();
      await jms.subscribe(replies, (m) => reply.resolve(m.body.toString()));
      await jms.send(`/queue/${pattern}`, { 'reply-to': replies, 'correlation-id': 'c-allowed', 'content-type': 'application/json' }, '5', { receipt: true });
      expect(await reply.promise).toBe('10');
      expect(linesOf(service.logger, 'warn', /reply-to/)).toEqual([]);
    } finally {
      await client.close();
      await jms.disconnect();
      await service.close();
    }
  }, 30_000);
});

/** What the default ValidationPipe throws (its exceptionFactory makes a BadRequestException of the messages). */
class RefusingPipe implements PipeTransform {
  transform(): never {
    throw new BadRequestException(['name must be a string', 'quantity must be a positive number']);
  }
}

describe('failure lines (#12)', () => {
  it('#12 an RpcException carrying an object is logged as its JSON; the last rejection says the message goes to the DLQ', async () => {
    const pattern = name('rpcobject');
    @Controller()
    class Stock {
      @EventPattern<string>(pattern)
      reserve(): never {
        throw new RpcException({ code: 'OUT_OF_STOCK', details: { sku: 'A-1', wanted: 3 } });
      }
    }
    const dlq = await DeadLetters.watch(pattern);
    const service = await startService([Stock], { uri: broker.url, brokerMaxRedeliveries: MAX_REDELIVERIES });
    const raw = await connect(broker.url);
    try {
      const probe = `${pattern}-probe`;
      await raw.send(`/queue/${pattern}`, { 'content-type': 'application/json', persistent: 'true', probe }, '{"sku":"A-1"}', { receipt: true });
      const lastLine = service.logger.waitFor(/rejected for the last time/);
      await dlq.next(probe);
      await lastLine;
      const failures = linesOf(service.logger, 'error', new RegExp(`^handler for '${pattern.replace(/\./g, '\\.')}' failed on message ${messageIdSource()}:`)).map(
        (l) => l.message,
      );
      expect(failures).toHaveLength(1 + MAX_REDELIVERIES);
      for (const line of failures) expect(line).toContain(': {"code":"OUT_OF_STOCK","details":{"sku":"A-1","wanted":3}}; ');
      if (artemis) {
        expect(failures[0]).toMatch(/; rejected: the server sends it again in 1100 ms \(delivery 2 of 3\), then to DLQ$/);
        expect(failures[1]).toMatch(/; rejected: the server sends it again in 1100 ms \(delivery 3 of 3, the last\), then to DLQ$/);
        expect(failures[2]).toMatch(/; rejected for the last time: the server moves it to DLQ after 3 deliveries \(redelivery.maxRedeliveries 2\)$/);
      } else {
        expect(failures[0]).toMatch(/; rejected: the broker redelivers it \(at most 2 more times\), then moves it to its DLQ$/);
        expect(failures[1]).toMatch(/; rejected: the broker redelivers it \(at most 1 more time\), then moves it to its DLQ$/);
        expect(failures[2]).toMatch(/; rejected for the last time \(delivery 3, brokerMaxRedeliveries 2\): the broker moves it to its DLQ$/);
      }
      // Said once, by the transport: not also by Nest, and never as [object Object].
      expect(service.logger.lines.filter((l) => /\[object Object\]|Rpc Exception/.test(l.message))).toEqual([]);
    } finally {
      await raw.disconnect();
      await service.close();
      await dlq.close();
    }
  }, 30_000);

  it('#12 validation failures: the messages of RpcException(errors) are logged; the default ValidationPipe\'s exception is named with what to do, not "(Internal server error)"', async () => {
    const explicit = name('validation-rpc');
    const defaulted = name('validation-default');
    @Controller()
    class Signup {
      @EventPattern<string>(explicit)
      withRpc(): never {
        // What ValidationPipe({ exceptionFactory: (errors) => new RpcException(errors) }) throws.
        throw new RpcException([
          { property: 'name', constraints: { isString: 'name must be a string' } },
          { property: 'address', children: [{ property: 'city', constraints: { isNotEmpty: 'city should not be empty' } }] },
        ]);
      }

      @EventPattern<string>(defaulted)
      @UsePipes(new RefusingPipe())
      withDefault(@Payload() data: unknown): unknown {
        return data;
      }
    }
    const service = await startService([Signup], { uri: broker.url });
    const client = new ClientActiveMQ({ uri: broker.url });
    try {
      await firstValueFrom(client.emit(explicit, { name: 1 }), { defaultValue: undefined });
      await firstValueFrom(client.emit(defaulted, { name: 1 }), { defaultValue: undefined });
      const withRpc = await service.logger.waitFor(new RegExp(`^handler for '${explicit.replace(/\./g, '\\.')}' failed`));
      expect(withRpc).toMatch(
        artemis
          ? /: validation failed: name must be a string; address\.city should not be empty; rejected: the server sends it again in 1100 ms \(delivery 2 of 3\), then to DLQ$/
          : /: validation failed: name must be a string; address\.city should not be empty; rejected: the broker redelivers it, or past its maximumRedeliveries moves it to its DLQ$/,
      );
      const withDefault = await service.logger.waitFor(new RegExp(`^handler for '${defaulted.replace(/\./g, '\\.')}' failed`));
      expect(withDefault).not.toMatch(/\(Internal server error\)/);
      expect(withDefault).toMatch(/Nest's exception filter passed on only 'Internal server error'.*HttpException such as ValidationPipe's BadRequestException.*RpcException/);
    } finally {
      await client.close();
      await service.close();
    }
  }, 30_000);
});

describe('a broker outage in the log (#16)', () => {
  // One service per test: Nest sends every Logger to the logger of the application created last.
  it('#16 a broker kill is one warning, the attempts are debug, being back is one log line, no error', async () => {
    const pattern = name('outage');
    const handled = deferred<string>();
    @Controller()
    class Events {
      @EventPattern<string>(pattern)
      on(@Payload() data: string): void {
        handled.resolve(data);
      }
    }
    const service = await startService([Events], { uri: fast() });
    const from = service.logger.lines.length;
    try {
      const back = reconnected(service);
      await broker.kill();
      await service.logger.waitFor(/lost the connection/);
      await broker.restart();
      await back;
      await service.logger.waitFor(/^reconnected/);
      const lines = service.logger.lines.slice(from);
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      const warnings = lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(/^lost the connection to 127\.0\.0\.1:\d+: .*; reconnecting$/);
      expect(lines.filter((l) => l.level === 'log').map((l) => l.message)).toEqual([expect.stringMatching(/^reconnected to 127\.0\.0\.1:\d+; consuming 1 subscriptions again$/)]);
      expect(lines.filter((l) => l.level === 'debug' && /^reconnecting \(attempt \d+\)$/.test(l.message)).length).toBeGreaterThan(0);
      const raw = await connect(broker.url);
      await raw.send(`/queue/${pattern}`, { 'content-type': 'text/plain' }, 'after the outage', { receipt: true });
      await raw.disconnect();
      expect(await handled.promise).toBe('after the outage');
    } finally {
      await service.close();
    }
  }, 120_000);

  // Last of the file: it leaves the broker down.
  it('#16 closing while reconnecting logs no error', async () => {
    @Controller()
    class Events {
      @EventPattern<string>(name('closing'))
      on(): void {}
    }
    const service = await startService([Events], { uri: fast() });
    const from = service.logger.lines.length;
    await broker.kill();
    await service.logger.waitFor(/lost the connection/);
    await service.close();
    await service.logger.waitFor(/reconnection.* stopped/);
    expect(service.logger.lines.slice(from).filter((l) => l.level === 'error')).toEqual([]);
    expect(service.server.connectionStatus).toBe(ActiveMQStatus.CLOSED);
  }, 60_000);
});
