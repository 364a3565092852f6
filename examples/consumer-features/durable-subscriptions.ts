// durable-subscriptions.ts: a topic handler with a durable subscription gets the events published
// while its server was down, once the server is back.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ClientActiveMQ, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://durable-example';
const prices = new Inbox<string>();

@Controller()
class Billing {
  // A durable subscription belongs to a client id: the server below has one.
  @EventPattern<string>('topic://prices', { durable: 'billing-prices' })
  onPrice(@Payload() price: { symbol: string; value: number }): void {
    console.log(`price of ${price.symbol}: ${price.value}`);
    prices.push(`${price.symbol}=${price.value}`);
  }
}

@Module({ controllers: [Billing] })
class BillingModule {}

async function startBilling(): Promise<{ close(): Promise<void>; server: ServerActiveMQ }> {
  const server = new ServerActiveMQ({ uri: BROKER_URI, clientId: 'billing' });
  const app = await NestFactory.createMicroservice(BillingModule, { strategy: server, logger: ['error', 'warn'] });
  await app.listen();
  return { close: () => app.close(), server };
}

export async function main(): Promise<{ received: string[] }> {
  // The publisher: another connection, which never takes the server's client id.
  const publisher = new ClientActiveMQ({ uri: BROKER_URI });
  const publish = (symbol: string, value: number) => lastValueFrom(publisher.emit('topic://prices', { symbol, value }), { defaultValue: undefined });

  let billing = await startBilling();
  await publish('ACME', 10);
  await prices.until(1);
  await billing.close();
  console.log('billing is down');
  await publish('ACME', 11); // kept for the durable subscription
  await publish('ACME', 12);
  console.log('billing starts again');
  billing = await startBilling(); // subscribes with the same client id and name: what was kept arrives
  await prices.until(3);

  await billing.server.unsubscribeDurable('billing-prices'); // removes it, and what it held
  await billing.close();
  await publisher.close();
  await stopVmBroker('durable-example');
  return { received: [...prices.items] };
}

runWhenExecuted('durable-subscriptions', main);
