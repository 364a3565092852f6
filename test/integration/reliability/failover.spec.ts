import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { parseActiveMQUri } from '../../../lib/uri/parse-uri.js';
import { TestBroker } from '../../support/broker.js';
import { drainIds } from '../../support/drain.js';

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
});
