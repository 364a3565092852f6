// main.ts: a hybrid app, HTTP and ActiveMQ
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ServerActiveMQ } from 'nestjs-activemq';
import { AppModule } from './app.module.js';
import { BROKER_URI } from './broker.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice({ strategy: new ServerActiveMQ({ uri: BROKER_URI }) });
  await app.startAllMicroservices();
  const port = Number(process.env['PORT'] ?? 3000);
  await app.listen(port, '127.0.0.1');
  console.log(`curl -X POST http://127.0.0.1:${port}/orders -H 'content-type: application/json' -d '{"item":"book","quantity":2}'`);
}

void bootstrap();
