import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RpcException } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import type { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import type { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import type { StompConnection } from '../../../lib/connection/stomp-connection.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { StompConnectionClosedError } from '../../../lib/stomp/errors.js';
import { BrokerDialect, type BrokerFamily } from '../../../lib/wire/broker-dialect.js';
import { SubscriptionRefusedError } from '../../../lib/server/subscription-refused-error.js';
import { deadLetterQueue, sharedBrokerUrl } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { deferred, newClient, reconnected, startService, type RunningService } from '../../support/nest.js';

/**
 * The consumer-side JMS features of handlers (their decorators' extras) and the per-message ones
 * of the record builder, on the broker of this test project: Classic 5.17 or 6, Artemis or the
 * embedded broker. What a broker cannot give is asserted as its refusal.
 */
const P = `feat.${process.pid}.${Date.now().toString(36)}`;
let family: BrokerFamily;
let raw: StompConnection;
let client: ClientActiveMQ;
const emitted = (pattern: string, data: unknown) => lastValueFrom(client.emit(pattern, data), { defaultValue: undefined });

beforeAll(async () => {
  raw = await connect();
  family = BrokerDialect.of(raw.server).family;
  client = newClient();
  await client.connect();
});
afterAll(async () => {
  await client.close();
  await raw.disconnect();
});

/** Collects what a handler receives; `until(n)` resolves once it has n. */
class Inbox<T = unknown> {
  readonly items: T[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (this.items.length < w.n) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }
  until(n: number): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items);
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve(this.items) }));
  }
}

/** Every message waiting on `queue` up to a marker (sent last): what a handler left there. */
async function leftOn(queue: string, marker: string): Promise<string[]> {
  // Priority 0: Artemis and the embedded broker deliver by priority, and the marker must come last.
  await raw.send(queue, { persistent: 'true', priority: '0' }, marker, { receipt: true });
  const seen: string[] = [];
  const done = deferred();
  const sub = await raw.subscribe(queue, (m: StompFrame) => {
    const body = m.body.toString();
    if (body === marker) done.resolve();
    else seen.push(body);
  });
  await done.promise;
  await sub.unsubscribe();
  return seen;
}

