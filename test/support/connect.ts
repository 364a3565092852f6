import { StompConnection, type StompConnectionOptions } from '../../lib/connection/stomp-connection.js';
import { parseActiveMQUri } from '../../lib/config/parse-uri.js';
import { stompConnectionOptions } from '../../lib/config/connection-options.js';
import { BrokerDialect } from '../../lib/wire/broker-dialect.js';
import { sharedBrokerUrl } from './broker.js';

/** Connection options for `url` (default: the shared test broker), with `overrides` on top. */
export function optionsFor(url = sharedBrokerUrl(), overrides: Partial<StompConnectionOptions> = {}): StompConnectionOptions {
  const parsed = parseActiveMQUri(url);
  return { ...stompConnectionOptions(parsed, parsed.endpoints[0]!), ...overrides };
}

/**
 * Opens a connection to `url` (default: the shared test broker) that writes destinations as the
 * transport does on that broker (its `BrokerDialect`: on Artemis, routing types instead of
 * `/queue/` and `/topic/` names), so that a raw-STOMP test means the same on every broker.
 */
export async function connect(url?: string, overrides: Partial<StompConnectionOptions> = {}): Promise<StompConnection> {
  return routed(await StompConnection.connect(optionsFor(url, overrides)));
}

/** `connection`, writing destinations in its broker's dialect. */
export function routed(connection: StompConnection): StompConnection {
  connection.routing = BrokerDialect.of(connection.server);
  return connection;
}

/** A destination name no other test uses. */
export function uniqueQueue(label: string): string {
  return `/queue/test.${label}.${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
}

/** Resolves with the next `count` messages a handler receives. */
export function collector<T>(count: number): { handler: (value: T) => void; done: Promise<T[]> } {
  const received: T[] = [];
  let resolve!: (values: T[]) => void;
  const done = new Promise<T[]>((r) => (resolve = r));
  return {
    handler: (value: T) => {
      received.push(value);
      if (received.length === count) resolve(received);
    },
    done,
  };
}
