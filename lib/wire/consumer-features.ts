import { InvalidOptionError } from '../errors/activemq-error.js';
import type { Selector } from '../selector/index.js';
import type { StompHeaders } from '../stomp/frame.js';
import type { BrokerDialect } from './broker-dialect.js';

/** What a subscription asks of the broker besides its destination and flow control. */
export interface ConsumerFeatures {
  readonly selector: Selector | undefined;
  readonly durable: string | undefined;
  readonly exclusive: boolean;
  readonly consumerPriority: number | undefined;
  readonly noLocal: boolean;
  readonly retroactive: boolean;
}

/**
 * An option of a handler that this broker cannot give: the server refuses to start (or to
 * consume again, after a reconnection to another broker) rather than consume without it.
 */
export class UnsupportedConsumerOptionError extends InvalidOptionError {}

/**
 * The SUBSCRIBE headers that ask the broker for `features`, in its dialect. `where` names the
 * handler in errors.
 *
 * - ActiveMQ Classic, and the embedded broker, read the `activemq.*` headers of its STOMP page
 *   (https://activemq.apache.org/components/classic/documentation/stomp, "ActiveMQ extensions to
 *   STOMP"): `selector`, `activemq.subscriptionName` (with the CONNECT `client-id`),
 *   `activemq.exclusive`, `activemq.priority`, `activemq.noLocal`, `activemq.retroactive`.
 * - ActiveMQ Artemis reads `selector` as a filter of its own, where the JMS header names are
 *   spelled otherwise and strings are not converted to numbers (the selector is written in its
 *   names, and asks for the conversion), `durable-subscription-name` and
 *   `no-local` (its STOMP page, "Durable Subscriptions"). It has no exclusive, prioritised or
 *   retroactive STOMP subscriber: an exclusive queue is a queue setting there
 *   (`exclusive`/`default-exclusive-queue`, its "Exclusive Queues" page), so those options are
 *   refused.
 */
export function consumerHeaders(dialect: BrokerDialect, features: ConsumerFeatures, where: string): StompHeaders {
  const headers: StompHeaders = {};
  if (dialect.routesByType) {
    const refuse = (option: string, why: string): never => {
      throw new UnsupportedConsumerOptionError(option, `${where}.${option} cannot be given by ActiveMQ Artemis: ${why}`);
    };
    if (features.exclusive)
      refuse(
        'exclusive',
        'an exclusive queue is a setting of the queue there (address-setting default-exclusive-queue, or the queue’s exclusive attribute), not of a STOMP subscriber',
      );
    if (features.consumerPriority !== undefined) refuse('consumerPriority', 'its STOMP subscribers carry no consumer priority');
    if (features.retroactive) refuse('retroactive', 'it keeps no recent messages of a topic for new subscribers');
    if (features.selector) {
      try {
        // Classic converts a string property compared with a number; Artemis does so only when the
        // filter starts with `convert_string_expressions:` (measured on 2.40: `amount > 4` selects
        // `amount: '5'` with it, nothing without), so one selector means the same on both.
        headers['selector'] = `convert_string_expressions:${features.selector.toArtemis()}`;
      } catch (error) {
        throw new UnsupportedConsumerOptionError('selector', `${where}.selector cannot be given by ActiveMQ Artemis: ${(error as Error).message}`);
      }
    }
    if (features.durable !== undefined) headers['durable-subscription-name'] = features.durable;
    if (features.noLocal) headers['no-local'] = 'true';
    return headers;
  }
  if (features.selector) headers['selector'] = features.selector.text;
  if (features.durable !== undefined) headers['activemq.subscriptionName'] = features.durable;
  if (features.exclusive) headers['activemq.exclusive'] = 'true';
  if (features.consumerPriority !== undefined) headers['activemq.priority'] = String(features.consumerPriority);
  if (features.noLocal) headers['activemq.noLocal'] = 'true';
  if (features.retroactive) headers['activemq.retroactive'] = 'true';
  return headers;
}

/** The UNSUBSCRIBE headers that remove the durable subscription `name` (not only detach from it). */
export function durableRemovalHeaders(dialect: BrokerDialect, name: string): StompHeaders {
  return dialect.routesByType ? { 'durable-subscription-name': name } : { 'activemq.subscriptionName': name };
}

/**
 * A queue wildcard (`queue://jobs.*.eu`) on ActiveMQ Artemis: its wildcard routing gives a
 * subscription to a wildcard address a copy of each message sent to a matching address, and the
 * message stays on its own queue (the Artemis documentation's "Wildcard Routing" page; measured
 * on 2.40 over STOMP: a message sent to `jobs.a.eu` reached the `jobs.*.eu` handler and was still
 * on `jobs.a.eu`), where Classic consumes it from the queue. Consumed twice, or kept for ever: it
 * is refused rather than given with another meaning.
 */
export function refuseQueueWildcardOnArtemis(dialect: BrokerDialect, destination: string, where: string): void {
  if (!dialect.routesByType || !destination.startsWith('/queue/')) return;
  const elements = destination.slice('/queue/'.length).split('.');
  if (!elements.includes('*') && !elements.includes('>')) return;
  throw new UnsupportedConsumerOptionError(
    'pattern',
    `${where}: a queue wildcard cannot be given by ActiveMQ Artemis: its wildcard routing gives the handler a copy of each matching queue's message and leaves the message on its queue, where ActiveMQ Classic consumes it; give each queue a handler, or send to topics and use a topic wildcard`,
  );
}
