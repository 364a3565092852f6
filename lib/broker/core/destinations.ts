import { BrokerProtocolError } from './contracts.js';

/**
 * Destination names as ActiveMQ Classic reads them over STOMP: wildcards in subscriptions and
 * composite (comma-separated) destinations.
 *
 * - Wildcards (https://activemq.apache.org/components/classic/documentation/wildcards): `.`
 *   separates the elements of a name, `*` stands for one element, `>` for all the elements that
 *   follow (none included: `a.>` matches `a`, as Classic's destination filters do); what follows
 *   a `>` is ignored.
 * - Composite destinations (https://activemq.apache.org/components/classic/documentation/composite-destinations):
 *   `/queue/a,/queue/b,/topic/c` is one send to three destinations; a name without a prefix in
 *   the list is of the first one's type (`/queue/a,b` is two queues).
 */

/** The prefix of every queue the embedded broker keeps for itself (durable subscriptions' messages): no client may send to or consume one by name. */
export const RESERVED_QUEUE_PREFIX = 'ActiveMQ.Embedded.';

/** True when `name` has a wildcard element (`*` or `>`), which only a subscription may use. */
export function isWildcard(name: string): boolean {
  return name.split('.').some((element) => element === '*' || element === '>');
}

/** A destination name with wildcards, matched against concrete names. */
export class NamePattern {
  private readonly elements: readonly string[];
  /** True when it ends in `>` (the rest of a name); the elements after it are dropped. */
  private readonly open: boolean;

  constructor(readonly text: string) {
    const elements = text.split('.');
    const rest = elements.indexOf('>');
    this.open = rest !== -1;
    this.elements = this.open ? elements.slice(0, rest) : elements;
  }

  matches(name: string): boolean {
    const elements = name.split('.');
    if (this.open ? elements.length < this.elements.length : elements.length !== this.elements.length) return false;
    return this.elements.every((element, at) => element === '*' || element === elements[at]);
  }
}

/** One destination of a SUBSCRIBE or a SEND, after its prefix was read. */
export interface DestinationPart {
  readonly kind: 'queue' | 'topic' | 'temp-queue' | 'remote-temp-queue';
  /** The name after the prefix (for a temporary queue, the name its connection gave it; for a remote one, the broker's). */
  readonly name: string;
  /** As written, with its prefix (`/queue/a`), the prefix added to a bare name of a composite list. */
  readonly written: string;
}

const PREFIXES = [
  ['/queue/', 'queue'],
  ['/topic/', 'topic'],
  ['/temp-queue/', 'temp-queue'],
  ['/remote-temp-queue/', 'remote-temp-queue'],
] as const;

/**
 * The destinations of a SUBSCRIBE's `destination`: one, or those of a composite list. Throws a
 * {@link BrokerProtocolError} naming what is wrong (an unknown prefix, an empty name, a reserved queue).
 */
export function subscriptionParts(destination: string): DestinationPart[] {
  const parts = compositeParts(destination, `cannot subscribe to '${destination}': use /queue/, /topic/ or /temp-queue/`);
  for (const part of parts) {
    if (part.kind === 'remote-temp-queue') throw new BrokerProtocolError(`cannot subscribe to '${part.written}': use /queue/, /topic/ or /temp-queue/`);
    if (part.kind === 'temp-queue' && isWildcard(part.name)) throw new BrokerProtocolError(`cannot subscribe to '${part.written}': a temporary queue takes no wildcards`);
  }
  return parts;
}

/**
 * Splits a composite destination (anything with a comma) into its parts; one part otherwise.
 * `unknown` is the error for a part with no prefix this broker knows.
 */
export function compositeParts(destination: string, unknown: string): DestinationPart[] {
  const texts = destination.split(',');
  const parts: DestinationPart[] = [];
  let firstPrefix: string | undefined;
  for (const raw of texts) {
    // Classic trims the names of a list; a single name is kept as written.
    const text = texts.length > 1 ? raw.trim() : raw;
    const known = PREFIXES.find(([prefix]) => text.startsWith(prefix));
    let part: DestinationPart;
    if (known) {
      part = { kind: known[1], name: text.slice(known[0].length), written: text };
    } else if (parts.length > 0 && !text.startsWith('/') && (firstPrefix === '/queue/' || firstPrefix === '/topic/')) {
      // Classic: a bare name in a composite list is of the first destination's type.
      part = { kind: firstPrefix === '/queue/' ? 'queue' : 'topic', name: text, written: `${firstPrefix}${text}` };
    } else {
      throw new BrokerProtocolError(texts.length > 1 ? `${unknown} (in the composite destination '${destination}', '${text}' has no such prefix)` : unknown);
    }
    if (part.name === '')
      throw new BrokerProtocolError(texts.length > 1 ? `the composite destination '${destination}' has an empty part` : `'${destination}' names no destination`);
    if (part.kind === 'queue' && part.name.startsWith(RESERVED_QUEUE_PREFIX)) {
      throw new BrokerProtocolError(`queue names starting with '${RESERVED_QUEUE_PREFIX}' are reserved by the embedded broker: '${part.written}' refused`);
    }
    firstPrefix ??= PREFIXES.find(([, kind]) => kind === part.kind)![0];
    parts.push(part);
  }
  return parts;
}
