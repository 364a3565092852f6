import { brokerAddress, StompConnection, type StompConnectionOptions } from './stomp-connection.js';
import { StompAuthenticationError, StompConnectionClosedError, StompEncodeError, StompError } from '../stomp/errors.js';

/** How hard to try before giving up on the first connection. */
export interface StartupPolicy {
  /** Further rounds over the brokers after the first; -1 retries for ever. Default 0. */
  readonly retries?: number;
  /** Milliseconds before the first retry. Default 100, as for reconnections. */
  readonly initialDelay?: number;
  /** Multiplier of the delay after each round. Default 2. */
  readonly multiplier?: number;
  /** Longest delay. Default 30000. */
  readonly maxDelay?: number;
  /**
   * Called before each retry, so that a slow start-up is visible: `retry` counts from 1, `delay`
   * is the wait before it in ms, `error` is why the round before failed.
   */
  readonly onRetry?: (retry: number, delay: number, error: unknown) => void;
}

/**
 * No broker of the list could be reached within the start-up policy. `code` is the network
 * error's (`ECONNREFUSED`, `ENOTFOUND`, …) when the last attempt failed with one, as on Nest's own
 * transports.
 */
export class BrokerUnreachableError extends StompConnectionClosedError {}

/** `host:port` of each broker, for messages. */
export function brokerList(brokers: readonly StompConnectionOptions[]): string {
  return brokers.map(brokerAddress).join(', ');
}

/**
 * Connects to the first broker of `brokers` that answers, trying them in order, for
 * `1 + retries` rounds. A refused login or a frame that cannot be encoded is final at once:
 * retrying cannot fix it.
 */
export async function connectToFirst(brokers: readonly StompConnectionOptions[], policy: StartupPolicy = {}): Promise<StompConnection> {
  if (brokers.length === 0) throw new StompError('no broker to connect to', { code: 'NO_BROKER' });
  const retries = policy.retries ?? 0;
  let delay = policy.initialDelay ?? 100;
  let lastError: unknown;
  for (let round = 0; retries < 0 || round <= retries; round++) {
    if (round > 0) {
      policy.onRetry?.(round, delay, lastError);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * (policy.multiplier ?? 2), policy.maxDelay ?? 30000);
    }
    for (const broker of brokers) {
      try {
        return await StompConnection.connect(broker);
      } catch (error) {
        if (error instanceof StompAuthenticationError || error instanceof StompEncodeError) throw error;
        lastError = error;
      }
    }
  }
  const attempts = retries + 1;
  throw new BrokerUnreachableError(
    `could not connect to ${brokerList(brokers)} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${(lastError as Error | undefined)?.message ?? 'unknown error'}`,
    { cause: lastError },
  );
}
