/**
 * The memory run, in a process of its own so that its RSS is the client's alone:
 * `node memory.js <stomp-url> <pattern> <count>` emits `count` acknowledged durable 200-byte
 * messages through a 1 MiB confirmation window, waits until every one is confirmed, and prints one
 * JSON line: RSS at start (connected), peak (sampled every 20 ms) and end, and the V8 heap in use
 * at start and after a full GC at the end (run with --expose-gc), in bytes.
 */
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../lib/client/client-activemq.js';

export interface MemoryReport {
  readonly count: number;
  readonly windowBytes: number;
  readonly confirmed: number;
  readonly seconds: number;
  readonly rssStart: number;
  readonly rssPeak: number;
  readonly rssEnd: number;
  /** V8 heap in use at start and after a full GC at the end: what the transport retains. */
  readonly heapStart: number;
  readonly heapEndAfterGc: number;
}

async function main(): Promise<void> {
  const [url, pattern, countText] = process.argv.slice(2);
  const count = Number(countText);
  const windowBytes = 1 << 20;
  const client = new ClientActiveMQ({ uri: `${url}${url!.includes('?') ? '&' : '?'}jms.useAsyncSend=true&confirmationWindowSize=${windowBytes}`, durable: true });
  await client.connect();
  let confirmed = 0;
  const acknowledgements = client.acknowledgements().subscribe((o) => {
    if (o.status === 'confirmed') confirmed++;
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  const rssStart = process.memoryUsage.rss();
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 20);
  const body = Buffer.alloc(200, 'x');
  const started = performance.now();
  for (let i = 0; i < count; i++) await lastValueFrom(client.emit(pattern!, body), { defaultValue: undefined });
  await client.flush();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const rssEnd = process.memoryUsage.rss();
  rssPeak = Math.max(rssPeak, rssEnd);
  gc?.();
  const heapEndAfterGc = process.memoryUsage().heapUsed;
  acknowledgements.unsubscribe();
  await client.close();
  const report: MemoryReport = { count, windowBytes, confirmed, seconds, rssStart, rssPeak, rssEnd, heapStart, heapEndAfterGc };
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
