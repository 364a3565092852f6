import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom, from, lastValueFrom, of, timeout, toArray, TimeoutError, type Observable } from 'rxjs';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import { ActiveMQConnectionLostError, ActiveMQRequestTimeoutError } from '../../../lib/errors/client-errors.js';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { BrokerUnreachableError } from '../../../lib/connection/connect-to-first.js';
import { deferred, newClient, startService, type RunningService } from '../../support/nest.js';

const P = `rr.${process.pid}.${Date.now().toString(36)}`;
const twiceSeen: string[] = [];
const twiceDone = { count: 0, resolve: (): void => {} };
let slowRelease = deferred();

@Controller()
class MathController {
  @MessagePattern<string>(`${P}.sum.sync`)
  sumSync(@Payload() numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern<string>(`${P}.sum.promise`)
  async sumPromise(@Payload() numbers: number[]): Promise<number> {
    await Promise.resolve();
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern<string>(`${P}.sum.observable`)
  sumObservable(@Payload() numbers: number[]): Observable<number> {
    return of(numbers.reduce((a, b) => a + b, 0));
  }

  @MessagePattern<string>(`${P}.stream`)
  stream(@Payload() numbers: number[]): Observable<number> {
    return from(numbers);
  }

  @MessagePattern<string>(`${P}.echo`)
  echo(@Payload() data: unknown): unknown {
    return data;
  }

  @MessagePattern<string>(`${P}.fail.rpc`)
  failRpc(): never {
    throw new RpcException({ status: 400, message: 'numbers must be positive' });
  }

  @MessagePattern<string>(`${P}.fail.async`)
  async failAsync(): Promise<never> {
    await Promise.resolve();
    throw new RpcException('plain text reason');
  }

  @MessagePattern<string>(`${P}.context`)
  context(@Ctx() ctx: ActiveMQContext): unknown {
    const message = ctx.getMessage();
    return {
      tenant: ctx.getHeaders()['tenant'],
      priority: ctx.getHeaders()['priority'],
      pattern: ctx.getPattern(),
      destination: ctx.getDestination(),
      redelivered: ctx.isRedelivered(),
      hasMessageId: typeof message.messageId === 'string',
    };
  }

  @MessagePattern<string>(`${P}.slow`)
  async slow(): Promise<string> {
    await slowRelease.promise;
    return 'late';
  }

  @EventPattern<string>(`${P}.twice`)
  first(@Payload() data: { id: string }): void {
    twiceSeen.push(`first:${data.id}`);
    if (++twiceDone.count === 2) twiceDone.resolve();
  }

  @EventPattern<string>(`${P}.twice`)
  async second(@Payload() data: { id: string }): Promise<void> {
    await Promise.resolve();
    twiceSeen.push(`second:${data.id}`);
    if (++twiceDone.count === 2) twiceDone.resolve();
  }
}

let service: RunningService;
let client: ClientActiveMQ;
beforeAll(async () => {
  service = await startService([MathController]);
  client = newClient();
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await service?.close();
});

describe('request/reply', () => {
  it.each(['sync', 'promise', 'observable'])('computes a sum in a %s handler', async (kind) => {
    expect(await firstValueFrom(client.send<number>(`${P}.sum.${kind}`, [1, 2, 3, 4]))).toBe(10);
  });

  it('delivers a streamed reply in order, and completes', async () => {
    const values = await lastValueFrom(client.send<number>(`${P}.stream`, [5, 6, 7, 8]).pipe(toArray()));
    expect(values).toEqual([5, 6, 7, 8]);
  });

  it('answers 100 concurrent requests, each with its own result', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => firstValueFrom(client.send<number>(`${P}.sum.promise`, [i, 1000]))));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i + 1000));
  });

  it('brings an RpcException back as an error with its status and message', async () => {
    await expect(firstValueFrom(client.send(`${P}.fail.rpc`, {}))).rejects.toEqual({ status: 400, message: 'numbers must be positive' });
    await expect(firstValueFrom(client.send(`${P}.fail.async`, {}))).rejects.toEqual({ status: 'error', message: 'plain text reason' });
  });

  it('round-trips Buffers with bytes 0x00 and 0xFF, strings and nested JSON', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x00, 0x01, 0xfe]);
    const echoed = await firstValueFrom(client.send<Buffer>(`${P}.echo`, bytes));
    expect(Buffer.isBuffer(echoed)).toBe(true);
    expect(echoed.equals(bytes)).toBe(true);
    expect(await firstValueFrom(client.send(`${P}.echo`, 'plain text: é ✓'))).toBe('plain text: é ✓');
    const nested = { a: [1, { b: null, c: 'x\n\0y' }], d: true };
    expect(await firstValueFrom(client.send(`${P}.echo`, nested))).toEqual(nested);
  });

  it('shows the record builder’s headers and priority to the handler through @Ctx()', async () => {
    const record = new ActiveMQRecordBuilder([1]).setHeaders({ tenant: 'acme' }).setPriority(7).build();
    expect(await firstValueFrom(client.send(`${P}.context`, record))).toEqual({
      tenant: 'acme',
      priority: '7',
      pattern: `${P}.context`,
      destination: `/queue/${P}.context`,
      redelivered: false,
      hasMessageId: true,
    });
  });

  it('fails a request that no server handles after the caller’s timeout, with a clear error', async () => {
    const impatient = newClient({ requestTimeout: 300 });
    try {
      const error: unknown = await firstValueFrom(impatient.send(`${P}.nobody.listens`, 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ActiveMQRequestTimeoutError);
      expect((error as Error).message).toBe(`no reply to '${P}.nobody.listens' within 300 ms: is a server handling that pattern?`);
      expect(impatient.pendingRequests).toBe(0);
    } finally {
      await impatient.close();
    }
  });

  it('cancels the pending reply when the caller unsubscribes (rxjs timeout)', async () => {
    slowRelease = deferred();
    const error: unknown = await firstValueFrom(client.send(`${P}.slow`, {}).pipe(timeout(100))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(client.pendingRequests).toBe(0);
    slowRelease.resolve();
    // The late reply finds no caller and is dropped; the next request still gets its own answer.
    expect(await firstValueFrom(client.send(`${P}.sum.sync`, [2, 2]))).toBe(4);
  });

  it('is lazy: send() publishes only when subscribed', async () => {
    const fresh = newClient();
    const statuses: string[] = [];
    fresh.status.subscribe((s) => statuses.push(s));
    const reply$ = fresh.send(`${P}.sum.sync`, [1]);
    expect(() => fresh.unwrap()).toThrow(/call the "connect" method first/);
    expect(statuses).toEqual([]);
    expect(await firstValueFrom(reply$)).toBe(1);
    expect(statuses).toEqual([ActiveMQStatus.CONNECTING, ActiveMQStatus.CONNECTED]);
    await fresh.close();
    expect(statuses.at(-1)).toBe(ActiveMQStatus.CLOSED);
  });

  it('fails waiting requests with a retriable error when the client closes', async () => {
    slowRelease = deferred();
    const closing = newClient();
    const reply: Promise<unknown> = firstValueFrom(closing.send(`${P}.slow`, {})).catch((e: unknown) => e);
    await closing.connect();
    await new Promise((resolve) => setImmediate(resolve));
    await closing.close();
    const error = await reply;
    expect(error).toBeInstanceOf(ActiveMQConnectionLostError);
    expect((error as ActiveMQConnectionLostError).retriable).toBe(true);
    slowRelease.resolve();
  });

  it('fails clearly when the broker cannot be reached', async () => {
    const dead = new ClientActiveMQ({ uri: 'stomp://127.0.0.1:1?startupMaxReconnectAttempts=1&initialReconnectDelay=50' });
    const error: unknown = await firstValueFrom(dead.send(`${P}.sum.sync`, [1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect((error as Error).message).toMatch(/could not connect to 127\.0\.0\.1:1 after 2 attempts: .*ECONNREFUSED/);
  });
});

describe('events', () => {
  it('runs every @EventPattern handler of one event', async () => {
    const done = deferred();
    twiceDone.count = 0;
    twiceDone.resolve = done.resolve;
    await lastValueFrom(client.emit(`${P}.twice`, { id: 'e1' }), { defaultValue: undefined });
    await done.promise;
    expect(twiceSeen.sort()).toEqual(['first:e1', 'second:e1']);
  });

  it('emit() is hot: it publishes without a subscriber', async () => {
    const done = deferred();
    twiceDone.count = 0;
    twiceDone.resolve = done.resolve;
    twiceSeen.length = 0;
    client.emit(`${P}.twice`, { id: 'e2' });
    await done.promise;
    expect(twiceSeen.sort()).toEqual(['first:e2', 'second:e2']);
  });
});
