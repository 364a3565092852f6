// message-type-and-headers.ts: setType() gives a message its JMS type, which a selector can test;
// setHeaders() adds application headers but refuses those the transport writes itself.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQContext, ActiveMQRecordBuilder, ClientActiveMQ, InvalidOptionError, MessagingModule, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://message-type-example';
const placed = new Inbox<string>();

@Controller()
class OrderEvents {
  @EventPattern<string>('order-events', { selector: "JMSType = 'OrderPlaced'" })
  onPlaced(@Payload() event: { id: string }, @Ctx() ctx: ActiveMQContext): void {
    const { type, tenant } = ctx.getHeaders(); // the JMS type travels as the STOMP `type` header
    console.log(`${type} ${event.id} (tenant ${tenant})`);
    placed.push(`${type}:${event.id}:${tenant}`);
  }
}

@Module({ imports: [MessagingModule.forRoot(BROKER_URI)], controllers: [OrderEvents] })
class AppModule {}

export async function main(): Promise<{ placed: string[]; refused: string[] }> {
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  await app.listen();
  const client = app.get(ClientActiveMQ);
  const emit = (type: string, id: string) =>
    lastValueFrom(client.emit('order-events', new ActiveMQRecordBuilder({ id }).setType(type).setHeaders({ tenant: 'acme' }).build()), { defaultValue: undefined });
  await emit('OrderCancelled', 'o-1');
  await emit('OrderPlaced', 'o-2');
  await placed.until(1);

  // Headers the transport owns, or that have a setter of their own, are refused.
  const refused: string[] = [];
  const tries: Array<Record<string, string>> = [{ type: 'OrderPlaced' }, { JMSXGroupID: 'alice' }, { nestjsReply: 'x' }, { 'content-type': 'text/plain' }];
  for (const headers of tries) {
    try {
      new ActiveMQRecordBuilder({ id: 'o-3' }).setHeaders(headers);
    } catch (error) {
      if (!(error instanceof InvalidOptionError)) throw error;
      console.log(`refused: ${error.message}`);
      refused.push(error.option);
    }
  }

  await app.close();
  await stopVmBroker('message-type-example');
  return { placed: [...placed.items], refused };
}

runWhenExecuted('message-type-and-headers', main);
