import { describe, expect, it } from '@jest/globals';
import type { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { MessageSettlement } from '../../../lib/server/settlement.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';

type SettleOptions = { transaction?: string; receipt?: boolean; timeout?: number };

/** The two methods MessageSettlement calls on a StompConnection; each call waits until the test answers it. */
function fakeConnection() {
  const calls: Array<{ command: 'ack' | 'nack'; message: StompFrame; options: SettleOptions; answer: () => void; refuse: (error: Error) => void }> = [];
  const record =
    (command: 'ack' | 'nack') =>
    (message: StompFrame, options: SettleOptions = {}) =>
      new Promise<void>((resolve, reject) => calls.push({ command, message, options, answer: resolve, refuse: reject }));
  const connection = { ack: record('ack'), nack: record('nack') } as unknown as StompConnection;
  return { connection, calls };
}

const message: StompFrame = { command: 'MESSAGE', headers: { 'message-id': 'ID:m-1', ack: 'a-1', destination: '/queue/q' }, body: Buffer.from('x') };

/** Where `promise` stands once every microtask queued so far has run (one turn of the event loop). */
async function state(promise: Promise<void>): Promise<'pending' | 'resolved' | 'rejected'> {
  const turn = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')));
  return Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    turn,
  ]);
}

describe('MessageSettlement', () => {
  it('is unsettled until ack() or nack()', () => {
    const { connection, calls } = fakeConnection();
    expect(new MessageSettlement(connection, message).outcome).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('ack() sends one ACK for the message, without a receipt by default', async () => {
    const { connection, calls } = fakeConnection();
    const settlement = new MessageSettlement(connection, message);
    const acked = settlement.ack();
    expect(settlement.outcome).toBe('ack');
    expect(calls.map((c) => [c.command, c.message, c.options])).toEqual([['ack', message, {}]]);
    calls[0]!.answer();
    await acked;
  });

  it('nack() sends one NACK for the message', async () => {
    const { connection, calls } = fakeConnection();
    const settlement = new MessageSettlement(connection, message);
    const nacked = settlement.nack();
    expect(settlement.outcome).toBe('nack');
    expect(calls.map((c) => [c.command, c.message])).toEqual([['nack', message]]);
    calls[0]!.answer();
    await nacked;
  });

  it('a second settlement after an ack is refused, sends nothing, and keeps the first outcome', async () => {
    const { connection, calls } = fakeConnection();
    const settlement = new MessageSettlement(connection, message);
    void settlement.ack();
    await expect(settlement.nack()).rejects.toThrow('message ID:m-1 was already acknowledged');
    await expect(settlement.ack()).rejects.toThrow('message ID:m-1 was already acknowledged');
    expect(calls).toHaveLength(1);
    expect(settlement.outcome).toBe('ack');
  });

  it('a second settlement after a nack says the message was rejected', async () => {
    const { connection, calls } = fakeConnection();
    const settlement = new MessageSettlement(connection, message);
    void settlement.nack();
    await expect(settlement.ack()).rejects.toThrow('message ID:m-1 was already rejected');
    expect(calls).toHaveLength(1);
    expect(settlement.outcome).toBe('nack');
  });

  it('counts as settled even when its frame failed: no second frame is written', async () => {
    const { connection, calls } = fakeConnection();
    const settlement = new MessageSettlement(connection, message);
    const acked = settlement.ack();
    calls[0]!.refuse(new Error('connection lost'));
    await expect(acked).rejects.toThrow('connection lost');
    await expect(settlement.ack()).rejects.toThrow(/already acknowledged/);
    expect(calls).toHaveLength(1);
  });

  it('with blockOnAcknowledge, asks for a receipt bounded by the time given, and resolves only once it comes', async () => {
    const { connection, calls } = fakeConnection();
    const acked = new MessageSettlement(connection, message, 750).ack();
    expect(calls[0]!.options).toEqual({ receipt: true, timeout: 750 });
    expect(await state(acked)).toBe('pending');
    calls[0]!.answer();
    expect(await state(acked)).toBe('resolved');
  });

  it('with blockOnAcknowledge, a NACK waits for its receipt too, and a refusal rejects', async () => {
    const { connection, calls } = fakeConnection();
    const nacked = new MessageSettlement(connection, message, 200).nack();
    expect(calls[0]!.options).toEqual({ receipt: true, timeout: 200 });
    calls[0]!.refuse(new Error('refused'));
    await expect(nacked).rejects.toThrow('refused');
  });
});
