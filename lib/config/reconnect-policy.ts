import type { StartupPolicy } from '../connection/connect-to-first.js';
import type { ReconnectPolicy } from '../connection/reconnection.js';
import type { ActiveMQUriOptions } from './uri-options.js';

/**
 * The reconnection policy a URI's options describe (Classic's failover options; the Artemis
 * spellings arrive here under the same names). Reconnection is on by default, for ever, from
 * 100 ms doubling to 30 s; sends wait `timeout` (default: `callTimeout`, 30 s).
 */
export function reconnectPolicyOf(options: ActiveMQUriOptions): ReconnectPolicy {
  const maxAttempts = options.maxReconnectAttempts ?? -1;
  const timeout = options.timeout ?? -1;
  return {
    enabled: maxAttempts !== 0,
    maxAttempts,
    ...backoffOf(options),
    randomize: options.randomize ?? false,
    sendWait: timeout >= 0 ? timeout : (options.callTimeout ?? 30_000),
    priorityBackup: options.priorityBackup ?? false,
  };
}

/**
 * How hard the first connection is tried: `startupMaxReconnectAttempts` further rounds (default
 * 0: fail at once), with the reconnections' backoff; start-up is a connection like any other.
 */
export function startupPolicyOf(options: ActiveMQUriOptions): Required<Omit<StartupPolicy, 'onRetry'>> {
  return { retries: options.startupMaxReconnectAttempts ?? 0, ...backoffOf(options) };
}

function backoffOf(options: ActiveMQUriOptions): { initialDelay: number; maxDelay: number; multiplier: number } {
  return {
    initialDelay: options.initialReconnectDelay ?? 100,
    maxDelay: options.maxReconnectDelay ?? 30_000,
    multiplier: options.useExponentialBackOff === false ? 1 : (options.reconnectDelayExponent ?? 2),
  };
}
