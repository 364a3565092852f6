// browsing.ts: client.browse() shows the messages waiting on a queue without consuming them; the
// server started afterwards still gets every one.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQRecordBuilder, ClientActiveMQ, MessagingModule, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://browsing-example';
const consumed = new Inbox<string>();

@Controller()
class Orders {
  @EventPattern<string>('orders')
  onOrder(@Payload() order: { id: string }): void {
    consumed.push(order.id);
  }
}

@Module({ imports: [MessagingModule.forRoot(BROKER_URI)], controllers: [Orders] })
class AppModule {}

export async function main(): Promise<{ all: string[]; eu: string[]; firstTwo: string[]; consumed: string[] }> {
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  const client = app.get(ClientActiveMQ); // the client connects on first use; the server is not listening yet
  for (const { id, region } of [
    { id: 'o-1', region: 'EU' },
    { id: 'o-2', region: 'US' },
    { id: 'o-3', region: 'EU' },
  ]) {
    await lastValueFrom(client.emit('orders', new ActiveMQRecordBuilder({ id }).setHeaders({ region }).build()), { defaultValue: undefined });
  }
  const ids = (messages: Array<{ data: unknown }>) => messages.map((m) => (m.data as { id: string }).id);
  const all = ids(await client.browse('orders'));
  const eu = ids(await client.browse('orders', { selector: "region = 'EU'" }));
  const firstTwo = ids(await client.browse('orders', { limit: 2 }));
  console.log(`waiting: ${all.join(', ')}; EU: ${eu.join(', ')}; the first two: ${firstTwo.join(', ')}`);

  await app.listen(); // the handler now consumes them: browsing took none
  await consumed.until(3);
  console.log(`consumed: ${consumed.items.join(', ')}`);
  await app.close();
  await stopVmBroker('browsing-example');
  return { all, eu, firstTwo, consumed: [...consumed.items] };
}

runWhenExecuted('browsing', main);
