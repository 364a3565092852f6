/**
 * `npm run chaos`: the long zero-loss run. A producer emits durable messages in acknowledged-async
 * mode while the broker is kill -9'ed and restarted at random moments (CHAOS_CRASHES, default 20),
 * then, separately, while a proxy between client and broker cuts the connection at random moments.
 * A consumer drains everything; the checker reports lost (confirmed but never received) = 0,
 * duplicates, and unconfirmed-but-delivered, with the client's RSS at start, peak and end.
 * CHAOS_MESSAGES sets the count (default 100,000).
 *
 * CHAOS_BROKER chooses the broker: `activemq` (Classic 5.17, the default), `activemq6` (Classic 6),
 * `artemis` (Apache ActiveMQ Artemis, scripts/artemis.sh), or `artemis-pair` (an Artemis
 * primary/backup pair with replication, `scripts/artemis.sh start-pair`: each disruption kills the
 * live member, whose backup takes over, then starts the killed one again as the new backup), or
 * `embedded` (the embedded broker as a process of its own, scripts/embedded.sh).
 * CHAOS_DUPLICATE_DETECTION=true adds the client's `duplicateDetection=true` (Artemis drops a
 * re-sent message whose `_AMQ_DUPL_ID` it has stored already). CHAOS_CONFIRMATION=receipt confirms
 * each send by its own receipt instead of grouping sends into transactions (the default).
 *
 * A duplicate is a second broker message with the same `nestjsMessageId` (a producer re-send the
 * broker stored twice); the same broker message delivered again (the same STOMP `message-id`, on
 * Artemis its message part) is a redelivery to the consumer, counted apart. The consumer
 * acknowledges each message on its own (client-individual). "resume" is, per lost connection, the
 * time from the client's `disconnect` event until a send made after it is confirmed. The exit code
 * is 1 when a confirmed message was lost, or when a duplicate was stored with duplicate detection on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../lib/client/client-activemq.js';
import { StompConnection } from '../lib/connection/stomp-connection.js';
import { parseActiveMQUri } from '../lib/config/parse-uri.js';
import { stompConnectionOptions } from '../lib/config/connection-options.js';
import { BrokerDialect } from '../lib/wire/broker-dialect.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const total = Number(process.env['CHAOS_MESSAGES'] ?? 100_000);
const crashes = Number(process.env['CHAOS_CRASHES'] ?? 20);
const quietMs = Number(process.env['CHAOS_QUIET_MS'] ?? 10_000);
const duplicateDetection = process.env['CHAOS_DUPLICATE_DETECTION'] === 'true';
const confirmationStrategy = process.env['CHAOS_CONFIRMATION'] === 'receipt' ? 'receipt' : 'transaction';

type BrokerKind = 'activemq' | 'activemq6' | 'artemis' | 'artemis-pair' | 'embedded';
const KINDS: Record<BrokerKind, { script: string; env: Record<string, string>; start: string }> = {
  activemq: { script: 'activemq.sh', env: {}, start: 'start' },
  activemq6: { script: 'activemq.sh', env: { ACTIVEMQ_VERSION: '6' }, start: 'start' },
  artemis: { script: 'artemis.sh', env: {}, start: 'start' },
  'artemis-pair': { script: 'artemis.sh', env: {}, start: 'start-pair' },
  embedded: { script: 'embedded.sh', env: {}, start: 'start' },
};
const kind = (process.env['CHAOS_BROKER'] ?? 'activemq') as BrokerKind;
if (!(kind in KINDS)) throw new Error(`CHAOS_BROKER=${kind}: expected one of ${Object.keys(KINDS).join(', ')}`);
const broker = KINDS[kind];
const exec = promisify(execFile);
/** What a run showed that it must not: a confirmed message lost, or, with duplicate detection, a duplicate. The exit code says so. */
const verdicts: string[] = [];

/** Runs the broker script (`verb` on `target`) without blocking the event loop; resolves with its stdout. */
async function sh(verb: string, target: string): Promise<string> {
  const { stdout } = await exec('bash', [join(root, 'scripts', broker.script), verb, target], {
    env: { ...process.env, ...broker.env },
    maxBuffer: 1 << 20,
    timeout: 600_000,
  });
  return stdout.trim();
}

