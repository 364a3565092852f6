import { Controller, Injectable, type INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ServerActiveMQ } from 'nestjs-activemq';
import type { Order } from './domain.js';

export async function startMicroservice(app: INestApplication): Promise<void> {
  // #region connect
  app.connectMicroservice({ strategy: new ServerActiveMQ({ uri: 'stomp://app:secret@localhost:61613', concurrency: 32 }) });
  await app.startAllMicroservices();
  // #endregion connect
}

/** A server whose handlers settle each message themselves. */
export function manualAckServer(uri: string): ServerActiveMQ {
  return new ServerActiveMQ({ uri, ackMode: 'manual' });
}

/** Where orders are recorded; `tryRecord()` says whether this one could be. */
@Injectable()
export class OrderBook {
  private readonly orders: Order[] = [];

  async tryRecord(order: Order): Promise<boolean> {
    if (order.quantity <= 0) return false;
    this.orders.push(order);
    return true;
  }
}

@Controller()
export class OrdersController {
  constructor(private readonly orders: OrderBook) {}

  // #region manual-ack
  // new ServerActiveMQ({ uri, ackMode: 'manual' })
  @EventPattern<string>('orders.placed')
  async placed(@Payload() order: Order, @Ctx() ctx: ActiveMQContext): Promise<void> {
    if (await this.orders.tryRecord(order)) await ctx.ack();
    else await ctx.nack(); // redelivered, then dead-lettered
  }
  // #endregion manual-ack
}
