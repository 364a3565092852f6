import { ActiveMQError, InvalidOptionError } from '../errors/activemq-error.js';
import { check } from '../internal/validation.js';
import { withTimeout } from '../internal/with-timeout.js';
import { parseSelector } from '../selector/index.js';
import type { StompConnection } from '../connection/stomp-connection.js';
import type { StompFrame, StompHeaders } from '../stomp/frame.js';
import { BrokerDialect } from '../wire/broker-dialect.js';
import { destinationOf } from '../wire/destinations.js';
import { decodePayload } from '../wire/payload-codec.js';

/** Options of `ClientActiveMQ.browse()`. */
export interface ActiveMQBrowseOptions {
  /** A JMS message selector: only the messages it selects are returned. */
  readonly selector?: string;
  /** At most this many messages (the first ones, in the queue's order). Default: all. */
  readonly limit?: number;
  /** Milliseconds the browse may take before it fails. Default: the client's `callTimeout`, else 30000. */
  readonly timeout?: number;
}

/** A message waiting in a queue, as `browse()` shows it: nothing is consumed. */
export interface ActiveMQBrowsedMessage {
  /** The broker's `message-id`. */
  readonly messageId: string | undefined;
  /** The body decoded as a handler's data would be (JSON, text, or bytes). */
  readonly data: unknown;
  /** Every header of the message. */
  readonly headers: Readonly<StompHeaders>;
  /** The raw body. */
  readonly body: Buffer;
}

/**
 * The messages waiting in the queue of `pattern`, without consuming them: a browsing SUBSCRIBE
 * (`browser:true`, the ActiveMQ Classic STOMP page), which delivers what the queue holds, then one
 * MESSAGE with `browser:end`. ActiveMQ Artemis' STOMP has no browsing subscriber: refused there,
 * since an ordinary subscription would consume what it should only show.
 */
export async function browseQueue(connection: StompConnection, pattern: string, options: ActiveMQBrowseOptions, defaultTimeout: number): Promise<ActiveMQBrowsedMessage[]> {
  check.object('browse options', options);
  const destination = destinationOf(pattern);
  if (!destination.startsWith('/queue/') || destination.includes(',') || /(^|\.)(\*|>)(\.|$)/.test(destination)) {
    throw new InvalidOptionError('pattern', `browse() reads one queue; '${pattern}' is ${destination}`);
  }
  const limit = options.limit === undefined ? Infinity : check.wholeNumber('browse limit', options.limit);
  const timeout = options.timeout === undefined ? defaultTimeout : check.wholeNumber('browse timeout', options.timeout, { unit: 'milliseconds' });
  const headers: StompHeaders = { browser: 'true' };
  if (options.selector !== undefined) {
    const text = check.name('browse selector', options.selector, 'a JMS message selector');
    try {
      parseSelector(text);
    } catch (error) {
      throw new InvalidOptionError('selector', `browse('${pattern}') selector: ${(error as Error).message}`);
    }
    headers['selector'] = text;
  }
  if (BrokerDialect.of(connection.server).routesByType) {
    throw new InvalidOptionError(
      'browse',
      `ActiveMQ Artemis has no browsing STOMP subscriber (a subscription there consumes what it gets), so browse() is refused on ${connection.server ?? 'it'}`,
    );
  }
  const found: ActiveMQBrowsedMessage[] = [];
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const subscription = await connection.subscribe(
    destination,
    (message: StompFrame) => {
      if (message.headers['browser'] === 'end') return finish();
      if (found.length >= limit) return;
      found.push({ messageId: message.headers['message-id'], data: decodePayload(message), headers: message.headers, body: message.body });
      if (found.length >= limit) finish();
    },
    { ack: 'auto', headers },
  );
  try {
    const outcome = await withTimeout(done, timeout, () => 'timeout' as const);
    if (outcome === 'timeout') throw new ActiveMQError(`browse('${pattern}') did not end within ${timeout} ms (${found.length} messages seen)`, { code: 'BROWSE_TIMEOUT' });
  } finally {
    // A browser the broker finished has ended already; a limited one is ended here.
    await subscription.unsubscribe().catch(() => undefined);
  }
  return found;
}
