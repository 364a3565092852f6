import { describe, expect, it } from '@jest/globals';
import type { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { errorToWire, Replier, replyOf } from '../../../lib/server/replier.js';
import type { StompFrame, StompHeaders } from '../../../lib/stomp/frame.js';
import { REPLY_HEADER, ReplyKind } from '../../../lib/wire/reply-protocol.js';
import { bodyOnlySerializer } from '../../../lib/wire/serializers.js';

const request: StompFrame = { command: 'MESSAGE', headers: { 'message-id': 'ID:req', 'correlation-id': 'c-1', 'reply-to': '/temp-queue/r' }, body: Buffer.alloc(0) };

/** The one method the replier calls on a connection, recording what it sends (or failing as told). */
function connection(failWith?: Error) {
  const sent: Array<{ destination: string; headers: StompHeaders; body: Buffer | string; receipt: boolean }> = [];
  const fake = {
    send: async (destination: string, headers: StompHeaders, body: Buffer | string, options: { receipt?: boolean }) => {
      if (failWith) throw failWith;
      sent.push({ destination, headers, body, receipt: options.receipt === true });
    },
  };
  return { sent, connection: fake as unknown as StompConnection };
}

describe('replyOf: one packet of Nest’s response stream as a reply kind', () => {
  it.each([
    [{ response: 1 }, ReplyKind.Next, 1],
    [{ response: 2, isDisposed: true }, ReplyKind.Last, 2],
    [{ response: undefined, isDisposed: true }, ReplyKind.End, undefined],
  ])('%j → %s', (packet, kind, value) => {
    expect(replyOf(packet)).toEqual({ kind, value });
  });

  it('an error becomes an Error reply carrying its name, message and own fields', () => {
    const error = Object.assign(new RangeError('too big'), { limit: 5 });
    expect(replyOf({ err: error })).toEqual({ kind: ReplyKind.Error, value: { name: 'RangeError', message: 'too big', limit: 5 } });
    expect(errorToWire('plain')).toBe('plain');
  });
});

describe('Replier', () => {
  it('sends the reply to reply-to, non-persistent, with the correlation id and the kind, and waits for its receipt', async () => {
    const { sent, connection: c } = connection();
    await new Replier(bodyOnlySerializer, () => undefined).reply(c, request, '/temp-queue/r', { response: { total: 3 }, isDisposed: true });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ destination: '/temp-queue/r', receipt: true, body: '{"total":3}' });
    expect(sent[0]!.headers).toMatchObject({ persistent: 'false', 'correlation-id': 'c-1', [REPLY_HEADER]: ReplyKind.Last, 'content-type': 'application/json' });
  });

  it('a reply that cannot be delivered is reported, never thrown', async () => {
    const lost = new Error('temporary queue is gone');
    const { connection: c } = connection(lost);
    const reported: unknown[] = [];
    await expect(
      new Replier(bodyOnlySerializer, (req, to, error) => reported.push([req.headers['message-id'], to, error])).reply(c, request, '/temp-queue/r', { response: 1 }),
    ).resolves.toBeUndefined();
    expect(reported).toEqual([['ID:req', '/temp-queue/r', lost]]);
  });
});
