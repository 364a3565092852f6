import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ClientActiveMQ } from 'nestjs-activemq';
import { lastValueFrom } from 'rxjs';
import type { Order } from './domain.js';

export interface Invoice {
  readonly orderId: string;
  readonly amount: number;
}

export interface Quote {
  readonly orderId: string;
  readonly total: number;
}

export function invoiceFor(order: Order): Invoice {
  return { orderId: order.id, amount: order.total };
}

export function priceOf(order: Order): Quote {
  return { orderId: order.id, total: order.quantity * 12.5 };
}

// #region billing
@Controller()
export class Billing {
  constructor(private readonly events: ClientActiveMQ) {}

  @EventPattern<string>('orders.placed', { transactional: true })
  async placed(@Payload() order: Order, @Ctx() ctx: ActiveMQContext): Promise<void> {
    await ctx.emit('invoices.created', invoiceFor(order)); // in the transaction
    await lastValueFrom(this.events.emit('audit', { order: order.id }), { defaultValue: undefined }); // in it too
    if (order.total < 0) throw new Error('negative total'); // aborts: neither message is published
  }

  @MessagePattern<string>('orders.quote', { transactional: true })
  async quote(@Payload() order: Order, @Ctx() ctx: ActiveMQContext): Promise<Quote> {
    await ctx.emit('quotes.issued', order.id);
    return priceOf(order); // the reply is part of the transaction
  }
}
// #endregion billing
