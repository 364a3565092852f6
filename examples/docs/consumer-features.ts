import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, type ActiveMQHandlerOptions } from 'nestjs-activemq';
import type { Job, Order, Price } from './domain.js';

// #region handlers
@Controller()
export class Billing {
  @EventPattern<string>('topic://prices', { durable: 'billing-prices' }) // needs ServerActiveMQ({ clientId })
  onPrice(@Payload() price: Price): void {
    console.log(`price of ${price.symbol}: ${price.value}`);
  }

  @EventPattern<string>('orders', { selector: "region = 'EU' AND JMSPriority > 4", concurrency: 4, prefetch: 8 } satisfies ActiveMQHandlerOptions)
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
