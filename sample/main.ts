import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { OrdersService } from './orders.service.js';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule);
  app.enableShutdownHooks();
  const orders = app.get(OrdersService);
  const queue = '/queue/sample.orders';
  await orders.place(queue, { id: 'A-1', item: 'book', quantity: 2 });
  await orders.place(queue, { id: 'A-2', item: 'pen', quantity: 10 });
  await orders.receive(queue, 2);
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
