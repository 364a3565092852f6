import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { MessagingModule } from '../../../lib/module/messaging.module.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { uniqueQueue } from '../../support/connect.js';
import { DelayProxy } from '../../support/delay-proxy.js';
import { RecordingLogger } from '../../support/nest.js';

// Issue 12 #16: one broker outage in a hybrid app (HTTP, a microservice server, and the app's own
// client) is, per connection, one warning with its reason and one line when it is back; no error.

const logger = new RecordingLogger();

describe('#16 a broker outage in a hybrid app', () => {
  it('#16 one warning and one "reconnected" line per connection, no error, and the app works on', async () => {
    const pattern = uniqueQueue('hybrid').slice('/queue/'.length);
    const proxy = await DelayProxy.start(Number(new URL(sharedBrokerUrl().replace(/^stomp/, 'http')).port), 0);
    const uri = `${proxy.urlFor(sharedBrokerUrl())}?initialReconnectDelay=10`;
    const received: string[] = [];
    let arrived: ((order: string) => void) | undefined;

    @Controller()
    class Orders {
      constructor(private readonly client: ClientActiveMQ) {}

      @Post('orders/:id')
      async place(@Param('id') id: string): Promise<string> {
        await lastValueFrom(this.client.emit(pattern, id), { defaultValue: undefined });
        return 'placed';
      }

      @EventPattern<string>(pattern)
      placed(@Payload() order: string): void {
        received.push(order);
        arrived?.(order);
      }
    }
    @Module({ imports: [MessagingModule.forRoot(uri)], controllers: [Orders] })
    class ShopModule {}

    const app = await NestFactory.create(ShopModule, { logger });
    const server = new ServerActiveMQ({ uri });
    app.connectMicroservice({ strategy: server });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    const order = async (id: string) => {
      const delivered = new Promise<void>((resolve) => (arrived = (got) => got === id && resolve()));
      const response = await fetch(`${url}/orders/${id}`, { method: 'POST' });
      expect(await response.text()).toBe('placed');
      await delivered;
    };
    try {
      await order('first');
      const client = app.get(ClientActiveMQ);
      expect(client.connectionStatus).toBe(ActiveMQStatus.CONNECTED);
      const from = logger.lines.length;
      const clientBack = logger.waitFor(/^reconnected to 127\.0\.0\.1:\d+$/, from);
      const serverBack = logger.waitFor(/^reconnected to 127\.0\.0\.1:\d+; consuming 1 subscriptions again$/, from);
      proxy.cut(); // both connections go, as in a broker crash; the broker's address still answers
      await Promise.all([clientBack, serverBack]);
      const outage = logger.lines.slice(from).filter((l) => l.level !== 'debug' && l.level !== 'verbose');
      expect(outage.filter((l) => l.level === 'error')).toEqual([]);
      expect(outage.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
        expect.stringMatching(/^lost the connection to 127\.0\.0\.1:\d+: .*(closed the connection|ECONNRESET); reconnecting$/),
        expect.stringMatching(/^lost the connection to 127\.0\.0\.1:\d+: .*(closed the connection|ECONNRESET); reconnecting$/),
      ]);
      expect(outage).toHaveLength(4); // the two warnings and the two "reconnected" lines
      await order('second');
      // At least once: the first order's ACK may have been cut with the connection, and then the
      // broker delivers it again; the second arrives once.
      expect(new Set(received)).toEqual(new Set(['first', 'second']));
      expect(received.filter((r) => r === 'second')).toHaveLength(1);
    } finally {
      await app.close();
      await proxy.close();
    }
  });
});
