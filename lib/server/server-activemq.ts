import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler, type WritePacket } from '@nestjs/microservices';
import { lastValueFrom, type Observable } from 'rxjs';
import { checkConsumerGroup, subscriptionOf } from '../wire/destinations.js';
import { ActiveMQStatus, ActiveMQTransport, type ActiveMQEvents } from '../events/activemq.events.js';
import type { ActiveMQServerMetrics } from '../observability/metrics.js';
import { checkTracingOption, loadTracing, type MessageTracing } from '../observability/message-tracing.js';
import { bodyAsIsDeserializer, bodyOnlySerializer, type ActiveMQDeserializer, type ActiveMQSerializer } from '../wire/serializers.js';
import { decodePayload, PayloadDecodeError } from '../wire/payload-codec.js';
import type { StompConnection } from '../connection/stomp-connection.js';
import { ConnectionSupervisor, type SupervisedRole } from '../connection/supervisor.js';
import { withTimeout } from '../internal/with-timeout.js';
import { reconnectPolicyOf } from '../config/reconnect-policy.js';
import { StompBrokerError, StompConnectionClosedError } from '../stomp/errors.js';
import { InvalidOptionError } from '../errors/activemq-error.js';
import { SubscriptionRefusedError } from './subscription-refused-error.js';
import type { StompFrame } from '../stomp/frame.js';
import { connectInProcess } from '../broker/index.js';
import { resolveSettings, type ActiveMQConnectionSettings, type ResolvedSettings } from '../config/resolve-settings.js';
import { MESSAGE_ID_HEADER } from '../wire/headers.js';
import { ActiveMQContext } from './activemq.context.js';
import { ConcurrencyGate, type GateTask } from './concurrency-gate.js';
import { describeFailure } from './failure-description.js';
import { RecentMap } from './recent-map.js';
import { checkAllowedReplyTo, ReplyDestinations } from './reply-destinations.js';
import { MessageSettlement, type SettlementOutcome } from './settlement.js';
import { RedeliveryAccounting } from './redelivery-accounting.js';
import { deliveriesOf, redeliveryPolicyOf, rejectByResend, resendPlan, type RedeliveryOptions, type RedeliveryPolicy } from './resend-redelivery.js';
import { errorToWire, Replier } from './replier.js';
import { RunningMessages, type RunOutcome } from './running-messages.js';
import { check } from '../internal/validation.js';
import { BrokerDialect } from '../wire/broker-dialect.js';
import { consumerHeaders, durableRemovalHeaders, refuseQueueWildcardOnArtemis } from '../wire/consumer-features.js';
import { groupOf } from '../wire/headers.js';
import type { StompSubscription } from '../connection/stomp-connection.js';
import { handlerSettingsOf, type HandlerSettings } from './handler-options.js';
import { GroupSequencer } from './group-sequencer.js';
import { ActiveMQTransaction } from '../producer/transaction.js';
import { TransactionScope, sendContext } from '../producer/send-context.js';
import { SendInDoubtError } from '../producer/errors.js';
import { buildOutgoingMessage, recordOptionsOf } from '../producer/outgoing-message.js';
import { resolveSendMode } from '../producer/send-mode.js';
import { checkFrameLimits } from '../stomp/encoder.js';
import { TransactionalSettlement, TransactionCounters } from './transactional-settlement.js';

/** Options of {@link ServerActiveMQ}. */
export interface ActiveMQServerOptions extends ActiveMQConnectionSettings {
  /**
   * Messages the broker may push to each subscription before acks (`activemq.prefetchSize`).
   * Default: `concurrency`, as messages prefetched beyond what can run only wait here while
   * another instance could run them (and, measured, stall request/reply on a broker with Nagle on).
   * ActiveMQ Artemis can say only 1 in messages (a 1-byte `consumer-window-size`); a larger
   * `prefetch` is refused there, and the default with `concurrency` above 1 is Artemis' own window.
   */
  readonly prefetch?: number;
  /**
   * ActiveMQ Artemis only: bytes of messages the broker may push to each subscription before
   * acknowledgements (`consumer-window-size`; -1 for no limit). Artemis counts a STOMP subscriber's
   * window in bytes, so `prefetch` above 1 is refused there, and this is refused on Classic.
   * Default: the broker's (the acceptor's `stompConsumerCredits`, 10240 bytes).
   */
  readonly consumerWindowSize?: number;
  /**
   * Handlers in flight per subscription. Default 16; 1 keeps a queue's order. The limit holds
   * across reconnections: handlers still running from a lost connection count against it.
   */
  readonly concurrency?: number;
  /** `'auto-after-handler'` (default): ACK when the handler completes, NACK when it fails. `'manual'`: `ctx.ack()` / `ctx.nack()`. */
  readonly ackMode?: 'auto-after-handler' | 'manual';
  /** Virtual topics (`VirtualTopic.X`) are consumed from `Consumer.<consumerGroup>.VirtualTopic.X`. */
  readonly consumerGroup?: string;
  /** Binds this server to handlers declared with this transport id. Default {@link ActiveMQTransport}. */
  readonly transportId?: symbol;
  /** Milliseconds `close()` waits for handlers in flight. Default 10000. */
  readonly closeTimeout?: number;
  /** Turns a reply value into the body sent back. Default: the value itself. */
  readonly serializer?: ActiveMQSerializer;
  /** Turns a decoded body into the handler's data. Default: the body itself. */
  readonly deserializer?: ActiveMQDeserializer;
  /**
   * Remember the `nestjsMessageId` of this many handled messages and acknowledge a message whose id
   * was handled already without running its handler again: the duplicates a re-send after a lost
   * connection can produce (ActiveMQ Classic does not deduplicate STOMP sends). Default 0: off.
   * Apart from it, a message delivered again while its handler still runs (after a reconnection)
   * always waits for that run and is then acknowledged or rejected as that run settled it.
   */
  readonly dedupeWindow?: number;
  /**
   * Handlers run inside a consumer span whose parent is the trace context the message carries
   * (`traceparent`), through `@opentelemetry/api` when it is installed. Default true.
   */
  readonly tracing?: boolean;
  /**
   * Destinations besides temporary ones that replies may go to, e.g. `['/queue/replies.*']`
   * (ActiveMQ's wildcards: `*` one name segment, `>` the segments left). A request whose
   * `reply-to` is neither a temporary destination (`/temp-queue/…`, `/remote-temp-queue/…`,
   * `/temp-topic/…`, `/remote-temp-topic/…`, where `ClientActiveMQ` and JMS requesters get their
   * replies) nor one of these is refused: its handler does not run, it is rejected (towards the
   * DLQ), and one warning names it. Otherwise anyone who may send a request could make the service
   * write its answers, with the service's credentials, into another application's queue. Default: none.
   */
  readonly allowedReplyTo?: readonly string[];
  /**
   * The broker's `maximumRedeliveries`, so that the log can say which rejection sends a message to
   * the DLQ: ActiveMQ Classic tells a STOMP consumer that a message is redelivered, not how many
   * times. The server counts the deliveries it saw of each message (the last 10000 messages) from
   * the first one on; a delivery another consumer got is not counted, so the "last time" line can
   * be missing, never early. 0 when every rejection is final (a broker without redelivery policy
   * dead-letters a NACKed message at once). Default: unknown, and each rejection says that the
   * broker redelivers the message or, past its maximum, dead-letters it.
   */
  readonly brokerMaxRedeliveries?: number;
  /**
   * ActiveMQ Artemis only: the server's own redelivery of rejected messages. Artemis discards a
   * message its STOMP consumer NACKs (it takes a NACK as an ACK), so there the server sends a
   * rejected message back to its queue itself, `delay` ms later (`AMQ_SCHEDULED_DELAY`), counting
   * its deliveries (`nestjs-delivery-count`), and after `maxRedeliveries` to `deadLetterQueue`
   * (with `nestjs-original-destination`). Defaults: Artemis' own for an address without settings,
   * `maxRedeliveries` 9 (or `brokerMaxRedeliveries`), `delay` 0, and `deadLetterQueue` `DLQ`.
   * Refused on ActiveMQ Classic, whose broker redelivers by its own `redeliveryPolicy`.
   */
  readonly redelivery?: RedeliveryOptions;
}

