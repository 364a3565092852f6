// message-groups.ts: each customer's orders are a message group. At concurrency 16 the server runs
// different groups side by side, and each group's messages one at a time, in order.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ActiveMQRecordBuilder, ClientActiveMQ, MessagingModule, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://groups-example';
const done = new Inbox<string>();
const orderOf = new Map<string, number[]>();
const running = new Map<string, number>();
const most = { inOneGroup: 0, inAll: 0 };

@Controller()
class Orders {
  @EventPattern<string>('orders', { concurrency: 16 })
  async onOrder(@Payload() order: { n: number }, @Ctx() ctx: ActiveMQContext): Promise<void> {
    const customer = ctx.getGroup()!; // the group setGroup() gave it
    running.set(customer, (running.get(customer) ?? 0) + 1);
    most.inOneGroup = Math.max(most.inOneGroup, running.get(customer)!);
    most.inAll = Math.max(
      most.inAll,
      [...running.values()].reduce((a, b) => a + b, 0),
    );
    await new Promise((resolve) => setTimeout(resolve, (order.n * 7) % 5)); // work of varied length
    orderOf.set(customer, [...(orderOf.get(customer) ?? []), order.n]);
    running.set(customer, running.get(customer)! - 1);
    done.push(customer);
  }
}

@Module({ imports: [MessagingModule.forRoot(BROKER_URI)], controllers: [Orders] })
class AppModule {}

export async function main(): Promise<{ orderOf: Record<string, number[]>; most: { inOneGroup: number; inAll: number } }> {
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  await app.listen();
  const client = app.get(ClientActiveMQ);
  const customers = ['alice', 'bob', 'carol'];
  for (let n = 0; n < 5; n++) {
    for (const customer of customers) {
      await lastValueFrom(client.emit('orders', new ActiveMQRecordBuilder({ n }).setGroup(customer).build()), { defaultValue: undefined });
    }
  }
  await done.until(customers.length * 5);
  for (const customer of customers) console.log(`${customer}: orders ${orderOf.get(customer)!.join(', ')}`);
  console.log(`at most ${most.inOneGroup} of one group and ${most.inAll} in all ran at once`);
  await app.close();
  await stopVmBroker('groups-example');
  return { orderOf: Object.fromEntries(orderOf), most: { ...most } };
}

runWhenExecuted('message-groups', main);
