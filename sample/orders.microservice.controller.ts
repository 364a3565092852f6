import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext } from '../lib/index.js';
import { OrdersStore, type Order, type PlacedOrder } from './orders.store.js';

const PRICES: Record<string, number> = { book: 12.5, pen: 1.2, lamp: 30 };

/** ActiveMQ side of the hybrid app. */
@Controller()
export class OrdersMicroserviceController {
  private readonly logger = new Logger('ActiveMQ');

  constructor(private readonly store: OrdersStore) {}

  /** Request/reply: `client.send('orders.price', order)` lands here; the return value is the reply. */
  @MessagePattern('orders.price')
  price(@Payload() order: Order, @Ctx() ctx: ActiveMQContext): { total: number } {
    const total = Math.round((PRICES[order.item] ?? 5) * order.quantity * 100) / 100;
    this.logger.log(`'orders.price' from ${ctx.getDestination()}: ${order.quantity} × ${order.item} = ${total}`);
    return { total };
  }

  /** Event: acknowledged to the broker once this returns. */
  @EventPattern('orders.placed')
  placed(@Payload() order: PlacedOrder): void {
    this.store.record(order);
    this.logger.log(`'orders.placed': recorded order ${order.id} (${this.store.all().length} so far)`);
  }
}
