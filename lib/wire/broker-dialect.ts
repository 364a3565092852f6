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

  /**
   * What stays the same across deliveries of one message, from its `message-id`: the whole
   * header on Classic, which keeps it across redeliveries; on Artemis the part after the comma,
   * since Artemis writes `<consumer>,<message>` (measured on 2.40: a message delivered as `27,24`
   * comes back as `32,24` to the subscription of the next connection).
   */
  messageIdentity(messageId: string): string {
    if (!this.routesByType) return messageId;
    const comma = messageId.indexOf(',');
    return comma < 0 ? messageId : messageId.slice(comma + 1);
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
    if (!this.routesByType) {
      // Classic's scheduler reads a delay, not a time (its "Delay and Schedule Message Delivery" page): the time left, now.
      const time = headers['AMQ_SCHEDULED_TIME'];
      if (time !== undefined) {
        headers['AMQ_SCHEDULED_DELAY'] = String(Math.max(0, Number(time) - Date.now()));
        delete headers['AMQ_SCHEDULED_TIME'];
      }
      return;
    }
    const destination = headers['destination'] ?? '';
    if (destination.includes(',') && /^\/(queue|topic)\/[^,]*,/.test(destination)) {
      throw new InvalidOptionError(
        'pattern',
        `${destination} is a composite destination, which ActiveMQ Artemis does not have over STOMP: send to each destination, or give the address a divert in the broker's configuration`,
      );
    }
    for (const header of CLASSIC_ONLY_SCHEDULING) {
      if (headers[header] !== undefined) {
        throw new InvalidOptionError(
          header,
          `${header} (setSchedule(), setCron()) is ActiveMQ Classic's scheduler; ActiveMQ Artemis delivers a message once, at a delay or a time (setDeliveryDelay(), setDeliveryTime())`,
        );
      }
    }
    // Artemis' group property; its JMS clients read it as JMSXGroupID.
    const group = headers['JMSXGroupID'];
    if (group !== undefined) {
      headers['_AMQ_GROUP_ID'] = group;
      delete headers['JMSXGroupID'];
      // Artemis passes its group property on to STOMP consumers: no copy is needed.
      delete headers['nestjs-group'];
    }
    const { name, type } = routed(destination);
    headers['destination'] = name;
    if (type) headers['destination-type'] = type;
  }

  /** The SUBSCRIBE destination and headers for `destination` (the transport's) and the subscriber's `headers`. */
  subscription(destination: string, headers: StompHeaders): { destination: string; headers: StompHeaders } {
    if (!this.routesByType) return { destination, headers };
    if (/^\/(queue|topic)\/[^,]*,/.test(destination)) {
      throw new InvalidOptionError('pattern', `${destination} is a composite destination, which ActiveMQ Artemis does not have over STOMP: give each destination a handler`);
    }
    const { name, type } = routed(destination);
    return { destination: artemisWildcards(name), headers: type ? { ...headers, 'subscription-type': type } : headers };
  }

  /**
   * A MESSAGE's headers as the transport names things, in place: on Artemis its `destination` is
   * the bare address, or `address::queue`, and `destination-type` says the routing type, so it is
   * written back as `/queue/x`, `/topic/x` or a consumer group's `/queue/Consumer.…` as on Classic,
   * for handlers that read `ctx.getDestination()` and for what the server sends from it. A
   * consumer group's queue is named by the address alone on its messages, so `subscribed` (the
   * transport's destination of the subscription) names it.
   */
  received(headers: StompHeaders, subscribed?: string): void {
    if (!this.routesByType) return;
    const destination = headers['destination'];
    if (destination === undefined || destination.startsWith('/')) return;
    if (subscribed !== undefined && VIRTUAL_TOPIC_QUEUE.test(subscribed)) {
      headers['destination'] = subscribed;
      return;
    }
    const fqqn = destination.indexOf('::');
    if (fqqn > 0) headers['destination'] = `/queue/${destination.slice(fqqn + 2)}`;
    else if (headers['destination-type'] === 'ANYCAST') headers['destination'] = `/queue/${destination}`;
    else if (headers['destination-type'] === 'MULTICAST') headers['destination'] = `/topic/${destination}`;
  }

  /**
   * The SUBSCRIBE header that limits what the broker pushes ahead of acknowledgements: Classic
   * counts messages (`activemq.prefetchSize`, from the server's `prefetch`), Artemis bytes
   * (`consumer-window-size`, ARTEMIS-589; -1 for no limit). A limit in the other broker's unit is
   * refused rather than dropped.
   *
   * One message is the exception, as both brokers can say it: Artemis hands a subscriber a message
   * while its credit is above zero and takes the message's size off it, giving the size back on
   * the ACK (the Artemis documentation's "Flow Control" page), so a window of 1 byte holds exactly
   * one unacknowledged message, as `activemq.prefetchSize:1` does. Prefetch 1, given or defaulted
   * from `concurrency: 1`, is therefore `consumer-window-size:1` there; any other message count is
   * refused, and without a limit Artemis keeps its default window.
   */
  flowControl(limits: { readonly prefetch: number; readonly prefetchGiven: boolean; readonly consumerWindowSize: number | undefined }): StompHeaders {
    if (this.routesByType) {
      if (limits.consumerWindowSize !== undefined) {
        if (limits.prefetchGiven) throw new InvalidOptionError('prefetch', 'give prefetch or consumerWindowSize, not both');
        return { 'consumer-window-size': String(limits.consumerWindowSize) };
      }
      if (limits.prefetch === 1) return { 'consumer-window-size': '1' };
      if (limits.prefetchGiven) {
        throw new InvalidOptionError(
          'prefetch',
          `prefetch ${limits.prefetch} counts messages, which ActiveMQ Artemis cannot limit for a STOMP subscriber beyond one (prefetch 1): it counts bytes; give consumerWindowSize (bytes, -1 for no limit) instead`,
        );
      }
      return {};
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
    // `queue://`: Artemis' JMS client reads a JMSReplyTo without a prefix as a topic, and then
    // cannot send to this anycast queue (measured on 2.40: InvalidDestinationException).
    return { subscribeTo: `/queue/${name}`, replyTo: `queue://${name}` };
  }

  /**
   * A `reply-to` that only its requester reads: a temporary destination on Classic (which arrives
   * as `/remote-temp-queue/…`), or on Artemis a reply queue of this transport's clients.
   */
  isPrivateReplyTo(replyTo: string): boolean {
    if (TEMPORARY.test(replyTo)) return true;
    return this.routesByType && (ARTEMIS_REPLY_QUEUE.test(replyTo) || ARTEMIS_JMS_TEMPORARY.test(replyTo));
  }
}

