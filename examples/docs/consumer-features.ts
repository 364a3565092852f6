import { Controller, type INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ActiveMQRecordBuilder, ClientActiveMQ, ServerActiveMQ, type ActiveMQBrowsedMessage } from 'nestjs-activemq';
import type { Job, Order, Price, Reminder } from './domain.js';

// #region handlers
@Controller()
export class Billing {
  @EventPattern<string>('topic://prices', { durable: 'billing-prices' }) // needs ServerActiveMQ({ clientId })
  onPrice(@Payload() price: Price): void {
    console.log(`price of ${price.symbol}: ${price.value}`);
  }

  @EventPattern<string>('orders', { selector: "region = 'EU' AND JMSPriority > 4", concurrency: 4, prefetch: 8 })
  onEuOrder(@Payload() order: Order): void {
    console.log(`EU order ${order.id}: ${order.total}`);
  }

  @EventPattern<string>('jobs', { exclusive: true, onError: 'dead-letter' })
  onJob(@Payload() job: Job): void {
    if (job.kind !== 'invoice') throw new Error(`job ${job.id}: unknown kind '${job.kind}'`); // to the DLQ at once
  }

  @EventPattern<string>('topic://prices.>') // every topic under prices.
  onAnyPrice(@Payload() price: Price, @Ctx() ctx: ActiveMQContext): void {
    console.log(`${ctx.getDestination()}: ${price.value}`); // '/topic/prices.eu.fr: 12.5'
  }
}
// #endregion handlers

export async function dropBillingPrices(app: INestApplication, uri: string): Promise<void> {
  // #region durable
  const server = new ServerActiveMQ({ uri, clientId: 'billing' });
  app.connectMicroservice({ strategy: server });
  await app.startAllMicroservices(); // subscribes @EventPattern<string>('topic://prices', { durable: 'billing-prices' })
  await server.unsubscribeDurable('billing-prices'); // removes it, and what it held
  // #endregion durable
}

export function emitInGroup(client: ClientActiveMQ, order: Order): void {
  // #region group
  client.emit('orders', new ActiveMQRecordBuilder(order).setGroup(order.customerId).build());
  // #endregion group
}

export function schedule(client: ClientActiveMQ, reminder: Reminder, due: number): void {
  // #region schedule
  client.emit('reminders', new ActiveMQRecordBuilder(reminder).setDeliveryDelay(30_000).build()); // in 30 s
  client.emit('reminders', new ActiveMQRecordBuilder(reminder).setDeliveryTime(new Date(due)).build()); // at a time
  client.emit('ticks', new ActiveMQRecordBuilder({ tick: true }).setSchedule({ period: 60_000, repeat: 9 }).build()); // Classic: 10 times, a minute apart
  client.emit('reports', new ActiveMQRecordBuilder({ report: 'daily' }).setCron('0 2 * * *').build()); // Classic: every day at 02:00
  // #endregion schedule
}

export async function waitingEuOrders(client: ClientActiveMQ): Promise<ActiveMQBrowsedMessage[]> {
  // #region browse
  const waiting = await client.browse('orders', { selector: "region = 'EU'", limit: 100 });
  // #endregion browse
  return waiting;
}