const SERVER_KEYS = [
  'prefetch',
  'consumerWindowSize',
  'concurrency',
  'ackMode',
  'consumerGroup',
  'transportId',
  'closeTimeout',
  'serializer',
  'deserializer',
  'dedupeWindow',
  'tracing',
  'allowedReplyTo',
  'brokerMaxRedeliveries',
  'redelivery',
];
const NO_HANDLER = 'There is no matching message handler defined in the remote service.';
/** Messages remembered as poison (logged once, their redeliveries rejected quietly), and delivery counts kept. */
const MESSAGE_MEMORY = 10_000;
/** A held repeat's first run outlived the repeat's own connection. */
const CONNECTION_LOST: unique symbol = Symbol('connection lost');

interface Consumer {
  readonly pattern: string;
  /** Where it consumes (`/queue/…`, `/topic/…`, a consumer group's queue). */
  readonly destination: string;
  /** The handler's own options (its decorator's extras), checked at start. */
  readonly settings: HandlerSettings;
  /** The handler settles its messages itself (`ackMode: 'manual'`, its own or the server's). */
  readonly manualAck: boolean;
  /** One per pattern for the server's life, so that `concurrency` holds across reconnections. */
  readonly gate: ConcurrencyGate;
  /** Keeps each message group's messages one at a time, in order, in front of the gate. */
  readonly groups: GroupSequencer;
  /** The subscription on the current connection. */
  subscription?: StompSubscription;
  /** Its durable subscription was removed (`unsubscribeDurable()`): not subscribed again, reconnections included. */
  removed?: boolean;
  /** Handlers running, by the connection their message came on. */
  readonly runsOn: Map<StompConnection, number>;
  /**
   * The pattern's handler, looked up once: Nest's lookup tries `JSON.parse` on the pattern and
   * throws for every plain string, a cost paid on each message otherwise.
   */
  handler?: MessageHandler;
}

/** One delivery as it arrived: where from, for which pattern, and its count among the deliveries of the message seen here. */
interface Delivery {
  readonly connection: StompConnection;
  readonly consumer: Consumer;
  readonly message: StompFrame;
  /** 1 for the first delivery; undefined when unknown (see `brokerMaxRedeliveries`). */
  readonly count: number | undefined;
  readonly messageId: string;
}

/**
 * Where a server's handlers on providers come from (`@ActiveMQHandlers()`, bound by
 * `MessagingModule`): one per app, told apart by `key`.
 *
 * @internal
 */
export interface ProviderHandlerSource {
  readonly key: object;
}

/**
 * A Nest microservice strategy for ActiveMQ: one subscription per `@MessagePattern` /
 * `@EventPattern`, handlers run at most `concurrency` at a time per subscription, and each
 * message is acknowledged after its handler completes (or rejected when it fails).
 *
 * ```ts
 * app.connectMicroservice({ strategy: new ServerActiveMQ({ uri }) });
 * ```
 */
export class ServerActiveMQ extends Server<ActiveMQEvents, ActiveMQStatus> implements CustomTransportStrategy {
  protected override readonly logger = new Logger(ServerActiveMQ.name);
  private readonly settings: ResolvedSettings;
  private readonly consumers = new Map<string, Consumer>();
  private readonly prefetch: number;
  /** What limits a subscriber, in both brokers' units (see `BrokerDialect.flowControl`). */
  private readonly flowLimits: { readonly prefetch: number; readonly prefetchGiven: boolean; readonly consumerWindowSize: number | undefined };
  private readonly counters = { received: 0, redelivered: 0, acknowledged: 0, rejected: 0, handlerFailures: 0 };
  /** Transactional handlers' transactions. */
  private readonly transactions = new TransactionCounters();
  /** Binders of provider handlers, one per app (see `addProviderHandlerSource`), and those already run. */
  private readonly providerHandlerSources = new Map<object, (server: this) => number>();
  private readonly providerHandlersBound = new Set<object>();
  /** Turns what a transactional handler sends (`ctx.emit()`) into a body; the reply serializer. */
  private readonly emitSerializer: ActiveMQSerializer;
  private currentStatus: ActiveMQStatus = ActiveMQStatus.DISCONNECTED;
  private tracing: MessageTracing | undefined;
  private readonly concurrency: number;
  private readonly manualAck: boolean;
  private readonly replier: Replier;
  private readonly bodyDeserializer: ActiveMQDeserializer;
  private readonly replyDestinations: ReplyDestinations;
  /** What the log can say of a message's redeliveries (with `brokerMaxRedeliveries`). */
  private readonly redeliveries: RedeliveryAccounting;
  /** The server's own redelivery, on Artemis (`redelivery`). */
  private readonly redeliveryPolicy: RedeliveryPolicy;
  /** The connection's life: start-up, reconnection, the move back to the primary, status, events. */
  private readonly supervisor: ConnectionSupervisor;
  /**
   * While the server listens on an in-process broker (`vm://`, the default without a URI): a timer
   * that keeps Node running. Over TCP the connection's socket does that; an in-process pipe holds
   * nothing open, so a microservice-only app would exit as soon as `listen()` had resolved.
   */
  private keepAlive: NodeJS.Timeout | undefined;
  /** Ids of handled messages (bounded by `dedupeWindow`). */
  private readonly handledIds: RecentMap<true>;
  private readonly dedupeWindow: number;
  /** Each connection's broker dialect (from its CONNECTED frame). */
  private readonly dialects = new WeakMap<StompConnection, BrokerDialect>();
  /** The messages whose handler runs now: a delivery of one of them meanwhile waits for that run. */
  private readonly running = new RunningMessages();
  /** Messages rejected unhandled (undecodable, oversize, refused reply-to): logged once, their redeliveries quietly. */
  private readonly poisonIds = new RecentMap<true>(MESSAGE_MEMORY);

