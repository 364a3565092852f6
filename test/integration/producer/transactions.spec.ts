import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { DurableSend, Transactional } from '../../../lib/decorators/send-decorators.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { connect } from '../../support/connect.js';
import { DelayProxy } from '../../support/delay-proxy.js';
import { sentTo } from '../../support/artemis-helpers.js';

const P = `tx.${process.pid}.${Date.now().toString(36)}`;
const DELAY = 5;
const emitted = (c: ClientActiveMQ, pattern: string, data: unknown) => lastValueFrom(c.emit(pattern, data), { defaultValue: undefined });

let proxy: DelayProxy;
let client: ClientActiveMQ;
beforeAll(async () => {
  proxy = await DelayProxy.start(parseActiveMQUri(sharedBrokerUrl()).endpoints[0]!.port, DELAY);
  client = new ClientActiveMQ({ uri: proxy.urlFor(sharedBrokerUrl()) });
  await client.connect();
});
afterAll(async () => {
  await client.close();
  await proxy.close();
});

/** Everything in `/queue/<name>` up to a marker sent after it (FIFO: what was committed before comes first). */
async function contentsBefore(name: string): Promise<string[]> {
  await emitted(client, name, 'marker');
  const consumer = await connect();
  const bodies: string[] = [];
  const done = new Promise<void>((resolve) => {
    void consumer.subscribe(`/queue/${name}`, (m: StompFrame) => {
      const body = m.body.toString();
      if (body === 'marker') resolve();
      else bodies.push(body);
    });
  });
  await done;
  await consumer.disconnect();
  return bodies;
}

describe('client.transaction()', () => {
  it('sends without waiting and commits once, with a receipt; everything arrives', async () => {
    await client.transaction(async (tx) => {
      // Nothing from the broker reaches the client while the sends are made: a send that waited
      // for the broker would never complete (the test's timeout would end it).
      proxy.holdReplies();
      try {
        for (let i = 0; i < 5; i++) await tx.emit(`${P}.commit`, i);
        await emitted(client, `${P}.commit`, 'via emit()'); // the client's own emit() joins the transaction
      } finally {
        proxy.releaseReplies();
      }
    });
    const sends = sentTo(proxy, 'SEND', `/queue/${P}.commit`);
    const transaction = sends[0]!.headers['transaction']!;
    expect(sends.every((f) => f.headers['transaction'] === transaction && f.headers['receipt'] === undefined)).toBe(true);
    expect(proxy.sent('BEGIN').filter((f) => f.headers['transaction'] === transaction)).toHaveLength(1);
    const commits = proxy.sent('COMMIT').filter((f) => f.headers['transaction'] === transaction);
    expect(commits).toHaveLength(1);
    expect(commits[0]!.headers['receipt']).toBeDefined();
    expect(await contentsBefore(`${P}.commit`)).toEqual(['0', '1', '2', '3', '4', 'via emit()']);
  });

  it('aborts when the function throws, and rethrows; nothing arrives', async () => {
    const error = await client
      .transaction(async (tx) => {
        await tx.emit(`${P}.abort`, 'lost-1');
        await emitted(client, `${P}.abort`, 'lost-2');
        throw new Error('changed my mind');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('changed my mind');
    const transaction = sentTo(proxy, 'SEND', `/queue/${P}.abort`)[0]!.headers['transaction']!;
    expect(proxy.sent('ABORT').filter((f) => f.headers['transaction'] === transaction)).toHaveLength(1);
    expect(proxy.sent('COMMIT').filter((f) => f.headers['transaction'] === transaction)).toHaveLength(0);
    expect(await contentsBefore(`${P}.abort`)).toEqual([]);
  });

  it('a nested transaction joins the outer one', async () => {
    await client.transaction(async (outer) => {
      await outer.emit(`${P}.nested`, 'outer');
      await client.transaction(async (inner) => {
        expect(inner).toBe(outer);
        await inner.emit(`${P}.nested`, 'inner');
      });
    });
    const sends = sentTo(proxy, 'SEND', `/queue/${P}.nested`);
    expect(new Set(sends.map((f) => f.headers['transaction'])).size).toBe(1);
    expect(await contentsBefore(`${P}.nested`)).toEqual(['outer', 'inner']);
  });

  it('returns what the function returns, after the commit', async () => {
    expect(await client.transaction(async (tx) => (await tx.emit(`${P}.result`, 1), 'done'))).toBe('done');
  });
});

describe('@Transactional()', () => {
  class OrderService {
    @Transactional()
    async placeAll(orders: string[]): Promise<number> {
      for (const order of orders) await emitted(client, `${P}.decorated`, order);
      return orders.length;
    }

    @Transactional()
    async placeThenFail(orders: string[]): Promise<void> {
      for (const order of orders) await emitted(client, `${P}.decorated-fail`, order);
      throw new Error('payment declined');
    }

    @Transactional()
    @DurableSend({ priority: 6 })
    async placeWithPriority(order: string): Promise<void> {
      await emitted(client, `${P}.decorated-priority`, order);
    }
  }
  const service = new OrderService();

  it('commits every send of the call when it returns', async () => {
    expect(await service.placeAll(['a', 'b', 'c'])).toBe(3);
    expect(await contentsBefore(`${P}.decorated`)).toEqual(['a', 'b', 'c']);
  });

  it('aborts them when the call throws', async () => {
    await expect(service.placeThenFail(['x', 'y'])).rejects.toThrow('payment declined');
    expect(await contentsBefore(`${P}.decorated-fail`)).toEqual([]);
  });

  it('combines with @DurableSend: transacted, with its priority', async () => {
    await service.placeWithPriority('p');
    const [frame] = sentTo(proxy, 'SEND', `/queue/${P}.decorated-priority`);
    expect(frame!.headers).toMatchObject({ priority: '6', persistent: 'true' });
    expect(frame!.headers['transaction']).toBeDefined();
    expect(frame!.headers['receipt']).toBeUndefined();
  });

  it('keeps concurrent calls in separate transactions', async () => {
    await Promise.all([service.placeAll(['c1', 'c2']), service.placeAll(['d1', 'd2'])]);
    const byTransaction = new Map<string, number>();
    for (const f of sentTo(proxy, 'SEND', `/queue/${P}.decorated`)) byTransaction.set(f.headers['transaction']!, (byTransaction.get(f.headers['transaction']!) ?? 0) + 1);
    expect([...byTransaction.values()].slice(-2)).toEqual([2, 2]);
  });
});
