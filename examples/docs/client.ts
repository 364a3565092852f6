import { Injectable, type Logger } from '@nestjs/common';
import { ActiveMQRecordBuilder, ActiveMQStatus, ClientActiveMQ } from 'nestjs-activemq';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { Order } from './domain.js';

@Injectable()
export class Checkout {
  constructor(private readonly client: ClientActiveMQ) {}

  async price(order: Order): Promise<number> {
    // #region send
    const { total } = await firstValueFrom(this.client.send<{ total: number }>('orders.price', order));
    // #endregion send
    return total;
  }

  async place(order: Order): Promise<void> {
    // #region emit
    await lastValueFrom(this.client.emit('orders.placed', order), { defaultValue: undefined });
    // #endregion emit
  }
}

export function emitRecord(client: ClientActiveMQ, data: Order): void {
  // #region record
  const record = new ActiveMQRecordBuilder(data).setDurable(true).setPriority(7).setTimeToLive(60_000).setHeaders({ tenant: 'a' }).setCorrelationId('x').build();
  client.emit('orders.placed', record);
  // #endregion record
}

export function watchConnection(client: ClientActiveMQ, logger: Logger): boolean {
  // #region status
  client.status.subscribe((status) => logger.log(`ActiveMQ: ${status}`)); // every change
  const connected = client.connectionStatus === ActiveMQStatus.CONNECTED; // now
  client.on('disconnect', (error) => logger.warn(`lost the broker: ${error?.message}`));
  // #endregion status
  return connected;
}