/** Classic's repeating schedules, which Artemis has no equivalent of. */
const CLASSIC_ONLY_SCHEDULING = ['AMQ_SCHEDULED_PERIOD', 'AMQ_SCHEDULED_REPEAT', 'AMQ_SCHEDULED_CRON'];

/**
 * A name with Classic's wildcards as Artemis' default wildcard syntax writes them: the same `.`
 * and `*`, and `#` for Classic's `>` (the Artemis documentation, "Wildcard Syntax").
 */
function artemisWildcards(name: string): string {
  if (!name.includes('>')) return name;
  return name
    .split('.')
    .map((element) => (element === '>' ? '#' : element))
    .join('.');
}

/** The name prefix of the Artemis reply queues; a random UUID follows. */
const ARTEMIS_REPLY_PREFIX = 'nestjs.replies.';
const ARTEMIS_REPLY_QUEUE = /^(\/queue\/|queue:\/\/)?nestjs\.replies\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * A temporary queue or topic of Artemis' JMS client as its JMSReplyTo reaches a STOMP consumer:
 * `temp-queue://` and the address, a UUID only its connection reads.
 */
const ARTEMIS_JMS_TEMPORARY = /^temp-(queue|topic):\/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The destination prefixes of Artemis' JMS client (in JMSReplyTo): the address follows. */
const ARTEMIS_JMS_PREFIX = /^(queue|topic|temp-queue|temp-topic):\/\/(.+)$/;
/**
 * A consumer group's queue of a virtual topic, as Classic names it (`Consumer.<group>.VirtualTopic.X`).
 * On Artemis it is that queue on the multicast address `VirtualTopic.X`, written as a fully
 * qualified queue name, `VirtualTopic.X::Consumer.<group>.VirtualTopic.X` (the Artemis
 * documentation's "Address Model", fully qualified queue names, and its OpenWire page on virtual
 * topics, which maps Classic's consumer queues the same way): every group gets its own copy of
 * each message sent to the topic, and the members of one group share theirs.
 */
const VIRTUAL_TOPIC_QUEUE = /^\/queue\/(Consumer\.[A-Za-z0-9_-]+\.(VirtualTopic\..+))$/;
/** Classic's temporary destinations, as a requester writes them and as a consumer receives them. */
const TEMPORARY = /^\/(remote-)?temp-(queue|topic)\/./;

/**
 * A transport destination as an Artemis address and routing type. A bare name (a requester's
 * `reply-to`) keeps the routing type of the address it names, except this transport's reply
 * queues, which are anycast.
 */
function routed(destination: string): { name: string; type: 'ANYCAST' | 'MULTICAST' | undefined } {
  const group = VIRTUAL_TOPIC_QUEUE.exec(destination);
  if (group) return { name: `${group[2]!}::${group[1]!}`, type: 'MULTICAST' };
  if (destination.startsWith('/queue/')) return { name: destination.slice('/queue/'.length), type: 'ANYCAST' };
  if (destination.startsWith('/topic/')) return { name: destination.slice('/topic/'.length), type: 'MULTICAST' };
  const jms = ARTEMIS_JMS_PREFIX.exec(destination);
  if (jms) return { name: jms[2]!, type: jms[1]!.endsWith('queue') ? 'ANYCAST' : 'MULTICAST' };
  return { name: destination, type: ARTEMIS_REPLY_QUEUE.test(destination) ? 'ANYCAST' : undefined };
}