  /** With `blockOnAcknowledge`, each ACK/NACK waits for the broker's receipt, up to `callTimeout`. */
  private get blockOnAcknowledgeMs(): number {
    return this.settings.options.blockOnAcknowledge ? (this.settings.options.callTimeout ?? 30_000) : 0;
  }

  /** Checks the options and the URI at once (an unknown or invalid one throws); connects on `listen()`. */
  constructor(private readonly options: ActiveMQServerOptions = {}) {
    super();
    this.settings = resolveSettings(options, SERVER_KEYS, 'ServerActiveMQ', connectInProcess);
    this._status$.subscribe((status) => (this.currentStatus = status));
    this.transportId = options.transportId ?? ActiveMQTransport;
    // This server awaits each event handler and logs its failure itself: Nest need not log it too.
    // (Set, not declared: Nest 11's Server has no such field.)
    Reflect.set(this, 'propagatesEventHandlerErrors', true);
    checkTracingOption(options.tracing);
    this.concurrency = check.wholeNumber('concurrency', options.concurrency ?? 16);
    this.prefetch = check.wholeNumber('prefetch', options.prefetch ?? this.settings.options.prefetchSize ?? this.concurrency);
    this.flowLimits = {
      prefetch: this.prefetch,
      prefetchGiven: options.prefetch !== undefined || this.settings.options.prefetchSize !== undefined,
      consumerWindowSize: options.consumerWindowSize === undefined ? undefined : check.wholeNumber('consumerWindowSize', options.consumerWindowSize, { min: -1 }),
    };
    this.manualAck = check.oneOf('ackMode', options.ackMode ?? 'auto-after-handler', ['auto-after-handler', 'manual'] as const) === 'manual';
    this.dedupeWindow = check.wholeNumber('dedupeWindow', options.dedupeWindow ?? 0, { min: 0 });
    this.handledIds = new RecentMap(this.dedupeWindow);
    // The broker's maximumRedeliveries.
    const brokerMaxRedeliveries = options.brokerMaxRedeliveries === undefined ? undefined : check.wholeNumber('brokerMaxRedeliveries', options.brokerMaxRedeliveries, { min: 0 });
    this.redeliveries = new RedeliveryAccounting(brokerMaxRedeliveries, MESSAGE_MEMORY);
    this.redeliveryPolicy = redeliveryPolicyOf(options.redelivery, brokerMaxRedeliveries);
    this.replyDestinations = new ReplyDestinations(checkAllowedReplyTo(options.allowedReplyTo));
    this.replier = new Replier(options.serializer ?? bodyOnlySerializer, (request, replyTo, error) =>
      this.logger.warn(`reply to ${replyTo} for message ${request.headers['message-id'] ?? ''} not delivered: ${errorMessage(error)}`),
    );
    this.bodyDeserializer = options.deserializer ?? bodyAsIsDeserializer;
    this.emitSerializer = options.serializer ?? bodyOnlySerializer;
    if (options.consumerGroup !== undefined) checkConsumerGroup(options.consumerGroup);
    this.supervisor = new ConnectionSupervisor({
      brokers: this.settings.brokers,
      startup: this.settings.startup,
      reconnect: reconnectPolicyOf(this.settings.options),
      logger: this.logger,
      status: (status) => this._status$.next(status),
      role: this.roleOf(),
    });
  }

  /** Connects and subscribes one consumer per handler pattern; `callback(error)` if that fails. */
  listen(callback: (error?: unknown, ...info: unknown[]) => void): void {
    this.start().then(
      () => {
        if (this.settings.parsed.endpoints.some((endpoint) => endpoint.scheme === 'vm')) this.keepAlive ??= setInterval(() => undefined, 2 ** 30);
        callback();
      },
      (error: unknown) => callback(error),
    );
  }

