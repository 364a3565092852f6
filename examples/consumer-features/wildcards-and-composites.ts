// wildcards-and-composites.ts: one handler for every topic under prices., told which one by
// ctx.getDestination(); and one send to a composite destination that reaches two queues.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ClientActiveMQ, MessagingModule, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://wildcards-example';
const prices = new Inbox<string>();
const copies = new Inbox<string>();

@Controller()
class Listeners {
  @EventPattern<string>('topic://prices.>') // `>`: every name element left; `*` is one element
  onPrice(@Payload() value: number, @Ctx() ctx: ActiveMQContext): void {
    console.log(`${ctx.getDestination()}: ${value}`);
    prices.push(`${ctx.getDestination()}=${value}`);
  }

  @EventPattern<string>('queue://audit')
  onAudit(@Payload() order: { id: string }): void {
    copies.push(`audit:${order.id}`);
  }

  @EventPattern<string>('queue://billing')
  onBilling(@Payload() order: { id: string }): void {
    copies.push(`billing:${order.id}`);
  }
}

@Module({ imports: [MessagingModule.forRoot(BROKER_URI)], controllers: [Listeners] })
class AppModule {}

export async function main(): Promise<{ prices: string[]; copies: string[] }> {
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  await app.listen();
  const client = app.get(ClientActiveMQ);
  const emit = (pattern: string, data: unknown) => lastValueFrom(client.emit(pattern, data), { defaultValue: undefined });

  await emit('topic://prices.eu.fr', 12.5);
  await emit('topic://quotes.eu', 99); // not under prices.
  await emit('topic://prices.us', 14);
  await prices.until(2);

  await emit('queue://audit,queue://billing', { id: 'o-1' }); // one send, a copy to each queue
  await copies.until(2);
  console.log(`one send reached ${copies.items.sort().join(' and ')}`);

  await app.close();
  await stopVmBroker('wildcards-example');
  return { prices: [...prices.items], copies: [...copies.items].sort() };
}

runWhenExecuted('wildcards-and-composites', main);
