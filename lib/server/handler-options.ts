import { InvalidOptionError } from '../errors/activemq-error.js';
import { check } from '../internal/validation.js';
import { parseSelector, type Selector } from '../selector/index.js';
import type { ConsumerFeatures } from '../wire/consumer-features.js';

/**
 * What one handler asks of its subscription, given as the `extras` of its decorator:
 *
 * ```ts
 * @EventPattern('topic://prices', { durable: 'billing-prices' })   // needs ServerActiveMQ({ clientId })
 * @EventPattern('orders', { selector: "region = 'EU'", concurrency: 4, prefetch: 8 })
 * @EventPattern('jobs', { exclusive: true, onError: 'dead-letter' })
 * @MessagePattern('quotes', { concurrency: 32 })
 * @EventPattern<string>('orders', { selector, prefetch: 8 } satisfies ActiveMQHandlerOptions) // checked as you type
 * ```
 *
 * Checked when the server starts (an unknown or invalid option is an error naming the handler's
 * pattern and the option) and sent again on every re-subscription after a reconnection. A broker
 * that cannot give an option refuses it when the server connects, with an error saying so; none is
 * ignored.
 */
export interface ActiveMQHandlerOptions {
  /**
   * A JMS message selector (the SQL-92 subset of the JMS specification): only messages it selects
   * reach the handler; on a queue the others stay for other consumers. A non-empty string, parsed
   * when the server starts (one that does not parse is an `InvalidOptionError` with the position
   * of the error; one the broker refuses, a `SubscriptionRefusedError`). Classic: the `selector`
   * header as written. Artemis: rewritten in its filter names (`JMSPriority` → `AMQPriority`, …)
   * with string-to-number conversion asked for; `JMSRedelivered`, `JMSXDeliveryCount` and what
   * Artemis reads otherwise are refused (`UnsupportedConsumerOptionError`). The embedded broker
   * evaluates it itself. See docs/consumer-features/selectors.md.
   */
  readonly selector?: string;
  /**
   * A durable topic subscription of this name: messages published while the server is away wait
   * for it. A non-empty string; topics only, and the server needs a `clientId` (else an
   * `InvalidOptionError` at start). Classic and the embedded broker: `activemq.subscriptionName`;
   * Artemis: `durable-subscription-name`. `ServerActiveMQ.unsubscribeDurable()` removes it.
   */
  readonly durable?: string;
  /**
   * While this consumer is there it gets all of the queue's messages; another takes over when it
   * leaves. `true` or `false`; queues only. Classic and the embedded broker (`activemq.exclusive`);
   * refused on Artemis, where exclusivity is a setting of the queue (`UnsupportedConsumerOptionError`).
   */
  readonly exclusive?: boolean;
  /**
   * Consumers of a higher priority get a queue's messages first, while they have room. A whole
   * number from 0 to 127. Classic and the embedded broker (`activemq.priority`); refused on Artemis
   * (`UnsupportedConsumerOptionError`).
   */
  readonly consumerPriority?: number;
  /**
   * Messages this server's own connection published are not delivered to this handler. `true` or
   * `false`; topics only. Classic and the embedded broker: `activemq.noLocal`; Artemis: `no-local`.
   */
  readonly noLocal?: boolean;
  /**
   * When the subscription starts, the broker replays what its recovery policy kept for the topic
   * (by default the last message sent with `ActiveMQ.Retain: 'true'`). `true` or `false`; topics
   * only. Classic and the embedded broker (`activemq.retroactive`); refused on Artemis
   * (`UnsupportedConsumerOptionError`).
   */
  readonly retroactive?: boolean;
  /**
   * Messages the broker may push ahead of acknowledgements for this handler; overrides the server's
   * `prefetch`. A whole number >= 1. Classic and the embedded broker: `activemq.prefetchSize`.
   * Artemis counts bytes: 1 is sent as a window of 1 byte (one message), any other value is refused
   * (give `consumerWindowSize`).
   */
  readonly prefetch?: number;
  /**
   * ActiveMQ Artemis only: this handler's window in bytes (`consumer-window-size`), a whole number
   * >= -1 (-1: no limit); overrides the server's `consumerWindowSize`. Not with `prefetch`; refused
   * on Classic and the embedded broker, which count messages (give `prefetch`).
   */
  readonly consumerWindowSize?: number;
  /**
   * Handlers of this pattern in flight at once, a whole number >= 1; overrides the server's
   * `concurrency` (and, unless a prefetch or window is given, sets the handler's prefetch). Every
   * broker. A message group's messages still run one at a time, in order.
   */
  readonly concurrency?: number;
  /**
   * Overrides the server's `ackMode` for this handler: `'auto-after-handler'` (acknowledged once
   * the handler returns) or `'manual'` (`ctx.ack()` / `ctx.nack()`). Every broker.
   */
  readonly ackMode?: 'auto-after-handler' | 'manual';
  /**
   * What a failing event handler does to its message: `'nack'` (default) gives it back for the
   * broker's redelivery and, past its limit, the dead-letter queue; `'ack'` drops it (logged);
   * `'dead-letter'` sends it to the dead-letter queue at once (`ActiveMQ.DLQ` on Classic and the
   * embedded broker, `DLQ` on Artemis), with `nestjs-original-destination`. One of the three;
   * refused on a `@MessagePattern` and with `ackMode: 'manual'`.
   */
  readonly onError?: 'nack' | 'ack' | 'dead-letter';
  /**
   * Runs the handler in one broker transaction with its input (consume-transform-produce): every
   * send made while it runs (`ctx.emit()`, or any `ClientActiveMQ` of the same broker, which
   * then writes on the server's connection) and, for `@MessagePattern`, its reply are sent in the
   * transaction, and the input's ACK is added when the handler succeeds, then COMMIT (waiting for
   * its receipt). A failure aborts it: the sends vanish and the input is rejected as usual. Not
   * with `ackMode: 'manual'`. ActiveMQ Classic and the embedded broker; refused on Artemis, whose
   * STOMP applies an ACK at once whatever its transaction. See docs/transactional-handlers.md.
   */
  readonly transactional?: boolean;
}

