import { randomUUID } from 'node:crypto';
import { InvalidOptionError } from '../errors/activemq-error.js';
import type { StompHeaders } from '../stomp/frame.js';

/** The broker families the transport knows, told apart by CONNECTED's `server` header. */
export type BrokerFamily = 'classic' | 'artemis' | 'embedded';

/**
 * What differs between the brokers on the wire, decided in one place from CONNECTED's `server`
 * header (`ActiveMQ/5.17.2`, `ActiveMQ-Artemis/2.40.0 ActiveMQ Artemis Messaging Engine`,
 * `nestjs-activemq-embedded/0.1.0`; a broker that names itself otherwise is taken as Classic).
 *
 * - **Destinations.** Classic (and the embedded broker) read `/queue/x` and `/topic/x` as a queue
 *   and a topic. Artemis maps a STOMP destination to an address of the same name and takes the
 *   routing type from the frame (the Artemis documentation's STOMP page, "Routing Semantics"):
 *   the transport writes the bare name with `destination-type` on SEND and `subscription-type` on
 *   SUBSCRIBE, `ANYCAST` for a queue and `MULTICAST` for a topic, which works whether or not the
 *   acceptor strips `anycastPrefix`/`multicastPrefix` itself, and gives JMS clients the same names.
 * - **Reply queues.** Classic gives each connection its own `/temp-queue/…`. Artemis' STOMP has no
 *   temporary destinations: each client connection gets a queue of its own under an unguessable
 *   name, which the broker deletes with its last consumer (`auto-delete-queues`, on by default for
 *   queues it created).
 * - **The dead-letter queue**: `ActiveMQ.DLQ` on Classic, `DLQ` on Artemis (their defaults).
 */
export class BrokerDialect {
  /** Classic's conventions: what is assumed before CONNECTED says otherwise. */
  static readonly classic = new BrokerDialect('classic');
  private static readonly artemis = new BrokerDialect('artemis');
  private static readonly embedded = new BrokerDialect('embedded');

  private constructor(readonly family: BrokerFamily) {}

  /** The dialect of the broker whose CONNECTED frame carried `server`. */
  static of(server: string | undefined): BrokerDialect {
    if (server !== undefined && /^ActiveMQ-Artemis\//i.test(server)) return BrokerDialect.artemis;
    if (server !== undefined && /^nestjs-activemq-embedded\//.test(server)) return BrokerDialect.embedded;
    return BrokerDialect.classic;
  }

  /** Artemis: destinations are addresses with a routing type, not `/queue/` and `/topic/` names. */
  get routesByType(): boolean {
    return this.family === 'artemis';
  }

  /** The broker's default dead-letter queue, for log lines. */
  get deadLetterQueue(): string {
    return this.family === 'artemis' ? 'DLQ' : 'ActiveMQ.DLQ';
  }

  /**
   * Addresses a SEND's `headers` as this broker reads destinations, in place: its `destination` is
   * the transport's (`/queue/x`, `/topic/x`, or a reply-to as the requester gave it). Writing the
   * same headers again (a re-send) leaves them as they are.
   */
  route(headers: StompHeaders): void {
    if (!this.routesByType) return;
    const { name, type } = routed(headers['destination'] ?? '');
    headers['destination'] = name;
    if (type) headers['destination-type'] = type;
  }

  /** The SUBSCRIBE destination and headers for `destination` (the transport's) and the subscriber's `headers`. */
  subscription(destination: string, headers: StompHeaders): { destination: string; headers: StompHeaders } {
    if (!this.routesByType) return { destination, headers };
    const { name, type } = routed(destination);
    return { destination: name, headers: type ? { ...headers, 'subscription-type': type } : headers };
  }

  /**
   * The SUBSCRIBE header that limits what the broker pushes ahead of acknowledgements: Classic
   * counts messages (`activemq.prefetchSize`, from the server's `prefetch`), Artemis bytes
   * (`consumer-window-size`, ARTEMIS-589; -1 for no limit). A limit in the other broker's unit is
   * refused rather than dropped; without one, Artemis keeps its default.
   */
  flowControl(limits: { readonly prefetch: number; readonly prefetchGiven: boolean; readonly consumerWindowSize: number | undefined }): StompHeaders {
    if (this.routesByType) {
      if (limits.prefetchGiven) {
        throw new InvalidOptionError(
          'prefetch',
          `prefetch counts messages, which ActiveMQ Artemis cannot limit for a STOMP subscriber: it counts bytes; give consumerWindowSize (bytes, -1 for no limit) instead`,
        );
      }
      return limits.consumerWindowSize === undefined ? {} : { 'consumer-window-size': String(limits.consumerWindowSize) };
    }
    if (limits.consumerWindowSize !== undefined) {
      throw new InvalidOptionError(
        'consumerWindowSize',
        `consumerWindowSize is ActiveMQ Artemis' window in bytes; ${this.family === 'embedded' ? 'the embedded broker' : 'ActiveMQ Classic'} limits a subscriber in messages: give prefetch instead`,
      );
    }
    return { 'activemq.prefetchSize': String(limits.prefetch) };
  }

  /**
   * A reply queue for one client connection: where the client subscribes, and the `reply-to` its
   * requests carry (on Artemis the bare name, as a JMS requester's JMSReplyTo would read).
   */
  newReplyQueue(): { readonly subscribeTo: string; readonly replyTo: string } {
    if (!this.routesByType) return { subscribeTo: '/temp-queue/nestjs-replies', replyTo: '/temp-queue/nestjs-replies' };
    const name = `${ARTEMIS_REPLY_PREFIX}${randomUUID()}`;
    return { subscribeTo: `/queue/${name}`, replyTo: name };
  }

  /**
   * A `reply-to` that only its requester reads: a temporary destination on Classic (which arrives
   * as `/remote-temp-queue/…`), or on Artemis a reply queue of this transport's clients.
   */
  isPrivateReplyTo(replyTo: string): boolean {
    if (TEMPORARY.test(replyTo)) return true;
    return this.routesByType && ARTEMIS_REPLY_QUEUE.test(replyTo);
  }
}

/** The name prefix of the Artemis reply queues; a random UUID follows. */
const ARTEMIS_REPLY_PREFIX = 'nestjs.replies.';
const ARTEMIS_REPLY_QUEUE = /^(\/queue\/)?nestjs\.replies\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Classic's temporary destinations, as a requester writes them and as a consumer receives them. */
const TEMPORARY = /^\/(remote-)?temp-(queue|topic)\/./;

/**
 * A transport destination as an Artemis address and routing type. A bare name (a requester's
 * `reply-to`) keeps the routing type of the address it names, except this transport's reply
 * queues, which are anycast.
 */
function routed(destination: string): { name: string; type: 'ANYCAST' | 'MULTICAST' | undefined } {
  if (destination.startsWith('/queue/')) return { name: destination.slice('/queue/'.length), type: 'ANYCAST' };
  if (destination.startsWith('/topic/')) return { name: destination.slice('/topic/'.length), type: 'MULTICAST' };
  return { name: destination, type: ARTEMIS_REPLY_QUEUE.test(destination) ? 'ANYCAST' : undefined };
}
