import { InvalidOptionError } from '../errors/activemq-error.js';
/**
 * Pattern ↔ destination. A Nest pattern names its destination (no envelope on the wire):
 *
 * | pattern | destination |
 * |---|---|
 * | `orders.placed` | `/queue/orders.placed` |
 * | `queue://orders` / `topic://prices` | `/queue/orders` / `/topic/prices` |
 * | `/queue/x`, `/topic/x` | themselves |
 * | `VirtualTopic.Orders` | sent to `/topic/VirtualTopic.Orders`; consumed from `/queue/Consumer.<group>.VirtualTopic.Orders` when the server has a `consumerGroup` |
 * | `{ cmd: 'sum' }` (object patterns) | `/queue/{"cmd":"sum"}`, with `,` `*` `>` percent-encoded (ActiveMQ reads them as composite and wildcard syntax) |
 */
export function destinationOf(pattern: string): string {
  let destination = cache.get(pattern);
  if (destination === undefined) {
    destination = mapPattern(pattern);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, destination);
  }
  return destination;
}

/** Patterns are few and reused on every send: their destinations are kept (bounded, in case they are not). */
const cache = new Map<string, string>();
const CACHE_LIMIT = 10_000;

function mapPattern(pattern: string): string {
  if (typeof pattern !== 'string' || pattern === '') {
    throw new InvalidOptionError('pattern', `a pattern must be a non-empty string or object, got ${JSON.stringify(pattern)}`);
  }
  const prefixed = /^(queue|topic):\/\/(.*)$/i.exec(pattern);
  if (prefixed) {
    if (prefixed[2] === '') throw new InvalidOptionError('pattern', `pattern '${pattern}' names no destination`);
    return `/${prefixed[1]!.toLowerCase()}/${safeName(prefixed[2]!)}`;
  }
  if (/^\/(queue|topic|temp-queue|temp-topic|remote-temp-queue|remote-temp-topic)\/./.test(pattern)) return pattern;
  if (pattern.startsWith('VirtualTopic.')) return `/topic/${safeName(pattern)}`;
  return `/queue/${safeName(pattern)}`;
}

/**
 * Where a server consumes `pattern`. Virtual topics are read through the consumer queue of the
 * server's `consumerGroup`, so that each group gets every message once, shared among its
 * instances (ActiveMQ's default `Consumer.*.VirtualTopic.>` interceptor).
 */
export function subscriptionOf(pattern: string, consumerGroup?: string): string {
  const destination = destinationOf(pattern);
  const virtual = /^\/topic\/(VirtualTopic\..+)$/.exec(destination);
  if (virtual && consumerGroup !== undefined) return `/queue/Consumer.${checkConsumerGroup(consumerGroup)}.${virtual[1]}`;
  return destination;
}

/** A consumer group becomes part of a queue name: letters, digits, '_' and '-' only. */
export function checkConsumerGroup(consumerGroup: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(consumerGroup)) {
    throw new InvalidOptionError('consumerGroup', `consumerGroup '${consumerGroup}' may hold only letters, digits, '_' and '-'`);
  }
  return consumerGroup;
}

function safeName(name: string): string {
  return name.replace(/[,*>%]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
