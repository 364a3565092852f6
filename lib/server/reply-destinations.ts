import { InvalidOptionError } from '../errors/activemq-error.js';
import { BrokerDialect } from '../wire/broker-dialect.js';
/**
 * Where the server may send a reply: destinations only the requester reads (a temporary queue on
 * Classic, measured on 5.17: `/temp-queue/nestjs-replies` arrives as
 * `/remote-temp-queue/ID:<connection>:<n>`; on Artemis this transport's private reply queues;
 * see {@link BrokerDialect.isPrivateReplyTo}), and the destinations of
 * `allowedReplyTo`. Anything else would let whoever may send a request make the service write,
 * with its own credentials, into another application's queue.
 */
export class ReplyDestinations {
  private readonly allowed: readonly RegExp[];

  /** @param patterns Checked `allowedReplyTo` entries (see {@link checkAllowedReplyTo}). */
  constructor(patterns: readonly string[]) {
    this.allowed = patterns.map(patternToRegExp);
  }

  /** A reply may go to `destination` on a broker of `dialect`. On Artemis a bare name is also tried as `/queue/<name>` against `allowedReplyTo`. */
  allows(destination: string, dialect: BrokerDialect = BrokerDialect.classic): boolean {
    if (dialect.isPrivateReplyTo(destination)) return true;
    const named = dialect.routesByType && !destination.startsWith('/') ? artemisNames(destination) : [destination];
    return this.allowed.some((pattern) => named.some((name) => pattern.test(name)));
  }
}

/**
 * Checks the `allowedReplyTo` option: destinations with a `/queue/` or `/topic/` prefix, where a
 * name segment (between dots) may be `*`, any one segment, and the last may be `>`, any segments
 * (ActiveMQ's wildcards). Throws an InvalidOptionError that says what is wrong.
 */
export function checkAllowedReplyTo(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidOptionError('allowedReplyTo', `allowedReplyTo must be an array of destinations such as '/queue/replies.*', got ${typeof value}`);
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'string' || !/^\/(queue|topic)\/./.test(entry)) {
      throw new InvalidOptionError(
        'allowedReplyTo',
        `allowedReplyTo entries are destinations starting with /queue/ or /topic/ (e.g. '/queue/replies.*'), got ${JSON.stringify(entry)}`,
      );
    }
    const segments = nameOf(entry).split('.');
    segments.forEach((segment, i) => {
      if (segment === '>' && i !== segments.length - 1)
        throw new InvalidOptionError('allowedReplyTo', `allowedReplyTo '${entry}': '>' matches the rest of a name, so it can only be its last segment`);
      if (segment !== '*' && segment !== '>' && /[*>]/.test(segment)) {
        throw new InvalidOptionError('allowedReplyTo', `allowedReplyTo '${entry}': '*' and '>' stand for whole name segments (between dots), as in '/queue/replies.*'`);
      }
    });
  }
  return value as string[];
}

/**
 * An Artemis reply-to as allowedReplyTo entries are written: `queue://x` and `topic://x` (how
 * Artemis' JMS client writes JMSReplyTo) are `/queue/x` and `/topic/x`; a bare name is tried as it
 * is and as `/queue/<name>`.
 */
function artemisNames(destination: string): string[] {
  const jms = /^(queue|topic):\/\/(.+)$/.exec(destination);
  if (jms) return [`/${jms[1]!}/${jms[2]!}`];
  return [destination, `/queue/${destination}`];
}

function nameOf(destination: string): string {
  return destination.slice(destination.indexOf('/', 1) + 1);
}

function patternToRegExp(pattern: string): RegExp {
  const prefix = pattern.slice(0, pattern.indexOf('/', 1) + 1);
  const segments = nameOf(pattern)
    .split('.')
    .map((segment) => (segment === '*' ? '[^.]+' : segment === '>' ? '.+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${prefix.replace(/\//g, '\\/')}${segments.join('\\.')}$`);
}
