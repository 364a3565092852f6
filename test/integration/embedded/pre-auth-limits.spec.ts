import { afterEach, describe, expect, it } from '@jest/globals';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../lib/broker/embedded-broker.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { RawStomp } from '../../support/raw-stomp.js';

/**
 * Before CONNECTED a socket has proved nothing, so the embedded broker gives it little: a CONNECT
 * of at most `maxConnectFrameBytes` without a body, `connectTimeoutMs` to send it, and one of
 * `maxPendingConnections` places (the oldest waiting socket makes room for a new one). Each limit
 * answers with an ERROR, closes the socket, and is logged the first time it is reached.
 */

const users = { app: 'app-secret' };
const CONNECT = 'CONNECT\naccept-version:1.2\nhost:localhost\nlogin:app\npasscode:app-secret\n\n\0';
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
  const broker = await EmbeddedBroker.start({ port: 0, users, log: (line) => log.push(line), ...options });
  brokers.push(broker);
  return { broker, log };
}

async function open(broker: EmbeddedBroker): Promise<RawStomp> {
  const socket = await RawStomp.open(broker.port!);
  sockets.push(socket);
  return socket;
}

async function client(broker: EmbeddedBroker): Promise<StompConnection> {
  const connection = await StompConnection.connect({ host: '127.0.0.1', port: broker.port!, login: 'app', passcode: 'app-secret', heartBeat: [0, 0] });
  clients.push(connection);
  return connection;
}

/** A request/receipt round trip: the broker still serves `connection`. */
async function roundTrip(connection: StompConnection): Promise<void> {
  await connection.begin('probe');
  await connection.abort('probe');
}

/** Resolves once `count` of `sockets` have been closed by the broker. */
function closedCount(of: readonly RawStomp[], count: number): Promise<void> {
  let closed = 0;
  return new Promise((resolve) => {
    for (const socket of of) void socket.closed.then(() => ++closed === count && resolve());
  });
}

describe('embedded broker before CONNECTED', () => {
  it('refuses a first frame past maxConnectFrameBytes without buffering its body (1 MiB sent, no NUL)', async () => {
    const { broker, log } = await startBroker();
    const socket = await open(broker);
    socket.write('SEND\ndestination:/queue/pre-auth\n\n');
    socket.write(Buffer.alloc(1024 * 1024, 'x'));
    const error = await socket.next('ERROR');
    expect(error.headers['message']).toMatch(/8192 bytes/);
    expect(error.body).toMatch(/maxConnectFrameBytes/);
    await socket.closed;
    expect(log.filter((line) => /maxConnectFrameBytes/.test(line))).toHaveLength(1);
  });

  it('refuses a CONNECT that declares a large body, and one that carries a small body', async () => {
    const { broker } = await startBroker();
    const declared = await open(broker);
    declared.write('CONNECT\naccept-version:1.2\nlogin:app\npasscode:app-secret\ncontent-length:104857600\n\n');
    declared.write(Buffer.alloc(64 * 1024, 'x'));
    expect((await declared.next('ERROR')).body).toMatch(/maxConnectFrameBytes/);
    await declared.closed;

    const small = await open(broker);
    small.write('CONNECT\naccept-version:1.2\nlogin:app\npasscode:app-secret\n\nhello\0');
    expect((await small.next('ERROR')).headers['message']).toMatch(/a CONNECT frame carries no body; this one has 5 bytes/);
    await small.closed;
  });

  it('takes a CONNECT of a few KiB, and reads the large frames written right behind it', async () => {
    const { broker } = await startBroker();
    const socket = await open(broker);
    const clientId = 'c'.repeat(6000);
    const body = 'b'.repeat(300 * 1024);
    socket.write(`CONNECT\naccept-version:1.2\nlogin:app\npasscode:app-secret\nclient-id:${clientId}\n\n\0SEND\ndestination:/queue/pre-auth.big\nreceipt:r1\n\n${body}\0`);
    await socket.next('CONNECTED');
    expect((await socket.next('RECEIPT')).headers['receipt-id']).toBe('r1');
    expect(broker.stats().waiting).toBe(1);
  });

  it('closes sockets that send no CONNECT within connectTimeoutMs, with an ERROR, logged once', async () => {
    const { broker, log } = await startBroker({ connectTimeoutMs: 300 });
    const started = performance.now();
    const idle = await Promise.all(Array.from({ length: 20 }, () => open(broker)));
    const slow = await open(broker);
    slow.write('CONNECT\naccept-ver'); // half a CONNECT, never finished
    const connected = await client(broker);

    await Promise.all([...idle, slow].map((socket) => socket.closed));
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    for (const socket of [...idle, slow]) {
      expect(socket.frames).toHaveLength(1);
      expect(socket.frames[0]).toMatchObject({ command: 'ERROR', headers: { message: expect.stringMatching(/no CONNECT within 300 ms/) } });
    }
    // A connection that did CONNECT in time is not affected.
    await roundTrip(connected);
    expect(log.filter((line) => /connectTimeoutMs/.test(line))).toHaveLength(1);
  });

  it('holds at most maxPendingConnections sockets waiting for CONNECT: the oldest makes room, a real client gets in', async () => {
    const { broker, log } = await startBroker({ maxPendingConnections: 5, connectTimeoutMs: 60_000 });
    const idle: RawStomp[] = [];
    for (let i = 0; i < 12; i++) idle.push(await open(broker));
    await closedCount(idle, 7);

    const connected = await client(broker);
    await closedCount(idle, 8);
    await roundTrip(connected);
    const closed = idle.filter((socket) => !socket.isOpen);
    expect(closed).toHaveLength(8);
    for (const socket of closed) {
      expect(socket.frames).toEqual([expect.objectContaining({ command: 'ERROR', headers: expect.objectContaining({ message: expect.stringMatching(/maxPendingConnections/) }) })]);
    }
    // The four still waiting can still CONNECT.
    const survivor = idle.find((socket) => socket.isOpen)!;
    survivor.write(CONNECT);
    await survivor.next('CONNECTED');
    expect(log.filter((line) => /maxPendingConnections/.test(line))).toHaveLength(1);
  });
});