/** The options of one handler, checked: what its SUBSCRIBE asks of the broker, and how the server runs it. */
export interface HandlerSettings extends ConsumerFeatures {
  readonly prefetch: number | undefined;
  readonly consumerWindowSize: number | undefined;
  readonly concurrency: number | undefined;
  readonly ackMode: 'auto-after-handler' | 'manual' | undefined;
  /** Given or not: undefined is `'nack'`. */
  readonly onError: 'nack' | 'ack' | 'dead-letter' | undefined;
  readonly transactional: boolean;
}

/** Every option, each once: TypeScript refuses this object if an option of the interface is missing from it. */
const EVERY_KEY: { readonly [K in keyof Required<ActiveMQHandlerOptions>]: true } = {
  selector: true,
  durable: true,
  exclusive: true,
  consumerPriority: true,
  noLocal: true,
  retroactive: true,
  prefetch: true,
  consumerWindowSize: true,
  concurrency: true,
  ackMode: true,
  onError: true,
  transactional: true,
};
const KEYS = Object.keys(EVERY_KEY) as ReadonlyArray<keyof ActiveMQHandlerOptions>;

/**
 * Checks the `extras` of the handler of `pattern`, whose destination is `destination` (`/queue/…`
 * or `/topic/…`): each option's kind and range, and the options that need a topic, a queue or the
 * server's `clientId`. Every error names the pattern and the option.
 */
export function handlerSettingsOf(pattern: string, destination: string, extras: unknown, server: { readonly clientId: string | undefined }): HandlerSettings {
  const where = (option: string): string => `@Pattern('${pattern}').${option}`;
  const options = (extras ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionError('extras', `the extras of the handler of '${pattern}' must be an object`);
  for (const key of Object.keys(options)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new InvalidOptionError(key, `unknown handler option '${key}' on the handler of '${pattern}'; known: ${KEYS.join(', ')}`);
    }
  }
  const given = (key: keyof ActiveMQHandlerOptions): boolean => options[key] !== undefined;
  const topic = destination.startsWith('/topic/');
  const needs = (key: keyof ActiveMQHandlerOptions, kind: 'topic' | 'queue'): void => {
    if (given(key) && topic !== (kind === 'topic')) {
      throw new InvalidOptionError(key, `${where(key)} applies to ${kind === 'topic' ? 'topic' : 'queue'} subscriptions only; '${pattern}' consumes ${destination}`);
    }
  };
  needs('durable', 'topic');
  needs('noLocal', 'topic');
  needs('retroactive', 'topic');
  needs('exclusive', 'queue');
  let selector: Selector | undefined;
  if (given('selector')) {
    const text = check.name(where('selector'), options['selector'], 'a JMS message selector');
    try {
      selector = parseSelector(text);
    } catch (error) {
      throw new InvalidOptionError('selector', `${where('selector')}: ${(error as Error).message}`);
    }
  }
  const durable = given('durable') ? check.name(where('durable'), options['durable'], 'a subscription name') : undefined;
  if (durable !== undefined && server.clientId === undefined) {
    throw new InvalidOptionError('durable', `${where('durable')} needs the server's clientId: a durable subscription belongs to a client id (ServerActiveMQ({ clientId }))`);
  }
  const flag = (key: keyof ActiveMQHandlerOptions): boolean => (given(key) ? check.boolean(where(key), options[key]) : false);
  const whole = (key: keyof ActiveMQHandlerOptions, range: { min?: number; max?: number } = {}): number | undefined =>
    given(key) ? check.wholeNumber(where(key), options[key], range) : undefined;
  const ackMode = given('ackMode') ? check.oneOf(where('ackMode'), options['ackMode'], ['auto-after-handler', 'manual'] as const) : undefined;
  const transactional = flag('transactional');
  if (transactional && ackMode === 'manual') {
    throw new InvalidOptionError('transactional', `${where('transactional')}: the handler's transaction acknowledges its message at COMMIT; ackMode 'manual' cannot apply`);
  }
  return {
    selector,
    durable,
    exclusive: flag('exclusive'),
    consumerPriority: whole('consumerPriority', { min: 0, max: 127 }),
    noLocal: flag('noLocal'),
    retroactive: flag('retroactive'),
    prefetch: whole('prefetch'),
    consumerWindowSize: whole('consumerWindowSize', { min: -1 }),
    concurrency: whole('concurrency'),
    ackMode,
    onError: given('onError') ? check.oneOf(where('onError'), options['onError'], ['nack', 'ack', 'dead-letter'] as const) : undefined,
    transactional,
  };
}
