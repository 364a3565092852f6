import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { connect } from '../../support/connect.js';
import { deferred, newClient, startService } from '../../support/nest.js';

const P = `shutdown.${process.pid}.${Date.now().toString(36)}`;

describe('graceful shutdown', () => {
  it('app.close() waits for a handler only up to closeTimeout; the unfinished message is redelivered, not lost', async () => {
    const started = deferred();
    const never = new Promise<void>(() => {});
    @Controller()
    class Stuck {
      @EventPattern<string>(`${P}.stuck`)
      async on(): Promise<void> {
        started.resolve();
        await never;
      }
    }
    const redelivered = deferred<{ data: string; redelivered: boolean }>();
    @Controller()
    class Healthy {
      @EventPattern<string>(`${P}.stuck`)
      on(@Payload() data: string, @Ctx() ctx: ActiveMQContext): void {
        redelivered.resolve({ data, redelivered: ctx.isRedelivered() });
      }
    }
    const stuck = await startService([Stuck], { closeTimeout: 300 });
    const client = newClient();
    await lastValueFrom(client.emit(`${P}.stuck`, 'order-1'), { defaultValue: undefined });
    await started.promise;
    const closing = performance.now();
    await stuck.close();
    const tookMs = performance.now() - closing;
    expect(tookMs).toBeGreaterThanOrEqual(290);
    expect(tookMs).toBeLessThan(5000);
    expect(await stuck.logger.waitFor(/closing with handlers still running after 300 ms; their messages will be redelivered/)).toBeTruthy();
    const healthy = await startService([Healthy]);
    expect(await redelivered.promise).toEqual({ data: 'order-1', redelivered: true });
    await healthy.close();
    await client.close();
  });

  it('client.close() drains outstanding confirmations, then disconnects with a receipt', async () => {
    const windowed = newClient({ confirmationWindowSize: 1 << 20, useAsyncSend: true });
    let confirmed = 0;
    windowed.acknowledgements().subscribe((o) => o.status === 'confirmed' && confirmed++);
    for (let i = 0; i < 300; i++) await lastValueFrom(windowed.emit(`${P}.drain`, i), { defaultValue: undefined });
    expect(confirmed).toBeLessThan(300);
    const connection = windowed.unwrap<{ closed: Promise<unknown> }>();
    await windowed.close();
    expect(confirmed).toBe(300);
    await expect(connection.closed).resolves.toBeUndefined(); // a clean DISCONNECT, not a drop
  });
});

describe('consumer-side deduplication', () => {
  it('with dedupeWindow, a re-sent message whose id was handled already is acknowledged, not handled again', async () => {
    const handled: string[] = [];
    const done = deferred();
    @Controller()
    class Orders {
      @EventPattern<string>(`${P}.dedupe`)
      on(@Payload() data: string): void {
        handled.push(data);
        if (data === 'last') done.resolve();
      }
    }
    const service = await startService([Orders], { dedupeWindow: 100, concurrency: 1 });
    const raw = await connect();
    try {
      // The same message twice, as a re-send after a lost receipt produces it, then a different one.
      await raw.send(`/queue/${P}.dedupe`, { nestjsMessageId: 'm-1', 'content-type': 'text/plain' }, 'first', { receipt: true });
      await raw.send(`/queue/${P}.dedupe`, { nestjsMessageId: 'm-1', 'content-type': 'text/plain' }, 'first', { receipt: true });
      await raw.send(`/queue/${P}.dedupe`, { nestjsMessageId: 'm-2', 'content-type': 'text/plain' }, 'last', { receipt: true });
      await done.promise;
      expect(handled).toEqual(['first', 'last']);
    } finally {
      await raw.disconnect();
      await service.close();
    }
  });
});