describe('handler options: checked when the server starts', () => {
  it('an unknown option is refused, naming the pattern and the known options', async () => {
    @Controller()
    class Typo {
      @EventPattern<string>(`${P}.typo`, { selecter: "a = 'b'" })
      handle(): void {}
    }
    await expect(startService([Typo])).rejects.toThrow(`unknown handler option 'selecter' on the handler of '${P}.typo'; known: selector, durable,`);
  });

  it('an invalid selector is refused before subscribing, with the syntax error and the pattern', async () => {
    @Controller()
    class Bad {
      @EventPattern<string>(`${P}.badsel`, { selector: "region = 'EU' AND" })
      handle(): void {}
    }
    await expect(startService([Bad])).rejects.toThrow(new RegExp(`@Pattern\\('${P}.badsel'\\)\\.selector: invalid selector`));
  });

  it.each([
    [{ concurrency: 0 }, /concurrency must be a positive whole number|concurrency must be a whole number >= 1/],
    [{ durable: 'x' }, /durable applies to topic subscriptions only/],
    [{ exclusive: 'yes' }, /exclusive must be true or false/],
    [{ onError: 'retry' }, /onError must be 'nack' or 'ack' or 'dead-letter'/],
    [{ consumerPriority: 200 }, /consumerPriority must be a whole number from 0 to 127/],
  ])('%j is refused', async (extras, message) => {
    @Controller()
    class Wrong {
      @EventPattern<string>(`${P}.wrong`, extras)
      handle(): void {}
    }
    await expect(startService([Wrong])).rejects.toThrow(message);
  });

  it('a durable handler without the server’s clientId is refused', async () => {
    @Controller()
    class NoId {
      @EventPattern<string>(`topic://${P}.noid`, { durable: 'x' })
      handle(): void {}
    }
    await expect(startService([NoId])).rejects.toThrow(/durable needs the server's clientId/);
  });
});

describe('selectors', () => {
  it('only selected messages reach the handler; on a queue the others stay for other consumers', async () => {
    const pattern = `${P}.sel`;
    const inbox = new Inbox<string>();
    @Controller()
    class Selective {
      @EventPattern<string>(pattern, { selector: "region = 'EU' AND JMSPriority > 4" })
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    const service = await startService([Selective]);
    try {
      const send = (body: string, region: string, priority: number) => emitted(pattern, new ActiveMQRecordBuilder(body).setHeaders({ region }).setPriority(priority).build());
      await send('eu-high-1', 'EU', 7);
      await send('us-high', 'US', 7);
      await send('eu-low', 'EU', 2);
      await send('eu-high-2', 'EU', 9);
      expect((await inbox.until(2)).sort()).toEqual(['eu-high-1', 'eu-high-2']);
      await service.close();
      expect((await leftOn(`/queue/${pattern}`, 'end')).sort()).toEqual(['eu-low', 'us-high']);
      expect(inbox.items).toHaveLength(2);
    } finally {
      await service.close();
    }
  });

  it('a selector the broker refuses fails the start with its words and the pattern (XQUERY is a keyword of Classic’s grammar; the transport refuses it for Artemis, whose grammar has it too; the embedded broker takes it as a name)', async () => {
    const pattern = `${P}.xquery`;
    @Controller()
    class Keyword {
      @EventPattern<string>(pattern, { selector: "XQUERY = 'a'" })
      handle(@Payload() _data: string): void {}
    }
    if (family === 'artemis') {
      await expect(startService([Keyword])).rejects.toThrow(
        /selector cannot be given by ActiveMQ Artemis: XQUERY cannot be selected on .*XQUERY is a keyword of its filter grammar/,
      );
      return;
    }
    if (family === 'embedded') {
      const service = await startService([Keyword]);
      await service.close();
      return;
    }
    const refused = startService([Keyword]);
    await expect(refused).rejects.toThrow(SubscriptionRefusedError);
    await expect(refused).rejects.toThrow(new RegExp(`the broker refused the subscription of the handler of '${pattern}' to /queue/${pattern}: `));
  });

  it('JMSType (setType) and LIKE / IN / IS NULL select as the JMS specification says', async () => {
    const pattern = `${P}.type`;
    const inbox = new Inbox<string>();
    @Controller()
    class Typed {
      @EventPattern<string>(pattern, { selector: "JMSType = 'OrderPlaced' AND sku LIKE 'A\\_%' ESCAPE '\\' AND country IN ('FR', 'DE') AND coupon IS NULL" })
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    const service = await startService([Typed]);
    try {
      const send = (body: string, type: string, headers: Record<string, string>) => emitted(pattern, new ActiveMQRecordBuilder(body).setType(type).setHeaders(headers).build());
      await send('wrong-type', 'OrderCancelled', { sku: 'A_1', country: 'FR' });
      await send('wrong-sku', 'OrderPlaced', { sku: 'AB1', country: 'FR' });
      await send('coupon', 'OrderPlaced', { sku: 'A_1', country: 'DE', coupon: 'x' });
      await send('other-country', 'OrderPlaced', { sku: 'A_1', country: 'US' });
      await send('match', 'OrderPlaced', { sku: 'A_2', country: 'DE' });
      expect(await inbox.until(1)).toEqual(['match']);
      await service.close();
      expect((await leftOn(`/queue/${pattern}`, 'end')).sort()).toEqual(['coupon', 'other-country', 'wrong-sku', 'wrong-type']);
    } finally {
      await service.close();
    }
  });

  it('a STOMP header compared with a number selects as on Classic on every broker (Artemis is asked to convert strings)', async () => {
    const pattern = `${P}.numeric`;
    const inbox = new Inbox<string>();
    @Controller()
    class Numeric {
      @EventPattern<string>(pattern, { selector: 'amount > 4 AND flag = TRUE' })
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    const service = await startService([Numeric]);
    try {
      await emitted(pattern, new ActiveMQRecordBuilder('five').setHeaders({ amount: '5', flag: 'true' }).build());
      await emitted(pattern, new ActiveMQRecordBuilder('three').setHeaders({ amount: '3', flag: 'true' }).build());
      await emitted(pattern, new ActiveMQRecordBuilder('unflagged').setHeaders({ amount: '9', flag: 'false' }).build());
      expect(await inbox.until(1)).toEqual(['five']);
      await service.close();
      expect((await leftOn(`/queue/${pattern}`, 'end')).sort()).toEqual(['three', 'unflagged']);
    } finally {
      await service.close();
    }
  });

  it('on a topic, the handler gets only the selected events', async () => {
    const pattern = `topic://${P}.seltopic`;
    const inbox = new Inbox<string>();
    @Controller()
    class TopicSel {
      @EventPattern<string>(pattern, { selector: "kind = 'keep'" })
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    const service = await startService([TopicSel]);
    try {
      await emitted(pattern, new ActiveMQRecordBuilder('drop-1').setHeaders({ kind: 'drop' }).build());
      await emitted(pattern, new ActiveMQRecordBuilder('keep-1').setHeaders({ kind: 'keep' }).build());
      await emitted(pattern, new ActiveMQRecordBuilder('drop-2').build());
      await emitted(pattern, new ActiveMQRecordBuilder('keep-2').setHeaders({ kind: 'keep' }).build());
      expect(await inbox.until(2)).toEqual(['keep-1', 'keep-2']);
    } finally {
      await service.close();
    }
  });
});

describe('per-handler flow and failure policy', () => {
  it('concurrency per handler: one handler at most 1 at a time, another up to 3, on a server of concurrency 16', async () => {
    const state = { one: { running: 0, max: 0, done: 0 }, three: { running: 0, max: 0, done: 0 } };
    const all = deferred();
    const gate = deferred();
    const threeRunning = deferred();
    @Controller()
    class Limited {
      @EventPattern<string>(`${P}.c1`, { concurrency: 1 })
      async one(): Promise<void> {
        await this.run(state.one);
      }
      @EventPattern<string>(`${P}.c3`, { concurrency: 3 })
      async three(): Promise<void> {
        await this.run(state.three);
      }
      private async run(s: { running: number; max: number; done: number }): Promise<void> {
        s.running++;
        s.max = Math.max(s.max, s.running);
        if (state.three.running === 3) threeRunning.resolve();
        await gate.promise;
        s.running--;
        s.done++;
        if (state.one.done === 4 && state.three.done === 4) all.resolve();
      }
    }
    const service = await startService([Limited], { concurrency: 16 });
    try {
      for (let i = 0; i < 4; i++) {
        await emitted(`${P}.c1`, `one-${i}`);
        await emitted(`${P}.c3`, `three-${i}`);
      }
      await threeRunning.promise;
      gate.resolve();
      await all.promise;
      expect(state.one.max).toBe(1);
      expect(state.three.max).toBe(3);
    } finally {
      gate.resolve();
      await service.close();
    }
  });

  it("onError 'ack' drops a failed message: no redelivery, nothing on the DLQ", async () => {
    const pattern = `${P}.drop`;
    const calls: string[] = [];
    const marker = deferred();
    @Controller()
    class Dropping {
      @EventPattern<string>(pattern, { onError: 'ack', concurrency: 1 })
      handle(@Payload() data: string): void {
        calls.push(data);
        if (data === 'marker') return marker.resolve();
        throw new RpcException('cannot');
      }
    }
    const service = await startService([Dropping]);
    try {
      await emitted(pattern, 'bad');
      await emitted(pattern, 'marker');
      await marker.promise;
      await service.logger.waitFor(/failed on message .*: cannot; acknowledged and dropped \(onError 'ack'\)/);
      await service.close();
      expect(calls).toEqual(['bad', 'marker']);
      expect(await leftOn(`/queue/${pattern}`, 'end')).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it("onError 'dead-letter' sends a failed message to the broker's DLQ at once, naming where it came from", async () => {
    const pattern = `${P}.dead`;
    const probe = `probe-${Math.random().toString(36).slice(2)}`;
    let calls = 0;
    const dead = deferred<StompFrame>();
    const watcher = await connect();
    await watcher.subscribe(deadLetterQueue(), (m) => {
      if (m.headers['probe'] === probe) dead.resolve(m);
    });
    @Controller()
    class Deadly {
      @EventPattern<string>(pattern, { onError: 'dead-letter' })
      handle(): void {
        calls++;
        throw new RpcException('poison');
      }
    }
    const service = await startService([Deadly]);
    try {
      await emitted(pattern, new ActiveMQRecordBuilder({ id: 1 }).setHeaders({ probe }).build());
      const letter = await dead.promise;
      expect(JSON.parse(letter.body.toString())).toEqual({ id: 1 });
      expect(letter.headers['nestjs-original-destination']).toBe(`/queue/${pattern}`);
      expect(calls).toBe(1);
      expect(await service.logger.waitFor(/poison; rejected for the last time: the server moves it to (ActiveMQ\.)?DLQ at once \(onError 'dead-letter'\)/)).toBeTruthy();
    } finally {
      await service.close();
      await watcher.disconnect();
    }
  });

  it("ackMode 'manual' for one handler while the others are settled by the server", async () => {
    const manualSeen = deferred<ActiveMQContext>();
    const autoSeen = deferred();
    @Controller()
    class Mixed {
      @EventPattern<string>(`${P}.manual`, { ackMode: 'manual' })
      manual(@Ctx() ctx: ActiveMQContext): void {
        manualSeen.resolve(ctx);
      }
      @EventPattern<string>(`${P}.auto`)
      auto(@Ctx() ctx: ActiveMQContext): void {
        expect(() => ctx.ack()).toThrow(/needs ackMode 'manual'/);
        autoSeen.resolve();
      }
    }
    const service = await startService([Mixed]);
    try {
      await emitted(`${P}.manual`, 'm');
      await emitted(`${P}.auto`, 'a');
      const ctx = await manualSeen.promise;
      await autoSeen.promise;
      await ctx.ack();
      await service.close();
      expect(await leftOn(`/queue/${P}.manual`, 'end')).toEqual([]);
      expect(await leftOn(`/queue/${P}.auto`, 'end')).toEqual([]);
    } finally {
      await service.close();
    }
  });
});

describe('message groups', () => {
  it('interleaved groups at concurrency 16: each group in order, one at a time, groups side by side', async () => {
    const pattern = `${P}.groups`;
    const groups = ['g-a', 'g-b', 'g-c', 'g-d'];
    const perGroup = 8;
    const seen = new Map<string, number[]>();
    const running = new Map<string, number>();
    let overlapWithinGroup = false;
    let parallel = 0;
    let runningAll = 0;
    const inbox = new Inbox<string>();
    @Controller()
    class Grouped {
      @EventPattern<string>(pattern)
      async handle(@Payload() data: { n: number }, @Ctx() ctx: ActiveMQContext): Promise<void> {
        const group = ctx.getGroup()!;
        running.set(group, (running.get(group) ?? 0) + 1);
        if (running.get(group)! > 1) overlapWithinGroup = true;
        runningAll++;
        parallel = Math.max(parallel, runningAll);
        // Work of varied length, so that a server that ran a group's messages side by side would finish them out of order.
        await new Promise((r) => setTimeout(r, (data.n * 7) % 5));
        seen.set(group, [...(seen.get(group) ?? []), data.n]);
        running.set(group, running.get(group)! - 1);
        runningAll--;
        inbox.push(group);
      }
    }
    const service = await startService([Grouped], { concurrency: 16 });
    try {
      for (let n = 0; n < perGroup; n++) {
        for (const group of groups) await emitted(pattern, new ActiveMQRecordBuilder({ n }).setGroup(group).build());
      }
      await inbox.until(groups.length * perGroup);
      const inOrder = Array.from({ length: perGroup }, (_, i) => i);
      for (const group of groups) expect(seen.get(group)).toEqual(inOrder);
      expect(overlapWithinGroup).toBe(false);
      // All groups go to this one consumer, and run side by side.
      expect(parallel).toBeGreaterThan(1);
    } finally {
      await service.close();
    }
  });
});

describe('scheduled delivery', () => {
  it('setDeliveryDelay: held by the broker for the delay; a message sent after it without delay arrives first', async () => {
    const pattern = `${P}.delay`;
    const inbox = new Inbox<{ body: string; at: number }>();
    @Controller()
    class Delayed {
      @EventPattern<string>(pattern)
      handle(@Payload() data: string): void {
        inbox.push({ body: data, at: Date.now() });
      }
    }
    const service = await startService([Delayed]);
    try {
      const sent = Date.now();
      await emitted(pattern, new ActiveMQRecordBuilder('late').setDeliveryDelay(1500).build());
      await emitted(pattern, 'now');
      const [first, second] = await inbox.until(2);
      expect([first!.body, second!.body]).toEqual(['now', 'late']);
      expect(second!.at - sent).toBeGreaterThanOrEqual(1500 - 50);
    } finally {
      await service.close();
    }
  });

  it('setDeliveryTime: delivered at the time given', async () => {
    const pattern = `${P}.time`;
    const inbox = new Inbox<{ body: string; at: number }>();
    @Controller()
    class Timed {
      @EventPattern<string>(pattern)
      handle(@Payload() data: string): void {
        inbox.push({ body: data, at: Date.now() });
      }
    }
    const service = await startService([Timed]);
    try {
      const due = Date.now() + 1500;
      await emitted(pattern, new ActiveMQRecordBuilder('timed').setDeliveryTime(new Date(due)).build());
      await emitted(pattern, 'now');
      const [first, second] = await inbox.until(2);
      expect([first!.body, second!.body]).toEqual(['now', 'timed']);
      expect(second!.at).toBeGreaterThanOrEqual(due - 50);
    } finally {
      await service.close();
    }
  });

  it('setSchedule({ period, repeat }): Classic and the embedded broker deliver repeat + 1 copies; Artemis refuses the send', async () => {
    const pattern = `${P}.repeat`;
    const inbox = new Inbox<number>();
    @Controller()
    class Repeated {
      @EventPattern<string>(pattern)
      handle(): void {
        inbox.push(Date.now());
      }
    }
    const service = await startService([Repeated]);
    try {
      const record = new ActiveMQRecordBuilder('tick').setSchedule({ period: 300, repeat: 2 }).build();
      if (family === 'artemis') {
        await expect(emitted(pattern, record)).rejects.toThrow(/AMQ_SCHEDULED_PERIOD \(setSchedule\(\), setCron\(\)\) is ActiveMQ Classic's scheduler/);
        return;
      }
      await emitted(pattern, record);
      const times = await inbox.until(3);
      expect(times).toHaveLength(3);
      expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(2 * 300 - 100);
    } finally {
      await service.close();
    }
  });

  it('setCron: held by Classic and the embedded broker (a message sent later arrives first); refused by Artemis', async () => {
    const pattern = `${P}.cron`;
    const inbox = new Inbox<string>();
    @Controller()
    class Cronned {
      @EventPattern<string>(pattern)
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    const service = await startService([Cronned]);
    try {
      // Once a year, at midnight on the 1st of January: never during this test.
      const record = new ActiveMQRecordBuilder('yearly').setCron('0 0 1 1 *').build();
      if (family === 'artemis') {
        await expect(emitted(pattern, record)).rejects.toThrow(/AMQ_SCHEDULED_CRON/);
        return;
      }
      await emitted(pattern, record);
      await emitted(pattern, 'marker');
      expect(await inbox.until(1)).toEqual(['marker']);
    } finally {
      await service.close();
    }
  });
});

describe('wildcards and composite destinations', () => {
  it('a topic wildcard handler gets the events of every matching topic, and ctx.getDestination() names which', async () => {
    const base = `${P}.prices`;
    const inbox = new Inbox<string>();
    @Controller()
    class Prices {
      @EventPattern<string>(`topic://${base}.>`)
      all(@Ctx() ctx: ActiveMQContext): void {
        inbox.push(ctx.getDestination());
      }
    }
    const service = await startService([Prices]);
    try {
      await emitted(`topic://${base}.eu.fr`, 1);
      await emitted(`topic://${base}.us`, 2);
      await emitted(`topic://${P}.other.eu`, 3);
      await emitted(`topic://${base}.eu.de`, 4);
      expect(await inbox.until(3)).toEqual([`/topic/${base}.eu.fr`, `/topic/${base}.us`, `/topic/${base}.eu.de`]);
    } finally {
      await service.close();
    }
  });

  it('a composite destination: one emit reaches each queue (Classic, embedded); refused by Artemis', async () => {
    const a = `${P}.compA`;
    const b = `${P}.compB`;
    if (family === 'artemis') {
      await expect(emitted(`queue://${a},${b}`, 'both')).rejects.toThrow(/composite destination, which ActiveMQ Artemis does not have over STOMP/);
      return;
    }
    await emitted(`queue://${a},${b}`, 'both');
    expect(await leftOn(`/queue/${a}`, 'end')).toEqual(['both']);
    expect(await leftOn(`/queue/${b}`, 'end')).toEqual(['both']);
  });
});

describe('durable subscriptions, exclusive and prioritised consumers', () => {
  it('a durable topic handler gets the events published while the server was down; unsubscribeDurable removes it', async () => {
    const pattern = `topic://${P}.durable`;
    const clientId = `billing-${process.pid}-${Date.now().toString(36)}`;
    const inbox = new Inbox<string>();
    @Controller()
    class Billing {
      @EventPattern<string>(pattern, { durable: 'billing-prices' })
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    // The client is given the same URI with the client id in it: it goes without (the broker would refuse a second connection with it).
    const uri = `${sharedBrokerUrl()}${sharedBrokerUrl().includes('?') ? '&' : '?'}jms.clientID=${clientId}`;
    const sameUri = newClient({ uri });
    let service: RunningService = await startService([Billing], { uri });
    try {
      await lastValueFrom(sameUri.emit(pattern, 'while-up'), { defaultValue: undefined });
      expect(await inbox.until(1)).toEqual(['while-up']);
      await service.close();
      await lastValueFrom(sameUri.emit(pattern, 'while-down-1'), { defaultValue: undefined });
      await lastValueFrom(sameUri.emit(pattern, 'while-down-2'), { defaultValue: undefined });
      service = await startService([Billing], { uri });
      expect(await inbox.until(3)).toEqual(['while-up', 'while-down-1', 'while-down-2']);
      await service.server.unsubscribeDurable('billing-prices');
      // A reconnection does not subscribe it again.
      const back = reconnected(service);
      service.server.unwrap<StompConnection>().destroy(new StompConnectionClosedError('test: connection cut'));
      await back;
      await service.close();
      await lastValueFrom(sameUri.emit(pattern, 'after-removal'), { defaultValue: undefined });
      // A new subscription starts empty: the event published between is nobody's.
      service = await startService([Billing], { uri });
      await lastValueFrom(sameUri.emit(pattern, 'new-subscription'), { defaultValue: undefined });
      expect(await inbox.until(4)).toEqual(['while-up', 'while-down-1', 'while-down-2', 'new-subscription']);
      await service.server.unsubscribeDurable('billing-prices');
    } finally {
      await service.close();
      await sameUri.close();
    }
  }, 60_000);

  it('exclusive consumers: one of two servers gets every message (Classic, embedded); refused at start by Artemis', async () => {
    const pattern = `${P}.exclusive`;
    const got = { a: 0, b: 0 };
    const inbox = new Inbox<string>();
    const make = (key: 'a' | 'b') => {
      @Controller()
      class Exclusive {
        @EventPattern<string>(pattern, { exclusive: true })
        handle(): void {
          got[key]++;
          inbox.push(key);
        }
      }
      return Exclusive;
    };
    if (family === 'artemis') {
      await expect(startService([make('a')])).rejects.toThrow(/exclusive cannot be given by ActiveMQ Artemis/);
      return;
    }
    const first = await startService([make('a')]);
    const second = await startService([make('b')]);
    try {
      for (let i = 0; i < 10; i++) await emitted(pattern, i);
      await inbox.until(10);
      expect(got).toEqual({ a: 10, b: 0 });
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('consumer priority: the higher-priority server gets the messages while it has room (Classic, embedded); refused at start by Artemis', async () => {
    const pattern = `${P}.priority`;
    const got = { low: 0, high: 0 };
    const inbox = new Inbox<string>();
    const make = (key: 'low' | 'high') => {
      @Controller()
      class Prioritised {
        @EventPattern<string>(pattern, { consumerPriority: key === 'high' ? 9 : 1, prefetch: 20 })
        handle(): void {
          got[key]++;
          inbox.push(key);
        }
      }
      return Prioritised;
    };
    if (family === 'artemis') {
      await expect(startService([make('high')])).rejects.toThrow(/consumerPriority cannot be given by ActiveMQ Artemis/);
      return;
    }
    const low = await startService([make('low')]);
    const high = await startService([make('high')]);
    try {
      // Seen once on Classic 6 in CI: the first message just after the second SUBSCRIBE went to the
      // low-priority consumer. Messages are sent one at a time until the high one has taken one
      // (at most 5), so that the count starts with both consumers in the broker's dispatch list.
      for (let probes = 1; got.high === 0; probes++) {
        expect(probes).toBeLessThanOrEqual(5);
        await emitted(pattern, 'probe');
        await inbox.until(probes);
      }
      const primed = inbox.items.length;
      got.low = 0;
      got.high = 0;
      for (let i = 0; i < 10; i++) await emitted(pattern, i);
      await inbox.until(primed + 10);
      expect(got).toEqual({ low: 0, high: 10 });
    } finally {
      await low.close();
      await high.close();
    }
  });

  it('retroactive: a new topic subscriber gets the retained message (Classic’s default recovery policy, the embedded broker); refused at start by Artemis', async () => {
    const pattern = `topic://${P}.retro`;
    const inbox = new Inbox<string>();
    @Controller()
    class Late {
      @EventPattern<string>(pattern, { retroactive: true })
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    if (family === 'artemis') {
      await expect(startService([Late])).rejects.toThrow(/retroactive cannot be given by ActiveMQ Artemis/);
      return;
    }
    // Sent before any subscriber: only a retroactive one can see it.
    await emitted(pattern, new ActiveMQRecordBuilder('retained').setHeaders({ 'ActiveMQ.Retain': 'true' }).build());
    await emitted(pattern, 'not-retained');
    const service = await startService([Late]);
    try {
      await emitted(pattern, 'live');
      expect(await inbox.until(2)).toEqual(['retained', 'live']);
    } finally {
      await service.close();
    }
  });

  it('noLocal: the server’s own connection’s events do not reach its topic handler, another connection’s do', async () => {
    const pattern = `topic://${P}.nolocal`;
    const inbox = new Inbox<string>();
    @Controller()
    class Quiet {
      @EventPattern<string>(pattern, { noLocal: true })
      handle(@Payload() data: string): void {
        inbox.push(data);
      }
    }
    const service = await startService([Quiet]);
    try {
      const own = service.server.unwrap<StompConnection>();
      await own.send(`/topic/${P}.nolocal`, { 'content-type': 'text/plain' }, 'own', { receipt: true });
      await emitted(pattern, 'other');
      expect(await inbox.until(1)).toEqual(['other']);
    } finally {
      await service.close();
    }
  });
});

describe('browsing', () => {
  it('browse() returns the waiting messages (a selector, a limit) and consumes none (Classic, embedded); refused by Artemis', async () => {
    const pattern = `${P}.browse`;
    if (family === 'artemis') {
      await emitted(pattern, 'kept');
      await expect(client.browse(pattern)).rejects.toThrow(/ActiveMQ Artemis has no browsing STOMP subscriber/);
      expect(await leftOn(`/queue/${pattern}`, 'end')).toEqual(['kept']);
      return;
    }
    for (const [body, tier] of [
      ['a', 'gold'],
      ['b', 'silver'],
      ['c', 'gold'],
    ] as const) {
      await emitted(pattern, new ActiveMQRecordBuilder({ body }).setHeaders({ tier }).build());
    }
    expect((await client.browse(pattern)).map((m) => m.data)).toEqual([{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    expect((await client.browse(pattern, { selector: "tier = 'gold'" })).map((m) => m.data)).toEqual([{ body: 'a' }, { body: 'c' }]);
    expect((await client.browse(pattern, { limit: 2 })).map((m) => m.data)).toEqual([{ body: 'a' }, { body: 'b' }]);
    expect(await client.browse(`${P}.browse-empty`)).toEqual([]);
    // Nothing was consumed.
    expect(await leftOn(`/queue/${pattern}`, 'end')).toEqual(['{"body":"a"}', '{"body":"b"}', '{"body":"c"}']);
  });

  it('browse() refuses what is not one queue, and a bad selector', async () => {
    await expect(client.browse(`topic://${P}.t`)).rejects.toThrow(/browse\(\) reads one queue/);
    await expect(client.browse(`queue://${P}.a,${P}.b`)).rejects.toThrow(/browse\(\) reads one queue/);
    await expect(client.browse(`${P}.q`, { selector: 'a = ' })).rejects.toThrow(/selector: invalid selector/);
    await expect(client.browse(`${P}.q`, { limit: 0 })).rejects.toThrow(/browse limit must be a whole number >= 1, got 0/);
  });
});
