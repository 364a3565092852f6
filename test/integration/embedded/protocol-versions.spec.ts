import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { RawStomp, type RawFrame } from '../../support/raw-stomp.js';

/**
 * STOMP 1.0, 1.1 and 1.2 on the embedded broker, negotiated as ActiveMQ does: the highest version
 * both sides accept (no accept-version means 1.0), each version's header escaping (1.0 none, 1.1
 * without `\r`, 1.2 all) and acknowledgement (1.0 and 1.1 by `message-id`, 1.1 with its
 * `subscription`, 1.2 by the MESSAGE's `ack`; no NACK in 1.0). Checked with raw frames, and with
 * a third-party client: stomp.py (Debian's python3-stomp, installed by .ci/run).
 */

let broker: EmbeddedBroker;
const sockets: RawStomp[] = [];
beforeAll(async () => {
  broker = await EmbeddedBroker.start({ port: 0, users: { app: 'app-secret' }, redeliveryDelayMs: 0 });
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await broker.stop();
});

function connectFrame(acceptVersion: string | undefined): string {
  return `CONNECT\n${acceptVersion === undefined ? '' : `accept-version:${acceptVersion}\n`}login:app\npasscode:app-secret\n\n\0`;
}

async function connect(acceptVersion: string | undefined): Promise<{ raw: RawStomp; connected: RawFrame }> {
  const result = await RawStomp.connected(broker.port!, connectFrame(acceptVersion));
  sockets.push(result.raw);
  return result;
}

let queues = 0;
const queue = (): string => `/queue/versions.${process.pid}.${++queues}`;

