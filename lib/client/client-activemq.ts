import { Logger } from '@nestjs/common';
import { ClientProxy, type MsPattern, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Observable, Subject } from 'rxjs';
import { ActiveMQStatus, type ActiveMQEvents } from '../events/activemq.events.js';
import type { ActiveMQClientMetrics } from '../observability/metrics.js';
import { checkTracingOption, loadTracing, type EndSpan, type MessageTracing } from '../observability/message-tracing.js';
import { bodyAsIsDeserializer, bodyOnlySerializer, type ActiveMQDeserializer, type ActiveMQSerializer } from '../wire/serializers.js';
import type { StompConnection, StompConnectionOptions } from '../connection/stomp-connection.js';
import type { StompHeaders } from '../stomp/frame.js';
import type { ReconnectPolicy } from '../connection/reconnection.js';
import { ConnectionSupervisor, type PreparationReason, type SupervisedRole } from '../connection/supervisor.js';
import { withTimeout } from '../internal/with-timeout.js';
import { reconnectPolicyOf } from '../config/reconnect-policy.js';
import { MessageIds } from '../wire/headers.js';
import { StompBrokerError, StompEncodeError } from '../stomp/errors.js';
import { checkFrameLimits } from '../stomp/encoder.js';
import { DEFAULT_STOMP_LIMITS, type StompLimits } from '../stomp/frame.js';
import { connectInProcess } from '../broker/index.js';
import { resolveSettings, type ActiveMQConnectionSettings, type ResolvedSettings } from '../config/resolve-settings.js';
import type { ActiveMQUriOptions } from '../config/uri-options.js';
import { ActiveMQClientClosedError, ActiveMQConnectionLostError } from '../errors/client-errors.js';
import { InvalidOptionError } from '../errors/activemq-error.js';
import { browseQueue, type ActiveMQBrowseOptions, type ActiveMQBrowsedMessage } from './browse.js';
import { decoratorDefaults, runInTransactionScope, sendContext, type SendContext } from '../producer/send-context.js';
import { AcknowledgedSender, isConnectionLoss, windowBytes, type ConfirmationStrategy } from '../producer/acknowledged-sender.js';
import type { SendOutcome } from '../producer/acknowledgements.js';
import { ConfirmationWindow } from '../producer/confirmation-window.js';
import { SendInDoubtError, TransactionError } from '../producer/errors.js';
import { resolveSendMode, SendMode } from '../producer/send-mode.js';
import { ActiveMQTransaction } from '../producer/transaction.js';
import { StompTimeoutError } from '../stomp/errors.js';
import { buildOutgoingMessage, recordOptionsOf, type OutgoingMessage } from '../producer/outgoing-message.js';
import { ReplyRouter } from './reply-router.js';
import { check } from '../internal/validation.js';
import { BrokerDialect } from '../wire/broker-dialect.js';

/** Options of {@link ClientActiveMQ}: the connection settings, and how messages are sent. */
export interface ActiveMQClientOptions extends ActiveMQConnectionSettings {
  /**
   * W3C trace context in message headers (`traceparent`, `tracestate`) and a producer span per
   * send, through `@opentelemetry/api` when it is installed. Default true; false turns it off.
   */
  readonly tracing?: boolean;
  /** Events are persistent unless their record says otherwise. Default true (JMS parity). */
  readonly durable?: boolean;
  /** Milliseconds `send()` waits for a reply; the request also expires on the broker then. Default 30000. */
  readonly requestTimeout?: number;
  /** Turns an outgoing packet into the value sent as the body. Default: `data` alone, no envelope (a Buffer as bytes, a string as text, anything else as JSON). */
  readonly serializer?: ActiveMQSerializer;
  /** Turns a reply's decoded body (JSON value, string or Buffer, by its content type) into the caller's value. Default: as it is. */
  readonly deserializer?: ActiveMQDeserializer;
  /**
   * How windowed sends are confirmed: grouped in transactions (default) or a receipt each (the
   * default with `duplicateDetection`, and always on ActiveMQ Artemis, which refuses `'transaction'`).
   */
  readonly confirmationStrategy?: ConfirmationStrategy;
  /** Most messages in one confirmation transaction. Default 500. */
  readonly confirmationBatchSize?: number;
  /** Milliseconds `close()` waits for outstanding confirmations. Default 10000. */
  readonly closeTimeout?: number;
}

