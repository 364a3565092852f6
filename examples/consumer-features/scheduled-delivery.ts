// scheduled-delivery.ts: the broker holds a message for a delay, or until a time; a message sent
// after them without either arrives first.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ActiveMQRecordBuilder, ClientActiveMQ, MessagingModule, ServerActiveMQ } from 'nestjs-activemq';
import { stopVmBroker } from 'nestjs-activemq/broker';
import { lastValueFrom } from 'rxjs';
import { Inbox, runWhenExecuted } from './support.js';

const BROKER_URI = 'vm://scheduled-example';
const arrived = new Inbox<{ text: string; afterMs: number }>();
let sentAt = 0;

@Controller()
class Reminders {
  @EventPattern<string>('reminders')
  onReminder(@Payload() reminder: { text: string }): void {
    const afterMs = Date.now() - sentAt;
    console.log(`${reminder.text}, ${afterMs} ms after the first send`);
    arrived.push({ text: reminder.text, afterMs });
  }
}

@Module({ imports: [MessagingModule.forRoot(BROKER_URI)], controllers: [Reminders] })
class AppModule {}

export async function main(): Promise<{ arrived: Array<{ text: string; afterMs: number }> }> {
  const app = await NestFactory.createMicroservice(AppModule, { strategy: new ServerActiveMQ({ uri: BROKER_URI }), logger: ['error', 'warn'] });
  await app.listen();
  const client = app.get(ClientActiveMQ);
  const emit = (record: unknown) => lastValueFrom(client.emit('reminders', record), { defaultValue: undefined });

  sentAt = Date.now();
  await emit(new ActiveMQRecordBuilder({ text: 'at a time' }).setDeliveryTime(new Date(sentAt + 300)).build());
  await emit(new ActiveMQRecordBuilder({ text: 'after 200 ms' }).setDeliveryDelay(200).build());
  await emit({ text: 'now' });
  await arrived.until(3);

  await app.close();
  await stopVmBroker('scheduled-example');
  return { arrived: [...arrived.items] };
}

runWhenExecuted('scheduled-delivery', main);
