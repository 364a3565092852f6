// exclusive-and-priority.ts: two servers consume one queue. With `exclusive`, one of them gets every
// message until it leaves, then the other takes over. With `consumerPriority`, the higher one gets
// the messages while it has room.
import 'reflect-metadata';
import { Controller, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern } from '@nestjs/microservices';
import { ClientActiveMQ, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://exclusive-example';
/** Which server handled each message, in order. */
const handledBy = new Inbox<string>();

/** A controller for the server `name`: an exclusive consumer of `jobs`, and one of priority `priority` on `reports`. */
function workerOf(name: string, priority: number): Type {
  @Controller()
  class Worker {
    @EventPattern<string>('jobs', { exclusive: true })
    onJob(): void {
      handledBy.push(`${name}:job`);
    }

    @EventPattern<string>('reports', { consumerPriority: priority, prefetch: 10 })
    onReport(): void {
      handledBy.push(`${name}:report`);
    }
  }
  return Worker;
}

async function startServer(name: string, priority: number): Promise<{ close(): Promise<void> }> {
  @Module({ controllers: [workerOf(name, priority)] })
  class WorkerModule {}
  const app = await NestFactory.createMicroservice(WorkerModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  await app.listen();
  return app;
}

/** How many of `items` each server handled, as `first:job=4`. */
function counted(items: string[]): string[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([key, n]) => `${key}=${n}`).sort();
}

export async function main(): Promise<{ exclusive: string[]; afterFirstLeft: string[]; priority: string[] }> {
  const client = new ClientActiveMQ({ uri: BROKER_URI });
  const emit = (pattern: string, n: number) => lastValueFrom(client.emit(pattern, { n }), { defaultValue: undefined });
  const first = await startServer('first', 9);
  const second = await startServer('second', 1);

  for (let n = 0; n < 4; n++) await emit('jobs', n);
  const exclusive = counted(await handledBy.until(4));
  console.log(`exclusive, both servers up: ${exclusive.join(', ')}`);

  for (let n = 0; n < 4; n++) await emit('reports', n);
  const priority = counted((await handledBy.until(8)).slice(4));
  console.log(`consumer priority 9 and 1: ${priority.join(', ')}`);

  await first.close();
  for (let n = 4; n < 6; n++) await emit('jobs', n);
  const afterFirstLeft = counted((await handledBy.until(10)).slice(8));
  console.log(`exclusive, after the first server left: ${afterFirstLeft.join(', ')}`);

  await second.close();
  await client.close();
  await stopVmBroker('exclusive-example');
  return { exclusive, afterFirstLeft, priority };
}

runWhenExecuted('exclusive-and-priority', main);