const CLIENT_KEYS = ['durable', 'requestTimeout', 'serializer', 'deserializer', 'confirmationStrategy', 'confirmationBatchSize', 'closeTimeout', 'tracing'];

/**
 * A Nest `ClientProxy` for ActiveMQ. `send()` is request/reply over a temporary reply queue with
 * a `correlation-id` per request (the JMS convention); `emit()` publishes an event to the
 * pattern's destination. Register it with `MessagingModule`, or with
 * `ClientsModule.register([{ name, customClass: ClientActiveMQ, options }])`.
 */
// The status type stays `string` in the base so that `ClientsModule.register({ customClass })`
// type-checks; `status` below narrows it for users.
export class ClientActiveMQ extends ClientProxy<ActiveMQEvents, string> {
  private readonly logger = new Logger(ClientActiveMQ.name);
  private readonly settings: ResolvedSettings;
  /** Each connection's reply queue: a temporary queue on Classic, a queue of its own on Artemis (see `BrokerDialect`). */
  private readonly replyQueues = new WeakMap<StompConnection, { readonly subscribeTo: string; readonly replyTo: string }>();
  private readonly requestTimeout: number;
  private readonly outcomes = new Subject<SendOutcome>();
  /** The options object's say on send modes, for `resolveSendMode` (built once: this is the hot path). */
  private readonly clientSendLayer: ActiveMQUriOptions & { readonly durable?: boolean };
  private readonly acknowledged: AcknowledgedSender | undefined;
  /** The connection's life: start-up, reconnection, the move back to the primary, status, events. */
  private readonly supervisor: ConnectionSupervisor;
  private readonly reconnectPolicy: ReconnectPolicy;
  /** Tracing loaded (once): the first `connect()` waits for it. */
  private tracingLoaded: Promise<void> | undefined;
  /** Set by `close()`, cleared by `connect()`: a closed client refuses sends instead of reconnecting. */
  private closed = false;
  /** What the broker takes in one frame, checked before a message is written or admitted to the window. */
  private readonly frameLimits: StompLimits;
  /** With `trackMessages=true`: the latest fire-and-forget sends, up to `maxCacheSize` bytes, re-sent after a reconnection. */
  private readonly tracked: { messages: OutgoingMessage[]; bytes: number; limit: number } | undefined;
  private readonly ids: MessageIds;
  private readonly messageSerializer: ActiveMQSerializer;
  private readonly replies: ReplyRouter;
  private readonly counters = { sent: 0, failed: 0, confirmed: 0, requests: 0, replies: 0, requestsFailed: 0 };
  private currentStatus: ActiveMQStatus = ActiveMQStatus.DISCONNECTED;
  private tracing: MessageTracing | undefined;

