// billing.service.ts: handlers on a provider, beside the provider's other methods
import { Injectable } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ActiveMQHandlers } from 'nestjs-activemq';

export interface Invoice {
  readonly order: string;
  readonly amount: number;
}

@Injectable()
@ActiveMQHandlers() // without it NestJS never calls the handlers below (it binds controllers only)
export class BillingService {
  private readonly invoices = new Map<string, Invoice>();

  @EventPattern<string>('orders.placed') // acked once this returns, as on a controller
  charge(@Payload() invoice: Invoice, @Ctx() ctx: ActiveMQContext): void {
    this.invoices.set(invoice.order, invoice); // keyed by order: a redelivery charges once
    console.log(`charged ${invoice.order} (from ${ctx.getDestination()})`);
  }

  @MessagePattern('billing.invoice') // the return value is the reply
  invoice(@Payload() order: string): Invoice | null {
    return this.invoices.get(order) ?? null;
  }
}
