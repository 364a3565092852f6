import { Injectable, type Logger } from '@nestjs/common';
import { ClientActiveMQ, DurableSend, NonDurableSend, Transactional } from 'nestjs-activemq';
import { lastValueFrom } from 'rxjs';
import type { AuditEntry, Click, Order } from './domain.js';

/** A latency histogram, as a metrics library has one. */
export interface Histogram {
  observe(value: number): void;
}

export async function placeWindowed(order: Order, metrics: Histogram, logger: Logger): Promise<void> {
  // #region window
  const client = new ClientActiveMQ({ uri: 'stomp://localhost:61613?jms.useAsyncSend=true&confirmationWindowSize=1048576' });
  client.acknowledgements().subscribe((a) => {
    if (a.status === 'confirmed') metrics.observe(a.latencyMs); // { messageId, destination, bytes, durable, latencyMs }
    else logger.error(`lost ${a.messageId}: ${a.error.message}`); // refused by the broker, or in doubt
  });
  await lastValueFrom(client.emit('orders.placed', order)); // completes once admitted to the window
  await client.flush(); // every send confirmed (or failed)
  // #endregion window
  await client.close();
}

export async function placeAudited(client: ClientActiveMQ, order: Order, entry: AuditEntry): Promise<void> {
  // #region transaction
  await client.transaction(async (tx) => {
    await tx.emit('orders.placed', order); // does not wait
    await lastValueFrom(client.emit('audit', entry)); // the client's own emit() joins the transaction too
  }); // COMMIT, waited for; a throw ABORTs and is rethrown
  // #endregion transaction
}

// #region decorators
@Injectable()
export class Orders {
  constructor(private readonly client: ClientActiveMQ) {}

  @DurableSend({ block: false }) // persistent, async: confirmed later if a window is set
  place(order: Order) {
    return lastValueFrom(this.client.emit('orders.placed', order));
  }

  @NonDurableSend() // non-persistent, fire and forget ({ block: true } waits)
  track(event: Click) {
    return lastValueFrom(this.client.emit('clicks', event));
  }

  @Transactional() // one transaction per client for the whole call
  @DurableSend({ priority: 7 }) // options: block, priority (0–9), timeToLive (ms), deliveryDelay (ms), type (JMSType)
  async placeAll(orders: Order[]) {
    for (const o of orders) await lastValueFrom(this.client.emit('orders.placed', o));
  }
}
// #endregion decorators
