import 'reflect-metadata';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { stopVmBroker, vmBroker } from '../../../lib/broker/embedded-broker.js';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { MessagingModule } from '../../../lib/module/messaging.module.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { deferred } from '../../support/nest.js';

/** vm:// URIs: the embedded broker in this process, over an in-memory pipe. */
afterAll(async () => {
  await stopVmBroker('localhost');
  await stopVmBroker('isolated');
});

describe('vm://', () => {
  it('MessagingModule.forRoot() with no URI and ServerActiveMQ({}) meet on vm://localhost: request/reply and events', async () => {
    const placed = deferred<string>();
    @Controller()
    class Orders {
      @MessagePattern('vm.price')
      price(@Payload() order: { quantity: number }): { total: number } {
        return { total: order.quantity * 2.5 };
      }
      @EventPattern('vm.placed')
      placed(@Payload() id: string): void {
        placed.resolve(id);
      }
    }
    @Module({ imports: [MessagingModule.forRoot()], controllers: [Orders] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    app.connectMicroservice({ strategy: new ServerActiveMQ({}) });
    await app.startAllMicroservices();
    await app.init();
    const client = app.get(ClientActiveMQ);
    expect(await firstValueFrom(client.send('vm.price', { quantity: 4 }))).toEqual({ total: 10 });
    await lastValueFrom(client.emit('vm.placed', 'order-7'), { defaultValue: undefined });
    expect(await placed.promise).toBe('order-7');
    expect(client.unwrap<{ server: string }>().server).toMatch(/^nestjs-activemq-embedded\//);
    expect(vmBroker('localhost').stats().connections).toBeGreaterThanOrEqual(2);
    await app.close();
  });

  it('each name is a broker of its own, and the URI names it', async () => {
    const a = new ClientActiveMQ({ uri: 'vm://isolated' });
    const b = new ClientActiveMQ({ uri: 'vm://localhost' });
    await a.connect();
    await b.connect();
    await lastValueFrom(a.emit('vm.only-here', 'x'), { defaultValue: undefined });
    expect(vmBroker('isolated').stats().waiting).toBe(1);
    expect(vmBroker('localhost').stats().waiting).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
});
