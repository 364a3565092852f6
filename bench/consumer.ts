import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ServerActiveMQ } from '../lib/server/server-activemq.js';
import { RawPeer, RawStomp, rawSend } from './raw-stomp.js';
import type { BenchTarget } from './scenarios.js';

/**
 * Fills `destination` with `count` messages (the last one receipted, so the broker holds all of
 * them when this returns), outside the measured time.
 */
export async function preload(target: BenchTarget, destination: string, size: number, count: number, persistent: boolean): Promise<void> {
  const raw = await RawStomp.connect(target.stompPort, target.user, target.password);
  const body = Buffer.alloc(size, 'x');
  for (let i = 0; i < count - 1; i++) await raw.write(rawSend(destination, body, persistent));
  await raw.write(rawSend(destination, body, persistent, 'receipt:loaded\n'));
  await raw.until(2);
  raw.close();
}

/**
 * The baseline: a bare socket subscribes with `client-individual` acks and the given prefetch and
 * ACKs every MESSAGE as it is read. Returns the seconds from SUBSCRIBE to the last message.
 */
export async function rawConsume(target: BenchTarget, destination: string, count: number, prefetch: number): Promise<number> {
  const peer = await RawPeer.connect(target.stompPort, target.user, target.password);
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let received = 0;
    peer.onFrames((f) => {
      if (f.command !== 'MESSAGE') return;
      peer.write(`ACK\nid:${f.headers.get('ack')}\n\n\0`);
      if (++received === count) resolve();
    });
    peer.write(`SUBSCRIBE\nid:0\ndestination:${destination}\nack:client-individual\nactivemq.prefetchSize:${prefetch}\n\n\0`);
  });
  const seconds = (performance.now() - started) / 1000;
  peer.close();
  return seconds;
}

/**
 * The transport: a Nest microservice on `ServerActiveMQ` with the given prefetch whose
 * `@EventPattern` handler counts; each message is acknowledged after its handler ran. Returns
 * the seconds from `listen()` to the last handled message.
 */
export async function transportConsume(target: BenchTarget, pattern: string, count: number, prefetch: number): Promise<number> {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let handled = 0;
  @Controller()
  class CountingController {
    @EventPattern(pattern)
    handle(@Payload() _data: unknown): void {
      if (++handled === count) done();
    }
  }
  @Module({ controllers: [CountingController] })
  class ConsumerModule {}
  const app = await NestFactory.createMicroservice(ConsumerModule, { strategy: new ServerActiveMQ({ uri: target.stompUrl, prefetch }), logger: false });
  const started = performance.now();
  await app.listen();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await app.close();
  return seconds;
}
