import { describe, expect, it, jest } from '@jest/globals';
import type { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { MessageSettlement } from '../../../lib/server/settlement.js';
import type { StompFrame, StompHeaders } from '../../../lib/stomp/frame.js';

const MANUAL_ONLY = (what: string) => `ctx.${what}() needs ackMode 'manual'; in 'auto-after-handler' mode the server settles each message after its handler`;

/** A context for a MESSAGE with `headers`, settled on a connection that records ACK and NACK. */
function contextOf(headers: StompHeaders, { manual = false, body = Buffer.from('{"id":7}') } = {}) {
  const frame: StompFrame = { command: 'MESSAGE', headers, body };
  const acked = Promise.resolve();
  const nacked = Promise.resolve();
  const connection = {
    ack: jest.fn((_message: StompFrame, _options?: object) => acked),
    nack: jest.fn((_message: StompFrame, _options?: object) => nacked),
  };
  const settlement = new MessageSettlement(connection as unknown as StompConnection, frame);
  const ctx = new ActiveMQContext([frame, 'orders.placed', settlement, manual]);
  return { ctx, frame, connection, acked, nacked, settlement };
}

const full = { 'message-id': 'ID:broker-1:1:1:1', destination: '/queue/orders.placed', redelivered: 'true', 'content-type': 'application/json' };

describe('ActiveMQContext getters', () => {
  it('getMessage gives the id, destination, headers, raw body and redelivery of the frame', () => {
    const { ctx, frame } = contextOf(full);
    const message = ctx.getMessage();
    expect(message).toEqual({ messageId: 'ID:broker-1:1:1:1', destination: '/queue/orders.placed', headers: full, body: Buffer.from('{"id":7}'), redelivered: true });
    expect(message.headers).toBe(frame.headers);
    expect(message.body).toBe(frame.body);
  });

  it('getMessage of a frame without those headers: no id, an empty destination, not redelivered', () => {
    expect(contextOf({}).ctx.getMessage()).toEqual({ messageId: undefined, destination: '', headers: {}, body: Buffer.from('{"id":7}'), redelivered: false });
  });

  it('getHeaders is the frame headers, getPattern the pattern whose handler runs, getDestination where it came from', () => {
    const { ctx, frame } = contextOf(full);
    expect(ctx.getHeaders()).toBe(frame.headers);
    expect(ctx.getPattern()).toBe('orders.placed');
    expect(ctx.getDestination()).toBe('/queue/orders.placed');
    expect(contextOf({}).ctx.getDestination()).toBe('');
  });

  it.each([
    ['true', true],
    ['false', false],
    [undefined, false],
    ['TRUE', false],
    ['1', false],
  ])('isRedelivered with redelivered %j is %s', (redelivered, expected) => {
    const headers: StompHeaders = redelivered === undefined ? {} : { redelivered };
    const { ctx } = contextOf(headers);
    expect(ctx.isRedelivered()).toBe(expected);
    expect(ctx.getMessage().redelivered).toBe(expected);
  });
});

describe('ActiveMQContext settlement', () => {
  it("in manual mode, ack() acknowledges the message on its connection and returns the connection's promise", () => {
    const { ctx, frame, connection, acked } = contextOf(full, { manual: true });
    expect(ctx.ack()).toBe(acked);
    expect(connection.ack.mock.calls).toEqual([[frame, {}]]);
    expect(connection.nack).not.toHaveBeenCalled();
  });

  it("in manual mode, nack() rejects the message on its connection and returns the connection's promise", () => {
    const { ctx, frame, connection, nacked } = contextOf(full, { manual: true });
    expect(ctx.nack()).toBe(nacked);
    expect(connection.nack.mock.calls).toEqual([[frame, {}]]);
    expect(connection.ack).not.toHaveBeenCalled();
  });

  it('in manual mode, a second settlement is refused, nothing more sent', async () => {
    const { ctx, connection } = contextOf(full, { manual: true });
    await ctx.ack();
    await expect(ctx.nack()).rejects.toThrow('message ID:broker-1:1:1:1 was already acknowledged');
    expect(connection.ack).toHaveBeenCalledTimes(1);
    expect(connection.nack).not.toHaveBeenCalled();
  });

  it.each(['ack', 'nack'] as const)('outside manual mode, %s() throws at once, saying it needs manual mode, and settles nothing', (what) => {
    const { ctx, connection, settlement } = contextOf(full);
    expect(() => ctx[what]()).toThrow(new Error(MANUAL_ONLY(what)));
    expect(connection.ack).not.toHaveBeenCalled();
    expect(connection.nack).not.toHaveBeenCalled();
    expect(settlement.outcome).toBeUndefined();
  });
});
