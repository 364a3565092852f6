/**
 * One side of a peer benchmark, in a process of its own (bench/peers.ts starts it):
 *
 *   node dist-bench/bench/peer.js server <row> <url>   a Nest microservice on the row's transport
 *   node dist-bench/bench/peer.js client <row> <url>   a Nest client running the scenarios it is told
 *
 * Both talk to the runner over the IPC channel. Every row has the same handlers: an event handler
 * that counts (and tells the runner when it has counted what it was told to expect) and a request
 * handler that answers its input. Bodies are 200-byte JSON objects.
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, Ctx, EventPattern, MessagePattern, Payload, type ClientProxy, type RmqContext } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../lib/client/client-activemq.js';
import { ServerActiveMQ } from '../lib/server/server-activemq.js';
import { ROWS, type Row } from './peer-rows.js';

const EVENTS = 'bench.events';
const ECHO = 'bench.echo';
const now = () => performance.timeOrigin + performance.now();
const send = (message: unknown) => process.send!(message);

/** A 200-byte JSON object (as serialized by JSON.stringify) numbered `i`. */
export function payload(i: number): { i: number; text: string } {
  const base = JSON.stringify({ i, text: '' }).length;
  return { i, text: 'x'.repeat(200 - base) };
}

async function server(row: Row, url: string): Promise<void> {
  let expected = Infinity;
  let handled = 0;
  const counted = () => {
    if (++handled === expected) send({ handled, at: now() });
  };
  @Controller()
  class Handlers {
    @EventPattern(EVENTS)
    event(@Payload() _data: unknown, @Ctx() ctx: unknown): void {
      // Nest's RMQ transport with noAck: false leaves the acknowledgement to the handler.
      if (row.rmqManualAck) {
        const rmq = ctx as RmqContext;
        (rmq.getChannelRef() as { ack(message: unknown): void }).ack(rmq.getMessage());
      }
      counted();
    }

    @MessagePattern(ECHO)
    echo(@Payload() data: unknown, @Ctx() ctx: unknown): unknown {
      if (row.rmqManualAck) {
        const rmq = ctx as RmqContext;
        (rmq.getChannelRef() as { ack(message: unknown): void }).ack(rmq.getMessage());
      }
      return data;
    }
  }
  @Module({ controllers: [Handlers] })
  class PeerModule {}
  const options = row.kind === 'activemq' ? { strategy: new ServerActiveMQ({ uri: url }) } : row.serverOptions!(url);
  const app: INestMicroservice = await NestFactory.createMicroservice(PeerModule, { ...(options as object), logger: ['error'] });
  await app.listen();
  process.on('message', (message: { expect?: number; stop?: true }) => {
    if (message.expect !== undefined) {
      expected = message.expect;
      handled = 0;
      send({ expecting: expected });
    }
    if (message.stop) void app.close().then(() => process.exit(0));
  });
  send({ ready: true });
}

interface ScenarioMessage {
  readonly scenario: 'events' | 'requests-sequential' | 'requests-concurrent';
  readonly count: number;
  readonly concurrency?: number;
  /** events: emits awaited at once (1: each awaited before the next, as users write it). */
  readonly inFlight?: number;
}

async function client(row: Row, url: string): Promise<void> {
  const proxy = (
    row.kind === 'activemq' ? new ClientActiveMQ({ uri: `${url}${row.clientQuery ?? ''}`, ...row.clientSettings }) : ClientProxyFactory.create(row.clientOptions!(url) as never)
  ) as ClientProxy;
  await proxy.connect();
  process.on('message', (message: ScenarioMessage | { stop: true }) => {
    if ('stop' in message) {
      void proxy.close();
      setImmediate(() => process.exit(0));
      return;
    }
    void run(proxy, message).then((result) => send(result));
  });
  send({ ready: true });
}

async function run(proxy: ClientProxy, message: ScenarioMessage): Promise<Record<string, number>> {
  const { count } = message;
  if (message.scenario === 'events') {
    const started = now();
    const inFlight = message.inFlight ?? 1;
    if (inFlight === 1) {
      // What users write: each emit awaited, in a loop.
      for (let i = 0; i < count; i++) await lastValueFrom(proxy.emit(EVENTS, payload(i)), { defaultValue: undefined });
    } else {
      // Pipelined: up to `inFlight` emits awaited at once, so a transport whose emit waits for the
      // broker's confirmation (Nest RMQ) is not held to one round trip per event.
      let next = 0;
      const lane = async () => {
        while (next < count) await lastValueFrom(proxy.emit(EVENTS, payload(next++)), { defaultValue: undefined });
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    }
    if (proxy instanceof ClientActiveMQ) await proxy.flush(); // windowed sends: until every one is confirmed
    return { started, confirmedAt: now() };
  }
  if (message.scenario === 'requests-sequential') {
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await firstValueFrom(proxy.send(ECHO, payload(i)));
      latencies.push(performance.now() - t);
    }
    latencies.sort((a, b) => a - b);
    return { p50Ms: latencies[latencies.length >> 1]!, p99Ms: latencies[Math.floor(latencies.length * 0.99)]! };
  }
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) await firstValueFrom(proxy.send(ECHO, payload(next++)));
  };
  await Promise.all(Array.from({ length: message.concurrency ?? 64 }, worker));
  return { seconds: (performance.now() - started) / 1000 };
}

const [, , side, rowName, url] = process.argv;
const row = ROWS.find((r) => r.name === rowName);
if (!row || !url || (side !== 'server' && side !== 'client')) {
  console.error('usage: peer.js server|client <row> <url>');
  process.exit(2);
}
void (side === 'server' ? server(row, url) : client(row, url)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
