import { runInTransactionScope, sendContext, type DecoratedSendOptions } from '../producer/send-context.js';
import { decorateAllMethods, wrapMethod } from './wrap-methods.js';
import { InvalidOptionError } from '../errors/activemq-error.js';
import { check } from '../internal/validation.js';

/** `@DurableSend()` options. */
export interface DurableSendOptions {
  /** true (default): return once the broker has the message on disk; false: return once written (confirmed later under the window, if one is set). */
  readonly block?: boolean;
  /** JMS priority 0–9 for every send. */
  readonly priority?: number;
  /** Milliseconds until the broker discards each message. */
  readonly timeToLive?: number;
  /**
   * Milliseconds the broker holds each message before delivering it (`AMQ_SCHEDULED_DELAY`), 0 to
   * ten years; a record's own delivery delay, delivery time or cron wins for its message. Classic
   * needs its scheduler on (`schedulerSupport="true"`); Artemis and the embedded broker have it.
   */
  readonly deliveryDelay?: number;
  /** The JMS type (`JMSType`, the `type` header) of every message; a record's `setType()` wins. */
  readonly type?: string;
}

/** `@NonDurableSend()` options. */
export interface NonDurableSendOptions {
  /** false (default): fire and forget; true: wait for the broker. */
  readonly block?: boolean;
  /** JMS priority 0–9 for every send. */
  readonly priority?: number;
  /** Milliseconds until the broker discards each message. */
  readonly timeToLive?: number;
  /**
   * Milliseconds the broker holds each message before delivering it (`AMQ_SCHEDULED_DELAY`), 0 to
   * ten years; a record's own delivery delay, delivery time or cron wins for its message. Classic
   * needs its scheduler on (`schedulerSupport="true"`); Artemis and the embedded broker have it.
   */
  readonly deliveryDelay?: number;
  /** The JMS type (`JMSType`, the `type` header) of every message; a record's `setType()` wins. */
  readonly type?: string;
}

/** Applies to a method, or to a class (then to every method the class declares). */
export type MethodOrClassDecorator = MethodDecorator & ClassDecorator;

const OPTION_KEYS = ['block', 'priority', 'timeToLive', 'deliveryDelay', 'type'];

/**
 * Every send made while the decorated method runs (awaits included) is persistent; `block`
 * chooses whether it waits for the broker. On a class: every method it declares.
 * A record builder's own settings still win for its message.
 */
export function DurableSend(options: DurableSendOptions = {}): MethodOrClassDecorator {
  return sendSettings({ ...checkOptions('DurableSend', options), durable: true });
}

/** Every send made while the decorated method runs is non-persistent; fire and forget unless `block: true`. */
export function NonDurableSend(options: NonDurableSendOptions = {}): MethodOrClassDecorator {
  return sendSettings({ ...checkOptions('NonDurableSend', options), durable: false });
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

function checkOptions(decorator: string, options: DurableSendOptions | NonDurableSendOptions): DecoratedSendOptions {
  check.object(`@${decorator}() options`, options);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new InvalidOptionError(key, `@${decorator}(): unknown option '${key}'; known options: ${OPTION_KEYS.join(', ')}`);
  }
  const at = `@${decorator}(): `;
  if (options.block !== undefined) check.boolean(`${at}block`, options.block);
  if (options.priority !== undefined) check.priority(`${at}priority`, options.priority);
  if (options.timeToLive !== undefined) check.wholeNumber(`${at}timeToLive`, options.timeToLive, { unit: 'milliseconds' });
  if (options.deliveryDelay !== undefined) check.deliveryDelay(`${at}deliveryDelay`, options.deliveryDelay);
  if (options.type !== undefined) check.name(`${at}type`, options.type, 'a JMS type (a non-empty string)');
  return { ...options };
}