describe('STOMP version negotiation', () => {
  it.each([
    [undefined, '1.0'],
    ['1.0', '1.0'],
    ['1.1', '1.1'],
    ['1.0,1.1', '1.1'],
    ['1.2,1.1', '1.2'],
    ['1.1,1.2,2.0', '1.2'],
  ])('accept-version %s: CONNECTED version %s', async (accepts, agreed) => {
    const { raw, connected } = await connect(accepts);
    expect(connected.headers).toMatchObject({ version: agreed, 'heart-beat': '0,0', server: expect.stringMatching(/^nestjs-activemq-embedded\//) });
    raw.write('DISCONNECT\nreceipt:bye\n\n\0');
    await raw.next('RECEIPT');
  });

  it('refuses a client with no version in common with an ERROR that says which it supports', async () => {
    const raw = await RawStomp.open(broker.port!);
    sockets.push(raw);
    raw.write(connectFrame('2.0,3.1'));
    const error = await raw.next('ERROR');
    expect(error.headers['version']).toBe('1.0,1.1,1.2');
    expect(error.headers['message']).toMatch(/2\.0,3\.1/);
    await raw.closed;
  });
});

describe('STOMP 1.0', () => {
  it('passes header text as is, subscribes without an id, ACKs by message-id, unsubscribes by destination', async () => {
    const destination = queue();
    const { raw: producer } = await connect('1.0');
    producer.write(`SEND\ndestination:${destination}\nx-path:C:\\new\\table\nreceipt:s\n\nold\0`);
    await producer.next('RECEIPT');

    const { raw: consumer } = await connect(undefined);
    consumer.write(`SUBSCRIBE\ndestination:${destination}\nack:client\n\n\0`);
    const message = await consumer.next('MESSAGE');
    expect(message.headers['x-path']).toBe('C:\\new\\table');
    expect(message.headers['ack']).toBeUndefined();
    expect(message.body).toBe('old');

    // A 1.2 client gets the same value, escaped as 1.2 requires.
    const { raw: modern } = await connect('1.2');
    producer.write(`SEND\ndestination:${destination}.b\nx-path:C:\\new\\table\nreceipt:s2\n\nold\0`);
    await producer.next('RECEIPT');
    modern.write(`SUBSCRIBE\nid:m\ndestination:${destination}.b\n\n\0`);
    expect((await modern.next('MESSAGE')).headers['x-path']).toBe('C\\c\\\\new\\\\table');

    consumer.write(`ACK\nmessage-id:${message.headers['message-id']}\nreceipt:ack\n\n\0UNSUBSCRIBE\ndestination:${destination}\nreceipt:unsub\n\n\0`);
    expect((await consumer.next('RECEIPT')).headers['receipt-id']).toBe('ack');
    expect((await consumer.next('RECEIPT')).headers['receipt-id']).toBe('unsub');
  });

  it('has no NACK', async () => {
    const { raw } = await connect('1.0');
    raw.write('NACK\nmessage-id:x\nreceipt:n\n\n\0');
    const error = await raw.next('ERROR');
    expect(error.headers['message']).toMatch(/NACK is not part of STOMP 1\.0/);
    expect(error.headers['receipt-id']).toBe('n');
  });
});

describe('STOMP 1.1', () => {
  it('escapes \\n, \\c and \\\\ both ways, and refuses \\r (undefined in 1.1)', async () => {
    const destination = queue();
    const { raw: producer } = await connect('1.1');
    producer.write(`SEND\ndestination:${destination}\nx-text:one\\ntwo\\cthree\\\\four\nreceipt:s\n\nhi\0`);
    await producer.next('RECEIPT');
    const { raw: consumer } = await connect('1.0,1.1');
    consumer.write(`SUBSCRIBE\nid:s1\ndestination:${destination}\n\n\0`);
    expect((await consumer.next('MESSAGE')).headers['x-text']).toBe('one\\ntwo\\cthree\\\\four');

    // The project's 1.2 client reads the same value decoded.
    const modern = await StompConnection.connect({ host: '127.0.0.1', port: broker.port!, login: 'app', passcode: 'app-secret', heartBeat: [0, 0] });
    const got = new Promise<StompFrame>((resolve) => void modern.subscribe(`${destination}.b`, resolve));
    producer.write(`SEND\ndestination:${destination}.b\nx-text:one\\ntwo\\cthree\\\\four\n\nhi\0`);
    expect((await got).headers['x-text']).toBe('one\ntwo:three\\four');
    await modern.disconnect();

    producer.write(`SEND\ndestination:${destination}\nx-text:a\\rb\n\nhi\0`);
    expect((await producer.next('ERROR')).headers['message']).toMatch(/undefined escape/);
    await producer.closed;
  });

  it('ACKs and NACKs by message-id and subscription; a 1.1 ACK without subscription is refused', async () => {
    const destination = queue();
    const { raw } = await connect('1.1');
    raw.write(`SEND\ndestination:${destination}\nreceipt:s\n\nonce\0`);
    await raw.next('RECEIPT');
    raw.write(`SUBSCRIBE\nid:s1\ndestination:${destination}\nack:client-individual\n\n\0`);
    const first = await raw.next('MESSAGE');
    expect(first.headers).toMatchObject({ subscription: 's1', 'message-id': expect.any(String) });
    expect(first.headers['ack']).toBeUndefined();
    const messageId = first.headers['message-id']!;

    raw.write(`ACK\nmessage-id:${messageId}\nreceipt:bad\n\n\0`);
    expect((await raw.next('ERROR')).headers).toMatchObject({ 'receipt-id': 'bad', message: expect.stringMatching(/needs a 'subscription' header/) });

    raw.write(`NACK\nmessage-id:${messageId}\nsubscription:s1\nreceipt:n\n\n\0`);
    expect((await raw.next('RECEIPT')).headers['receipt-id']).toBe('n');
    const again = await raw.next('MESSAGE');
    expect(again.headers).toMatchObject({ 'message-id': messageId, redelivered: 'true' });
    raw.write(`ACK\nmessage-id:${messageId}\nsubscription:s1\nreceipt:a\n\n\0`);
    expect((await raw.next('RECEIPT')).headers['receipt-id']).toBe('a');
  });
});

/** Finds a Python 3 that has stomp.py; fails (never skips) when none does. */
function pythonWithStomp(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import stomp'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'stomp.py is not installed for /usr/bin/python3 or python3: run the install step of .ci/run ' +
      '(apt-get install python3-stomp) before this test; it is required, not optional',
  );
}

/**
 * With each of stomp.py's connection classes: CONNECT, SUBSCRIBE (client-individual), SEND with
 * headers that need escaping, NACK (1.1, 1.2) and get the redelivery, ACK, UNSUBSCRIBE, DISCONNECT.
 * Prints one JSON line per version.
 */
const STOMP_PY = String.raw`
import json, queue, sys, threading, stomp

port = int(sys.argv[1])
classes = {'1.0': stomp.Connection10, '1.1': stomp.Connection11, '1.2': stomp.Connection12}

class Listener(stomp.ConnectionListener):
    """Keeps MESSAGEs in order and RECEIPTs by id: the broker may deliver before it receipts."""
    def __init__(self):
        self.messages = queue.Queue()
        self.receipts = set()
        self.changed = threading.Condition()
        self.version = None
        self.errors = []
    def on_connected(self, frame):
        self.version = frame.headers.get('version')
    def on_message(self, frame):
        self.messages.put(frame)
    def on_receipt(self, frame):
        with self.changed:
            self.receipts.add(frame.headers['receipt-id'])
            self.changed.notify_all()
    def on_error(self, frame):
        with self.changed:
            self.errors.append(frame.headers.get('message'))
            self.changed.notify_all()

def receipt(listener, id):
    with listener.changed:
        if not listener.changed.wait_for(lambda: id in listener.receipts or listener.errors, timeout=10) or listener.errors:
            raise RuntimeError('no RECEIPT %s: errors %r' % (id, listener.errors))

def message(listener):
    return listener.messages.get(timeout=10)

for version in sys.argv[2:]:
    listener = Listener()
    conn = classes[version]([('127.0.0.1', port)])
    conn.set_listener('l', listener)
    conn.connect('app', 'app-secret', wait=True)
    destination = '/queue/stomp-py.%s.%s' % (version, port)
    conn.subscribe(destination, id='s1', ack='client-individual', headers={'receipt': 'sub'})
    receipt(listener, 'sub')
    headers = {'x-colon': 'a:b', 'receipt': 'sent'}
    if version != '1.0':
        headers.update({'x-lines': 'one\ntwo', 'x-slash': 'back\\slash'})
    conn.send(destination, 'hello %s' % version, headers=headers)
    receipt(listener, 'sent')
    first = message(listener)
    redelivered = None
    ack_id = first.headers.get('ack') if version == '1.2' else first.headers['message-id']
    if version != '1.0':
        if version == '1.2':
            conn.nack(ack_id, receipt='nacked')
        else:
            conn.nack(ack_id, 's1', receipt='nacked')
        receipt(listener, 'nacked')
        again = message(listener)
        redelivered = again.headers.get('redelivered')
        ack_id = again.headers.get('ack') if version == '1.2' else again.headers['message-id']
    if version == '1.1':
        conn.ack(ack_id, 's1', receipt='acked')
    else:
        conn.ack(ack_id, receipt='acked')
    receipt(listener, 'acked')
    conn.unsubscribe(id='s1', headers={'receipt': 'unsub'})
    receipt(listener, 'unsub')
    conn.disconnect(receipt='bye')
    print(json.dumps({
        'version': version,
        'agreed': listener.version,
        'body': first.body,
        'headers': {k: v for k, v in first.headers.items() if k.startswith('x-')},
        'redelivered': redelivered,
        'errors': listener.errors,
    }), flush=True)
`;

interface StompPyResult {
  version: string;
  agreed: string;
  body: string;
  headers: Record<string, string>;
  redelivered: string | null;
  errors: string[];
}

function runStompPy(python: string, port: number, versions: readonly string[]): Promise<StompPyResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', STOMP_PY, String(port), ...versions], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0)
        resolve(
          out
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as StompPyResult),
        );
      else reject(new Error(`stomp.py exited with ${code}:\n${err}\n${out}`));
    });
  });
}

