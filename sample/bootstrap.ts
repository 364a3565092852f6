import 'reflect-metadata';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServerActiveMQ } from '../lib/index.js';
import { AppModule } from './app.module.js';

/** Builds the hybrid app (HTTP + ActiveMQ microservice) and starts both sides. */
export async function startSampleApp(uri: string, port: number, logger?: LoggerService): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forBroker(uri), logger ? { logger } : {});
  app.connectMicroservice({ strategy: new ServerActiveMQ({ uri }) });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    // A taken port: nothing is left running (the microservice, the embedded broker), so that the process can end.
    await app.close();
    throw error;
  }
  return app;
}
