import { drainWindow } from './artemis-helpers.js';
import { connect } from './connect.js';

/**
 * Reads `/queue/<name>` until every id of `expected` (their `nestjsMessageId`) has come, then up
 * to a fence for the duplicates that remain: queue order is not send order across transactions
 * and reconnections, so a fence alone cannot bound the read. Returns every id read, duplicates
 * included. With nothing expected it reads up to the fence. The connection speaks the broker's
 * dialect (test/support/connect.ts), so `/queue/<name>` means the same queue on every broker.
 */
export async function drainIds(url: string, name: string, expected: ReadonlySet<string> = new Set()): Promise<string[]> {
  const consumer = await connect(url);
  const ids: string[] = [];
  const missing = new Set(expected);
  const fence = () => void consumer.send(`/queue/${name}`, {}, 'fence', { receipt: true });
  await new Promise<void>((resolve) => {
    void consumer
      .subscribe(
        `/queue/${name}`,
        (m) => {
          if (m.body.toString() === 'fence') return resolve();
          const id = m.headers['nestjsMessageId'] ?? '(no id)';
          ids.push(id);
          if (missing.delete(id) && missing.size === 0) fence();
        },
        { headers: drainWindow(5000) },
      )
      .then(() => missing.size === 0 && fence());
  });
  await consumer.disconnect();
  return ids;
}
