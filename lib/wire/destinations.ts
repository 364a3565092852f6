import { InvalidOptionError } from '../errors/activemq-error.js';
/**
 * Pattern ↔ destination. A Nest pattern names its destination (no envelope on the wire):
 *
 * | pattern | destination |
 * |---|---|
 * | `orders.placed` | `/queue/orders.placed` |
 * | `queue://orders` / `topic://prices` | `/queue/orders` / `/topic/prices` |
 * | `topic://prices.>`, `queue://jobs.*.eu` | wildcards, kept: `.` separates name elements, `*` is one element, `>` all that follow (ActiveMQ Classic's "Wildcards" page; written `#` for Artemis) |
 * | `queue://a,b`, `queue://a,topic://b` | a composite destination, `/queue/a,/queue/b` and `/queue/a,/topic/b`: one send reaches each (Classic's "Composite Destinations"; refused on Artemis) |
 * | `/queue/x`, `/topic/x` | themselves |
 * | `VirtualTopic.Orders` | sent to `/topic/VirtualTopic.Orders`; consumed from `/queue/Consumer.<group>.VirtualTopic.Orders` when the server has a `consumerGroup` |
 * | `{ cmd: 'sum' }` (object patterns), and plain names | `/queue/{"cmd":"sum"}`, with `,` `*` `>` percent-encoded (ActiveMQ would read them as composite and wildcard syntax): only a `queue://` or `topic://` pattern means them |
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
  if (prefixed) return compositeOf(pattern, prefixed[1]!.toLowerCase(), prefixed[2]!);
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

/**
 * A `queue://` or `topic://` pattern: its names keep ActiveMQ's wildcards, and a comma makes it
 * composite, each member taking the type before it unless it names its own (`queue://a,topic://b`).
 */
function compositeOf(pattern: string, firstType: string, rest: string): string {
  let type = firstType;
  const members = rest.split(',').map((member) => {
    const own = /^(queue|topic):\/\/(.*)$/i.exec(member);
    if (own) type = own[1]!.toLowerCase();
    const name = own ? own[2]! : member;
    if (name === '') throw new InvalidOptionError('pattern', `pattern '${pattern}' names no destination${rest.includes(',') ? ' in one of its members' : ''}`);
    if (/\s/.test(name)) throw new InvalidOptionError('pattern', `pattern '${pattern}': a destination name cannot hold white space`);
    checkWildcards(pattern, name);
    return `/${type}/${name.replace(/%/g, '%25')}`;
  });
  return members.join(',');
}

/** `*` and `>` stand for whole name elements, and `>` only for the last. */
function checkWildcards(pattern: string, name: string): void {
  const elements = name.split('.');
  elements.forEach((element, i) => {
    if ((element.includes('*') || element.includes('>')) && element !== '*' && element !== '>') {
      throw new InvalidOptionError('pattern', `pattern '${pattern}': '*' and '>' stand for whole name elements (between dots), as in 'topic://prices.*.eu' or 'topic://prices.>'`);
    }
    if (element === '>' && i !== elements.length - 1) throw new InvalidOptionError('pattern', `pattern '${pattern}': '>' stands for the elements left, so it comes last`);
  });
}

function safeName(name: string): string {
  return name.replace(/[,*>%]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
