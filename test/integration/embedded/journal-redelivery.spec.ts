import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';

/**
 * Issue 13 #5: a broker that restarts more often than redeliveryDelayMs × maxRedeliveries must
 * still dead-letter a poison message: the delivery count is journaled with the message.
 */

const dirs: string[] = [];
const brokers: EmbeddedBroker[] = [];
const connections: StompConnection[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.destroy();
  for (const broker of brokers.splice(0)) await broker.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<EmbeddedBroker> {
  // A redelivery delay far longer than the test: no redelivery ever happens within one broker's life.
  const broker = await EmbeddedBroker.start({ port: 0, dataDir, maxRedeliveries: 2, redeliveryDelayMs: 600_000, log: () => {} });
  brokers.push(broker);
  return broker;
}

async function stop(broker: EmbeddedBroker): Promise<void> {
  brokers.splice(brokers.indexOf(broker), 1);
  await broker.stop();
}

async function connect(broker: EmbeddedBroker): Promise<StompConnection> {
  const connection = await StompConnection.connect({ host: '127.0.0.1', port: broker.port!, heartBeat: [0, 0] });
  connections.push(connection);
  return connection;
}

/** The next MESSAGE of a new subscription to `destination`. */
async function firstMessage(connection: StompConnection, destination: string, ack: 'auto' | 'client-individual'): Promise<StompFrame> {
  return new Promise<StompFrame>((resolve, reject) => {
    connection.subscribe(destination, resolve, { ack }).catch(reject);
  });
}

describe('embedded broker: delivery counts survive restarts', () => {
  it('dead-letters a poison message after maxRedeliveries even when the broker restarts after every NACK', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'journal-redelivery-'));
    dirs.push(dataDir);
    let broker = await start(dataDir);
    const producer = await connect(broker);
    await producer.send('/queue/poison', { persistent: 'true', 'x-trace': 't1' }, 'poison', { receipt: true });

    const redelivered: Array<string | undefined> = [];
    // maxRedeliveries 2: deliveries 1, 2 and 3 are NACKed; the third NACK dead-letters it.
    for (let delivery = 1; delivery <= 3; delivery++) {
      const consumer = await connect(broker);
      const message = await firstMessage(consumer, '/queue/poison', 'client-individual');
      expect(message.body.toString()).toBe('poison');
      redelivered.push(message.headers['redelivered']);
      // The RECEIPT comes once the NACK is handled; stop() then waits for the journal to finish its writes.
      await consumer.nack(message, { receipt: true });
      // Its subscription would take the marker below.
      await consumer.disconnect();
      if (delivery === 3) break;
      await stop(broker);
      broker = await start(dataDir);
    }
    expect(redelivered).toEqual([undefined, 'true', 'true']);

    // Dead-lettered by the third NACK: on the DLQ before a marker sent after it.
    const checker = await connect(broker);
    await checker.send('/queue/ActiveMQ.DLQ', { persistent: 'true' }, 'marker', { receipt: true });
    const dead = await firstMessage(checker, '/queue/ActiveMQ.DLQ', 'auto');
    expect(dead.body.toString()).toBe('poison');
    expect(dead.headers['dlqDeliveryFailureCause']).toMatch(/delivery 3 was rejected; redelivery limit 2 reached/);
    expect(dead.headers['x-trace']).toBe('t1');
    // And nothing of it left on its queue: the next delivery there is a marker.
    await checker.send('/queue/poison', {}, 'marker', { receipt: true });
    expect((await firstMessage(checker, '/queue/poison', 'auto')).body.toString()).toBe('marker');
  });

  it('restores the count of a NACKed message: its first delivery after a restart is marked redelivered', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'journal-redelivery-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const producer = await connect(first);
    await producer.send('/queue/counted', { persistent: 'true' }, 'one', { receipt: true });
    const consumer = await connect(first);
    const message = await firstMessage(consumer, '/queue/counted', 'client-individual');
    expect(message.body.toString()).toBe('one');
    await consumer.nack(message, { receipt: true });
    await consumer.disconnect();
    // Never delivered: comes back unmarked.
    await producer.send('/queue/counted', { persistent: 'true' }, 'two', { receipt: true });
    await stop(first);

    const second = await start(dataDir);
    const reader = await connect(second);
    const bodies: string[] = [];
    const flags: Array<string | undefined> = [];
    const both = new Promise<void>((resolve, reject) => {
      reader
        .subscribe(
          '/queue/counted',
          (m) => {
            bodies.push(m.body.toString());
            flags.push(m.headers['redelivered']);
            if (bodies.length === 2) resolve();
          },
          { ack: 'auto' },
        )
        .catch(reject);
    });
    await both;
    expect(bodies).toEqual(['one', 'two']);
    expect(flags).toEqual(['true', undefined]);
  });
});
