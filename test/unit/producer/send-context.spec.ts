import { describe, expect, it } from '@jest/globals';
import { runInTransactionScope, sendContext, TransactionScope } from '../../../lib/producer/send-context.js';
import { TransactionError } from '../../../lib/producer/errors.js';
import { ActiveMQTransaction } from '../../../lib/producer/transaction.js';
import { FakeStompConnection } from '../fakes/fake-stomp-connection.js';

/** One client as a scope sees it: an owner whose transaction is begun on its own fake connection. */
function client(name: string) {
  const fake = new FakeStompConnection(`${name}:61613`);
  let begins = 0;
  const owner = { name };
  const transactionIn = (scope: TransactionScope) =>
    scope.transactionFor(owner, () => {
      begins++;
      return ActiveMQTransaction.begin(fake.connection, 1000, async () => {});
    });
  return { fake, owner, transactionIn, begins: () => begins };
}

/** The current scope, as a client's send would find it. */
const currentScope = () => sendContext.getStore()?.transactionScope;

/** Waits until `condition` holds, a turn of the event loop at a time (the scope awaits between its steps). */
async function until(condition: () => boolean): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 100) throw new Error('the condition never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('TransactionScope', () => {
  it('begins one transaction per owner, on first use', async () => {
    const scope = new TransactionScope();
    const a = client('a');
    const b = client('b');
    const first = await a.transactionIn(scope);
    expect(await a.transactionIn(scope)).toBe(first);
    expect(await b.transactionIn(scope)).not.toBe(first);
    expect([a.begins(), b.begins()]).toEqual([1, 1]);
    expect([a.fake.commands, b.fake.commands]).toEqual([['BEGIN'], ['BEGIN']]);
  });

  it('commitAll() commits in the order the transactions were opened, each after the one before is confirmed', async () => {
    const scope = new TransactionScope();
    const second = client('second');
    const first = client('first');
    await first.transactionIn(scope);
    await second.transactionIn(scope);
    const committed = scope.commitAll();
    await until(() => first.fake.commands.includes('COMMIT'));
    expect(second.fake.commands).toEqual(['BEGIN']);
    first.fake.receipt();
    await until(() => second.fake.commands.includes('COMMIT'));
    second.fake.receipt();
    await committed;
  });

  it('when a commit fails, the later transactions are aborted, not committed, and the error is thrown', async () => {
    const scope = new TransactionScope();
    const [a, b, c] = [client('a'), client('b'), client('c')];
    for (const each of [a, b, c]) await each.transactionIn(scope);
    const committed = scope.commitAll();
    await until(() => a.fake.pendingReceipts.length === 1);
    a.fake.receipt();
    await until(() => b.fake.pendingReceipts.length === 1);
    b.fake.refuse('no');
    await until(() => c.fake.commands.includes('ABORT'));
    c.fake.receipt();
    await expect(committed).rejects.toBeInstanceOf(TransactionError);
    expect([a.fake.commands, b.fake.commands, c.fake.commands]).toEqual([
      ['BEGIN', 'COMMIT'],
      ['BEGIN', 'COMMIT'],
      ['BEGIN', 'ABORT'],
    ]);
  });

  it('abortAll() aborts every transaction, even when one ABORT fails', async () => {
    const scope = new TransactionScope();
    const [a, b] = [client('a'), client('b')];
    await a.transactionIn(scope);
    await b.transactionIn(scope);
    const aborted = scope.abortAll();
    await until(() => a.fake.pendingReceipts.length === 1 && b.fake.pendingReceipts.length === 1);
    a.fake.refuse('cannot');
    b.fake.receipt();
    await aborted;
    expect([a.fake.commands, b.fake.commands]).toEqual([
      ['BEGIN', 'ABORT'],
      ['BEGIN', 'ABORT'],
    ]);
  });

  it('a transaction whose BEGIN failed is neither committed nor aborted', async () => {
    const scope = new TransactionScope();
    const broken = client('broken');
    broken.fake.lose();
    await expect(broken.transactionIn(scope)).rejects.toThrow();
    await scope.commitAll();
    await scope.abortAll();
    expect(broken.fake.commands).toEqual([]);
  });
});

describe('runInTransactionScope', () => {
  it('runs the function in a new scope, commits what it opened when it resolves, and returns its value', async () => {
    const a = client('a');
    const result = runInTransactionScope(async () => {
      const scope = currentScope()!;
      expect(scope).toBeInstanceOf(TransactionScope);
      await a.transactionIn(scope);
      return 42;
    });
    await until(() => a.fake.pendingReceipts.length === 1);
    expect(a.fake.commands).toEqual(['BEGIN', 'COMMIT']);
    a.fake.receipt();
    expect(await result).toBe(42);
    expect(currentScope()).toBeUndefined();
  });

  it('aborts what it opened and rethrows when the function throws; nothing is committed', async () => {
    const a = client('a');
    const failure = new Error('handler failed');
    const result = runInTransactionScope(async () => {
      await a.transactionIn(currentScope()!);
      throw failure;
    });
    await until(() => a.fake.pendingReceipts.length === 1);
    a.fake.receipt();
    await expect(result).rejects.toBe(failure);
    expect(a.fake.commands).toEqual(['BEGIN', 'ABORT']);
  });

  it('a commit failure rejects the call', async () => {
    const a = client('a');
    const result = runInTransactionScope(async () => {
      await a.transactionIn(currentScope()!);
    });
    await until(() => a.fake.pendingReceipts.length === 1);
    a.fake.refuse('refused');
    await expect(result).rejects.toBeInstanceOf(TransactionError);
  });

  it('a call inside an open scope joins it: one transaction per client, committed once, by the outer call', async () => {
    const a = client('a');
    let inner: TransactionScope | undefined;
    const result = runInTransactionScope(async () => {
      await a.transactionIn(currentScope()!);
      await runInTransactionScope(async () => {
        inner = currentScope();
        await a.transactionIn(inner!);
      });
      expect(a.fake.commands).toEqual(['BEGIN']);
      return currentScope();
    });
    await until(() => a.fake.pendingReceipts.length === 1);
    a.fake.receipt();
    expect(await result).toBe(inner);
    expect(a.begins()).toBe(1);
    expect(a.fake.commands).toEqual(['BEGIN', 'COMMIT']);
  });

  it('keeps the decorator settings already in force, and does not leak into concurrent calls', async () => {
    const outside = sendContext.run({ options: { durable: false } }, () =>
      runInTransactionScope(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return sendContext.getStore();
      }),
    );
    const concurrent = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return sendContext.getStore();
    })();
    const [store, other] = await Promise.all([outside, concurrent]);
    expect(store?.options).toEqual({ durable: false });
    expect(store?.transactionScope).toBeInstanceOf(TransactionScope);
    expect(other).toBeUndefined();
  });

  it('a scope in which nothing was sent commits nothing', async () => {
    expect(await runInTransactionScope(async () => 'done')).toBe('done');
  });
});