describe('stomp.py (a third-party client)', () => {
  it('works with its 1.0, 1.1 (its default) and 1.2 connections', async () => {
    const python = pythonWithStomp();
    const own = await EmbeddedBroker.start({ port: 0, users: { app: 'app-secret' }, redeliveryDelayMs: 0 });
    let results: StompPyResult[];
    try {
      results = await runStompPy(python, own.port!, ['1.0', '1.1', '1.2']);
      // Every message was acknowledged: nothing waits, nothing is held.
      expect(own.stats()).toMatchObject({ waiting: 0, memoryBytes: 0 });
    } finally {
      await own.stop();
    }
    expect(results).toEqual([
      { version: '1.0', agreed: '1.0', body: 'hello 1.0', headers: { 'x-colon': 'a:b' }, redelivered: null, errors: [] },
      { version: '1.1', agreed: '1.1', body: 'hello 1.1', headers: { 'x-colon': 'a:b', 'x-lines': 'one\ntwo', 'x-slash': 'back\\slash' }, redelivered: 'true', errors: [] },
      { version: '1.2', agreed: '1.2', body: 'hello 1.2', headers: { 'x-colon': 'a:b', 'x-lines': 'one\ntwo', 'x-slash': 'back\\slash' }, redelivered: 'true', errors: [] },
    ]);
  });
});
