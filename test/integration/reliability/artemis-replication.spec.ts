import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ, type ActiveMQClientOptions } from '../../../lib/client/client-activemq.js';
import type { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { ArtemisPair, type PairMember } from '../../support/artemis-pair.js';
import { deferred, startService, type RunningService } from '../../support/nest.js';
import { report as reportFigure } from '../../support/report.js';

// Apache ActiveMQ Artemis only (the jest project `artemis`): a primary/backup pair with
// shared-nothing replication ("High Availability and Failover" in the Artemis documentation),
// reached through a failover:(primary,backup) URI. STOMP has no session re-attachment: the
// transport reconnects to the member that became active and re-sends what was unconfirmed.

let pair: ArtemisPair;
beforeAll(async () => {
  pair = await ArtemisPair.start();
}, 180_000);
afterAll(async () => pair?.clean(), 120_000);

const P = `replication.${process.pid}.${Date.now().toString(36)}`;
const TOTAL = 5000;
/** The client has this many sends confirmed when the active member is killed: mid-stream. */
const KILL_AFTER = 1000;

/** What the consuming server saw of one pattern. */
class Sink {
  /** Every delivery: the producer's id and the broker's id of the stored message. */
  readonly deliveries: Array<{ readonly id: string; readonly stored: string }> = [];
  private readonly ids = new Set<string>();
  private readonly waiters: Array<{ readonly test: () => boolean; readonly resolve: () => void }> = [];

  /** Deliveries the broker flagged as redelivered (`redelivered: true`). */
  flagged = 0;

  record(id: string, stored: string, redelivered: boolean): void {
    this.deliveries.push({ id, stored });
    if (redelivered) this.flagged++;
    this.ids.add(id);
    for (const waiter of [...this.waiters]) {
      if (waiter.test()) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Resolves once `test` holds, checked at every delivery. */
  when(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Distinct producer ids received. */
  get unique(): number {
    return this.ids.size;
  }

  /** Second broker messages with an id already stored: re-sends the broker kept. */
  get duplicates(): number {
    return new Set(this.deliveries.map((d) => `${d.id}\n${d.stored}`)).size - this.ids.size;
  }

  /** The same broker message delivered again (its ack lost with the server's connection). */
  get redeliveries(): number {
    return this.deliveries.length - new Set(this.deliveries.map((d) => `${d.id}\n${d.stored}`)).size;
  }
}

const sinks = new Map<string, Sink>();

@Controller()
class Consumers {
  @EventPattern<string>(`${P}.first`)
  first(@Ctx() context: ActiveMQContext): void {
    record(`${P}.first`, context);
  }

  @EventPattern<string>(`${P}.second`)
  second(@Ctx() context: ActiveMQContext): void {
    record(`${P}.second`, context);
  }

  @EventPattern<string>(`${P}.third`)
  third(@Ctx() context: ActiveMQContext): void {
    record(`${P}.third`, context);
  }
}

/**
 * The broker's id of the stored message. Artemis writes a STOMP `message-id` as
 * `<server consumer id>,<message id>`: the consumer part changes when the server subscribes
 * again (after a failover), the message part is the stored message's, the same on the backup.
 */
function storedId(messageId: string | undefined): string {
  const id = messageId ?? '';
  return id.slice(id.lastIndexOf(',') + 1);
}

function record(pattern: string, context: ActiveMQContext): void {
  const message = context.getMessage();
  sinks.get(pattern)?.record(message.headers['nestjsMessageId'] ?? '', storedId(message.messageId), message.redelivered);
}

/**
 * Streams TOTAL acknowledged-async durable sends to `pattern` through the pair; kills the active
 * member once KILL_AFTER of them are confirmed; checks what the server received.
 */
async function streamThroughFailover(
  pattern: string,
  service: RunningService,
  url: string,
  killed: PairMember,
  survivor: PairMember,
  extra: { readonly query?: string; readonly options?: Omit<ActiveMQClientOptions, 'uri'> } = {},
): Promise<Sink> {
  const sink = new Sink();
  sinks.set(pattern, sink);
  const client = new ClientActiveMQ({
    uri: `${url}?jms.useAsyncSend=true&confirmationWindowSize=131072&initialReconnectDelay=50&maxReconnectDelay=500&timeout=120000${extra.query ?? ''}`,
    ...extra.options,
  });
  const confirmed = new Set<string>();
  const failures: string[] = [];
  const clientBrokers: string[] = [];
  const serverBrokers: string[] = [];
  const clientOn = deferred();
  const serverOn = deferred();
  client.on('connect', (broker) => (clientBrokers.push(broker), broker === pair.endpoint(survivor) && clientOn.resolve()));
  const onServerConnect = (broker: string) => (serverBrokers.push(broker), broker === pair.endpoint(survivor) && serverOn.resolve());
  service.server.on('connect', onServerConnect);
  let sent = 0;
  let outage: { readonly sent: number; readonly at: number } | undefined;
  let resumeMs: number | undefined;
  client.on('disconnect', () => (outage ??= { sent, at: performance.now() }));
  const killPoint = deferred();
  client.acknowledgements().subscribe((o) => {
    if (o.status === 'confirmed') confirmed.add(o.messageId);
    else failures.push(o.error.message);
    if (confirmed.size === KILL_AFTER) killPoint.resolve();
    // Resumed: a send made after the loss is confirmed (outcomes come in send order).
    if (outage && resumeMs === undefined && confirmed.size + failures.length > outage.sent) resumeMs = performance.now() - outage.at;
  });
  try {
    await client.connect();
    expect(clientBrokers).toEqual([pair.endpoint(killed)]);
    let killedAt = 0;
    let sentAtKill = 0;
    const crash = killPoint.promise.then(async () => {
      killedAt = performance.now();
      sentAtKill = sent;
      await pair.kill(killed);
    });
    for (; sent < TOTAL; sent++) await lastValueFrom(client.emit(pattern, { i: sent }), { defaultValue: undefined });
    await crash;
    await client.flush();
    await Promise.all([clientOn.promise, serverOn.promise]);
    const serverBackMs = performance.now() - killedAt;

    // After the failover: a send is confirmed, and the resubscribed server receives it.
    const afterId = await new Promise<string>((resolve, reject) => {
      const sub = client.acknowledgements().subscribe((o) => (sub.unsubscribe(), o.status === 'failed' ? reject(o.error) : resolve(o.messageId)));
      void lastValueFrom(client.emit(pattern, { after: true }), { defaultValue: undefined }).then(() => client.flush(), reject);
    });
    await sink.when(() => [...confirmed].every((id) => sink.has(id)) && sink.has(afterId));
    const lost = [...confirmed].filter((id) => !sink.has(id));

    reportFigure(
      `artemis-replication: kill -9 ${killed} after ${sentAtKill} sends, active now ${survivor}; messages ${TOTAL + 1}, confirmed ${confirmed.size}, failed ${failures.length}, ` +
        `received ${sink.unique}, lost ${lost.length}, duplicates ${sink.duplicates}, redeliveries ${sink.redeliveries} (flagged redelivered ${sink.flagged}), ` +
        `client resumed ${resumeMs?.toFixed(0)} ms after its loss, server resubscribed ${serverBackMs.toFixed(0)} ms after the kill`,
    );
    expect(sentAtKill).toBeLessThan(TOTAL);
    expect(failures).toEqual([]);
    expect(confirmed.size).toBe(TOTAL + 1);
    expect(lost).toEqual([]);
    expect(clientBrokers).toEqual([pair.endpoint(killed), pair.endpoint(survivor)]);
    expect(serverBrokers.at(-1)).toBe(pair.endpoint(survivor));
    expect(await pair.live()).toBe(survivor);
    expect(resumeMs).toBeDefined();
    return sink;
  } finally {
    await client.close();
  }
}

describe('Artemis replication: a primary/backup pair through failover:(primary,backup)', () => {
  let service: RunningService;
  let url: string;
  beforeAll(async () => {
    url = await pair.url();
    service = await startService([Consumers], { uri: `${url}?initialReconnectDelay=50&maxReconnectDelay=500` });
  }, 60_000);
  afterAll(async () => service?.close(), 60_000);

  it('kill -9 of the primary mid-stream: the backup becomes active, nothing confirmed is lost, the server keeps receiving', async () => {
    expect(await pair.live()).toBe('primary');
    await streamThroughFailover(`${P}.first`, service, url, 'primary', 'backup');
  }, 180_000);

  it('the killed primary starts again as the backup (no failback); kill -9 of the active former backup fails over to it', async () => {
    await pair.restart('primary');
    expect(await pair.live()).toBe('backup');
    await streamThroughFailover(`${P}.second`, service, url, 'backup', 'primary');
  }, 180_000);

  it('with duplicateDetection=true and a receipt per send, a failover stores no message twice: the backup has the duplicate ids too', async () => {
    await pair.restart('backup');
    expect(await pair.live()).toBe('primary');
    // Each send alone: Artemis drops a re-sent duplicate outside a transaction, but refuses the
    // COMMIT of a transaction that holds one ("Duplicate Message Detection").
    const sink = await streamThroughFailover(`${P}.third`, service, url, 'primary', 'backup', {
      query: '&duplicateDetection=true',
      options: { confirmationStrategy: 'receipt' },
    });
    expect(sink.duplicates).toBe(0);
  }, 180_000);
});
