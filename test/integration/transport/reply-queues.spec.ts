import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern } from '@nestjs/microservices';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { firstValueFrom } from 'rxjs';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { StompBrokerError } from '../../../lib/stomp/errors.js';
import { projectBroker, TestBroker } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { newClient, startService, type RunningService } from '../../support/nest.js';

const run = promisify(execFile);
const P = `replyq.${process.pid}.${Date.now().toString(36)}`;

@Controller()
class Who {
  /** Answers with the `reply-to` the request carried: the requester's reply queue, as the server sees it. */
  @MessagePattern<string>(`${P}.who`)
  who(@Ctx() ctx: ActiveMQContext): string {
    return String(ctx.getHeaders()['reply-to']);
  }
}

let service: RunningService;
beforeAll(async () => {
  service = await startService([Who]);
});
afterAll(async () => {
  await service?.close();
});

/** Artemis' queues whose name holds `part`, with their consumer and message counts, read with Artemis' own CLI (`artemis queue stat`) over its CORE acceptor. */
async function artemisQueues(part: string): Promise<{ name: string; consumers: number; messages: number }[]> {
  const dir = process.env['NESTJS_ARTEMIS_STARTED_BROKER'];
  if (!dir) throw new Error('NESTJS_ARTEMIS_STARTED_BROKER is not set: the global setup records the Artemis it started there');
  const env = TestBroker.at(dir).env;
  const { stdout } = await run(
    join(dir, 'instance', 'bin', 'artemis'),
    [
      'queue',
      'stat',
      '--silent',
      '--maxColumnSize',
      '-1',
      '--url',
      `tcp://127.0.0.1:${env.openwirePort}`,
      '--user',
      env.user,
      '--password',
      env.password,
      '--field',
      'NAME',
      '--operation',
      'CONTAINS',
      '--value',
      part,
    ],
    { timeout: 60_000 },
  );
  // |NAME|ADDRESS|CONSUMER COUNT|MESSAGE COUNT|…
  return stdout
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .filter((cells) => cells[1]?.includes(part))
    .map((cells) => ({ name: cells[1]!, consumers: Number(cells[3]), messages: Number(cells[4]) }));
}

describe('reply queues', () => {
  it('each client has a reply queue of its own, and each reply reaches only the client that asked', async () => {
    const [a, b] = [newClient(), newClient()];
    try {
      const [fromA, fromB] = await Promise.all([firstValueFrom(a.send<string>(`${P}.who`, {})), firstValueFrom(b.send<string>(`${P}.who`, {}))]);
      expect(fromA).not.toBe(fromB);
      // The same client asks again from the same queue.
      expect(await firstValueFrom(a.send<string>(`${P}.who`, {}))).toBe(fromA);
      const expected = {
        activemq: /^\/remote-temp-queue\/ID:/,
        activemq6: /^\/remote-temp-queue\/ID:/,
        embedded: /^\/remote-temp-queue\//,
        artemis: /^queue:\/\/nestjs\.replies\.[0-9a-f-]{36}$/,
      }[projectBroker()];
      expect(fromA).toMatch(expected);
      expect(fromB).toMatch(expected);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a reply queue goes away with its client: a temporary queue at once (Classic, embedded), an Artemis reply queue at the broker’s next scan', async () => {
    const client = newClient();
    const replyTo = await firstValueFrom(client.send<string>(`${P}.who`, {}));
    if (projectBroker() === 'artemis') {
      // A queue of its own, made by the client's SUBSCRIBE: one consumer while the client is there.
      const name = replyTo.slice('queue://'.length);
      expect(await artemisQueues(name)).toEqual([{ name, consumers: 1, messages: 0 }]);
      await client.close();
      // Auto-created, it is removed once it has no consumer and no message, at Artemis' next
      // address-queue-scan-period (2 s on the test broker, 30 s by default; the Artemis
      // documentation's "Address Settings", auto-delete-queues). Each read takes a JVM's start.
      let left = await artemisQueues(name);
      for (let reads = 1; left.length > 0 && reads < 20; reads++) left = await artemisQueues(name);
      expect(left).toEqual([]);
      return;
    }
    // A temporary queue of the client's connection: the broker removes it when the connection
    // closes, and refuses a send to it from then on, naming it.
    await client.close();
    const other = await connect();
    try {
      const refused = await other.send(replyTo, {}, 'late reply', { receipt: true }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(StompBrokerError);
      expect((refused as StompBrokerError).brokerMessage).toContain(replyTo.slice('/remote-temp-queue/'.length));
    } finally {
      await other.disconnect().catch(() => undefined);
    }
  });
});
