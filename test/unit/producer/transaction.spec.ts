import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { OutgoingMessage } from '../../../lib/producer/outgoing-message.js';
import { SendInDoubtError, TransactionError } from '../../../lib/producer/errors.js';
import { ActiveMQTransaction } from '../../../lib/producer/transaction.js';
import { StompBrokerError, StompConnectionClosedError, StompTimeoutError } from '../../../lib/stomp/errors.js';
import { FakeStompConnection } from '../fakes/fake-stomp-connection.js';

const CALL_TIMEOUT = 5000;

function outgoing(body: string): OutgoingMessage {
  return { destination: '/queue/orders', headers: { destination: '/queue/orders', persistent: 'true' }, body, durable: true };
}

/** A transaction begun on a fake connection, whose emitter writes each payload as one message. */
async function begun(fake = new FakeStompConnection()) {
  const emitted: Array<[string, unknown]> = [];
  const transaction = await ActiveMQTransaction.begin(fake.connection, CALL_TIMEOUT, async (tx, pattern, data) => {
    emitted.push([pattern, data]);
    await tx.write(outgoing(String(data)));
  });
  return { fake, transaction, emitted };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('ActiveMQTransaction: BEGIN and sends', () => {
  it('begin() writes BEGIN with a fresh tx- id as its transaction header', async () => {
    const { fake, transaction } = await begun();
    const other = await begun();
    expect(transaction.id).toMatch(/^tx-[0-9a-f-]{36}$/);
    expect(other.transaction.id).not.toBe(transaction.id);
    expect(fake.frames).toEqual([{ command: 'BEGIN', headers: { transaction: transaction.id }, body: undefined }]);
  });

  it('begin() rejects when BEGIN cannot be written', async () => {
    const fake = new FakeStompConnection();
    fake.lose();
    await expect(ActiveMQTransaction.begin(fake.connection, CALL_TIMEOUT, async () => {})).rejects.toBeInstanceOf(StompConnectionClosedError);
  });

  it('emit() hands the payload to the emitter with the transaction; each send carries its transaction header, without a receipt', async () => {
    const { fake, transaction, emitted } = await begun();
    await transaction.emit('orders.placed', 'a');
    await transaction.emit('orders.placed', 'b');
    expect(emitted).toEqual([
      ['orders.placed', 'a'],
      ['orders.placed', 'b'],
    ]);
    expect(fake.framesOf('SEND')).toEqual([
      { command: 'SEND', headers: { destination: '/queue/orders', persistent: 'true', transaction: transaction.id }, body: 'a' },
      { command: 'SEND', headers: { destination: '/queue/orders', persistent: 'true', transaction: transaction.id }, body: 'b' },
    ]);
    expect(transaction.size).toBe(2);
    expect(fake.pendingReceipts).toEqual([]);
  });
});

describe('ActiveMQTransaction: COMMIT', () => {
  it('commit() writes COMMIT with a receipt and resolves on it', async () => {
    const { fake, transaction } = await begun();
    await transaction.emit('p', 'a');
    let committed = false;
    const commit = transaction.commit().then(() => (committed = true));
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'COMMIT']);
    expect(fake.framesOf('COMMIT')[0]!.headers).toEqual({ transaction: transaction.id, receipt: '1' });
    await Promise.resolve();
    expect(committed).toBe(false);
    fake.receipt();
    await commit;
    expect(committed).toBe(true);
  });

  it('after a commit, a send is refused and a second commit throws; abort does nothing', async () => {
    const { fake, transaction } = await begun();
    const commit = transaction.commit();
    fake.receipt();
    await commit;
    await expect(transaction.write(outgoing('late'))).rejects.toThrow(new TransactionError(`transaction ${transaction.id} is committed; no more sends`));
    await expect(transaction.commit()).rejects.toThrow(new TransactionError(`transaction ${transaction.id} is already committed`));
    await transaction.abort();
    expect(fake.commands).toEqual(['BEGIN', 'COMMIT']);
  });

  it('while COMMIT waits, the transaction takes no more sends', async () => {
    const { fake, transaction } = await begun();
    const commit = transaction.commit();
    await expect(transaction.emit('p', 'x')).rejects.toThrow(/is committing; no more sends/);
    expect(fake.framesOf('SEND')).toEqual([]);
    fake.receipt();
    await commit;
  });

  it('a COMMIT the broker refuses (an ERROR naming its receipt) is a TransactionError: nothing was stored', async () => {
    const { fake, transaction } = await begun();
    await transaction.emit('p', 'a');
    const commit = transaction.commit();
    const refusal = fake.refuse('quota exceeded');
    const error = await commit.then(
      () => undefined,
      (e: unknown) => e as TransactionError,
    );
    expect(error).toBeInstanceOf(TransactionError);
    expect(error!.code).toBe('TRANSACTION');
    expect(error!.cause).toBe(refusal);
    expect(error!.message).toBe(`COMMIT of ${transaction.id} (1 messages) was refused: ${refusal.message}; nothing of it was stored`);
    await expect(transaction.write(outgoing('x'))).rejects.toThrow(/is aborted/);
  });

  it('a COMMIT with no receipt within callTimeout is in doubt', async () => {
    jest.useFakeTimers();
    const { fake, transaction } = await begun();
    const commit = transaction.commit();
    const settled = commit.catch((e: unknown) => e);
    jest.advanceTimersByTime(CALL_TIMEOUT);
    const error = (await settled) as SendInDoubtError;
    expect(error).toBeInstanceOf(SendInDoubtError);
    expect(error.cause).toBeInstanceOf(StompTimeoutError);
    expect(error.message).toBe(`COMMIT of ${transaction.id} (0 messages) got no answer within ${CALL_TIMEOUT} ms: in doubt, the broker may or may not have stored it`);
    expect(fake.pendingReceipts).toEqual([]);
  });

  it('a connection lost after COMMIT was written leaves it in doubt', async () => {
    const { fake, transaction } = await begun();
    const commit = transaction.commit();
    const lost = fake.lose();
    const error = await commit.catch((e: unknown) => e as SendInDoubtError);
    expect(error).toBeInstanceOf(SendInDoubtError);
    expect(error!.cause).toBe(lost);
    expect(error!.message).toMatch(/lost its answer \(the connection to fake-broker:61613 was lost\): in doubt/);
  });

  it('an ERROR about something else (no receipt named) leaves the COMMIT in doubt, not refused', async () => {
    const { fake, transaction } = await begun();
    const commit = transaction.commit();
    fake.lose(new StompBrokerError({ message: 'something else' }, Buffer.alloc(0), fake.broker));
    await expect(commit).rejects.toBeInstanceOf(SendInDoubtError);
  });

  it('a connection lost before COMMIT: no COMMIT is written, and nothing was stored', async () => {
    const { fake, transaction } = await begun();
    await transaction.emit('p', 'a');
    const lost = fake.lose();
    const error = await transaction.commit().catch((e: unknown) => e as TransactionError);
    expect(error).toBeInstanceOf(TransactionError);
    expect(error!.cause).toBe(lost);
    expect(error!.message).toBe(`transaction ${transaction.id} (1 messages) lost its connection before COMMIT; nothing of it was stored`);
    expect(fake.commands).toEqual(['BEGIN', 'SEND']);
  });
});

