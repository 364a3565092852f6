import { brokerAddress, type StompConnection, type StompConnectionOptions } from './stomp-connection.js';
import { brokerList, BrokerUnreachableError, connectToFirst } from './connect-to-first.js';

/** How a lost connection is re-established (ActiveMQ's "Failover Transport Reference", Artemis' "Client Reconnection"). */
export interface ReconnectPolicy {
  /** False when `maxReconnectAttempts=0` / `reconnectAttempts=0`: a lost connection stays lost. */
  readonly enabled: boolean;
  /** Rounds over the brokers before giving up; -1 for ever. */
  readonly maxAttempts: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  /** Delay multiplier per attempt (1: constant). */
  readonly multiplier: number;
  /** Try the brokers in random order (Classic's `randomize`). */
  readonly randomize: boolean;
  /** Milliseconds a send waits for the connection to come back before it fails. */
  readonly sendWait: number;
  /** While on a backup broker, go back to the first one of the list as soon as it answers (Classic's `priorityBackup`). */
  readonly priorityBackup: boolean;
}

/**
 * With `priorityBackup`, while connected to a backup: tries the first broker of the list every
 * `max(initialDelay, 500)` ms and hands the connection to `onUp` once it answers. Returns a
 * function that stops watching.
 */
export function watchPrimary(brokers: readonly StompConnectionOptions[], current: StompConnection, policy: ReconnectPolicy, onUp: (primary: StompConnection) => void): () => void {
  const primary = brokers[0];
  if (!policy.priorityBackup || brokers.length < 2 || !primary || current.broker === brokerAddress(primary)) return () => {};
  let stopped = false;
  let trying = false;
  const timer = setInterval(
    () => {
      if (trying || stopped) return;
      trying = true;
      connectToFirst([primary], { retries: 0 }).then(
        (connection) => {
          trying = false;
          if (stopped || current.isClosed) return connection.destroy();
          stop();
          onUp(connection);
        },
        () => (trying = false),
      );
    },
    Math.max(policy.initialDelay, 500),
  );
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  current.once('close', stop);
  return stop;
}

/**
 * Tries the brokers again and again as the policy says, until one answers (resolved) or the
 * attempts run out (BrokerUnreachableError), or `cancelled()` turns true (rejected likewise).
 */
export async function reconnect(
  brokers: readonly StompConnectionOptions[],
  policy: ReconnectPolicy,
  cancelled: () => boolean,
  onAttempt: (attempt: number, delay: number) => void = () => {},
): Promise<StompConnection> {
  let delay = policy.initialDelay;
  let lastError: unknown;
  for (let attempt = 1; policy.maxAttempts < 0 || attempt <= policy.maxAttempts; attempt++) {
    onAttempt(attempt, delay);
    // Slept in short slices, so that closing the client does not wait out a long backoff.
    for (let slept = 0; slept < delay && !cancelled(); slept += 100) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, delay - slept)));
    }
    if (cancelled()) break;
    try {
      return await connectToFirst(policy.randomize ? shuffled(brokers) : brokers, { retries: 0 });
    } catch (error) {
      lastError = error;
    }
    delay = Math.min(delay * policy.multiplier, policy.maxDelay);
  }
  const where = brokerList(brokers);
  throw new BrokerUnreachableError(
    cancelled()
      ? `reconnection to ${where} stopped: closing`
      : `gave up reconnecting to ${where} after ${policy.maxAttempts} attempt${policy.maxAttempts === 1 ? '' : 's'}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
    { cause: lastError },
  );
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * Logs a reconnection attempt quietly: the first one as a warning (the connection was lost), the
 * ones after it at debug level, so a long outage does not flood the log.
 */
export function logAttempt(logger: { warn(message: string): void; debug?(message: string): void }, attempt: number): void {
  if (attempt === 1) logger.warn(`connection lost; reconnecting (attempt 1)`);
  else logger.debug?.(`reconnecting (attempt ${attempt})`);
}

/**
 * Logs a start-up retry the same way: the first as a warning naming the brokers and why they
 * failed (a slow start-up is visible at once), the ones after it at debug level.
 *
 * @param retries How many retries the policy allows; -1 for ever.
 */
export function logStartupRetry(
  logger: { warn(message: string): void; debug?(message: string): void },
  brokers: readonly StompConnectionOptions[],
  retries: number,
  retry: number,
  delay: number,
  error: unknown,
): void {
  const reason = error instanceof Error ? error.message : String(error);
  const count = retries < 0 ? `retry ${retry}, for ever` : `retry ${retry} of ${retries}`;
  if (retry === 1) logger.warn(`could not connect to ${brokerList(brokers)} at start-up (${reason}); retrying in ${delay} ms (${count})`);
  else logger.debug?.(`start-up ${count} in ${delay} ms (${reason})`);
}
