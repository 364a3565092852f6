import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { DelayProxy } from '../../support/delay-proxy.js';
import { sentTo, seenTo } from '../../support/artemis-helpers.js';
import { drainIds } from '../../support/drain.js';

const P = `track.${process.pid}.${Date.now().toString(36)}`;
let proxy: DelayProxy | undefined;
afterEach(async () => proxy?.close());

/**
 * Sends 3 fire-and-forget messages that never reach the broker (held, then the connection is cut),
 * then one after the reconnection, and reports what the queue holds. The drain waits for that last
 * one by its id: a fire-and-forget send has no receipt, so a broker may route it after the drain's
 * fence (seen once on Artemis in CI), and a fence alone would read it as lost.
 */
async function sendIntoACut(queue: string, query: string): Promise<string[]> {
  proxy = await DelayProxy.start(parseActiveMQUri(sharedBrokerUrl()).endpoints[0]!.port, 0);
  const client = new ClientActiveMQ({ uri: `${proxy.urlFor(sharedBrokerUrl())}?initialReconnectDelay=20${query}`, durable: false });
  await client.connect();
  proxy.holdRequests();
  for (const n of [1, 2, 3]) await lastValueFrom(client.emit(queue, n), { defaultValue: undefined });
  await seenTo(proxy, 'SEND', `/queue/${queue}`);
  const back = new Promise<void>((resolve) => {
    let lost = false;
    client.status.subscribe((s) => {
      if (s === ActiveMQStatus.RECONNECTING) lost = true;
      if (lost && s === ActiveMQStatus.CONNECTED) resolve();
    });
  });
  proxy.cut();
  await back;
  await lastValueFrom(client.emit(queue, 'after'), { defaultValue: undefined });
  await client.close();
  const after = sentTo(proxy, 'SEND', `/queue/${queue}`).at(-1)!;
  expect(after.connection).toBeGreaterThan(1);
  // An untracked send carries no id: drainIds reads it as '(no id)'.
  return drainIds(sharedBrokerUrl(), queue, new Set([after.headers['nestjsMessageId'] ?? '(no id)']));
}

describe('fire-and-forget sends across a lost connection', () => {
  it('are lost by default (not tracked)', async () => {
    const ids = await sendIntoACut(`${P}.untracked`, '');
    expect(ids).toHaveLength(1); // only the send made after the reconnection
  });

  it('with trackMessages=true are re-sent after the reconnection, with their ids', async () => {
    const ids = await sendIntoACut(`${P}.tracked`, '&trackMessages=true&duplicateDetection=true');
    const held = sentTo(proxy!, 'SEND', `/queue/${P}.tracked`)
      .slice(0, 3)
      .map((f) => f.headers['nestjsMessageId']);
    expect(held.every((id) => id !== undefined)).toBe(true);
    expect(ids.slice(0, 3)).toEqual(held);
    expect(ids).toHaveLength(4);
    // With duplicateDetection, Artemis' duplicate-detection header carries the same id.
    expect(sentTo(proxy!, 'SEND', `/queue/${P}.tracked`).every((f) => f.headers['_AMQ_DUPL_ID'] === f.headers['nestjsMessageId'])).toBe(true);
  });
});