/** Resolves once `test()` holds, polling every 5 ms; rejects with `what` after `ms`. */
async function until(test: () => boolean, what: string, ms = 300_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`chaos: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A TCP proxy whose connections can be cut at will. */
async function cuttingProxy(target: number): Promise<{ port: number; cut: () => number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
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

/** One message as the checker's consumer read it. */
interface Received {
  /** The producer's id (`nestjsMessageId`), the same on every re-send. */
  readonly id: string;
  /** The broker's id of the stored message (from STOMP `message-id`), the same on every redelivery. */
  readonly stored: string;
}

/**
 * Streams `total` messages to one queue through `url` while `disrupt` runs at random moments,
 * then drains the queue from the broker `drainUrl()` names and compares.
 */
async function run(label: string, url: string, disrupt: () => Promise<void>, drainUrl: () => Promise<string>): Promise<string> {
  const queue = `chaos.${label.replace(/[^a-z0-9]+/gi, '-')}.${process.pid}`;
  const options = `jms.useAsyncSend=true&confirmationWindowSize=262144&initialReconnectDelay=50&maxReconnectDelay=1000&timeout=300000${duplicateDetection ? '&duplicateDetection=true' : ''}`;
  const client = new ClientActiveMQ({ uri: `${url}?${options}`, confirmationStrategy });
  const confirmed = new Set<string>();
  let failed = 0;
  let rejected = 0;
  const failures = new Map<string, number>();
  // Time to resume, per lost connection: from the client's `disconnect` event until a send made
  // after it is confirmed (outcomes are reported in send order).
  const resumed: number[] = [];
  const outages: Array<{ readonly sent: number; readonly at: number }> = [];
  let sent = 0;
  client.on('disconnect', () => void outages.push({ sent, at: performance.now() }));
  client.acknowledgements().subscribe((o) => {
    if (o.status === 'confirmed') confirmed.add(o.messageId);
    else {
      failed++;
      const why = o.error.message.slice(0, 160);
      failures.set(why, (failures.get(why) ?? 0) + 1);
    }
    while (outages.length > 0 && confirmed.size + failed >= Math.min(outages[0]!.sent + 1, total)) resumed.push(performance.now() - outages.shift()!.at);
  });
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 200);
  const points = Array.from({ length: crashes }, () => Math.floor(Math.random() * total * 0.95)).sort((a, b) => a - b);
  let disruptions = 0;
  // The producer does not pass the next point before the disruption in progress has ended (a
  // pair's restarted member is synchronized), so that every disruption hits a running stream.
  const ended: Array<() => void> = [];
  const ends = points.map(() => new Promise<void>((r) => ended.push(r)));
  const chaos = (async () => {
    for (const [k, at] of points.entries()) {
      await until(() => confirmed.size + failed >= at, `outcome #${at}`);
      await disrupt();
      disruptions++;
      ended[k]!();
    }
  })();
  const started = performance.now();
  let next = 0;
  for (; sent < total; sent++) {
    while (next + 1 < points.length && sent >= points[next + 1]!) await Promise.race([ends[next++], chaos]);
    await lastValueFrom(client.emit(queue, { i: sent }), { defaultValue: undefined }).catch((error: Error) => {
      // Never expected: a windowed send that ends in doubt is reported on acknowledgements().
      rejected++;
      console.error(`chaos: ${label}: emit #${sent} rejected: ${error.message}`);
    });
  }
  await chaos;
  await client.flush();
  const seconds = (performance.now() - started) / 1000;
  await client.close().catch((error: Error) => console.error(`chaos: ${label}: close() rejected: ${error.message}`));
  clearInterval(sampler);
  const rssEnd = process.memoryUsage().rss;
  for (const [why, n] of failures) console.error(`chaos: ${label}: ${n} failed: ${why}`);
  if (rejected > 0) console.error(`chaos: ${label}: ${rejected} emit() calls rejected`);

  // Read until every confirmed id has come (the checker's question), then up to a fence for the
  // duplicates that remain. Queue order is not send order across transactions and reconnections,
  // so the fence alone cannot bound the read. A confirmed message that never comes shows as lost
  // when nothing new has arrived for CHAOS_QUIET_MS (10 s). Each message is acknowledged on its
  // own (client-individual) after it is recorded.
  const parsed = parseActiveMQUri(await drainUrl());
  const consumer = await StompConnection.connect(stompConnectionOptions(parsed, parsed.endpoints[0]!));
  // Destinations as the transport writes them on this broker (on Artemis, with a routing type).
  consumer.routing = BrokerDialect.of(consumer.server);
  const received: Received[] = [];
  const seen = new Set<string>();
  let missing = confirmed.size;
  let fenceSent = false;
  await new Promise<void>((resolveDrain) => {
    let quiet = setTimeout(resolveDrain, quietMs);
    const sendFence = () => {
      if (fenceSent) return;
      fenceSent = true;
      void consumer.send(`/queue/${queue}`, {}, 'fence', { receipt: true });
    };
    void consumer.subscribe(
      `/queue/${queue}`,
      (m) => {
        void consumer.ack(m).catch(() => undefined);
        if (m.body.toString() === 'fence') {
          clearTimeout(quiet);
          resolveDrain();
          return;
        }
        const id = m.headers['nestjsMessageId'] ?? '';
        // Artemis writes `message-id` as `<server consumer id>,<message id>`: only the message
        // part names the stored message (the consumer part changes with each subscription).
        const stored = m.headers['message-id'] ?? '';
        received.push({ id, stored: stored.slice(stored.lastIndexOf(',') + 1) });
        if (!seen.has(id)) {
          seen.add(id);
          if (confirmed.has(id) && --missing === 0) sendFence();
        }
        clearTimeout(quiet);
        quiet = setTimeout(() => (sendFence(), resolveDrain()), quietMs);
      },
      { ack: 'client-individual', headers: { 'activemq.prefetchSize': '5000' } },
    );
  });
  await consumer.disconnect();
  const unique = new Set(received.map((r) => r.id));
  const stored = new Set(received.map((r) => `${r.id}\n${r.stored}`));
  const lost = [...confirmed].filter((id) => !unique.has(id)).length;
  if (lost > 0) verdicts.push(`${label}: ${lost} confirmed message(s) lost`);
  if (duplicateDetection && stored.size > unique.size) verdicts.push(`${label}: ${stored.size - unique.size} duplicate(s) stored despite duplicateDetection=true`);
  const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
  const sorted = [...resumed].sort((a, b) => a - b);
  if (process.env['CHAOS_VERBOSE']) console.error(`chaos: ${label}: resumed after ${resumed.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  const resume = sorted.length ? `${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} / ${(sorted.at(-1)! / 1000).toFixed(1)} s` : '-';
  return (
    `| ${kind}${duplicateDetection ? ' +dup-detect' : ''}${confirmationStrategy === 'receipt' ? ' +receipts' : ''} | ${label} | ${total} | ${disruptions} | ${confirmed.size} | ${failed} | **${lost}** | ${stored.size - unique.size} | ` +
    `${received.length - stored.size} | ${[...unique].filter((id) => !confirmed.has(id)).length} | ${resume} | ${seconds.toFixed(1)} s | ${mb(rssStart)} / ${mb(rssPeak)} / ${mb(rssEnd)} |`
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-activemq-chaos-'));
  try {
    await sh(broker.start, dir);
    const url = await sh('url', dir);
    const rows: string[] = [];
    if (kind === 'artemis-pair') {
      // The live member is killed; the backup takes over; the killed one joins again as its backup.
      let live = await sh('live', dir);
      const disrupt = async () => {
        const killed = live;
        await sh('kill', killed);
        live = killed.endsWith('/primary') ? join(dir, 'backup') : join(dir, 'primary');
        await sh('restart', killed);
      };
      rows.push(await run('kill -9 of the live member', url, disrupt, async () => sh('url', await sh('live', dir))));
    } else {
      if (process.env['CHAOS_ONLY'] !== 'proxy') {
        const disrupt = async () => {
          await sh('kill', dir);
          await sh('restart', dir);
        };
        rows.push(await run('kill -9 and restart', url, disrupt, async () => url));
      }
      if (process.env['CHAOS_ONLY'] !== 'kill') {
        const proxy = await cuttingProxy(parseActiveMQUri(url).endpoints[0]!.port);
        try {
          const viaProxy = url.replace(/:(\d+)$/, `:${proxy.port}`);
          rows.push(
            await run(
              'connection cut by a proxy',
              viaProxy,
              async () => void proxy.cut(),
              async () => url,
            ),
          );
        } finally {
          proxy.close();
        }
      }
    }
    console.log(
      '| broker | disruption | messages | disruptions | confirmed | failed | lost | duplicates | redeliveries | unconfirmed but delivered | resume median / max | time | client RSS start / peak / end |',
    );
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const row of rows) console.log(row);
    for (const verdict of verdicts) console.error(`chaos: FAILED: ${verdict}`);
    if (verdicts.length > 0) process.exitCode = 1;
  } finally {
    await sh('clean', dir);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  // The brokers are cleaned already; a client still reconnecting must not keep the process alive.
  process.exit(1);
});
