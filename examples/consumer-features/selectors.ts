// selectors.ts: a handler that gets only the messages its JMS selector selects; on a queue the
// others stay there for other consumers.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQRecordBuilder, ClientActiveMQ, MessagingModule, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://selectors-example'; // the embedded broker, in this process
const handled = new Inbox<string>();

@Controller()
class EuOrders {
  // Only EU orders of a JMS priority above 4; a header compared with a number is converted.
  @EventPattern<string>('orders', { selector: "region = 'EU' AND JMSPriority > 4 AND amount >= 100" })
  onEuOrder(@Payload() order: { id: string }): void {
    console.log(`handled ${order.id}`);
    handled.push(order.id);
  }
}

@Module({ imports: [MessagingModule.forRoot(BROKER_URI)], controllers: [EuOrders] })
class AppModule {}

export async function main(): Promise<{ handled: string[]; leftOnQueue: string[] }> {
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  await app.listen();
  const client = app.get(ClientActiveMQ);
  const orders = [
    { id: 'o-1', region: 'EU', priority: 7, amount: '250' },
    { id: 'o-2', region: 'US', priority: 7, amount: '250' }, // not EU
    { id: 'o-3', region: 'EU', priority: 2, amount: '250' }, // priority too low
    { id: 'o-4', region: 'EU', priority: 9, amount: '40' }, // amount too small
    { id: 'o-5', region: 'EU', priority: 9, amount: '100' },
  ];
  for (const { id, region, priority, amount } of orders) {
    const record = new ActiveMQRecordBuilder({ id }).setHeaders({ region, amount }).setPriority(priority).build();
    await lastValueFrom(client.emit('orders', record), { defaultValue: undefined });
  }
  await handled.until(2);
  // The others were not consumed: they wait for another consumer.
  const leftOnQueue = (await client.browse('orders')).map((m) => (m.data as { id: string }).id);
  console.log(`left on the queue: ${leftOnQueue.join(', ')}`);
  await app.close();
  await stopVmBroker('selectors-example');
  return { handled: [...handled.items], leftOnQueue };
}

runWhenExecuted('selectors', main);
