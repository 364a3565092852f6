import { BadRequestException, Body, Controller, Get, Logger, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../lib/index.js';
import { OrdersStore, type Order, type PlacedOrder } from './orders.store.js';

/** HTTP side of the hybrid app: places orders through ActiveMQ. */
@Controller('orders')
export class OrdersHttpController {
  private readonly logger = new Logger('HTTP');

  constructor(
    private readonly client: ClientActiveMQ,
    private readonly store: OrdersStore,
  ) {}

  @Post()
  async place(@Body() body: Partial<Order>): Promise<PlacedOrder> {
    if (typeof body?.item !== 'string' || !Number.isInteger(body.quantity) || body.quantity! < 1) {
      throw new BadRequestException('an order needs an item (string) and a quantity (whole number >= 1)');
    }
    const order: Order = { item: body.item, quantity: body.quantity! };
    this.logger.log(`POST /orders ${order.quantity} × ${order.item}: asking 'orders.price' for a price`);
    const { total } = await firstValueFrom(this.client.send<{ total: number }>('orders.price', order));
    const placed: PlacedOrder = { ...order, id: randomUUID(), total };
    await lastValueFrom(this.client.emit('orders.placed', placed), { defaultValue: undefined });
    this.logger.log(`order ${placed.id} priced at ${total} and emitted as 'orders.placed'`);
    return placed;
  }

  @Get()
  list(): readonly PlacedOrder[] {
    return this.store.all();
  }
}
