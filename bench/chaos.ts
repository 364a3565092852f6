/**
 * `npm run chaos`: the long zero-loss run. A producer emits durable messages in acknowledged-async
 * mode while the broker is kill -9'ed and restarted at random moments (CHAOS_CRASHES, default 20),
 * then, separately, while a proxy between client and broker cuts the connection at random moments.
 * A consumer drains everything; the checker reports lost (confirmed but never received) = 0,
 * duplicates, and unconfirmed-but-delivered, with the client's RSS at start, peak and end.
 * CHAOS_MESSAGES sets the count (default 100,000).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../lib/client/client-activemq.js';
import { StompConnection } from '../lib/connection/stomp-connection.js';
import { parseActiveMQUri } from '../lib/config/parse-uri.js';
import { stompConnectionOptions } from '../lib/config/connection-options.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const script = join(root, 'scripts/activemq.sh');
const total = Number(process.env['CHAOS_MESSAGES'] ?? 100_000);
const crashes = Number(process.env['CHAOS_CRASHES'] ?? 20);

/** A TCP proxy whose connections can be cut at will. */
async function cuttingProxy(target: number): Promise<{ port: number; cut: () => number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const broker = net.connect(target, '127.0.0.1');
    sockets.add(client).add(broker);
    client.pipe(broker).pipe(client);
    const end = () => (client.destroy(), broker.destroy(), sockets.delete(client), sockets.delete(broker));
    client.on('close', end).on('error', end);
    broker.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    close: () => server.close(),
  };
}

async function run(label: string, url: string, disrupt: () => Promise<void>, brokerUrl: string): Promise<string> {
  const queue = `chaos.${label}.${process.pid}`;
  const client = new ClientActiveMQ({ uri: `${url}?jms.useAsyncSend=true&confirmationWindowSize=262144&initialReconnectDelay=50&maxReconnectDelay=1000&timeout=300000` });
  const confirmed = new Set<string>();
  let failed = 0;
  client.acknowledgements().subscribe((o) => (o.status === 'confirmed' ? confirmed.add(o.messageId) : failed++));
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 200);
  const points = Array.from({ length: crashes }, () => Math.floor(Math.random() * total * 0.95)).sort((a, b) => a - b);
  let disruptions = 0;
  const chaos = (async () => {
    for (const at of points) {
      while (confirmed.size < at) await new Promise((r) => setTimeout(r, 5));
      await disrupt();
      disruptions++;
    }
  })();
  const started = performance.now();
  for (let i = 0; i < total; i++) await lastValueFrom(client.emit(queue, { i }), { defaultValue: undefined });
  await chaos;
  await client.flush();
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  clearInterval(sampler);
  const rssEnd = process.memoryUsage().rss;

  // Read until every confirmed id has come (the checker's question), then up to a fence for the
  // duplicates that remain. Queue order is not send order across transactions and reconnections,
  // so the fence alone cannot bound the read. A confirmed message that never comes shows as lost
  // when nothing new has arrived for CHAOS_QUIET_MS (10 s).
  const parsed = parseActiveMQUri(brokerUrl);
  const consumer = await StompConnection.connect(stompConnectionOptions(parsed, parsed.endpoints[0]!));
  const received: string[] = [];
  const seen = new Set<string>();
  let missing = confirmed.size;
  let fenceSent = false;
  await new Promise<void>((resolveDrain) => {
    let quiet = setTimeout(resolveDrain, Number(process.env['CHAOS_QUIET_MS'] ?? 10_000));
    const sendFence = () => {
      if (fenceSent) return;
      fenceSent = true;
      void consumer.send(`/queue/${queue}`, {}, 'fence', { receipt: true });
    };
    void consumer.subscribe(
      `/queue/${queue}`,
      (m) => {
        if (m.body.toString() === 'fence') {
          clearTimeout(quiet);
          resolveDrain();
          return;
        }
        const id = m.headers['nestjsMessageId'] ?? '';
        received.push(id);
        if (!seen.has(id)) {
          seen.add(id);
          if (confirmed.has(id) && --missing === 0) sendFence();
        }
        clearTimeout(quiet);
        quiet = setTimeout(() => (sendFence(), resolveDrain()), Number(process.env['CHAOS_QUIET_MS'] ?? 10_000));
      },
      { ack: 'auto', headers: { 'activemq.prefetchSize': '5000' } },
    );
  });
  await consumer.disconnect();
  const unique = new Set(received);
  const lost = [...confirmed].filter((id) => !unique.has(id)).length;
  const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
  return (
    `| ${label} | ${total} | ${disruptions} | ${confirmed.size} | ${failed} | **${lost}** | ${received.length - unique.size} | ` +
    `${[...unique].filter((id) => !confirmed.has(id)).length} | ${seconds.toFixed(1)} s | ${mb(rssStart)} / ${mb(rssPeak)} / ${mb(rssEnd)} |`
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-activemq-chaos-'));
  execFileSync('bash', [script, 'start', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const url = execFileSync('bash', [script, 'url', dir], { encoding: 'utf8' }).trim();
    const rows: string[] = [];
    if (process.env['CHAOS_ONLY'] !== 'proxy') {
      rows.push(
        await run(
          'kill -9 and restart',
          url,
          async () => {
            execFileSync('bash', [script, 'kill', dir]);
            execFileSync('bash', [script, 'restart', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
          },
          url,
        ),
      );
    }
    const proxy = await cuttingProxy(parseActiveMQUri(url).endpoints[0]!.port);
    try {
      const viaProxy = url.replace(/:(\d+)$/, `:${proxy.port}`);
      rows.push(await run('connection cut by a proxy', viaProxy, async () => void proxy.cut(), url));
    } finally {
      proxy.close();
    }
    console.log('| disruption | messages | disruptions | confirmed | failed | lost | duplicates | unconfirmed but delivered | time | client RSS start / peak / end |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const row of rows) console.log(row);
  } finally {
    execFileSync('bash', [script, 'clean', dir], { stdio: 'inherit' });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
