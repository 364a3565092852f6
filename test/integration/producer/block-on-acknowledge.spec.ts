import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { DelayProxy } from '../../support/delay-proxy.js';
import { deferred, startService } from '../../support/nest.js';

const P = `ackmode.${process.pid}.${Date.now().toString(36)}`;
let proxy: DelayProxy;
beforeAll(async () => {
  proxy = await DelayProxy.start(parseActiveMQUri(sharedBrokerUrl()).endpoints[0]!.port, 1);
});
afterAll(async () => proxy.close());

describe('consumer acknowledgements', () => {
  it.each([
    ['blockOnAcknowledge=true: each ACK carries a receipt and is waited for', '?blockOnAcknowledge=true', true],
    ['by default: ACKs are written without waiting', '', false],
  ])('%s', async (_, query, receipted) => {
    const pattern = `${P}.${receipted ? 'blocking' : 'async'}`;
    const handled = deferred<string>();
    @Controller()
    class Handler {
      @EventPattern<string>(pattern)
      on(@Payload() data: string): void {
        handled.resolve(data);
      }
    }
    const service = await startService([Handler], { uri: proxy.urlFor(sharedBrokerUrl()) + query });
    const client = new ClientActiveMQ({ uri: sharedBrokerUrl() });
    try {
      await lastValueFrom(client.emit(pattern, 'hello'), { defaultValue: undefined });
      expect(await handled.promise).toBe('hello');
      await service.close(); // DISCONNECT comes after the ACK on the same connection
      const acks = proxy.frames.filter((f) => f.command === 'ACK');
      const ack = acks.at(-1)!;
      expect(proxy.frames.indexOf(ack)).toBeLessThan(proxy.frames.findLastIndex((f) => f.command === 'DISCONNECT'));
      expect(ack.headers['receipt'] !== undefined).toBe(receipted);
    } finally {
      await client.close();
    }
  });
});
