import { Injectable, Logger } from '@nestjs/common';
import type { StompFrame } from '../lib/index.js';
import { BrokerConnection } from './broker-connection.provider.js';

export interface Order {
  readonly id: string;
  readonly item: string;
  readonly quantity: number;
}

/** Places orders on a queue and reads them back, acknowledging each once handled. */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger(OrdersService.name);

  constructor(private readonly broker: BrokerConnection) {}

  /** A persistent send that returns once the broker has the order on disk. */
  async place(queue: string, order: Order): Promise<void> {
    await this.broker.connection.send(queue, { persistent: 'true', 'content-type': 'application/json' }, JSON.stringify(order), { receipt: true });
    this.logger.log(`placed order ${order.id} on ${queue}`);
  }

  /** Receives `count` orders from `queue`, acknowledging each after it is handled. */
  async receive(queue: string, count: number): Promise<Order[]> {
    const connection = this.broker.connection;
    const orders: Order[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const subscription = await connection.subscribe(
      queue,
      (message: StompFrame) => {
        const order = JSON.parse(message.body.toString('utf8')) as Order;
        this.logger.log(`received order ${order.id}: ${order.quantity} × ${order.item}`);
        orders.push(order);
        void connection.ack(message);
        if (orders.length === count) done();
      },
      { ack: 'client-individual' },
    );
    await finished;
    await subscription.unsubscribe();
    return orders;
  }
}
