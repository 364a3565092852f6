import { ActiveMQError } from '../errors/activemq-error.js';
import type { StompBrokerError } from '../stomp/errors.js';

/**
 * The broker refused the subscription of a handler (a selector it does not take, a durable
 * subscription whose client id is in use, a destination it refuses): the server does not start,
 * and the error names the handler's pattern with the broker's own words. `cause` is the broker's
 * {@link StompBrokerError}.
 */
export class SubscriptionRefusedError extends ActiveMQError {
  /** The handler's pattern. */
  readonly pattern: string;
  /** The destination it subscribes to. */
  readonly destination: string;
  /** The ERROR frame's `message` header. */
  readonly brokerMessage: string;

  /**
   * Names the handler and what the broker said.
   *
   * @param pattern The handler's pattern.
   * @param destination The destination of its subscription.
   * @param error The broker's refusal.
   */
  constructor(pattern: string, destination: string, error: StompBrokerError) {
    super(`the broker refused the subscription of the handler of '${pattern}' to ${destination}: ${error.brokerMessage}`, { cause: error });
    this.pattern = pattern;
    this.destination = destination;
    this.brokerMessage = error.brokerMessage;
  }
}
