import { AsyncLocalStorage } from 'node:async_hooks';
import type { TransactionScope } from '../producer/transaction.js';

/** Send settings a decorator puts around a call. */
export interface DecoratedSendOptions {
  readonly durable?: boolean;
  readonly block?: boolean;
  readonly priority?: number;
  readonly timeToLive?: number;
}

/** What is in force for the sends of the current call chain (across awaits). */
export interface SendContext {
  readonly options?: DecoratedSendOptions;
  readonly transactionScope?: TransactionScope;
}

/** Carries decorator settings and open transactions across awaits, never into concurrent calls. */
export const sendContext = new AsyncLocalStorage<SendContext>();
