import { afterEach, describe, expect, it } from '@jest/globals';
import { StompConnection } from '../../lib/connection/stomp-connection.js';
import { StompAuthenticationError, StompBrokerError, StompConnectionClosedError, StompEncodeError } from '../../lib/stomp/errors.js';
import type { StompFrame } from '../../lib/stomp/frame.js';
import { parseActiveMQUri } from '../../lib/config/parse-uri.js';
import { brokerKind, projectBroker, serverHeaderPattern, sharedBrokerUrl } from '../support/broker.js';
import { collector, connect, optionsFor, routed, uniqueQueue } from '../support/connect.js';
import { BrokerDialect } from '../../lib/wire/broker-dialect.js';

const open: StompConnection[] = [];
async function client(...args: Parameters<typeof connect>): Promise<StompConnection> {
  const connection = await connect(...args);
  open.push(connection);
  return connection;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.disconnect()));
});

/** Resolves with the first message the subscription receives. */
async function firstMessage(connection: StompConnection, destination: string, ack?: 'client-individual'): Promise<StompFrame> {
  const { handler, done } = collector<StompFrame>(1);
  await connection.subscribe(destination, handler, { ack });
  return (await done)[0]!;
}

describe('StompConnection against ActiveMQ', () => {
  it('connects with STOMP 1.2 and disconnects with a receipt', async () => {
    const connection = await StompConnection.connect(optionsFor());
    expect(connection.server).toMatch(serverHeaderPattern());
    expect(connection.session).not.toBe('');
    const closed = connection.closed;
    await connection.disconnect();
    await expect(closed).resolves.toBeUndefined();
    await expect(connection.send('/queue/x', {}, 'late')).rejects.toBeInstanceOf(StompConnectionClosedError);
  });

  it('sends with a receipt, then a subscriber receives body and headers', async () => {
    const queue = uniqueQueue('send');
    const producer = await client();
    await producer.send(queue, { persistent: 'true', 'content-type': 'application/json', tenant: 'a' }, '{"n":1}', { receipt: true });
    const consumer = await client();
    const message = await firstMessage(consumer, queue);
    expect(message.body.toString()).toBe('{"n":1}');
    // A difference: Artemis names the address a MESSAGE came from, without Classic's /queue/.
    const delivered = brokerKind() === 'artemis' ? queue.slice('/queue/'.length) : queue;
    expect(message.headers).toMatchObject({ destination: delivered, persistent: 'true', 'content-type': 'application/json', tenant: 'a' });
    expect(message.headers['message-id']).toBeDefined();
  });

  it('carries a binary body with NUL bytes through the broker', async () => {
    const queue = uniqueQueue('binary');
    const body = Buffer.from([0, 1, 2, 0, 254, 255, 0]);
    const connection = await client();
    await connection.send(queue, { 'content-length': '' }, body, { receipt: true });
    const message = await firstMessage(connection, queue);
    expect(message.body.equals(body)).toBe(true);
  });

  it('acknowledges individually: an acked message is gone, an unacked one comes back redelivered', async () => {
    const queue = uniqueQueue('ack');
    const producer = await client();
    await producer.send(queue, {}, 'first', { receipt: true });
    await producer.send(queue, {}, 'second', { receipt: true });

    const consumer = routed(await StompConnection.connect(optionsFor()));
    const { handler, done } = collector<StompFrame>(2);
    await consumer.subscribe(queue, handler, { ack: 'client-individual' });
    const [first, second] = await done;
    expect([first!.body.toString(), second!.body.toString()]).toEqual(['first', 'second']);
    await consumer.ack(first!);
    await consumer.disconnect(); // 'second' was never acked: the broker keeps it

    const again = await client();
    const redelivered = await firstMessage(again, queue);
    expect(redelivered.body.toString()).toBe('second');
    expect(redelivered.headers['redelivered']).toBe('true');
  });

  it('a message redelivered after a lost connection keeps its identity (Artemis: the message part of `<consumer>,<message>`)', async () => {
    const queue = uniqueQueue('identity');
    const producer = await client();
    await producer.send(queue, { persistent: 'true' }, 'kept', { receipt: true });
    const lost = await client();
    const first = await firstMessage(lost, queue, 'client-individual');
    lost.destroy(new StompConnectionClosedError('test: connection cut'));
    const again = await client();
    const second = await firstMessage(again, queue, 'client-individual');
    await again.ack(second);
    expect(second.headers['redelivered']).toBe('true');
    const dialect = BrokerDialect.of(again.server);
    expect(dialect.messageIdentity(second.headers['message-id']!)).toBe(dialect.messageIdentity(first.headers['message-id']!));
    // The difference itself: Artemis numbers each delivery by its consumer, Classic keeps the header.
    if (brokerKind() === 'artemis') expect(second.headers['message-id']).not.toBe(first.headers['message-id']);
    else expect(second.headers['message-id']).toBe(first.headers['message-id']);
  });

  it('delivers a committed transaction and drops an aborted one', async () => {
    const queue = uniqueQueue('tx');
    const producer = await client();
    await producer.begin('tx-abort');
    await producer.send(queue, { transaction: 'tx-abort' }, 'aborted-1');
    await producer.send(queue, { transaction: 'tx-abort' }, 'aborted-2');
    await producer.abort('tx-abort');
    await producer.begin('tx-commit');
    await producer.send(queue, { transaction: 'tx-commit' }, 'committed-1');
    await producer.send(queue, { transaction: 'tx-commit' }, 'committed-2');
    await producer.commit('tx-commit');
    await producer.send(queue, {}, 'marker', { receipt: true });

    const consumer = await client();
    const { handler, done } = collector<StompFrame>(3);
    await consumer.subscribe(queue, handler);
    // The queue is FIFO: aborted messages, had they been kept, would arrive before the marker.
    expect((await done).map((m) => m.body.toString())).toEqual(['committed-1', 'committed-2', 'marker']);
  });

  it('keeps the connection up over an idle stretch by heart-beats both ways', async () => {
    const connection = await client(undefined, { heartBeat: [300, 300] });
    // A difference: Artemis beats no faster than every 500 ms (its STOMP documentation), and
    // expects the client at that pace too; Classic takes 300 ms.
    const interval = brokerKind() === 'artemis' ? 500 : 300;
    expect(connection.heartbeat).toEqual({ sendEvery: interval, expectEvery: interval });
    // Ten broker heart-beats is three idle seconds, ten times the interval the broker enforces on us.
    const beats = collector<void>(10);
    connection.on('heartbeat', beats.handler);
    await beats.done;
    expect(connection.isClosed).toBe(false);
    const queue = uniqueQueue('idle');
    await connection.send(queue, {}, 'still here', { receipt: true });
    expect((await firstMessage(connection, queue)).body.toString()).toBe('still here');
  });

  it('turns an ERROR with a receipt-id into a typed error for that request only', async () => {
    const connection = await client();
    const error = await connection.commit('no-such-transaction').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StompBrokerError);
    // Each broker's words: Classic's, Artemis' (AMQ339013) and the embedded broker's.
    const words = {
      activemq: /Invalid transaction id/,
      activemq6: /Invalid transaction id/,
      artemis: /^AMQ339013 Error committing no-such-transaction/,
      embedded: /^COMMIT of 'no-such-transaction': no such transaction$/,
    };
    expect((error as StompBrokerError).brokerMessage).toMatch(words[projectBroker()]);
    expect((error as StompBrokerError).message).toContain('refused the request');
    expect((error as StompBrokerError).receiptId).toBeDefined();
    if (brokerKind() === 'artemis') {
      // A difference: Artemis closes the connection after any ERROR, as STOMP 1.2 says a server
      // does ("ERROR"); Classic keeps it open when the ERROR answers a receipt.
      await connection.closed;
      expect(connection.isClosed).toBe(true);
      return;
    }
    const queue = uniqueQueue('after-error');
    await connection.send(queue, {}, 'ok', { receipt: true });
    expect(connection.isClosed).toBe(false);
  });

  it('refuses a SUBSCRIBE the broker rejects (a bad selector) with a typed error', async () => {
    const connection = await client();
    const error = await connection.subscribe(uniqueQueue('selector'), () => {}, { headers: { selector: 'a ===== b' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StompBrokerError);
    expect((error as StompBrokerError).brokerMessage).toContain('a ===== b');
  });

  it('treats an ERROR without a receipt-id as fatal to the connection', async () => {
    const connection = await StompConnection.connect(optionsFor());
    await connection.writeFrame('ABORT', { transaction: 'no-such-transaction' });
    const reason = await connection.closed;
    expect(reason).toBeInstanceOf(StompBrokerError);
    const words = {
      activemq: /Invalid transaction id/,
      activemq6: /Invalid transaction id/,
      artemis: /^No transaction started: no-such-transaction/,
      embedded: /^ABORT of 'no-such-transaction': no such transaction$/,
    };
    expect((reason as StompBrokerError).brokerMessage).toMatch(words[projectBroker()]);
    await expect(connection.send('/queue/x', {}, 'y')).rejects.toBe(reason);
  });

  it('reports a refused login as an authentication error naming the broker, never the password', async () => {
    const { endpoints } = parseActiveMQUri(sharedBrokerUrl());
    const broker = `${endpoints[0]!.host}:${endpoints[0]!.port}`;
    const error = await StompConnection.connect(optionsFor(undefined, { login: 'app', passcode: 'not-the-Passw0rd' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StompAuthenticationError);
    expect((error as Error).message).toContain(broker);
    expect((error as Error).message).toContain("'app'");
    expect((error as Error).message).not.toContain('not-the-Passw0rd');
    expect(JSON.stringify(error)).not.toContain('not-the-Passw0rd');
  });

  it('refuses a CONNECT header that would need escaping, before connecting', async () => {
    await expect(StompConnection.connect(optionsFor(undefined, { login: 'app\npasscode:x' }))).rejects.toBeInstanceOf(StompEncodeError);
  });

  it('fails clearly when nothing listens on the port', async () => {
    const error = await StompConnection.connect({ host: '127.0.0.1', port: 1, connectTimeout: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StompConnectionClosedError);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:1 .*ECONNREFUSED/);
  });

  it('escapes user header values: a newline or colon cannot inject a header or a frame', async () => {
    const queue = uniqueQueue('inject');
    const evil = uniqueQueue('evil');
    const hostile = `x\npersistent:true\n\nSEND\ndestination:${evil}\n\nboom`;
    const connection = await client();
    await connection.send(queue, { note: hostile, 'a:b': 'c' }, 'payload', { receipt: true });
    await connection.send(evil, {}, 'marker', { receipt: true });
    const message = await firstMessage(connection, queue);
    expect(message.headers['note']).toBe(hostile);
    expect(message.headers['a:b']).toBe('c');
    expect(message.headers['persistent']).not.toBe('true');
    expect(message.body.toString()).toBe('payload');
    // Had a frame been injected, its message would reach the queue before the marker.
    expect((await firstMessage(connection, evil)).body.toString()).toBe('marker');
  });

  it('batches the frames written in one tick into one write', async () => {
    const queue = uniqueQueue('batch');
    const connection = await client();
    const before = connection.writeBatches;
    const sends = Array.from({ length: 100 }, (_, i) => connection.send(queue, {}, `m${i}`));
    await Promise.all(sends);
    await connection.send(queue, {}, 'last', { receipt: true });
    expect(connection.writeBatches - before).toBeLessThanOrEqual(2);
    const { handler, done } = collector<StompFrame>(101);
    await connection.subscribe(queue, handler);
    expect((await done).map((m) => m.body.toString())).toEqual([...sends.map((_, i) => `m${i}`), 'last']);
  });

  it('honours socket backpressure: a send waits for drain, and nothing is lost', async () => {
    const queue = uniqueQueue('backpressure');
    const connection = await client();
    const body = Buffer.alloc(256 * 1024, 'x');
    let maxBuffered = 0;
    for (let i = 0; i < 64; i++) {
      await connection.send(queue, { n: String(i) }, body);
      maxBuffered = Math.max(maxBuffered, connection.bufferedBytes);
    }
    await connection.send(queue, {}, 'end', { receipt: true });
    // After each awaited send at most one frame sits above the socket's high-water mark.
    expect(maxBuffered).toBeLessThanOrEqual(body.length + 1024 + 64 * 1024);
    const { handler, done } = collector<StompFrame>(65);
    const consumer = await client();
    await consumer.subscribe(queue, handler);
    const received = await done;
    expect(received.slice(0, 64).map((m) => m.headers['n'])).toEqual(Array.from({ length: 64 }, (_, i) => String(i)));
    expect(received.slice(0, 64).every((m) => m.body.length === body.length)).toBe(true);
  });
});
