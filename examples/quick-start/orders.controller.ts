// orders.controller.ts
import { Body, Controller, Post } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ClientActiveMQ } from 'nestjs-activemq';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { Order } from './order.js';

@Controller()
export class OrdersController {
  constructor(private readonly client: ClientActiveMQ) {}

  @MessagePattern('orders.price') // consumes queue orders.price; the return value is the reply
  price(@Payload() order: Order): { total: number } {
    return { total: order.quantity * 12.5 };
  }

  // <string>: on NestJS 12, a handler with a @Ctx() parameter needs it (NestJS 11 accepts it too)
  @EventPattern<string>('orders.placed') // acked once this returns; a throw → NACK → redelivery → DLQ
  placed(@Payload() order: Order & { total: number }, @Ctx() ctx: ActiveMQContext): void {
    console.log(`placed: ${order.quantity} × ${order.item} = ${order.total} (from ${ctx.getDestination()}, redelivered: ${ctx.isRedelivered()})`);
  }

  @Post('orders') // HTTP: POST /orders {"item":"book","quantity":2}
  async place(@Body() order: Order): Promise<{ total: number }> {
    const { total } = await firstValueFrom(this.client.send<{ total: number }>('orders.price', order));
    await lastValueFrom(this.client.emit('orders.placed', { ...order, total }), { defaultValue: undefined });
    return { total };
  }
}
