import { describe, expect, it } from '@jest/globals';
import { ActiveMQTransaction } from '../../../lib/producer/transaction.js';
import { SendInDoubtError, TransactionError } from '../../../lib/producer/errors.js';
import { MessageSettlement } from '../../../lib/server/settlement.js';
import { TransactionalSettlement, TransactionCounters } from '../../../lib/server/transactional-settlement.js';
import { handlerSettingsOf } from '../../../lib/server/handler-options.js';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { FakeStompConnection } from '../fakes/fake-stomp-connection.js';

const input: StompFrame = { command: 'MESSAGE', headers: { 'message-id': 'ID:b-1:1:1:1:7', ack: 'a-7', nestjsMessageId: 'in-7' }, body: Buffer.from('{}') };

/** A handler's transaction on a fake connection, its settlement, and the counters it reports to. */
async function settlementOn(fake = new FakeStompConnection()) {
  const transaction = await ActiveMQTransaction.begin(
    fake.connection,
    1000,
    async (tx, pattern) => tx.write({ destination: `/queue/${pattern}`, headers: { destination: `/queue/${pattern}`, persistent: 'true' }, body: 'x', durable: true }),
    'in-7',
  );
  const counters = new TransactionCounters();
  const settlement = new TransactionalSettlement(transaction, input, new MessageSettlement(fake.connection, input), counters);
  return { fake, transaction, counters, settlement };
}

describe('a transactional handler’s settlement', () => {
  it('success: the ACK goes into the transaction, then COMMIT with a receipt; committed only once the receipt came', async () => {
    const { fake, transaction, counters, settlement } = await settlementOn();
    await transaction.emit('out', 'a');
    await transaction.emit('out', 'b');
    const acked = settlement.ack();
    await Promise.resolve();
    expect(settlement.outcome).toBeUndefined();
    expect(fake.framesOf('ACK')).toEqual([{ command: 'ACK', headers: { id: 'a-7', transaction: transaction.id }, body: undefined }]);
    expect(fake.framesOf('COMMIT')).toHaveLength(1);
    fake.receipt();
    await acked;
    expect(settlement.outcome).toBe('ack');
    expect(counters.snapshot()).toMatchObject({ committed: 1, aborted: 0, failed: 0, inDoubt: 0 });
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'SEND', 'ACK', 'COMMIT']);
  });

  it('gives its concurrency place up once COMMIT is written, before the receipt', async () => {
    const fake = new FakeStompConnection();
    const transaction = await ActiveMQTransaction.begin(fake.connection, 1000, async () => {});
    let released = 0;
    const settlement = new TransactionalSettlement(transaction, input, new MessageSettlement(fake.connection, input), new TransactionCounters(), () => released++);
    const acked = settlement.ack();
    await Promise.resolve();
    expect(fake.commands).toEqual(['BEGIN', 'ACK', 'COMMIT']);
    expect(released).toBe(1);
    fake.receipt();
    await acked;
    expect(released).toBe(1);
  });

  it('the sends of a handler transaction carry ids derived from the input’s: <id>.1, <id>.2', async () => {
    const { fake, transaction } = await settlementOn();
    await transaction.emit('out', 'a');
    await transaction.emit('out', 'b');
    expect(fake.framesOf('SEND').map((f) => f.headers['nestjsMessageId'])).toEqual(['in-7.1', 'in-7.2']);
  });

  it('failure: ABORT, then the NACK outside the transaction (Classic refuses a transacted NACK)', async () => {
    const { fake, counters, settlement } = await settlementOn();
    const rejected = settlement.nack();
    await Promise.resolve();
    fake.receipt(); // the ABORT's
    await rejected;
    expect(fake.commands).toEqual(['BEGIN', 'ABORT', 'NACK']);
    expect(fake.framesOf('NACK')[0]!.headers).toEqual({ id: 'a-7' });
    expect(settlement.outcome).toBe('nack');
    expect(counters.snapshot()).toMatchObject({ committed: 0, aborted: 1 });
  });

  it('a COMMIT refused is counted as failed, one without an answer as in doubt; neither is an ack', async () => {
    const refused = await settlementOn();
    const first = refused.settlement.ack();
    await Promise.resolve();
    refused.fake.refuse('rollback only');
    await expect(first).rejects.toBeInstanceOf(TransactionError);
    expect(refused.settlement.outcome).toBeUndefined();
    expect(refused.counters.snapshot()).toMatchObject({ committed: 0, failed: 1, inDoubt: 0 });

    const lost = await settlementOn();
    const second = lost.settlement.ack();
    await Promise.resolve();
    lost.fake.lose();
    await expect(second).rejects.toBeInstanceOf(SendInDoubtError);
    expect(lost.counters.snapshot()).toMatchObject({ committed: 0, failed: 0, inDoubt: 1 });
  });

  it('is settled once: a second settlement is an error, and abort() after a commit does nothing', async () => {
    const { fake, settlement, counters } = await settlementOn();
    const acked = settlement.ack();
    await Promise.resolve();
    fake.receipt();
    await acked;
    await expect(settlement.nack()).rejects.toThrow(/was already settled/);
    await settlement.abort();
    expect(counters.snapshot().aborted).toBe(0);
    expect(fake.commands).not.toContain('ABORT');
  });
});

describe('the transactional handler option', () => {
  const settings = (extras: unknown) => handlerSettingsOf('orders', '/queue/orders', extras, { clientId: undefined });

  it('is a boolean, false when not given', () => {
    expect(settings({ transactional: true }).transactional).toBe(true);
    expect(settings({}).transactional).toBe(false);
    expect(() => settings({ transactional: 1 })).toThrow(InvalidOptionError);
  });

  it('is refused with ackMode manual: the transaction settles the message', () => {
    expect(() => settings({ transactional: true, ackMode: 'manual' })).toThrow(/@Pattern\('orders'\)\.transactional: .*ackMode 'manual' cannot apply/);
  });
});
