import { InvalidOptionError } from '../errors/activemq-error.js';
/**
 * Temporary destinations: what ActiveMQ hands a consumer as the `reply-to` of a requester's own
 * temporary queue (measured on ActiveMQ Classic 5.17: `/temp-queue/nestjs-replies` arrives as
 * `/remote-temp-queue/ID:<connection>:<n>`; the embedded broker does the same). Only the requester's
 * connection reads them, so a reply there cannot reach another application.
 */
const TEMPORARY = /^\/(remote-)?temp-(queue|topic)\/./;

/**
 * Where the server may send a reply: temporary destinations, and the destinations of
 * `allowedReplyTo`. Anything else would let whoever may send a request make the service write,
 * with its own credentials, into another application's queue.
 */
export class ReplyDestinations {
  private readonly allowed: readonly RegExp[];

  /** @param patterns Checked `allowedReplyTo` entries (see {@link checkAllowedReplyTo}). */
  constructor(patterns: readonly string[]) {
    this.allowed = patterns.map(patternToRegExp);
  }

  allows(destination: string): boolean {
    return TEMPORARY.test(destination) || this.allowed.some((pattern) => pattern.test(destination));
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