  /** Checks the options and the URI at once (an unknown or invalid one throws); connects on first use. */
  constructor(protected readonly options: ActiveMQClientOptions = {}) {
    super();
    this.settings = resolveSettings(options, CLIENT_KEYS, 'ClientActiveMQ', connectInProcess);
    this._status$.subscribe((status) => (this.currentStatus = status as ActiveMQStatus));
    checkTracingOption(options.tracing);
    this.requestTimeout = check.wholeNumber('requestTimeout', options.requestTimeout ?? 30_000, { unit: 'milliseconds' });
    this.ids = new MessageIds(this.settings.options.duplicateDetection ?? false);
    this.clientSendLayer = { ...this.settings.codeOptions, durable: options.durable };
    this.reconnectPolicy = reconnectPolicyOf(this.settings.options);
    if (this.settings.codeOptions.clientId !== undefined) {
      throw new InvalidOptionError(
        'clientId',
        'clientId names the connection that owns durable topic subscriptions: give it to ServerActiveMQ; a client has none, and a second connection with the same client id is refused by the broker',
      );
    }
    this.supervisor = new ConnectionSupervisor({
      // The URI's client id (jms.clientID, shared with the app's server) is the server's: the
      // broker refuses a second connection with it ("already connected"), so the client goes without.
      brokers: this.settings.brokers.map(withoutClientId),
      startup: this.settings.startup,
      reconnect: this.reconnectPolicy,
      logger: this.logger,
      status: (status) => this._status$.next(status),
      role: this.roleOf(),
    });
    this.frameLimits = { ...DEFAULT_STOMP_LIMITS, ...this.settings.brokers[0]?.limits };
    if (this.settings.options.trackMessages) this.tracked = { messages: [], bytes: 0, limit: this.settings.options.maxCacheSize ?? 131_072 };
    this.messageSerializer = options.serializer ?? bodyOnlySerializer;
    this.replies = new ReplyRouter(options.deserializer ?? bodyAsIsDeserializer);
    const windowSize = this.settings.options.confirmationWindowSize ?? -1;
    if (windowSize > 0) {
      // With duplicateDetection, a receipt each: Artemis records a transaction's duplicate-ids only
      // at its COMMIT, so a re-send racing the lost connection's COMMIT could be stored twice
      // (measured in the chaos run: 107 duplicates in one proxy-cut run with transactions, none with receipts).
      const defaultStrategy = this.settings.options.duplicateDetection ? 'receipt' : 'transaction';
      const strategy = check.oneOf('confirmationStrategy', options.confirmationStrategy ?? defaultStrategy, ['transaction', 'receipt'] as const);
      const batchSize = check.wholeNumber('confirmationBatchSize', options.confirmationBatchSize ?? 500);
      const window = new ConfirmationWindow(windowSize, (outcome) => {
        if (outcome.status === 'confirmed') this.counters.confirmed++;
        else this.counters.failed++;
        this.outcomes.next(outcome);
      });
      this.acknowledged = new AcknowledgedSender(window, strategy, batchSize, this.callTimeout, this.reconnectPolicy.enabled, this.ids);
    }
  }

  /** Connects (once; concurrent calls share the attempt) and opens the reply queue. */
  async connect(): Promise<StompConnection> {
    this.closed = false;
    this.tracingLoaded ??= loadTracing(this.options.tracing).then((tracing) => void (this.tracing = tracing));
    await this.tracingLoaded;
    return this.supervisor.connect();
  }

  /** Waits (up to `closeTimeout`) for outstanding confirmations, fails the requests still waiting, then DISCONNECTs. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.acknowledged && (this.supervisor.connection || this.supervisor.isReopening)) await this.flushWithin(this.options.closeTimeout ?? 10_000);
    await this.supervisor.close();
    this.replies.failAll(new ActiveMQConnectionLostError('the client was closed before the reply arrived'));
  }

  /** Connection states as they change. */
  override get status(): Observable<ActiveMQStatus> {
    return super.status as Observable<ActiveMQStatus>;
  }

  /**
   * Confirmations of windowed sends (`confirmationWindowSize` > 0), each exactly once and in send
   * order: a `SendAcknowledgement`, or a `SendFailure` when the broker refused the send or the
   * connection ended before it was confirmed (in doubt).
   */
  acknowledgements(): Observable<SendOutcome> {
    return this.outcomes.asObservable();
  }

  /**
   * The messages waiting in the queue of `pattern` (its first `limit`, those a `selector` selects),
   * none consumed or locked: a JMS queue browser. ActiveMQ Classic and the embedded broker;
   * refused on Artemis, whose STOMP has no browsing subscriber.
   */
  async browse(pattern: string, options: ActiveMQBrowseOptions = {}): Promise<ActiveMQBrowsedMessage[]> {
    const connection = await this.connectForSend(() => `browse('${pattern}')`);
    return browseQueue(connection, pattern, options, this.callTimeout);
  }

  /** Resolves when no windowed send is unconfirmed (each one confirmed or failed). */
  async flush(): Promise<void> {
    if (!this.acknowledged) return;
    this.acknowledged.closeOpenBatch();
    await this.acknowledged.window.whenEmpty();
  }

  /** Bytes of windowed sends not yet confirmed, and the most there ever were. */
  get window():
    | {
        /** Bytes sent and not yet confirmed or failed. */
        readonly outstandingBytes: number;
        /** The most bytes ever outstanding at once. */
        readonly peakBytes: number;
        /** The window's size (`confirmationWindowSize`). */
        readonly capacityBytes: number;
      }
    | undefined {
    return this.acknowledged?.window;
  }

