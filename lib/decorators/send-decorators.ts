import { runInTransactionScope, sendContext, type DecoratedSendOptions } from '../producer/send-context.js';
import { decorateAllMethods, wrapMethod } from './wrap-methods.js';

/** `@DurableSend()` options. */
export interface DurableSendOptions {
  /** true (default): return once the broker has the message on disk; false: return once written (confirmed later under the window, if one is set). */
  readonly block?: boolean;
  /** JMS priority 0–9 for every send. */
  readonly priority?: number;
  /** Milliseconds until the broker discards each message. */
  readonly timeToLive?: number;
}

/** `@NonDurableSend()` options. */
export interface NonDurableSendOptions {
  /** false (default): fire and forget; true: wait for the broker. */
  readonly block?: boolean;
  /** JMS priority 0–9 for every send. */
  readonly priority?: number;
  /** Milliseconds until the broker discards each message. */
  readonly timeToLive?: number;
}

/** Applies to a method, or to a class (then to every method the class declares). */
export type MethodOrClassDecorator = MethodDecorator & ClassDecorator;

const OPTION_KEYS = ['block', 'priority', 'timeToLive'];

/**
 * Every send made while the decorated method runs (awaits included) is persistent; `block`
 * chooses whether it waits for the broker. On a class: every method it declares.
 * A record builder's own settings still win for its message.
 */
export function DurableSend(options: DurableSendOptions = {}): MethodOrClassDecorator {
  return sendSettings({ ...check('DurableSend', options), durable: true });
}

/** Every send made while the decorated method runs is non-persistent; fire and forget unless `block: true`. */
export function NonDurableSend(options: NonDurableSendOptions = {}): MethodOrClassDecorator {
  return sendSettings({ ...check('NonDurableSend', options), durable: false });
}

/**
 * Every send made while the decorated method runs, by any client, is part of one broker
 * transaction per client: nothing waits until the method returns, then the transactions commit
 * (and the method's promise resolves only after); a throw aborts them. Inside a transaction
 * already open (`client.transaction()` or another `@Transactional()`), the call joins it.
 */
export function Transactional(): MethodOrClassDecorator {
  return methodOrClass(
    (original) =>
      function transactional(this: unknown, ...args: unknown[]) {
        return runInTransactionScope(async () => original.apply(this, args));
      },
  );
}

function sendSettings(settings: DecoratedSendOptions): MethodOrClassDecorator {
  return methodOrClass(
    (original) =>
      function withSendSettings(this: unknown, ...args: unknown[]) {
        const current = sendContext.getStore();
        return sendContext.run({ ...current, options: { ...current?.options, ...settings } }, () => original.apply(this, args));
      },
  );
}

function methodOrClass(wrap: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown): MethodOrClassDecorator {
  const method: MethodDecorator = (target, key, descriptor) => wrapMethod(target, key, descriptor, wrap);
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key === undefined) {
      decorateAllMethods(target as { prototype: object }, method);
      return undefined;
    }
    return method(target, key, descriptor!);
  }) as MethodOrClassDecorator;
}

function check(decorator: string, options: DurableSendOptions | NonDurableSendOptions): DecoratedSendOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`@${decorator}() takes an options object`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`@${decorator}(): unknown option '${key}'; known options: ${OPTION_KEYS.join(', ')}`);
  }
  if (options.block !== undefined && typeof options.block !== 'boolean') throw new TypeError(`@${decorator}(): block must be true or false`);
  if (options.priority !== undefined && (!Number.isInteger(options.priority) || options.priority < 0 || options.priority > 9)) {
    throw new RangeError(`@${decorator}(): priority must be an integer from 0 to 9, got ${String(options.priority)}`);
  }
  if (options.timeToLive !== undefined && (!Number.isInteger(options.timeToLive) || options.timeToLive <= 0)) {
    throw new RangeError(`@${decorator}(): timeToLive must be a positive whole number of milliseconds, got ${String(options.timeToLive)}`);
  }
  return { ...options };
}
