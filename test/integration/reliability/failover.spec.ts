import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { StompConnection } from '../../../lib/stomp/connection.js';
import { parseActiveMQUri } from '../../../lib/uri/parse-uri.js';
import { TestBroker } from '../../support/broker.js';
import { optionsFor } from '../../support/connect.js';

/** Two real brokers from the project's script, each with its own ports and store. */
let first: TestBroker;
let second: TestBroker;
beforeAll(async () => {
  [first, second] = await Promise.all([TestBroker.start(), TestBroker.start()]);
}, 120_000);
afterAll(async () => Promise.all([first?.clean(), second?.clean()]));

const P = `failover.${process.pid}.${Date.now().toString(36)}`;

/** The `nestjsMessageId`s in `/queue/<name>` of one broker, read up to a fence. */
async function idsOn(broker: TestBroker, name: string): Promise<string[]> {
  const consumer = await StompConnection.connect(optionsFor(broker.url));
  await consumer.send(`/queue/${name}`, {}, 'fence', { receipt: true });
  const ids: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.subscribe(`/queue/${name}`, (m) => (m.body.toString() === 'fence' ? resolve() : ids.push(m.headers['nestjsMessageId'] ?? '')), {
      headers: { 'activemq.prefetchSize': '5000' },
    });
  });
  await consumer.disconnect();
  return ids;
}

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
    const stored = new Set([...(await idsOn(first, `${P}.stream`)), ...(await idsOn(second, `${P}.stream`))]);
    expect([...confirmed].filter((id) => !stored.has(id))).toEqual([]);
  }, 120_000);
});
