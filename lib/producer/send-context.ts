import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActiveMQTransaction } from './transaction.js';

/** Send settings a decorator puts around a call. */
export interface DecoratedSendOptions {
  readonly durable?: boolean;
  readonly block?: boolean;
  readonly priority?: number;
  readonly timeToLive?: number;
  readonly deliveryDelay?: number;
  readonly type?: string;
}

/** What is in force for the sends of the current call chain (across awaits). */
export interface SendContext {
  readonly options?: DecoratedSendOptions;
  readonly transactionScope?: TransactionScope;
}

/** Carries decorator settings and open transactions across awaits, never into concurrent calls. */
export const sendContext = new AsyncLocalStorage<SendContext>();

/**
 * The transactions opened during one `client.transaction()` / `@Transactional()` call, one per
 * client used in it. Committed in the order they were opened when the call succeeds, aborted when
 * it throws. Across several connections this is not atomic: each commits on its own.
 */
export class TransactionScope {
  private readonly transactions = new Map<object, Promise<ActiveMQTransaction>>();

  /**
   * @param bound A transactional handler's transaction (on the server's connection): every client
   *   used while the handler runs sends into it, on that connection, instead of opening its own;
   *   the server commits or aborts it with the handler's input.
   */
  constructor(readonly bound?: ActiveMQTransaction) {}

  /** The transaction of `owner` in this scope, begun on first use. */
  transactionFor(owner: object, begin: () => Promise<ActiveMQTransaction>): Promise<ActiveMQTransaction> {
    let transaction = this.transactions.get(owner);
    if (!transaction) {
      transaction = begin();
      this.transactions.set(owner, transaction);
    }
    return transaction;
  }

  async commitAll(): Promise<void> {
    if (this.bound) return;
    const transactions = await this.opened();
    for (let i = 0; i < transactions.length; i++) {
      try {
        await transactions[i]!.commit();
      } catch (error) {
        await Promise.all(transactions.slice(i + 1).map((t) => t.abort().catch(() => undefined)));
        throw error;
      }
    }
  }

  async abortAll(): Promise<void> {
    if (this.bound) return;
    const transactions = await this.opened();
    await Promise.all(transactions.map((t) => t.abort().catch(() => undefined)));
  }

  private async opened(): Promise<ActiveMQTransaction[]> {
    const settled = await Promise.allSettled(this.transactions.values());
    return settled.filter((s): s is PromiseFulfilledResult<ActiveMQTransaction> => s.status === 'fulfilled').map((s) => s.value);
  }
}

/**
 * Runs `fn` in a transaction scope: every send of every client inside is transacted, committed
 * when `fn` resolves, aborted when it throws. Inside a scope already open, `fn` joins it.
 */
export async function runInTransactionScope<T>(fn: () => Promise<T>): Promise<T> {
  const current = sendContext.getStore();
  const bound = current?.transactionScope?.bound;
  if (bound) {
    // A transactional handler's: a joined call that throws makes it roll back, even if the handler catches the error.
    try {
      return await fn();
    } catch (error) {
      bound.markRollbackOnly(error);
      throw error;
    }
  }
  if (current?.transactionScope) return fn();
  const scope = new TransactionScope();
  return sendContext.run({ ...current, transactionScope: scope }, async () => {
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await scope.abortAll();
      throw error;
    }
    await scope.commitAll();
    return result;
  });
}

/** What a send decorator sets for each message it covers, beside durability (a record's own settings win). */
export function decoratorDefaults(options: DecoratedSendOptions | undefined): Pick<DecoratedSendOptions, 'priority' | 'timeToLive' | 'deliveryDelay' | 'type'> {
  return { priority: options?.priority, timeToLive: options?.timeToLive, deliveryDelay: options?.deliveryDelay, type: options?.type };
}
