import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';
import { TestBroker } from '../../support/broker.js';
import { drainIds } from '../../support/drain.js';
import { startService } from '../../support/nest.js';

/** Two real brokers from the project's script, each with its own ports and store. */
let first: TestBroker;
let second: TestBroker;
beforeAll(async () => {
  [first, second] = await Promise.all([TestBroker.start(), TestBroker.start()]);
}, 120_000);
afterAll(async () => Promise.all([first?.clean(), second?.clean()]));

const P = `failover.${process.pid}.${Date.now().toString(36)}`;

describe('failover across two brokers', () => {
  it('moves to the second broker when the first is killed mid-stream; nothing confirmed is lost', async () => {
    const a = parseActiveMQUri(first.url).endpoints[0]!;
    const b = parseActiveMQUri(second.url).endpoints[0]!;
    const credentials = `${encodeURIComponent(a.login!)}:${encodeURIComponent(a.passcode!)}`;
    const uri = `failover:(stomp://${credentials}@127.0.0.1:${a.port},stomp://${credentials}@127.0.0.1:${b.port})?initialReconnectDelay=50&maxReconnectDelay=200&timeout=60000&jms.useAsyncSend=true&confirmationWindowSize=131072`;
    const client = new ClientActiveMQ({ uri });
    const confirmed = new Set<string>();
    let failures = 0;
    client.acknowledgements().subscribe((o) => (o.status === 'confirmed' ? confirmed.add(o.messageId) : failures++));
    const brokers: string[] = [];
    client.on('connect', (broker) => brokers.push(broker));
    const total = 4000;
    let killed: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      if (i === total / 2) killed = first.kill();
      await lastValueFrom(client.emit(`${P}.stream`, i), { defaultValue: undefined });
    }
    await killed;
    await client.flush();
    await client.close();
    expect(brokers).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    expect(failures).toBe(0);
    expect(confirmed.size).toBe(total);
    // What the first broker confirmed is in its store: restart it and read both.
    await first.restart();
    const onFirst = new Set(await drainIds(first.url, `${P}.stream`));
    const onSecond = new Set(await drainIds(second.url, `${P}.stream`, new Set([...confirmed].filter((id) => !onFirst.has(id)))));
    const stored = new Set([...onFirst, ...onSecond]);
    expect([...confirmed].filter((id) => !stored.has(id))).toEqual([]);
  }, 120_000);

  it('with priorityBackup, a client and a server on the backup go back to the first broker when it returns', async () => {
    const a = parseActiveMQUri(first.url).endpoints[0]!;
    const b = parseActiveMQUri(second.url).endpoints[0]!;
    const credentials = `${encodeURIComponent(a.login!)}:${encodeURIComponent(a.passcode!)}`;
    const uri = `failover:(stomp://${credentials}@127.0.0.1:${a.port},stomp://${credentials}@127.0.0.1:${b.port})?priorityBackup=true&initialReconnectDelay=100`;
    await first.stop();
    @Controller()
    class Doubler {
      @MessagePattern<string>(`${P}.double`)
      double(@Payload() n: number): number {
        return n * 2;
      }
    }
    const service = await startService([Doubler], { uri });
    const client = new ClientActiveMQ({ uri });
    try {
      const clientOn: string[] = [];
      const serverOn: string[] = [];
      const clientBack = new Promise<void>((resolve) => client.on('connect', (broker) => (clientOn.push(broker), broker.endsWith(`:${a.port}`) && resolve())));
      const serverBack = new Promise<void>((resolve) => service.server.on('connect', (broker) => (serverOn.push(broker), broker.endsWith(`:${a.port}`) && resolve())));
      expect(await firstValueFrom(client.send(`${P}.double`, 2))).toBe(4); // both on the backup
      await first.restart();
      await Promise.all([clientBack, serverBack]);
      expect(clientOn).toEqual([`127.0.0.1:${b.port}`, `127.0.0.1:${a.port}`]);
      expect(await firstValueFrom(client.send(`${P}.double`, 21))).toBe(42); // both on the first broker again
      expect(client.unwrap<StompConnection>().broker).toBe(`127.0.0.1:${a.port}`);
    } finally {
      await client.close();
      await service.close();
    }
  }, 120_000);
});
