import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../lib/client/client-activemq.js';
import { ActiveMQContext } from '../lib/server/activemq.context.js';
import { ServerActiveMQ } from '../lib/server/server-activemq.js';
import { preload } from './consumer.js';
import { drain, freshQueue, type BenchTarget } from './scenarios.js';

/**
 * How the handler sends its two outputs:
 * - `plain`: with a `ClientActiveMQ` on the same broker, blocking durable emits (each output
 *   confirmed by the broker before the next), the input acknowledged after the handler;
 * - `transactional`: `{ transactional: true }`, with `ctx.emit()` in the handler's transaction, the
 *   input's ACK added to it and COMMIT waited for.
 */
export type TransformVariant = 'plain' | 'transactional';

/** What one run measured. */
export interface TransformRun {
  /** From `listen()` until the last input was handled and its outputs were stored. */
  readonly seconds: number;
  /** Transactional only: the mean time from the input's ACK being written to the COMMIT's receipt (ms). */
  readonly commitLatencyMs?: number;
}

/** Payload size of each input (and of each output, which repeats its input's body). */
export const TRANSFORM_SIZE = 200;
/** The server's own default, given here so that both variants are sure to run with it. */
export const TRANSFORM_CONCURRENCY = 16;

/**
 * Consume-transform-produce: `count` persistent 200-byte inputs are preloaded on a fresh queue,
 * then a Nest microservice on `ServerActiveMQ` handles each by sending two persistent outputs to
 * an output queue. The clock runs from `listen()` until the last input is handled with its outputs
 * stored (plain: the handler's last confirmed emit returned; transactional: the server counted
 * `count` confirmed COMMITs). The outputs are drained afterwards, outside the measured time.
 */
export async function transform(target: BenchTarget, variant: TransformVariant, count: number): Promise<TransformRun> {
  const pattern = freshQueue(`transform-${variant}`);
  const out = `${pattern}.out`;
  await preload(target, `/queue/${pattern}`, TRANSFORM_SIZE, count, true);

  let done!: () => void;
  const allHandled = new Promise<void>((resolve) => (done = resolve));
  let handled = 0;
  const client = variant === 'plain' ? new ClientActiveMQ({ uri: target.stompUrl }) : undefined;
  await client?.connect();

  @Controller()
  class PlainTransform {
    @EventPattern(pattern)
    async handle(@Payload() data: unknown): Promise<void> {
      await lastValueFrom(client!.emit(out, data), { defaultValue: undefined });
      await lastValueFrom(client!.emit(out, data), { defaultValue: undefined });
      if (++handled === count) done();
    }
  }

  @Controller()
  class TransactionalTransform {
    @EventPattern<string>(pattern, { transactional: true })
    async handle(@Payload() data: unknown, @Ctx() ctx: ActiveMQContext): Promise<void> {
      await ctx.emit(out, data);
      await ctx.emit(out, data);
      if (++handled === count) done();
    }
  }

  @Module({ controllers: [variant === 'plain' ? PlainTransform : TransactionalTransform] })
  class TransformModule {}

  const server = new ServerActiveMQ({ uri: target.stompUrl, concurrency: TRANSFORM_CONCURRENCY });
  const app = await NestFactory.createMicroservice(TransformModule, { strategy: server, logger: false });
  let seconds: number;
  try {
    const started = performance.now();
    await app.listen();
    await allHandled;
    if (variant === 'transactional') await committed(server, count);
    seconds = (performance.now() - started) / 1000;
  } finally {
    await app.close();
    await client?.close();
  }
  const metrics = server.metrics();
  if (metrics.handlerFailures !== 0 || metrics.redelivered !== 0) {
    throw new Error(`${variant} transform: ${metrics.handlerFailures} handler failures, ${metrics.redelivered} redeliveries`);
  }
  await drain(target, out, 2 * count);
  return { seconds, commitLatencyMs: variant === 'transactional' ? metrics.transactions.commitLatencyMs.mean : undefined };
}

/**
 * Waits for the server's `count`-th confirmed COMMIT. Called once every handler has returned, so
 * only the last few commits (at most `concurrency`) are still outstanding: a 1 ms poll adds at
 * most about a millisecond to a run of seconds, and costs nothing while the handlers run.
 */
async function committed(server: ServerActiveMQ, count: number): Promise<void> {
  for (;;) {
    const { committed, failed, inDoubt, aborted } = server.metrics().transactions;
    if (committed >= count) return;
    if (failed + inDoubt + aborted > 0) throw new Error(`transactional transform: ${failed} commits failed, ${inDoubt} in doubt, ${aborted} aborted`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
