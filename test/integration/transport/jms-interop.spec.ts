import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { connect } from '../../support/connect.js';
import { javaConsume, javaProduce } from '../../support/java-tools.js';
import { deferred, newClient, startService, type RunningService } from '../../support/nest.js';

const P = `jms.${process.pid}.${Date.now().toString(36)}`;
const fromJava = deferred<{ data: unknown; contentType: string | undefined }>();

@Controller()
class InteropController {
  @EventPattern<string>(`${P}.orders`)
  onOrder(@Payload() data: unknown, @Ctx() ctx: ActiveMQContext): void {
    fromJava.resolve({ data, contentType: ctx.getHeaders()['content-type'] });
  }

  @MessagePattern<string>(`${P}.price`)
  price(@Payload() order: { quantity: number }): { total: number } {
    return { total: order.quantity * 3 };
  }
}

let service: RunningService;
let client: ClientActiveMQ;
beforeAll(async () => {
  service = await startService([InteropController]);
  client = newClient();
});
afterAll(async () => {
  await client?.close();
  await service?.close();
});

describe('interoperability with plain JMS clients (ActiveMQ’s own Java tools over OpenWire)', () => {
  it('a JMS TextMessage from the Java producer reaches an @EventPattern handler as parsed JSON', async () => {
    await javaProduce(`queue://${P}.orders`, '{"id":"J-1","quantity":4}');
    const received = await fromJava.promise;
    expect(received.data).toEqual({ id: 'J-1', quantity: 4 });
    expect(received.contentType).toBeUndefined();
  }, 60_000);

  it('an event emitted by ClientActiveMQ is received by the Java consumer, body intact', async () => {
    await lastValueFrom(client.emit(`${P}.to-java`, { id: 'N-1', note: 'from Nest' }), { defaultValue: undefined });
    await lastValueFrom(client.emit(`${P}.to-java`, 'plain text'), { defaultValue: undefined });
    expect(await javaConsume(`queue://${P}.to-java`, 2)).toEqual(['{"id":"N-1","note":"from Nest"}', 'plain text']);
  }, 60_000);

  it('a JMS-style requester (reply-to + correlation-id, no Nest headers) gets a plain reply', async () => {
    const requester = await connect();
    const reply = deferred<{ body: string; correlationId: string | undefined }>();
    await requester.subscribe('/temp-queue/jms-replies', (m) => reply.resolve({ body: m.body.toString(), correlationId: m.headers['correlation-id'] }));
    await requester.send(`/queue/${P}.price`, { 'reply-to': '/temp-queue/jms-replies', 'correlation-id': 'jms-42' }, '{"quantity":5}', { receipt: true });
    expect(await reply.promise).toEqual({ body: '{"total":15}', correlationId: 'jms-42' });
    await requester.disconnect();
  });

  it('ClientActiveMQ.send() takes a plain reply (no Nest headers) from a JMS-style replier', async () => {
    const replier = await connect();
    await replier.subscribe(`/queue/${P}.plain-replier`, (m) => {
      void replier.send(m.headers['reply-to']!, { 'correlation-id': m.headers['correlation-id']! }, `{"echo":${m.body.toString()}}`);
    });
    const reply: unknown = await lastValueFrom(client.send(`${P}.plain-replier`, { n: 1 }));
    expect(reply).toEqual({ echo: { n: 1 } });
    await replier.disconnect();
  });
});
