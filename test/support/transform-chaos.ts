import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { ActiveMQContext } from '../../lib/server/activemq.context.js';
import { ServerActiveMQ } from '../../lib/server/server-activemq.js';
import { connect } from './connect.js';
import { drainIds } from './drain.js';
import { RecordingLogger } from './nest.js';

/** What a consume-transform-produce run under broker crashes left behind. */
export interface TransformChaosReport {
  readonly total: number;
  readonly crashes: number;
  /** Inputs handled with both outputs present, each exactly once. */
  readonly complete: number;
  /** Inputs still in their queue, with no output at all. */
  readonly waiting: number;
  /** Inputs with some but not all outputs, or with outputs and still waiting: what a transaction must never leave. */
  readonly broken: string[];
  /** Outputs present more than once. */
  readonly duplicates: number;
  /** Handler runs beyond one per input (runs whose transaction died with a connection). */
  readonly reruns: number;
  readonly committed: number;
  readonly inDoubt: number;
}

/**
 * `total` inputs (each with its own `nestjsMessageId`, `in-<i>`) are consumed by a transactional
 * handler that sends two outputs per input (`in-<i>@<queue>.1` and `.2`: the ids a handler
 * transaction derives), while `crash()` kills and restarts the broker `crashes` times at random
 * points. The server is then closed and both queues read: every input must be either handled,
 * with both outputs present exactly once, or still waiting, with none.
 */
export async function transformUnderCrashes(options: {
  readonly url: () => string;
  readonly crash: () => Promise<void>;
  readonly total: number;
  readonly crashes: number;
  readonly queue: string;
}): Promise<TransformChaosReport> {
  const { total, queue } = options;
  const output = `${queue}.out`;
  // The inputs, in transactions of 500: stored before the run.
  const producer = await connect(options.url());
  for (let start = 0; start < total; start += 500) {
    const tx = `load-${start}`;
    await producer.begin(tx);
    for (let i = start; i < Math.min(total, start + 500); i++) {
      await producer.send(`/queue/${queue}`, { persistent: 'true', transaction: tx, nestjsMessageId: `in-${i}`, 'content-type': 'application/json' }, JSON.stringify({ i }));
    }
    await producer.commit(tx);
  }
  await producer.disconnect();

  const runs = new Map<number, number>();
  let handled = 0;
  const waiters: Array<{ at: number; resolve: () => void }> = [];
  let allRan!: () => void;
  const everyOneRan = new Promise<void>((resolve) => (allRan = resolve));
  @Controller()
  class Transform {
    @EventPattern<string>(queue, { transactional: true })
    async handle(@Payload() input: { i: number }, @Ctx() ctx: ActiveMQContext): Promise<void> {
      await ctx.emit(output, { i: input.i, part: 1 });
      await ctx.emit(output, { i: input.i, part: 2 });
      const n = (runs.get(input.i) ?? 0) + 1;
      runs.set(input.i, n);
      if (n > 1) return;
      handled++;
      for (const w of [...waiters]) {
        if (handled < w.at) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (handled === total) allRan();
    }
  }
  @Module({ controllers: [Transform] })
  class TransformModule {}
  const server = new ServerActiveMQ({ uri: `${options.url()}?initialReconnectDelay=50&maxReconnectDelay=500&timeout=120000`, dedupeWindow: total });
  const app = await NestFactory.createMicroservice(TransformModule, { strategy: server, logger: new RecordingLogger() });
  const reached = (at: number) => new Promise<void>((resolve) => (handled >= at ? resolve() : waiters.push({ at, resolve })));
  let crashes = 0;
  await app.listen();
  const crashAt = Array.from({ length: options.crashes }, (_, i) => Math.floor(((i + Math.random()) * total) / (options.crashes + 0.5)));
  for (const at of crashAt) {
    await reached(at);
    await options.crash();
    crashes++;
  }
  await everyOneRan;
  const { committed, inDoubt } = server.metrics().transactions;
  await app.close();

  const waiting = await drainIds(options.url(), queue);
  const outputs = await drainIds(options.url(), output);
  const count = new Map<string, number>();
  for (const id of outputs) count.set(id, (count.get(id) ?? 0) + 1);
  const stillWaiting = new Set(waiting);
  const broken: string[] = [];
  let complete = 0;
  for (let i = 0; i < total; i++) {
    const parts = [count.get(`in-${i}@${queue}.1`) ?? 0, count.get(`in-${i}@${queue}.2`) ?? 0];
    const waits = stillWaiting.has(`in-${i}`);
    if (!waits && parts.every((c) => c >= 1)) complete++;
    else if (!(waits && parts.every((c) => c === 0))) broken.push(`in-${i}: outputs ${parts.join('+')}, ${waits ? 'still waiting' : 'not waiting'}`);
  }
  const duplicates = outputs.length - count.size + (waiting.length - stillWaiting.size);
  const reruns = [...runs.values()].reduce((sum, n) => sum + n - 1, 0);
  return { total, crashes, complete, waiting: stillWaiting.size, broken, duplicates, reruns, committed, inDoubt };
}