  /**
   * Runs `fn` in a broker transaction: sends inside (through `tx.emit()` or this client's `emit()`)
   * do not wait; when `fn` resolves the transaction commits and this resolves after the broker
   * confirmed; when `fn` throws it aborts and the error is rethrown. Called inside another
   * transaction (or `@Transactional()`), `fn` joins it.
   */
  transaction<T>(fn: (transaction: ActiveMQTransaction) => Promise<T>): Promise<T> {
    return runInTransactionScope(async () => fn(await this.transactionIn(sendContext.getStore()!)));
  }

  /** Requests waiting for their reply. */
  get pendingRequests(): number {
    return this.replies.size;
  }

  /** The connection's state now (`status` reports its changes). */
  get connectionStatus(): ActiveMQStatus {
    return this.currentStatus;
  }

  /** Counters since this client was created, and the window's fill now. */
  metrics(): ActiveMQClientMetrics {
    const window = this.acknowledged?.window;
    return {
      status: this.currentStatus,
      ...this.counters,
      reconnections: this.supervisor.reconnections,
      inFlight: window?.outstandingCount ?? 0,
      windowBytes: window?.outstandingBytes ?? 0,
      windowCapacityBytes: window?.capacityBytes ?? 0,
      pendingRequests: this.replies.size,
    };
  }

  /** The STOMP connection. Throws before `connect()`. */
  unwrap<T = StompConnection>(): T {
    const connection = this.supervisor.connection;
    if (!connection) throw new Error('Not initialized. Please call the "connect" method first.');
    return connection as T;
  }

  /**
   * Listens to the client's events (`connect`, `disconnect`, `error`); listeners added before
   * `connect()` are kept.
   * @typeParam EventKey - the event's name
   * @typeParam EventCallback - its listener's signature
   */
  override on<EventKey extends keyof ActiveMQEvents = keyof ActiveMQEvents, EventCallback extends ActiveMQEvents[EventKey] = ActiveMQEvents[EventKey]>(
    event: EventKey,
    callback: EventCallback,
  ): void {
    this.supervisor.on(event, callback);
  }