describe('ActiveMQTransaction: ABORT', () => {
  it('abort() writes ABORT with a receipt, waits for it, and closes the transaction', async () => {
    const { fake, transaction } = await begun();
    await transaction.emit('p', 'a');
    const abort = transaction.abort();
    expect(fake.framesOf('ABORT')).toEqual([{ command: 'ABORT', headers: { transaction: transaction.id, receipt: '1' }, body: undefined }]);
    fake.receipt();
    await abort;
    await expect(transaction.emit('p', 'b')).rejects.toThrow(/is aborted; no more sends/);
    await expect(transaction.commit()).rejects.toThrow(/is already aborted/);
  });

  it('a second abort() writes nothing', async () => {
    const { fake, transaction } = await begun();
    const abort = transaction.abort();
    fake.receipt();
    await abort;
    await transaction.abort();
    expect(fake.framesOf('ABORT')).toHaveLength(1);
  });

  it('on a lost connection abort() only marks the transaction aborted (the broker rolled it back)', async () => {
    const { fake, transaction } = await begun();
    fake.lose();
    await transaction.abort();
    expect(fake.commands).toEqual(['BEGIN']);
    await expect(transaction.commit()).rejects.toThrow(/is already aborted/);
  });

  it('abort() during a COMMIT writes nothing', async () => {
    const { fake, transaction } = await begun();
    const commit = transaction.commit();
    await transaction.abort();
    expect(fake.commands).toEqual(['BEGIN', 'COMMIT']);
    fake.receipt();
    await commit;
  });
});
