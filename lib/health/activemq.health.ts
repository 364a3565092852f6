import { Injectable } from '@nestjs/common';
import { ClientActiveMQ } from '../client/client-activemq.js';
import { ActiveMQStatus } from '../events/activemq.events.js';
import type { ServerActiveMQ } from '../server/server-activemq.js';
import { check } from '../internal/validation.js';
import { withTimeout } from '../internal/with-timeout.js';

/** Options of {@link ActiveMQHealthIndicator.isHealthy}. */
export interface ActiveMQHealthOptions {
  /** A client that never connected is connected first; this bounds the wait (ms). Default 1000. */
  readonly timeout?: number;
  /** Confirmation-window fill (0–1) from which a client is reported down. Default: never (the window only slows senders). */
  readonly maxWindowFill?: number;
}

/** One indicator's entry in a `@nestjs/terminus` health check: `up` or `down`, with details. */
export type ActiveMQHealthResult = Record<
  string,
  {
    /** `up` while connected (and, for a client, the window below `maxWindowFill`). */
    status: 'up' | 'down';
    /** The connection's state. */
    connection: ActiveMQStatus;
    /** Details: `broker`, and for a client the window's bytes and fill and `pendingRequests`, for a server `handlersRunning` and `received`; `message` says why it is down. */
    [detail: string]: unknown;
  }
>;

/**
 * A health indicator for `@nestjs/terminus` (an optional peer dependency: this class does not
 * import it). Up while the client or server is connected; the details carry the connection
 * state, the broker, and for a client the confirmation window's fill and the requests waiting.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.activemq.isHealthy('activemq', this.client)]); }
 * ```
 */
@Injectable()
export class ActiveMQHealthIndicator {
  /**
   * The health of `target` under `key`. A client that has not connected yet is connected first,
   * for at most `options.timeout` ms. Never throws: a problem is reported as `down`.
   *
   * @param key The name of the entry in the health check's result, e.g. `activemq`.
   * @param target The client or server to check.
   * @param options Connect timeout and window threshold.
   */
  async isHealthy(key: string, target: ClientActiveMQ | ServerActiveMQ, options: ActiveMQHealthOptions = {}): Promise<ActiveMQHealthResult> {
    if (options.timeout !== undefined) check.wholeNumber('timeout', options.timeout, { unit: 'milliseconds' });
    if (options.maxWindowFill !== undefined) check.fraction('maxWindowFill', options.maxWindowFill);
    if (target instanceof ClientActiveMQ) return { [key]: await this.clientHealth(target, options) };
    const metrics = target.metrics();
    const up = metrics.status === ActiveMQStatus.CONNECTED;
    return { [key]: { status: up ? 'up' : 'down', connection: metrics.status, ...brokerOf(target), handlersRunning: metrics.inFlight, received: metrics.received } };
  }

  private async clientHealth(client: ClientActiveMQ, options: ActiveMQHealthOptions): Promise<ActiveMQHealthResult[string]> {
    let error: string | undefined;
    if (client.connectionStatus === ActiveMQStatus.DISCONNECTED) {
      const timeout = options.timeout ?? 1000;
      await withTimeout(client.connect(), timeout, () => {
        throw new Error(`not connected within ${timeout} ms`);
      }).catch((e: Error) => (error = e.message));
    }
    const metrics = client.metrics();
    const windowFill = metrics.windowCapacityBytes > 0 ? metrics.windowBytes / metrics.windowCapacityBytes : 0;
    const windowFull = options.maxWindowFill !== undefined && windowFill >= options.maxWindowFill;
    const up = metrics.status === ActiveMQStatus.CONNECTED && !windowFull;
    return {
      status: up ? 'up' : 'down',
      connection: metrics.status,
      ...brokerOf(client),
      windowBytes: metrics.windowBytes,
      windowCapacityBytes: metrics.windowCapacityBytes,
      windowFill: Math.round(windowFill * 1000) / 1000,
      pendingRequests: metrics.pendingRequests,
      ...(windowFull ? { message: `confirmation window ${Math.round(windowFill * 100)}% full` } : {}),
      ...(error ? { message: error } : {}),
    };
  }
}

function brokerOf(target: ClientActiveMQ | ServerActiveMQ): { broker?: string } {
  try {
    return { broker: target.unwrap<{ broker: string }>().broker };
  } catch {
    return {};
  }
}
