import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../lib/client/client-activemq.js';
import { ServerActiveMQ } from '../lib/server/server-activemq.js';
import { RawPeer, type RawFrame } from './raw-stomp.js';
import type { BenchTarget } from './scenarios.js';

/** What one request/reply run measured. */
export interface RequestReplyRun {
  /** Round-trip times in milliseconds, one per request, sorted. */
  readonly latencies: number[];
  readonly seconds: number;
}

/** A requester: `request()` resolves when its reply is back. */
interface Requester {
  request(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `count` requests, `concurrency` at a time, each timed from send to reply.
 */
export async function timeRequests(requester: Requester, count: number, concurrency: number): Promise<RequestReplyRun> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const started = performance.now();
      await requester.request();
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { latencies: latencies.sort((a, b) => a - b), seconds };
}

/** The `q` quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * The baseline: a requester and a replier on two bare sockets, frames written by hand. The
 * replier answers each request to its `reply-to` with the same body and `correlation-id`; both
 * messages are non-persistent, as the transport's requests and replies are.
 */
export async function rawRequestReply(target: BenchTarget, queue: string, size: number): Promise<Requester> {
  const body = 'x'.repeat(size);
  const replier = await RawPeer.connect(target.stompPort, target.user, target.password);
  const requester = await RawPeer.connect(target.stompPort, target.user, target.password);
  const subscribed = (peer: RawPeer, frame: string) =>
    new Promise<void>((resolve) => {
      peer.onFrames((f) => f.command === 'RECEIPT' && resolve());
      peer.write(frame);
    });
  await subscribed(replier, `SUBSCRIBE\nid:0\ndestination:/queue/${queue}\nack:auto\nactivemq.prefetchSize:32\nreceipt:s\n\n\0`);
  await subscribed(requester, 'SUBSCRIBE\nid:0\ndestination:/temp-queue/raw-replies\nack:auto\nreceipt:s\n\n\0');
  replier.onFrames((f: RawFrame) => {
    if (f.command !== 'MESSAGE') return;
    replier.write(`SEND\ndestination:${f.headers.get('reply-to')}\ncorrelation-id:${f.headers.get('correlation-id')}\npersistent:false\ncontent-length:${size}\n\n${body}\0`);
  });
  const waiting = new Map<string, () => void>();
  requester.onFrames((f) => {
    const id = f.headers.get('correlation-id');
    if (f.command === 'MESSAGE' && id !== undefined) {
      waiting.get(id)?.();
      waiting.delete(id);
    }
  });
  let seq = 0;
  return {
    request: () =>
      new Promise<void>((resolve) => {
        const id = String(seq++);
        waiting.set(id, resolve);
        requester.write(`SEND\ndestination:/queue/${queue}\nreply-to:/temp-queue/raw-replies\ncorrelation-id:${id}\npersistent:false\ncontent-length:${size}\n\n${body}\0`);
      }),
    close: async () => {
      replier.close();
      requester.close();
    },
  };
}

/**
 * The transport: `ClientActiveMQ.send()` to a Nest microservice on `ServerActiveMQ` whose
 * `@MessagePattern` handler returns what it got.
 */
export async function transportRequestReply(target: BenchTarget, pattern: string, size: number): Promise<Requester> {
  @Controller()
  class EchoController {
    @MessagePattern(pattern)
    echo(@Payload() data: string): string {
      return data;
    }
  }
  @Module({ controllers: [EchoController] })
  class EchoModule {}
  const app = await NestFactory.createMicroservice(EchoModule, { strategy: new ServerActiveMQ({ uri: target.stompUrl }), logger: false });
  await app.listen();
  const client = new ClientActiveMQ({ uri: target.stompUrl });
  await client.connect();
  const body = 'x'.repeat(size);
  return {
    request: async () => {
      const reply = await lastValueFrom(client.send<string>(pattern, body));
      if (reply.length !== size) throw new Error(`a reply of ${reply.length} characters, not ${size}`);
    },
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}