  /**
   * Request/reply. `requestTimeout` bounds the whole request from the call: the wait for a
   * connection being (re-)established as well as the wait for the reply.
   */
  override send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === null || pattern === undefined || data === null || data === undefined) return super.send(pattern, data);
    return new Observable<TResult>((observer) => {
      const startedAt = performance.now();
      let cancel: (() => void) | undefined;
      let unsubscribed = false;
      this.connectWithin(this.requestTimeout, 'requestTimeout', () => `send('${this.patternName(pattern)}')`).then(
        () => {
          if (unsubscribed) return;
          const remaining = Math.max(1, Math.ceil(this.requestTimeout - (performance.now() - startedAt)));
          cancel = this.request(this.packetOf(pattern, data), this.createObserver(observer), remaining);
        },
        (error: unknown) => observer.error(error),
      );
      return () => {
        unsubscribed = true;
        cancel?.();
      };
    });
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    return this.request(packet, callback, this.requestTimeout);
  }

  /** Writes one request on the open connection; its reply (or its failure) reaches `callback`, within `timeout` ms. */
  private request(packet: ReadPacket, callback: (packet: WritePacket) => void, timeout: number): () => void {
    const connection = this.supervisor.connection;
    if (!connection) {
      callback({ err: new ActiveMQConnectionLostError('the connection is not open') });
      return () => {};
    }
    const pattern = this.normalizePattern(packet.pattern as MsPattern);
    let message;
    try {
      // A request outlives its caller's patience only as waste: non-durable unless the record says so.
      message = this.build(pattern, packet.data, { durable: false });
    } catch (err) {
      this.counters.requestsFailed++;
      callback({ err });
      return () => {};
    }
    this.counters.requests++;
    let endSpan: EndSpan | undefined;
    const correlationId = this.replies.register(
      pattern,
      (reply: WritePacket) => {
        if (reply.err !== undefined) this.counters.requestsFailed++;
        else if (reply.isDisposed) this.counters.replies++;
        if (reply.err !== undefined || reply.isDisposed) endSpan?.(reply.err);
        callback(reply);
      },
      timeout,
      this.requestTimeout,
    );
    const headers: StompHeaders = {
      expires: String(Date.now() + timeout),
      ...message.headers,
      'reply-to': this.replyQueues.get(connection)!.replyTo,
      'correlation-id': correlationId,
    };
    endSpan = this.tracing?.startSend(message.destination, headers, 'request');
    connection
      .send(message.destination, headers, message.body, message.durable ? { receipt: true, timeout: this.callTimeout } : {})
      .catch((err: unknown) => this.replies.fail(correlationId, err));
    return () => this.replies.forget(correlationId);
  }

  /**
   * Hot, as in every Nest client: the send starts now, and the Observable reports its outcome to
   * whoever subscribes, before or after it completes. Leaner than the base class's (no
   * `defer`/`mergeMap`/`connectable` per message), as this is the hot path.
   */
  override emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === null || pattern === undefined || data === null || data === undefined) return super.emit(pattern, data);
    // NestJS 12 builds packets through createPacket() (it runs the dispatch hook); NestJS 11 has none.
    const packet = this.packetOf(pattern, data);
    const sent = this.dispatchEvent<TResult>(packet);
    // In a transactional handler the COMMIT waits for this send, awaited or not, and fails with it.
    void sendContext
      .getStore()
      ?.transactionScope?.bound?.track(sent)
      .catch(() => undefined);
    let observed = false;
    // Reported to subscribers; never an unhandled rejection. A failure nobody subscribed to in time
    // (fire-and-forget) is logged, so that it is never silent.
    sent.catch((error: unknown) => {
      if (!observed) this.logger.error(`emit('${this.patternName(pattern)}') failed and nobody subscribed to its result: ${(error as Error).message ?? String(error)}`);
    });
    return new Observable<TResult>((subscriber) => {
      observed = true;
      sent.then(
        (value) => {
          subscriber.next(value);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    });
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const startedAt = performance.now();
    const context = sendContext.getStore();
    const record = recordOptionsOf(packet.data);
    const { mode, durable } = resolveSendMode({
      record: { durable: record.durable },
      decorator: context?.options,
      client: this.clientSendLayer,
      uri: this.settings.uriOptions,
      inTransaction: context?.transactionScope !== undefined,
    });
    let message: OutgoingMessage;
    let connection: StompConnection;
    try {
      // Built (and checked against the broker's frame limits) before anything waits.
      message = this.build(this.normalizePattern(packet.pattern as MsPattern), packet.data, {
        durable,
        ...decoratorDefaults(context?.options),
      });
      connection = (!this.closed && this.supervisor.connection) || (await this.connectForSend(() => `emit('${this.patternName(packet.pattern)}')`));
    } catch (error) {
      this.counters.failed++;
      throw error;
    }
    const endSpan = this.tracing?.startSend(message.destination, message.headers, 'publish');
    try {
      await this.sendIn(mode, connection, message, startedAt, context);
    } catch (error) {
      this.counters.failed++;
      endSpan?.(error);
      throw error;
    }
    endSpan?.();
    // Windowed sends are counted when written too; their confirmation is counted apart.
    this.counters.sent++;
    return undefined as T;
  }

  /** Writes one event as its send mode says (docs/send-modes.md). */
  private async sendIn(mode: SendMode, connection: StompConnection, message: OutgoingMessage, startedAt: number, context: SendContext | undefined): Promise<void> {
    switch (mode) {
      case SendMode.Blocking:
        return this.sendBlocking(connection, message);
      case SendMode.Async:
        if (this.tracked) this.track(message);
        return connection.writeFrame('SEND', message.headers, message.body);
      case SendMode.AsyncAcknowledged:
        return this.acknowledged!.send(connection, message, startedAt);
      case SendMode.Transacted:
        return (await this.transactionIn(context!)).write(message);
    }
  }

  /**
   * SEND with a receipt. If the connection ends first and lost connections are re-established,
   * the send waits for the new connection and is written again with the same id
   * (`nestjsMessageId`), so a consumer can drop the duplicate if the first copy was stored.
   */
  private async sendBlocking(connection: StompConnection, message: OutgoingMessage): Promise<void> {
    this.ids.stamp(message.headers);
    for (let current = connection, refusals = 0; ;) {
      try {
        await current.request('SEND', message.headers, message.body, this.callTimeout);
        return;
      } catch (error) {
        if (error instanceof StompTimeoutError) {
          throw new SendInDoubtError(`no receipt for a send to ${message.destination} within ${this.callTimeout} ms: the broker may or may not have it`, { cause: error });
        }
        // Written again only after a lost connection; never after the broker refused this frame.
        if (!current.isClosed || !isConnectionLoss(error) || error instanceof StompEncodeError || !this.reconnectPolicy.enabled || this.supervisor.isClosing) throw error;
        // An ERROR naming no receipt may be about this frame: once more, but not twice (no loop).
        const reason = current.closeReason;
        if (reason instanceof StompBrokerError && ++refusals >= 2) {
          throw new SendInDoubtError(
            `the broker ended the connection with an ERROR (${reason.brokerMessage}) twice while a send to ${message.destination} waited for its receipt: not written again; it may or may not have been stored`,
            { cause: reason },
          );
        }
        current = await this.connectForSend(() => `a send to ${message.destination}`);
      }
    }
  }

  /** The connection for a send, waiting up to `sendWait` if it is being (re-)established; refused once closed. */
  private connectForSend(what: () => string): Promise<StompConnection> {
    return this.connectWithin(this.reconnectPolicy.sendWait, 'timeout', what);
  }

  /**
   * The open connection, or the one being opened, for at most `wait` ms (`option` names the setting
   * in the error). A closed client refuses at once, without reconnecting.
   */
  private connectWithin(wait: number, option: string, what: () => string): Promise<StompConnection> {
    if (this.closed) return Promise.reject(new ActiveMQClientClosedError(what()));
    const open = this.supervisor.connection;
    if (open) return Promise.resolve(open);
    return withTimeout(this.connect(), wait, () => {
      throw new ActiveMQConnectionLostError(`${what()}: no connection to the broker within ${wait} ms (${option}); nothing was sent`, { cause: this.supervisor.lastFailure });
    });
  }

  /** The message for `data`, checked against the broker's frame limits before it waits or takes a place in the window. */
  private build(pattern: string, data: unknown, defaults: Parameters<typeof buildOutgoingMessage>[3]): OutgoingMessage {
    const message = buildOutgoingMessage(pattern, data, this.messageSerializer, defaults);
    // Id, receipt or transaction, reply-to, correlation id and expiry may still be added.
    checkFrameLimits('SEND', message.headers, message.body, this.frameLimits, 5);
    return message;
  }

  /** NestJS 12 builds packets through createPacket() (it runs the dispatch hook); NestJS 11 has none. */
  private packetOf(pattern: unknown, data: unknown): ReadPacket {
    return (this as unknown as { createPacket?: (p: unknown, d: unknown) => ReadPacket }).createPacket?.(pattern, data) ?? { pattern, data };
  }

  private patternName(pattern: unknown): string {
    return typeof pattern === 'string' ? pattern : this.normalizePattern(pattern as MsPattern);
  }

  /** Keeps a fire-and-forget send for re-sending after a reconnection (Classic's `trackMessages`), the oldest dropped beyond `maxCacheSize` bytes. */
  private track(message: OutgoingMessage): void {
    const tracked = this.tracked!;
    this.ids.stamp(message.headers);
    tracked.messages.push(message);
    tracked.bytes += windowBytes(message);
    while (tracked.bytes > tracked.limit && tracked.messages.length > 1) tracked.bytes -= windowBytes(tracked.messages.shift()!);
  }

  /** This client's transaction in the current scope, begun on first use; inside a transactional handler, the handler's. */
  private transactionIn(context: SendContext): Promise<ActiveMQTransaction> {
    const bound = context.transactionScope!.bound;
    if (bound) return this.joinHandlerTransaction(bound);
    return context.transactionScope!.transactionFor(this, async () =>
      ActiveMQTransaction.begin(await this.connectForSend(() => 'a transaction'), this.callTimeout, async (transaction, pattern, data) => {
        // The same precedence as every send; inside a transaction only durability is left to decide.
        const { durable } = resolveSendMode({ record: recordOptionsOf(data), decorator: context.options, client: this.clientSendLayer, inTransaction: true });
        const message = this.build(this.normalizePattern(pattern), data, {
          durable,
          ...decoratorDefaults(context.options),
        });
        await transaction.write(message);
      }),
    );
  }

  /**
   * A transactional handler's transaction, which this client's sends join: they are written on the
   * server's connection, so they must be meant for the same broker. A client of another broker
   * is refused rather than sending outside the transaction.
   */
  private async joinHandlerTransaction(bound: ActiveMQTransaction): Promise<ActiveMQTransaction> {
    const own = await this.connectForSend(() => 'a send in a transactional handler');
    if (own.broker !== bound.broker) {
      throw new TransactionError(
        `this client is connected to ${own.broker}, the transactional handler's transaction to ${bound.broker}: a send joins the handler's transaction only on the same broker (give both the same URI), or is made outside the handler`,
      );
    }
    return bound;
  }

  private async flushWithin(timeout: number): Promise<void> {
    if ((await withTimeout(this.flush(), timeout, () => 'timeout' as const)) === 'timeout') {
      this.logger.warn(`closing with ${this.acknowledged!.window.outstandingCount} sends still unconfirmed after ${timeout} ms`);
    }
  }

  private get callTimeout(): number {
    return this.settings.options.callTimeout ?? 30_000;
  }

  /** What this client does at the supervisor's joints. */
  private roleOf(): SupervisedRole {
    return {
      prepare: (connection, reason) => this.prepare(connection, reason),
      drainBackup: async () => {
        if (this.acknowledged) await this.flushWithin(this.options.closeTimeout ?? 10_000);
      },
      lost: (connection, error) =>
        this.replies.failAll(
          new ActiveMQConnectionLostError(
            error ? `the connection to ${connection.broker} ended before the reply arrived: ${error.message}` : 'the client was closed before the reply arrived',
            { cause: error },
          ),
        ),
      gaveUp: (error) => this.acknowledged?.failAll(error),
    };
  }

  /**
   * Opens the reply queue, then writes what is unconfirmed, in its order (and after a
   * reconnection the tracked fire-and-forget sends); new sends wait for the supervisor meanwhile.
   */
  private async prepare(connection: StompConnection, reason: PreparationReason): Promise<void> {
    // CONNECTED named the broker: how it reads destinations, and where this connection's replies go.
    const dialect = BrokerDialect.of(connection.server);
    if (dialect.routesByType && this.acknowledged && this.options.confirmationStrategy === 'transaction') {
      throw new InvalidOptionError(
        'confirmationStrategy',
        `confirmationStrategy 'transaction' cannot confirm sends on ActiveMQ Artemis: it answers a COMMIT with a RECEIPT even when it refused one of the transaction's SENDs; leave confirmationStrategy out (each windowed send then carries its own receipt there) or give 'receipt'`,
      );
    }
    connection.routing = dialect;
    const replyQueue = dialect.newReplyQueue();
    this.replyQueues.set(connection, replyQueue);
    await connection.subscribe(replyQueue.subscribeTo, (reply) => this.replies.route(reply), {
      onOversize: (reply) => this.replies.tooLarge(reply, this.frameLimits.maxBodyBytes),
    });
    const resent = (await this.acknowledged?.resend(connection)) ?? 0;
    if (resent) this.logger.log(`re-sent ${resent} unconfirmed messages after reconnecting`);
    if (this.tracked && this.tracked.messages.length > 0 && reason === 'reconnect') {
      const replay = this.tracked.messages;
      this.logger.log(`re-sent ${replay.length} tracked fire-and-forget messages after reconnecting (trackMessages)`);
      for (const message of replay) await connection.writeFrame('SEND', message.headers, message.body).catch(() => undefined);
    }
  }
}

/** A broker's connection options without the CONNECT `client-id`. */
function withoutClientId(broker: StompConnectionOptions): StompConnectionOptions {
  if (broker.clientId === undefined) return broker;
  const { clientId: _serverOnly, ...rest } = broker;
  return rest;
}
