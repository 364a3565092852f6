// handler-policy.ts: per-handler concurrency, prefetch and failure policy. A failing invoice goes
// to the broker's dead-letter queue at once (`onError: 'dead-letter'`), tried only once.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload, RpcException } from '@nestjs/microservices';
import { ActiveMQContext, ClientActiveMQ, MessagingModule, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://handler-policy-example';
const attempts: string[] = [];
const paid = new Inbox<string>();
const deadLetters = new Inbox<{ id: string; from: string | undefined }>();

@Controller()
class Invoices {
  // One invoice at a time, one pushed ahead; a failure is not redelivered but dead-lettered now.
  @EventPattern<string>('invoices', { concurrency: 1, prefetch: 1, onError: 'dead-letter' })
  onInvoice(@Payload() invoice: { id: string; amount: number }): void {
    attempts.push(invoice.id);
    if (invoice.amount < 0) throw new RpcException(`invoice ${invoice.id}: negative amount`);
    console.log(`paid ${invoice.id}`);
    paid.push(invoice.id);
  }

  // The broker's dead-letter queue (ActiveMQ Classic's and the embedded broker's name; Artemis': DLQ).
  @EventPattern<string>('ActiveMQ.DLQ')
  onDeadLetter(@Payload() invoice: { id: string }, @Ctx() ctx: ActiveMQContext): void {
    const from = ctx.getHeaders()['nestjs-original-destination'];
    console.log(`dead letter ${invoice.id}, from ${from}`);
    deadLetters.push({ id: invoice.id, from });
  }
}

@Module({ imports: [MessagingModule.forRoot(BROKER_URI)], controllers: [Invoices] })
class AppModule {}

export async function main(): Promise<{ paid: string[]; deadLetters: Array<{ id: string; from: string | undefined }>; attempts: string[] }> {
  // The failure is logged at the error level, with what happened to the message.
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  await app.listen();
  const client = app.get(ClientActiveMQ);
  for (const invoice of [
    { id: 'i-1', amount: 30 },
    { id: 'i-2', amount: -5 },
    { id: 'i-3', amount: 12 },
  ]) {
    await lastValueFrom(client.emit('invoices', invoice), { defaultValue: undefined });
  }
  await paid.until(2);
  await deadLetters.until(1);
  await app.close();
  await stopVmBroker('handler-policy-example');
  return { paid: [...paid.items], deadLetters: [...deadLetters.items], attempts };
}

runWhenExecuted('handler-policy', main);