  /** Stops taking messages, waits (up to `closeTimeout`) for handlers in flight, then disconnects. */
  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    await this.supervisor.close(async () => {
      this.stopTaking();
      await this.drainHandlers(this.options.closeTimeout ?? 10_000);
    });
  }

  /** Waits up to `timeout` ms for the handlers in flight. */
  private async drainHandlers(timeout: number): Promise<void> {
    const drained = Promise.all([...this.consumers.values()].map((c) => c.gate.idle()));
    if ((await withTimeout(drained, timeout, () => 'timeout' as const)) === 'timeout') {
      this.logger.warn(`closing with handlers still running after ${timeout} ms; their messages will be redelivered`);
    }
  }

  on<K extends keyof ActiveMQEvents>(event: K, callback: ActiveMQEvents[K]): void {
    this.supervisor.on(event, callback);
  }

  /** The STOMP connection. Throws before `listen()`. */
  unwrap<T = StompConnection>(): T {
    const connection = this.supervisor.connection;
    if (!connection) throw new Error('Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.');
    return connection as T;
  }

  /** The connection's state now (`status` reports its changes). */
  get connectionStatus(): ActiveMQStatus {
    return this.currentStatus;
  }

  /** Counters since this server was created, and the handlers running now. */
  metrics(): ActiveMQServerMetrics {
    return {
      status: this.currentStatus,
      ...this.counters,
      reconnections: this.supervisor.reconnections,
      inFlight: this.inFlight(),
      transactions: this.transactions.snapshot(),
    };
  }

  private inFlight(): number {
    let sum = 0;
    for (const consumer of this.consumers.values()) sum += consumer.gate.running;
    return sum;
  }

  /** Drops the messages waiting for a handler (unacknowledged: the broker redelivers them); those running go on. */
  private stopTaking(): void {
    for (const consumer of this.consumers.values()) {
      consumer.gate.stop();
      consumer.groups.clear();
    }
  }

  /**
   * Takes a way to bind an app's provider handlers (`@ActiveMQHandlers()`); called by
   * `MessagingModule` for each server of its app. They are bound when the server starts, before
   * its consumers are made.
   *
   * @internal
   */
  addProviderHandlerSource(source: ProviderHandlerSource, bind: (server: this) => number): void {
    if (!this.providerHandlerSources.has(source.key)) this.providerHandlerSources.set(source.key, bind);
  }

  private bindProviderHandlers(): void {
    for (const [key, bind] of this.providerHandlerSources) {
      if (this.providerHandlersBound.has(key)) continue;
      this.providerHandlersBound.add(key);
      const providers = bind(this);
      if (providers > 0) this.logger.debug?.(`handlers of ${providers} provider${providers === 1 ? '' : 's'} marked @ActiveMQHandlers() bound`);
    }
  }

  private async start(): Promise<void> {
    this.bindProviderHandlers();
    this.createConsumers();
    this.tracing = await loadTracing(this.options.tracing);
    // close() during the start is what was asked for, not a failure of listen().
    await this.supervisor.connect().catch((error: unknown) => {
      if (!this.supervisor.isClosing) throw error;
    });
  }

  /** What this server does at the supervisor's joints. */
  private roleOf(): SupervisedRole {
    return {
      prepare: async (connection) => {
        // CONNECTED named the broker: how it reads destinations and limits a subscriber.
        const dialect = BrokerDialect.of(connection.server);
        if (this.options.redelivery !== undefined && !dialect.routesByType) {
          throw new InvalidOptionError(
            'redelivery',
            `redelivery is the server's own redelivery on ActiveMQ Artemis, whose STOMP NACK discards a message; ${connection.server ?? 'this broker'} redelivers a NACKed message itself: configure ${dialect.family === 'embedded' ? 'the embedded broker’s redelivery settings' : 'its redeliveryPolicy'} (and brokerMaxRedeliveries here, for the log)`,
          );
        }
        const transactional = [...this.consumers.values()].find((c) => c.settings.transactional);
        if (transactional && dialect.routesByType) {
          throw new InvalidOptionError(
            'transactional',
            `@Pattern('${transactional.pattern}').transactional needs a broker that applies a transacted ACK at COMMIT; ActiveMQ Artemis (${connection.server}) applies a STOMP ACK at once whatever its transaction header (its STOMP documentation), so the input and the handler's sends could not commit together: run this handler without transactional (at-least-once, with dedupeWindow), or on ActiveMQ Classic or the embedded broker`,
          );
        }
        connection.routing = dialect;
        this.dialects.set(connection, dialect);
        for (const consumer of this.consumers.values()) if (!consumer.removed) await this.subscribe(connection, consumer);
      },
      drainBackup: async () => {
        this.stopTaking();
        await this.drainHandlers(this.options.closeTimeout ?? 10_000);
      },
      lost: () => this.stopTaking(),
      gaveUp: () => undefined,
      // Handlers in flight on the lost connection cannot ack: the broker redelivers their messages.
      lossDetail: () => {
        const running = this.inFlight();
        return running === 0 ? '' : `; ${running} handler${running === 1 ? '' : 's'} still running (the broker redelivers their messages)`;
      },
      reconnectedDetail: () => `; consuming ${this.messageHandlers.size} subscriptions again`,
      afterGivingUp: 'the server consumes no more',
    };
  }

  private dialectOf(connection: StompConnection): BrokerDialect {
    return this.dialects.get(connection) ?? BrokerDialect.classic;
  }

  /**
   * One consumer per handler pattern, with the handler's options checked (an unknown or invalid
   * one fails `listen()`, naming the pattern); kept for the server's life.
   */
  private createConsumers(): void {
    const clientId = this.settings.options.clientId;
    for (const [pattern, handler] of this.messageHandlers) {
      if (this.consumers.has(pattern)) continue;
      const destination = subscriptionOf(pattern, this.options.consumerGroup);
      const settings = handlerSettingsOf(pattern, destination, handler.extras, { clientId });
      const gate = new ConcurrencyGate(settings.concurrency ?? this.concurrency);
      const manualAck = settings.ackMode === undefined ? this.manualAck : settings.ackMode === 'manual';
      if (settings.transactional && manualAck) {
        throw new InvalidOptionError(
          'transactional',
          `@Pattern('${pattern}').transactional: the handler's transaction acknowledges its message at COMMIT; the server's ackMode 'manual' cannot apply (give the handler ackMode 'auto-after-handler')`,
        );
      }
      if (settings.onError !== undefined && (manualAck || !handler.isEventHandler)) {
        const why = manualAck
          ? "with ackMode 'manual' the handler settles its messages itself"
          : 'a request handler’s failure is replied to its requester, and the request acknowledged';
        throw new InvalidOptionError('onError', `@Pattern('${pattern}').onError applies to event handlers the server settles: ${why}`);
      }
      this.consumers.set(pattern, { pattern, destination, settings, manualAck, gate, groups: new GroupSequencer((task) => gate.run(task)), runsOn: new Map() });
    }
  }

  /** What limits the handler's subscription: its own `prefetch` / `consumerWindowSize` / `concurrency`, else the server's. */
  private flowLimitsOf(settings: HandlerSettings): { readonly prefetch: number; readonly prefetchGiven: boolean; readonly consumerWindowSize: number | undefined } {
    if (settings.consumerWindowSize !== undefined)
      return { prefetch: this.prefetch, prefetchGiven: settings.prefetch !== undefined, consumerWindowSize: settings.consumerWindowSize };
    if (settings.prefetch !== undefined) return { prefetch: settings.prefetch, prefetchGiven: true, consumerWindowSize: undefined };
    // The default prefetch follows concurrency, the handler's own if it has one.
    if (settings.concurrency !== undefined && !this.flowLimits.prefetchGiven && this.flowLimits.consumerWindowSize === undefined) {
      return { prefetch: settings.concurrency, prefetchGiven: false, consumerWindowSize: undefined };
    }
    return this.flowLimits;
  }

  private async subscribe(connection: StompConnection, consumer: Consumer): Promise<void> {
    consumer.gate.reopen();
    const { pattern, destination, settings } = consumer;
    const dialect = this.dialectOf(connection);
    const where = `@Pattern('${pattern}')`;
    // What the broker cannot give at all is said before how much it may push.
    refuseQueueWildcardOnArtemis(dialect, destination, where);
    const features = consumerHeaders(dialect, settings, where);
    const headers = { ...dialect.flowControl(this.flowLimitsOf(settings)), ...features };
    try {
      consumer.subscription = await connection.subscribe(destination, (message) => this.receive(connection, consumer, destination, message, false), {
        ack: 'client-individual',
        headers,
        onOversize: (message) => this.receive(connection, consumer, destination, message, true),
      });
    } catch (error) {
      if (!(error instanceof StompBrokerError)) throw error;
      // The broker's own words (a selector it does not take, a client id in use), with the handler they are about.
      throw new SubscriptionRefusedError(pattern, destination, error);
    }
    this.logger.debug?.(`consuming ${destination} for '${pattern}'`);
  }

  /**
   * Removes the durable subscription `name` of this server's `clientId` and the messages it holds,
   * as JMS `Session.unsubscribe(name)` does: events published afterwards are kept for nobody.
   * `name` need not be declared by a handler of this server (a subscription whose handler was
   * removed from the code can be removed too). If a handler declares it, that handler's
   * consumption of it stops first, and the server consumes that pattern no more until it is
   * started again. Needs the server's `clientId` and a connection (after `listen()`).
   *
   * Sent as an UNSUBSCRIBE naming the subscription: `activemq.subscriptionName` on ActiveMQ
   * Classic and the embedded broker (with the CONNECT `client-id`; ActiveMQ's STOMP page), whose
   * topic is not needed; `durable-subscription-name` on Artemis, which removes the queue
   * `<clientId>.<name>` (its STOMP page, "Durable Subscriptions"). A name the broker does not know
   * is its error on Classic and the embedded broker; Artemis confirms it.
   */
  async unsubscribeDurable(name: string): Promise<void> {
    check.name('unsubscribeDurable(name)', name, 'a durable subscription name');
    if (this.settings.options.clientId === undefined) {
      throw new InvalidOptionError(
        'clientId',
        `unsubscribeDurable('${name}') needs the server's clientId: a durable subscription belongs to a client id (ServerActiveMQ({ clientId }))`,
      );
    }
    const connection = this.unwrap();
    const consumer = [...this.consumers.values()].find((c) => c.settings.durable === name);
    if (consumer) {
      consumer.removed = true;
      consumer.gate.stop();
      consumer.groups.clear();
      // The handlers still running settle first: an ACK after the UNSUBSCRIBE is an error to Artemis (AMQ339018).
      await consumer.gate.idle();
      await consumer.subscription?.unsubscribe();
      consumer.subscription = undefined;
    }
    // Detached, the subscription can be removed: an UNSUBSCRIBE naming it (Classic needs it inactive).
    await connection.unsubscribeDurable(consumer?.destination, durableRemovalHeaders(this.dialectOf(connection), name));
    this.logger.log(consumer ? `durable subscription '${name}' of '${consumer.pattern}' removed` : `durable subscription '${name}' removed`);
  }

  /** A MESSAGE of a subscription: to its handler through the gate, unless the same message still runs. */
  private receive(connection: StompConnection, consumer: Consumer, subscribed: string, message: StompFrame, oversize: boolean): void {
    this.counters.received++;
    const dialect = this.dialectOf(connection);
    if (dialect.routesByType) {
      dialect.received(message.headers, subscribed);
      // The server's copy of a rejected message is a redelivery, as the broker's would be.
      if (deliveriesOf(message) > 1) message.headers['redelivered'] = 'true';
    }
    const redelivered = message.headers['redelivered'] === 'true';
    if (redelivered) this.counters.redelivered++;
    const messageId = message.headers['message-id'] ?? '(no message-id)';
    const count = dialect.routesByType ? deliveriesOf(message) : this.redeliveries.count(message);
    const delivery: Delivery = { connection, consumer, message, messageId, count };
    const identity = this.identityOf(connection, message);
    const first = oversize ? undefined : this.running.runOf(consumer.pattern, identity, this.dedupeIdOf(message));
    if (first) {
      this.holdRepeat(delivery, first);
      return;
    }
    this.admit(delivery, oversize ? () => this.rejectOversize(delivery) : (release) => this.handle(delivery, release));
  }

  /** Runs `task` for `delivery` when the pattern has a free handler place. */
  private admit(delivery: Delivery, task: GateTask): void {
    const { consumer, connection } = delivery;
    const counted = async (release: () => void): Promise<void> => {
      consumer.runsOn.set(connection, (consumer.runsOn.get(connection) ?? 0) + 1);
      try {
        await task(release);
      } finally {
        const left = consumer.runsOn.get(connection)! - 1;
        if (left === 0) consumer.runsOn.delete(connection);
        else consumer.runsOn.set(connection, left);
      }
    };
    if (consumer.groups.submit(groupOf(delivery.message.headers), counted) || consumer.gate.running < consumer.gate.limit) return;
    // Worth a line only when handlers of a lost connection hold places: the limit spans reconnections.
    const stale = consumer.gate.running - (consumer.runsOn.get(connection) ?? 0);
    if (stale > 0) {
      this.logger.debug?.(
        `message ${delivery.messageId} waits for a handler place of '${consumer.pattern}': ${stale} of its ${consumer.gate.limit} are still taken by handlers of a lost connection`,
      );
    }
  }

  /** The message's identity across its deliveries (see `BrokerDialect.messageIdentity`). */
  private identityOf(connection: StompConnection, message: StompFrame): string | undefined {
    const messageId = message.headers['message-id'];
    return messageId === undefined ? undefined : this.dialectOf(connection).messageIdentity(messageId);
  }

  private dedupeIdOf(message: StompFrame): string | undefined {
    return this.dedupeWindow > 0 ? message.headers[MESSAGE_ID_HEADER] : undefined;
  }

  /**
   * A delivery of a message whose handler still runs: the broker redelivered it after the
   * connection it first came on was lost, and that run's ACK or NACK went to the dead connection.
   * It waits for the run (not taking a handler place), then is settled as the run settled the
   * first delivery. The wait ends with the run, or with this delivery's own connection (the
   * broker then delivers it again); handlers have no time limit of their own.
   */
  private holdRepeat(delivery: Delivery, first: Promise<RunOutcome>): void {
    const { connection, message, messageId } = delivery;
    this.logger.debug?.(`message ${messageId} is delivered again while its handler still runs: it waits for that run and is settled as that run was`);
    const lost = connection.closed.then((): typeof CONNECTION_LOST => CONNECTION_LOST);
    void Promise.race([first, lost]).then(async (outcome) => {
      if (outcome === CONNECTION_LOST) return;
      if (outcome === undefined || delivery.consumer.settings.transactional) {
        // The run settled nothing (manual acknowledgement), or it was a transactional handler's,
        // whose transaction died with its connection (the broker would not deliver the message
        // again had it committed): this delivery runs as any other.
        this.admit(delivery, (release) => this.handle(delivery, release));
        return;
      }
      this.logger.debug?.(`message ${messageId}: its first run ${outcome === 'ack' ? 'succeeded: acknowledged' : 'failed: rejected'} without running the handler again`);
      await this.settle(this.settlementOf(connection, message), outcome, true);
    });
  }

  /** Runs the handler of `delivery`; `release` gives its concurrency place up early (a transactional handler's, once its COMMIT is written). */
  private async handle(delivery: Delivery, release?: () => void): Promise<void> {
    const { connection, consumer, message, messageId } = delivery;
    const pattern = consumer.pattern;
    const settlement = this.settlementOf(connection, message);
    const context = new ActiveMQContext([message, pattern, settlement, consumer.manualAck]);
    const replyTo = message.headers['reply-to'];
    const canReply = replyTo !== undefined && this.replyDestinations.allows(replyTo, this.dialectOf(connection));
    const handler = (consumer.handler ??= this.getHandlerByPattern(pattern) ?? undefined);
    if (!handler) {
      if (canReply) {
        this.logger.error(`no handler for '${pattern}'; message ${messageId} answered with an error`);
        await this.replier.reply(connection, message, replyTo, { err: NO_HANDLER });
        await this.settle(settlement, 'ack', true);
      } else {
        await this.rejectPoison(delivery, `no handler for '${pattern}'`, 'error');
      }
      return;
    }
    const isRequest = replyTo !== undefined && !handler.isEventHandler;
    if (isRequest && !canReply) {
      const allowed = 'a reply goes only to a temporary destination of the requester or to one of allowedReplyTo';
      await this.rejectPoison(delivery, `its reply-to ${replyTo} is not allowed (${allowed})`, 'warn');
      return;
    }
    const dedupeId = this.dedupeIdOf(message);
    if (dedupeId !== undefined && this.handledIds.has(`${pattern}\0${dedupeId}`)) {
      this.logger.debug?.(`message ${messageId} repeats ${dedupeId}, handled already: acknowledged without running the handler`);
      await this.settle(settlement, 'ack', true);
      return;
    }
    // A copy that waited in the gate while its original ran (both arrived before either started).
    const identity = this.identityOf(connection, message);
    const first = this.running.runOf(pattern, identity, dedupeId);
    if (first) {
      this.holdRepeat(delivery, first);
      return;
    }
    let data: unknown;
    try {
      data = this.bodyDeserializer.deserialize(decodePayload(message), { channel: pattern, headers: message.headers });
    } catch (error) {
      // Never handled, never dropped: rejected towards the DLQ, and the requester told (once).
      const reason = error instanceof PayloadDecodeError ? error.reason : `its body could not be read: ${describeFailure(error)}`;
      const answer = canReply ? () => this.replier.reply(connection, message, replyTo, { err: errorToWire(error) }) : undefined;
      await this.rejectPoison(delivery, reason, 'error', answer);
      return;
    }
    // Marked running at once (before any wait), so that a copy delivered meanwhile waits for this run.
    const finished = this.running.start(pattern, identity, dedupeId);
    let transactional: TransactionalSettlement | undefined;
    try {
      if (consumer.settings.transactional) {
        try {
          transactional = await this.beginHandlerTransaction(connection, consumer, message, settlement, release);
        } catch (error) {
          // BEGIN could not be written: the connection is gone, and the broker redelivers the message.
          this.logger.debug?.(`message ${messageId}: its transaction could not begin (${errorMessage(error)}); the broker will redeliver it`);
          return;
        }
        context.getArgs()[4] = transactional.transaction;
      }
      const handlerTransaction = transactional;
      const inner = isRequest
        ? () => this.runRequest(connection, handler, data, context, settlement, message, replyTo, consumer.manualAck, handlerTransaction)
        : () => this.runEvent(handler, data, context, settlement, delivery, handlerTransaction);
      const scope = handlerTransaction && new TransactionScope(handlerTransaction.transaction);
      const run = scope ? () => sendContext.run({ ...sendContext.getStore(), transactionScope: scope }, inner) : inner;
      const tracing = this.tracing;
      const traced = tracing ? () => tracing.process(message.headers['destination'] ?? pattern, message.headers, run) : run;
      const startHook = this.onProcessingStartHook as ((id: symbol, ctx: ActiveMQContext, done: () => Promise<void>) => unknown) | undefined;
      if (startHook) await startHook.call(this, this.transportId as symbol, context, traced);
      else await traced();
    } finally {
      if (transactional?.transaction.isOpen) {
        // Something around the handler threw or never ran it (a hook, the tracing): its transaction must not stay open.
        await transactional.abort();
        if (settlement.outcome === undefined) await this.settle(settlement, 'nack', true);
      }
      const outcome = transactional ? (transactional.outcome ?? settlement.outcome) : settlement.outcome;
      if (dedupeId !== undefined && outcome === 'ack') this.handledIds.set(`${pattern}\0${dedupeId}`, true);
      finished(outcome);
    }
  }

  /**
   * A body over `maxBodyBytes`: the connection skipped it, keeping none of it. Rejected, so that the broker
   * dead-letters it after its redeliveries, instead of failing the connection (which made the
   * broker deliver it again at once, for ever, and held up every message behind it). On Artemis,
   * which cannot be told to redeliver, the connection is the way (below).
   */
  private async rejectOversize(delivery: Delivery): Promise<void> {
    const { connection, message } = delivery;
    const declared = message.headers['content-length'];
    const size = declared === undefined ? 'its body (without content-length) is' : `its body of ${declared} bytes is`;
    const limit = connection.frameLimits.maxBodyBytes;
    const reason = `${size} over maxBodyBytes (${limit}): skipped, not kept (raise maxBodyBytes to take such messages)`;
    const replyTo = message.headers['reply-to'];
    const error = { name: 'ActiveMQMessageTooLargeError', code: 'MESSAGE_TOO_LARGE', message: `the request is over the server's maxBodyBytes (${limit})` };
    const answer =
      replyTo !== undefined && this.replyDestinations.allows(replyTo, this.dialectOf(connection))
        ? () => this.replier.reply(connection, message, replyTo, { err: error })
        : undefined;
    if (this.dialectOf(connection).routesByType) {
      // Artemis discards what a STOMP consumer NACKs, and the server cannot send on a body it did
      // not keep: the one way left to give the message back is to leave the connection without
      // acknowledging it. Artemis then redelivers it after its redelivery-delay and, past its
      // max-delivery-attempts, moves it to its dead-letter address itself, body intact (the Artemis
      // documentation, "Message Redelivery and Undelivered Messages"); each delivery costs one
      // reconnection, as many as that setting allows.
      const where = message.headers['destination'] ?? delivery.consumer.pattern;
      this.logger.error(
        `message ${delivery.messageId} on ${where} not handled: ${reason}; not acknowledged: the server reconnects so that Artemis redelivers it, and past its max-delivery-attempts moves it to its dead-letter address`,
      );
      // Its requester is told once across the redeliveries.
      const stable = `artemis\0${this.dialectOf(connection).messageIdentity(delivery.messageId)}`;
      if (!this.poisonIds.has(stable)) await answer?.();
      this.poisonIds.set(stable, true);
      connection.destroy(new StompConnectionClosedError(`message ${delivery.messageId} is over maxBodyBytes: given back to Artemis unacknowledged`));
      return;
    }
    await this.rejectPoison(delivery, reason, 'error', answer);
  }

  /**
   * Rejects a message that no delivery can handle (undecodable, oversize, a refused reply-to):
   * the first delivery seen here is logged, and `first` runs for it (the requester's answer);
   * the broker's redeliveries of it are rejected quietly (debug), until it moves it to its DLQ. On
   * Artemis it goes to the DLQ at once.
   */
  private async rejectPoison(delivery: Delivery, reason: string, level: 'error' | 'warn', first?: () => Promise<void>): Promise<void> {
    const { message, messageId, connection } = delivery;
    const where = message.headers['destination'] ?? delivery.consumer.pattern;
    // On Artemis the server redelivers, and a message no delivery can handle goes to the DLQ now.
    const artemis = this.dialectOf(connection).routesByType;
    const known = !artemis && message.headers['message-id'] !== undefined && this.poisonIds.has(messageId);
    if (known) {
      this.logger.debug?.(`message ${messageId} on ${where} not handled again (${reason}); ${this.redeliveries.rejection(delivery.message, delivery.count)}`);
    } else {
      if (!artemis && message.headers['message-id'] !== undefined) this.poisonIds.set(messageId, true);
      const fate = artemis ? resendPlan(message, this.redeliveryPolicy, true).fate : this.redeliveries.poisonRejection(delivery.message, delivery.count);
      this.logger[level](`message ${messageId} on ${where} not handled: ${reason}; ${fate}`);
      await first?.();
    }
    await this.settle(this.settlementOf(connection, message, true), 'nack', true);
  }

  private async runEvent(
    handler: MessageHandler,
    data: unknown,
    context: ActiveMQContext,
    settlement: MessageSettlement,
    delivery: Delivery,
    transactional?: TransactionalSettlement,
  ): Promise<void> {
    try {
      const result: unknown = await handler(data, context);
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      // Every send it started is in the transaction before the COMMIT, or the handling fails.
      const refused = await transactional?.transaction.sendsSettled();
      if (refused !== undefined) throw refused instanceof Error ? refused : new Error(`a send of its transaction failed: ${describeFailure(refused)}`);
    } catch (error) {
      this.counters.handlerFailures++;
      // What it sent vanishes; its message is then settled as any failed handler's, outside the transaction.
      await transactional?.abort();
      const { manualAck, settings } = delivery.consumer;
      const failed = `handler for '${context.getPattern()}' failed on message ${delivery.messageId}: ${describeFailure(error)}`;
      if (manualAck) {
        this.logger.error(`${failed}; not settled by the server (ackMode 'manual')`);
      } else if (settings.onError === 'ack') {
        this.logger.error(`${failed}; acknowledged and dropped (onError 'ack')`);
        await this.settle(settlement, 'ack', true);
      } else if (settings.onError === 'dead-letter') {
        const dead = this.deadLetterSettlementOf(delivery);
        this.logger.error(`${failed}; ${dead.fate} (onError 'dead-letter')`);
        await this.settle(dead.settlement, 'nack', true);
      } else {
        this.logger.error(`${failed}; ${this.rejectionOf(delivery)}`);
        await this.settle(settlement, 'nack', true);
      }
      return;
    } finally {
      this.onProcessingEndHook?.(this.transportId!, context);
    }
    await this.settle(transactional ?? settlement, 'ack', false, delivery.consumer.manualAck);
  }

  /**
   * A settlement whose rejection sends the message to the broker's dead-letter queue now (the
   * handler's `onError: 'dead-letter'`): a copy goes there, receipted, naming the queue it came
   * from (`nestjs-original-destination`), before the original is acknowledged, so that a lost
   * connection between the two gives a duplicate, never a loss. Classic's own redelivery policy
   * cannot be told to skip its redeliveries for one message, hence the copy on every broker.
   */
  private deadLetterSettlementOf(delivery: Delivery): { settlement: MessageSettlement; fate: string } {
    const { connection, message } = delivery;
    const dialect = this.dialectOf(connection);
    const policy = dialect.routesByType ? this.redeliveryPolicy : { ...this.redeliveryPolicy, deadLetterQueue: dialect.deadLetterQueue };
    const plan = resendPlan(message, policy, true, 'at once');
    const timeout = this.settings.options.callTimeout ?? 30_000;
    const reject = () => rejectByResend(connection, message, plan, timeout, this.blockOnAcknowledgeMs);
    return { settlement: new MessageSettlement(connection, message, this.blockOnAcknowledgeMs, reject), fate: plan.fate };
  }

  private async runRequest(
    connection: StompConnection,
    handler: MessageHandler,
    data: unknown,
    context: ActiveMQContext,
    settlement: MessageSettlement,
    message: StompFrame,
    replyTo: string,
    manualAck: boolean,
    transactional?: TransactionalSettlement,
  ): Promise<void> {
    let response$: Observable<unknown>;
    try {
      response$ = this.transformToObservable(await handler(data, context)) as Observable<unknown>;
    } catch (error) {
      this.counters.handlerFailures++;
      // The error is answered, and the request acknowledged, outside the aborted transaction.
      await transactional?.abort();
      await this.replier.reply(connection, message, replyTo, { err: error });
      await this.settle(settlement, 'ack', false, manualAck);
      this.onProcessingEndHook?.(this.transportId!, context);
      return;
    }
    await new Promise<void>((resolve) => {
      let finished = false;
      this.send(response$, async (packet: WritePacket) => {
        if (finished) return;
        if (packet.err !== undefined || packet.isDisposed) finished = true;
        if (packet.err !== undefined) {
          this.counters.handlerFailures++;
          // A stream that fails takes back what it replied and sent so far; its error is answered outside.
          await transactional?.abort();
        }
        await this.replier.reply(connection, message, replyTo, packet, transactional?.transaction.isOpen ? transactional.transaction : undefined);
        if (finished) resolve();
      });
    });
    const refused = transactional?.transaction.isOpen ? await transactional.transaction.sendsSettled() : undefined;
    if (refused !== undefined) {
      // A send it started failed (or a joined call threw): nothing of it commits, and the requester is told.
      this.counters.handlerFailures++;
      await transactional!.abort();
      await this.replier.reply(connection, message, replyTo, { err: refused });
    }
    await this.settle(transactional?.transaction.isOpen ? transactional : settlement, 'ack', false, manualAck);
    this.onProcessingEndHook?.(this.transportId!, context);
  }

  /**
   * BEGIN of a transactional handler's transaction on the connection its message came on. Its
   * sends' ids derive from the message's (`nestjsMessageId`, else the broker's `message-id`), so a
   * handling run again after an uncommitted or in-doubt COMMIT sends the same ids.
   */
  private async beginHandlerTransaction(
    connection: StompConnection,
    consumer: Consumer,
    message: StompFrame,
    plain: MessageSettlement,
    release: (() => void) | undefined,
  ): Promise<TransactionalSettlement> {
    const timeout = this.settings.options.callTimeout ?? 30_000;
    // Which handler sent it belongs to the id too: two handlers (or two services with their own
    // clientId) taking the same message send different messages.
    const input = message.headers[MESSAGE_ID_HEADER] ?? this.dialectOf(connection).messageIdentity(message.headers['message-id'] ?? '');
    const clientId = this.settings.options.clientId;
    const idBase = `${input}@${consumer.pattern}${clientId === undefined ? '' : `@${clientId}`}`;
    const transaction = await ActiveMQTransaction.begin(
      connection,
      timeout,
      async (tx, pattern, data) => {
        const decorated = sendContext.getStore()?.options;
        const { durable } = resolveSendMode({ record: recordOptionsOf(data), decorator: decorated, inTransaction: true });
        const outgoing = buildOutgoingMessage(pattern, data, this.emitSerializer, { durable, priority: decorated?.priority, timeToLive: decorated?.timeToLive });
        // Id and transaction are still to be added.
        checkFrameLimits('SEND', outgoing.headers, outgoing.body, connection.frameLimits, 2);
        await tx.write(outgoing);
      },
      idBase,
    );
    transaction.seal();
    const givesBack = this.dialectOf(connection).family === 'embedded';
    return new TransactionalSettlement(transaction, message, plain, this.transactions, release, givesBack);
  }

  /** A settlement of `message`; on Artemis its rejection is the server's redelivery (`final`: to the DLQ at once). */
  private settlementOf(connection: StompConnection, message: StompFrame, final = false): MessageSettlement {
    if (!this.dialectOf(connection).routesByType) return new MessageSettlement(connection, message, this.blockOnAcknowledgeMs);
    const timeout = this.settings.options.callTimeout ?? 30_000;
    const reject = () => rejectByResend(connection, message, resendPlan(message, this.redeliveryPolicy, final), timeout, this.blockOnAcknowledgeMs);
    return new MessageSettlement(connection, message, this.blockOnAcknowledgeMs, reject);
  }

  /** What becomes of `delivery` when it is rejected, for its log line. */
  private rejectionOf(delivery: Delivery): string {
    if (this.dialectOf(delivery.connection).routesByType) return resendPlan(delivery.message, this.redeliveryPolicy).fate;
    return this.redeliveries.rejection(delivery.message, delivery.count);
  }

  /**
   * ACK or NACK, unless acknowledgements are manual and the handler's to make. `byServer`: the
   * server decided without the handler (a repeat, a poison message), so it settles in any mode.
   */
  private async settle(settlement: MessageSettlement | TransactionalSettlement, outcome: SettlementOutcome, byServer = false, manualAck = this.manualAck): Promise<void> {
    if (manualAck && !byServer) return;
    try {
      await (outcome === 'ack' ? settlement.ack() : settlement.nack());
      this.counters[outcome === 'ack' ? 'acknowledged' : 'rejected']++;
    } catch (error) {
      if (settlement instanceof TransactionalSettlement) return this.commitFailed(settlement, error);
      // A lost connection was reported once already: each message it takes along needs no line of its own.
      const lost = error instanceof StompConnectionClosedError;
      this.logger[lost ? 'debug' : 'warn'](`could not ${outcome} a message: ${errorMessage(error)}; the broker will redeliver it`);
    }
  }

  /**
   * A transactional handler's COMMIT that did not succeed. Lost with its connection, or refused:
   * nothing of it was stored, and the broker gives its input back (a refused COMMIT leaves the
   * input with this connection: it is rejected, towards redelivery). In doubt: the broker either
   * committed (input acknowledged, sends published) or will redeliver the input, whose handling
   * then sends the same ids again.
   */
  private async commitFailed(settlement: TransactionalSettlement, error: unknown): Promise<void> {
    const id = settlement.transaction.id;
    if (error instanceof SendInDoubtError) {
      this.logger.warn(
        `${errorMessage(error)}; if it did not commit, the broker redelivers the message and the handler runs again, sending the same nestjsMessageId values (a consumer's dedupeWindow drops the copies)`,
      );
      return;
    }
    if (settlement.transaction.connectionClosed) {
      this.logger.debug?.(`transaction ${id} not committed: ${errorMessage(error)}; the broker will redeliver its message`);
      return;
    }
    if (settlement.brokerGivesBack) {
      // The embedded broker gave the message back to its queue when it refused the COMMIT; a NACK would name a delivery it no longer has.
      this.logger.error(`transaction ${id} not committed: ${errorMessage(error)}; the broker delivers its message again`);
      return;
    }
    this.logger.error(`transaction ${id} not committed: ${errorMessage(error)}; its message is rejected (redelivered, then dead-lettered)`);
    await settlement.plain.nack().then(
      () => void this.counters.rejected++,
      (nackError: unknown) => this.logger.warn(`could not reject the message of transaction ${id}: ${errorMessage(nackError)}`),
    );
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
