import 'reflect-metadata';
import type { INestMicroservice, LoggerService, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientActiveMQ, type ActiveMQClientOptions } from '../../lib/client/client-activemq.js';
import { ServerActiveMQ, type ActiveMQServerOptions } from '../../lib/server/server-activemq.js';
import { brokerKind, sharedBrokerUrl } from './broker.js';
import { ActiveMQStatus } from '../../lib/events/activemq.events.js';

/** Collects what Nest and the transport log, to assert on it. */
export class RecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  private readonly waiters: Array<{ test: RegExp; resolve: (line: string) => void }> = [];

  log(message: unknown): void {
    this.record('log', message);
  }
  error(message: unknown): void {
    this.record('error', message);
  }
  warn(message: unknown): void {
    this.record('warn', message);
  }
  debug(message: unknown): void {
    this.record('debug', message);
  }
  verbose(message: unknown): void {
    this.record('verbose', message);
  }

  /** Resolves with the first line (past, from line `from` on, or future) matching `test`. */
  waitFor(test: RegExp, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find((l) => test.test(l.message));
    if (seen) return Promise.resolve(seen.message);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  private record(level: string, message: unknown): void {
    const text = String(message);
    this.lines.push({ level, message: text });
    for (const waiter of [...this.waiters]) {
      if (waiter.test.test(text)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(text);
      }
    }
  }
}

export interface RunningService {
  readonly app: INestMicroservice;
  readonly server: ServerActiveMQ;
  readonly logger: RecordingLogger;
  close(): Promise<void>;
}

/** Starts a Nest microservice with `controllers` on ServerActiveMQ against the shared broker. */
export async function startService(controllers: Type[], options: ActiveMQServerOptions = {}, providers: Type[] = []): Promise<RunningService> {
  @Module({ controllers, providers })
  class TestServiceModule {}
  const server = new ServerActiveMQ({ uri: sharedBrokerUrl(), ...testRedelivery(), ...options });
  const logger = new RecordingLogger();
  const app = await NestFactory.createMicroservice(TestServiceModule, { strategy: server, logger });
  await app.listen();
  return { app, server, logger, close: () => app.close() };
}

/**
 * On Artemis, where the server redelivers rejected messages itself, the policy of the test
 * brokers' configuration (2 redeliveries, 1100 ms apart: scripts/activemq/activemq.xml.in and
 * scripts/artemis/broker.xml.in), so that a test means the same on every broker.
 */
export function testRedelivery(): { redelivery?: { maxRedeliveries: number; delay: number } } {
  return brokerKind() === 'artemis' ? { redelivery: { maxRedeliveries: 2, delay: 1100 } } : {};
}

/** A client of the shared broker. */
export function newClient(options: ActiveMQClientOptions = {}): ClientActiveMQ {
  return new ClientActiveMQ({ uri: sharedBrokerUrl(), ...options });
}

/** A promise with its resolver, to await an event a handler reports. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once the service's server is connected again after losing its connection. */
export function reconnected(service: RunningService): Promise<void> {
  return new Promise((resolve) => {
    let lost = false;
    service.server.status.subscribe((status) => {
      if (status === ActiveMQStatus.RECONNECTING) lost = true;
      if (lost && status === ActiveMQStatus.CONNECTED) resolve();
    });
  });
}
