import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as net from 'node:net';
import { EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';
import { StompAuthenticationError } from '../../../lib/stomp/errors.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';

/** The embedded broker facing clients that break the protocol: an ERROR and a closed connection for them, nothing for the others. */
let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await EmbeddedBroker.start({ port: 0, users: { app: 'app-secret' } });
});
afterAll(() => broker.stop());

/** Writes `bytes` on a raw socket and returns everything the broker answered until it closed the connection. */
function exchange(bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(broker.port!, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
  });
}

const CONNECT = 'CONNECT\naccept-version:1.2\nhost:localhost\nlogin:app\npasscode:app-secret\n\n\0';

async function healthy(): Promise<void> {
  const connection = await StompConnection.connect({ host: '127.0.0.1', port: broker.port!, login: 'app', passcode: 'app-secret' });
  const queue = `/queue/hostile.${Math.random()}`;
  const got = new Promise<string>((resolve) => void connection.subscribe(queue, (m) => resolve(m.body.toString())));
  await connection.send(queue, {}, 'still fine', { receipt: true });
  expect(await got).toBe('still fine');
  await connection.disconnect();
}

describe('embedded broker against hostile clients', () => {
  it.each([
    ['garbage instead of a frame', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', /ERROR[\s\S]*not a STOMP 1.2 command/],
    ['a frame before CONNECT', 'SEND\ndestination:/queue/x\n\nhi\0', /ERROR[\s\S]*expected CONNECT, got SEND/],
    ['a header line without a colon', `${CONNECT}SEND\ndestination /queue/x\n\nhi\0`, /ERROR[\s\S]*has no colon/],
    ['a body longer than its content-length', `${CONNECT}SEND\ndestination:/queue/x\ncontent-length:1\n\nhello\0`, /ERROR[\s\S]*does not end with NUL/],
    ['an undefined escape', `${CONNECT}SEND\ndestination:/queue/a\\tb\n\nhi\0`, /ERROR[\s\S]*undefined escape/],
    [
      'a SEND to an unknown kind of destination',
      `${CONNECT}SEND\ndestination:/nowhere/x\nreceipt:1\n\nhi\0DISCONNECT\n\n\0`,
      /ERROR\n[\s\S]*receipt-id:1[\s\S]*unknown destination/,
    ],
    ['an ACK of nothing', `${CONNECT}ACK\nid:nope\n\n\0`, /ERROR[\s\S]*no such unacknowledged message/],
    ['a COMMIT of no transaction', `${CONNECT}COMMIT\ntransaction:t9\n\n\0`, /ERROR[\s\S]*no such transaction/],
    ['a client of no version the broker speaks', 'CONNECT\naccept-version:2.0\n\n\0', /ERROR\n[\s\S]*version:1.0,1.1,1.2[\s\S]*no STOMP version in common/],
  ])('%s: ERROR, connection closed, broker unharmed', async (_, bytes, expected) => {
    expect(await exchange(bytes)).toMatch(expected);
    await healthy();
  });

  it('a wrong passcode is refused as an authentication error', async () => {
    await expect(StompConnection.connect({ host: '127.0.0.1', port: broker.port!, login: 'app', passcode: 'wrong' })).rejects.toThrow(StompAuthenticationError);
    await healthy();
  });

  it('random bytes, in-process, never crash it (500 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), async (bytes, connectFirst) => {
        const stream = broker.connect();
        const closed = new Promise<void>((resolve) => stream.on('close', resolve).on('end', resolve));
        stream.on('data', () => {});
        stream.on('error', () => {});
        if (connectFirst) stream.write(CONNECT);
        stream.write(Buffer.from(bytes));
        stream.end();
        await closed;
      }),
      { numRuns: 500 },
    );
    await healthy();
  });
});
