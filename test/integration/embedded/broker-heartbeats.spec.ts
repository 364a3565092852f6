import { afterEach, describe, expect, it } from '@jest/globals';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../lib/broker/embedded-broker.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { RawStomp } from '../../support/raw-stomp.js';

/**
 * Heart-beating as the embedded broker negotiates it: what the client asks for, down to
 * `minHeartbeatMs`; a value past the longest timer Node holds (2^31 - 1 ms) clamped to it, not
 * turned into a 1 ms timer; a producer that flow control stopped reading is not dropped for the
 * silence the broker itself caused. Every wait is on an event: a frame, a heart-beat, a close.
 */

const brokers: EmbeddedBroker[] = [];
const sockets: RawStomp[] = [];
const clients: StompConnection[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const client of clients.splice(0)) client.destroy();
  for (const broker of brokers.splice(0)) await broker.stop();
});

async function startBroker(options: EmbeddedBrokerOptions = {}): Promise<{ broker: EmbeddedBroker; log: string[] }> {
  const log: string[] = [];
  const broker = await EmbeddedBroker.start({ port: 0, log: (line) => log.push(line), ...options });
  brokers.push(broker);
  return { broker, log };
}

async function connectRaw(broker: EmbeddedBroker, heartBeat: string): Promise<{ raw: RawStomp; heartBeat: string | undefined }> {
  const { raw, connected } = await RawStomp.connected(broker.port!, `CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:${heartBeat}\n\n\0`);
  sockets.push(raw);
  return { raw, heartBeat: connected.headers['heart-beat'] };
}

async function client(broker: EmbeddedBroker, heartBeat: readonly [number, number]): Promise<StompConnection> {
  const connection = await StompConnection.connect({ host: '127.0.0.1', port: broker.port!, heartBeat });
  clients.push(connection);
  return connection;
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - times[i]!);
}

describe('embedded broker heart-beats', () => {
  it('answers heart-beat:0,500 with 500,0 and beats every 0.5 s', async () => {
    const { broker } = await startBroker();
    const { raw, heartBeat } = await connectRaw(broker, '0,500');
    expect(heartBeat).toBe('500,0');
    const beats = await raw.heartbeatsUntil(4);
    for (const gap of gaps(beats)) {
      expect(gap).toBeGreaterThanOrEqual(450);
      expect(gap).toBeLessThan(1500);
    }
  });

  it('never beats, nor expects beats, faster than minHeartbeatMs (default 100 ms, configurable)', async () => {
    const { broker } = await startBroker();
    expect((await connectRaw(broker, '10,1')).heartBeat).toBe('100,100');
    const { broker: slower } = await startBroker({ minHeartbeatMs: 250 });
    const { raw, heartBeat } = await connectRaw(slower, '0,10');
    expect(heartBeat).toBe('250,0');
    for (const gap of gaps(await raw.heartbeatsUntil(4))) expect(gap).toBeGreaterThanOrEqual(240);
  });

  it('drops a client silent for 3 of the intervals it offered (heart-beat:200,0), keeps one that beats', async () => {
    const { broker } = await startBroker();
    const beating = await client(broker, [200, 200]);
    expect(beating.heartbeat).toEqual({ sendEvery: 200, expectEvery: 200 });
    const { raw: silent, heartBeat } = await connectRaw(broker, '200,0');
    expect(heartBeat).toBe('0,200');
    const connectedAt = performance.now();
    await silent.closed;
    expect(performance.now() - connectedAt).toBeGreaterThanOrEqual(550);
    // The beating client heard the broker for longer than the silent one was allowed, and is still served.
    let beats = 0;
    await new Promise<void>((resolve) => beating.on('heartbeat', () => ++beats === 5 && resolve()));
    await beating.begin('t');
    await beating.abort('t');
  });

  it('clamps a heart-beat past 2^31 - 1 ms to 2^31 - 1 (no 1 ms timer), and logs it once', async () => {
    const { broker, log } = await startBroker();
    const huge = await connectRaw(broker, '4294967296,4294967296');
    const again = await connectRaw(broker, '0,99999999999999999999');
    expect(huge.heartBeat).toBe('2147483647,2147483647');
    expect(again.heartBeat).toBe('2147483647,0');
    // A witness that beats every 100 ms: half a second passes while the clamped ones hear nothing.
    const witness = await connectRaw(broker, '0,100');
    await witness.raw.heartbeatsUntil(5);
    expect(huge.raw.heartbeats).toHaveLength(0);
    expect(again.raw.heartbeats).toHaveLength(0);
    huge.raw.write('DISCONNECT\nreceipt:bye\n\n\0');
    expect((await huge.raw.next('RECEIPT')).headers['receipt-id']).toBe('bye');
    expect(log.filter((line) => /2147483647/.test(line))).toHaveLength(1);
  });

  it('refuses a heart-beat header that is not two whole numbers, as ActiveMQ does', async () => {
    const { broker } = await startBroker();
    const raw = await RawStomp.open(broker.port!);
    sockets.push(raw);
    raw.write('CONNECT\naccept-version:1.2\nheart-beat:fast,slow\n\n\0');
    expect((await raw.next('ERROR')).headers['message']).toMatch(/heart-beat 'fast,slow'/);
    await raw.closed;
  });

  it('keeps a producer that flow control stopped reading: its silence is the broker’s doing', async () => {
    const memoryLimitBytes = 64 * 1024;
    const { broker } = await startBroker({ memoryLimitBytes });
    // The producer offers beats every 100 ms; the broker stops reading it once over the memory limit.
    const producer = await client(broker, [100, 100]);
    let closedBy: unknown = 'open';
    producer.once('close', (error) => (closedBy = error));
    const body = 'p'.repeat(4096);
    const sends = Array.from({ length: 24 }, (_, i) => producer.send('/queue/paused', { n: String(i) }, body, { receipt: true }));
    const settled = sends.map((send) =>
      send.then(
        () => 'ok',
        (error: unknown) => error,
      ),
    );
    // Wait for 10 of the broker's beats (over 1 s, more than 3 of the producer's intervals)
    // while the broker holds receipts: the producer is paused.
    let beats = 0;
    await new Promise<void>((resolve, reject) => {
      producer.on('heartbeat', () => ++beats === 10 && resolve());
      producer.once('close', (error) => reject(new Error(`the broker closed the paused producer after ${beats} beats: ${String(error)}`)));
    });
    expect(broker.stats().memoryBytes).toBeGreaterThan(memoryLimitBytes);
    expect(closedBy).toBe('open');

    // A consumer drains the queue: the producer is read again and every receipt comes.
    const consumer = await client(broker, [0, 0]);
    let received = 0;
    const drained = new Promise<void>((resolve) => void consumer.subscribe('/queue/paused', () => ++received === 24 && resolve()));
    expect(await Promise.all(settled)).toEqual(sends.map(() => 'ok'));
    await drained;
    expect(closedBy).toBe('open');
  });
});
