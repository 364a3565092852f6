import { Logger } from '@nestjs/common';
import { ClientProxy, type MsPattern, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Observable, Subject } from 'rxjs';
import { EventEmitter } from 'node:events';
import { ActiveMQStatus, type ActiveMQEvents } from '../events/activemq.events.js';
import type { ActiveMQClientMetrics } from '../observability/metrics.js';
import { checkTracingOption, loadTracing, type EndSpan, type MessageTracing } from '../observability/message-tracing.js';
import { bodyAsIsDeserializer, bodyOnlySerializer, type ActiveMQDeserializer, type ActiveMQSerializer } from '../wire/serializers.js';
import type { StompConnection } from '../connection/stomp-connection.js';
import type { StompHeaders } from '../stomp/frame.js';
import { connectToFirst } from '../connection/connect-to-first.js';
import { logAttempt, reconnect, watchPrimary, type ReconnectPolicy } from '../connection/reconnection.js';
import { reconnectPolicyOf } from '../config/reconnect-policy.js';
import { MessageIds } from '../wire/headers.js';
import { StompBrokerError, StompEncodeError, type StompError } from '../stomp/errors.js';
import { checkFrameLimits } from '../stomp/encoder.js';
import { DEFAULT_STOMP_LIMITS, type StompLimits } from '../stomp/frame.js';
import { connectInProcess } from '../broker/index.js';
import { resolveSettings, type ActiveMQConnectionSettings, type ResolvedSettings } from '../config/resolve-settings.js';
import type { ActiveMQUriOptions } from '../config/uri-options.js';
import { ActiveMQClientClosedError, ActiveMQConnectionLostError } from '../errors/client-errors.js';
import { runInTransactionScope, sendContext, type SendContext } from '../producer/send-context.js';
import { AcknowledgedSender, isConnectionLoss, windowBytes, type ConfirmationStrategy } from '../producer/acknowledged-sender.js';
import type { SendOutcome } from '../producer/acknowledgements.js';
import { ConfirmationWindow } from '../producer/confirmation-window.js';
import { SendInDoubtError } from '../producer/errors.js';
import { resolveSendMode, SendMode } from '../producer/send-mode.js';
import { ActiveMQTransaction } from '../producer/transaction.js';
import { StompTimeoutError } from '../stomp/errors.js';
import { buildOutgoingMessage, recordOptionsOf, type OutgoingMessage } from '../producer/outgoing-message.js';
import { ReplyRouter } from './reply-router.js';

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
  /** How windowed sends are confirmed: grouped in transactions (default) or a receipt each. */
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
  private readonly events = new EventEmitter();
  /** Connection-scoped on ActiveMQ: each connection gets its own queue under this name. */
  private readonly replyTo = '/temp-queue/nestjs-replies';
  private readonly requestTimeout: number;
  private readonly outcomes = new Subject<SendOutcome>();
  /** The options object's say on send modes, for `resolveSendMode` (built once: this is the hot path). */
  private readonly clientSendLayer: ActiveMQUriOptions & { readonly durable?: boolean };
  private readonly acknowledged: AcknowledgedSender | undefined;
  private connection: StompConnection | undefined;
  private connecting: Promise<StompConnection> | undefined;
  /** Set while a lost connection is being re-established; sends wait on it (up to `sendWait`). */
  private reconnecting: Promise<StompConnection> | undefined;
  private readonly reconnectPolicy: ReconnectPolicy;
  private closing = false;
  /** Set by `close()`, cleared by `connect()`: a closed client refuses sends instead of reconnecting. */
  private closed = false;
  /** What the broker takes in one frame, checked before a message is written or admitted to the window. */
  private readonly frameLimits: StompLimits;
  /** With `trackMessages=true`: the latest fire-and-forget sends, up to `maxCacheSize` bytes, re-sent after a reconnection. */
  private readonly tracked: { messages: OutgoingMessage[]; bytes: number; limit: number } | undefined;
  private readonly ids: MessageIds;
  private readonly messageSerializer: ActiveMQSerializer;
  private readonly replies: ReplyRouter;
  private readonly counters = { sent: 0, failed: 0, confirmed: 0, requests: 0, replies: 0, requestsFailed: 0, reconnections: 0 };
  private currentStatus: ActiveMQStatus = ActiveMQStatus.DISCONNECTED;
  private tracing: MessageTracing | undefined;
  /** Why the latest connection ended or could not be opened: the cause of a send that found none. */
  private lastFailure: unknown;

  /** Checks the options and the URI at once (an unknown or invalid one throws); connects on first use. */
  constructor(protected readonly options: ActiveMQClientOptions = {}) {
    super();
    this.settings = resolveSettings(options, CLIENT_KEYS, 'ClientActiveMQ', connectInProcess);
    this._status$.subscribe((status) => (this.currentStatus = status as ActiveMQStatus));
    checkTracingOption(options.tracing);
    this.requestTimeout = options.requestTimeout ?? 30_000;
    if (!Number.isInteger(this.requestTimeout) || this.requestTimeout <= 0) {
      throw new RangeError(`requestTimeout must be a positive whole number of milliseconds, got ${String(options.requestTimeout)}`);
    }
    this.ids = new MessageIds(this.settings.options.duplicateDetection ?? false);
    this.clientSendLayer = { ...this.settings.codeOptions, durable: options.durable };
    this.reconnectPolicy = reconnectPolicyOf(this.settings.options);
    this.frameLimits = { ...DEFAULT_STOMP_LIMITS, ...this.settings.brokers[0]?.limits };
    if (this.settings.options.trackMessages) this.tracked = { messages: [], bytes: 0, limit: this.settings.options.maxCacheSize ?? 131_072 };
    this.messageSerializer = options.serializer ?? bodyOnlySerializer;
    this.replies = new ReplyRouter(options.deserializer ?? bodyAsIsDeserializer);
    const windowSize = this.settings.options.confirmationWindowSize ?? -1;
    if (windowSize > 0) {
      const strategy = options.confirmationStrategy ?? 'transaction';
      if (strategy !== 'transaction' && strategy !== 'receipt') {
        throw new TypeError(`confirmationStrategy must be 'transaction' or 'receipt', got '${String(strategy)}'`);
      }
      const batchSize = options.confirmationBatchSize ?? 500;
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`confirmationBatchSize must be a whole number >= 1, got ${String(batchSize)}`);
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
    if (this.connection && !this.connection.isClosed) return this.connection;
    if (this.reconnecting) return this.reconnecting;
    this.closing = false;
    this.closed = false;
    this.connecting ??= loadTracing(this.options.tracing)
      .then((tracing) => {
        this.tracing = tracing;
        return this.openFirst();
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Waits (up to `closeTimeout`) for outstanding confirmations, fails the requests still waiting, then DISCONNECTs. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.acknowledged && (this.connection || this.reconnecting)) await this.flushWithin(this.options.closeTimeout ?? 10_000);
    this.closing = true;
    await this.reconnecting?.catch(() => undefined);
    const connection = this.connection ?? (await this.connecting?.catch(() => undefined));
    this.replies.failAll(new ActiveMQConnectionLostError('the client was closed before the reply arrived'));
    if (connection) await connection.disconnect();
    this._status$.next(ActiveMQStatus.CLOSED);
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
      inFlight: window?.outstandingCount ?? 0,
      windowBytes: window?.outstandingBytes ?? 0,
      windowCapacityBytes: window?.capacityBytes ?? 0,
      pendingRequests: this.replies.size,
    };
  }

  /** The STOMP connection. Throws before `connect()`. */
  unwrap<T = StompConnection>(): T {
    if (!this.connection) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.connection as T;
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
    this.events.on(event, callback as (...args: unknown[]) => void);
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
    const connection = this.connection;
    if (!connection || connection.isClosed) {
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
      'reply-to': this.replyTo,
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
        priority: context?.options?.priority,
        timeToLive: context?.options?.timeToLive,
      });
      connection = this.connection && !this.connection.isClosed && !this.closed ? this.connection : await this.connectForSend(() => `emit('${this.patternName(packet.pattern)}')`);
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

  /** Writes one event as its send mode says (README "Send modes"). */
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
        if (!current.isClosed || !isConnectionLoss(error) || error instanceof StompEncodeError || !this.reconnectPolicy.enabled || this.closing) throw error;
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
    if (this.connection && !this.connection.isClosed) return Promise.resolve(this.connection);
    const connecting = this.connect();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ActiveMQConnectionLostError(`${what()}: no connection to the broker within ${wait} ms (${option}); nothing was sent`, { cause: this.lastFailure })),
        wait,
      );
    });
    return Promise.race([connecting, expired]).finally(() => clearTimeout(timer));
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

  /** This client's transaction in the current scope, begun on first use. */
  private transactionIn(context: SendContext): Promise<ActiveMQTransaction> {
    return context.transactionScope!.transactionFor(this, async () =>
      ActiveMQTransaction.begin(await this.connectForSend(() => 'a transaction'), this.callTimeout, async (transaction, pattern, data) => {
        // The same precedence as every send; inside a transaction only durability is left to decide.
        const { durable } = resolveSendMode({ record: recordOptionsOf(data), decorator: context.options, client: this.clientSendLayer, inTransaction: true });
        const message = this.build(this.normalizePattern(pattern), data, {
          durable,
          priority: context.options?.priority,
          timeToLive: context.options?.timeToLive,
        });
        await transaction.write(message);
      }),
    );
  }

  private async flushWithin(timeout: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeout)));
    if ((await Promise.race([this.flush(), expired])) === 'timeout') {
      this.logger.warn(`closing with ${this.acknowledged!.window.outstandingCount} sends still unconfirmed after ${timeout} ms`);
    }
    clearTimeout(timer);
  }

  private get callTimeout(): number {
    return this.settings.options.callTimeout ?? 30_000;
  }

  /** The first connection, as the start-up policy says. */
  private async openFirst(): Promise<StompConnection> {
    this._status$.next(ActiveMQStatus.CONNECTING);
    let connection: StompConnection | undefined;
    try {
      connection = await connectToFirst(this.settings.brokers, this.settings.startup);
      await this.prepare(connection, false);
    } catch (error) {
      connection?.destroy();
      this.lastFailure = error;
      this._status$.next(ActiveMQStatus.DISCONNECTED);
      throw error;
    }
    if (connection.isClosed && connection.closeReason && this.reconnectPolicy.enabled && !this.closing) {
      // Lost right after it opened: this call fails (it has no connection to give), and the loss is
      // handled like any other, in the background; sends wait for it as they would.
      this.logger.warn(`lost the connection to ${connection.broker} as it opened: ${connection.closeReason.message}; reconnecting`);
      void this.startReopening().catch(() => undefined);
      throw connection.closeReason;
    }
    if (connection.isClosed) {
      this._status$.next(ActiveMQStatus.DISCONNECTED);
      throw connection.closeReason ?? new ActiveMQConnectionLostError(`the connection to ${connection.broker} ended while it was being opened`);
    }
    return this.adopt(connection);
  }

  /**
   * Re-establishes a lost connection: reconnects, opens the reply queue and re-sends what is
   * unconfirmed; a connection lost during that is given up and the next one tried, so that the
   * client never reports `connected` over a dead connection.
   */
  private async reopen(): Promise<StompConnection> {
    for (;;) {
      const connection = await reconnect(
        this.settings.brokers,
        this.reconnectPolicy,
        () => this.closing,
        // The first attempt's warning is the loss's own line (onClosed); later ones are debug.
        (attempt) => attempt > 1 && logAttempt(this.logger, attempt),
      );
      try {
        await this.prepare(connection, true);
      } catch (error) {
        connection.destroy();
        this.lastFailure = error;
      }
      if (this.closing) {
        connection.destroy();
        throw new ActiveMQConnectionLostError('the client was closed while reconnecting');
      }
      if (!connection.isClosed) {
        this.counters.reconnections++;
        this.logger.log(`reconnected to ${connection.broker}`);
        return this.adopt(connection);
      }
      this.lastFailure = connection.closeReason;
      this.logger.debug?.(`the connection to ${connection.broker} ended while it was being prepared (${connection.closeReason?.message ?? 'closed'}); reconnecting again`);
    }
  }

  /** Opens the reply queue, then writes what is unconfirmed, in its order; new sends wait on `reconnecting` until then. */
  private async prepare(connection: StompConnection, reconnected: boolean): Promise<void> {
    await connection.subscribe(this.replyTo, (reply) => this.replies.route(reply), {
      onOversize: (reply) => this.replies.tooLarge(reply, this.frameLimits.maxBodyBytes),
    });
    const resent = (await this.acknowledged?.resend(connection)) ?? 0;
    if (resent) this.logger.log(`re-sent ${resent} unconfirmed messages after reconnecting`);
    if (this.tracked && this.tracked.messages.length > 0 && reconnected) {
      const replay = this.tracked.messages;
      this.logger.log(`re-sent ${replay.length} tracked fire-and-forget messages after reconnecting (trackMessages)`);
      for (const message of replay) await connection.writeFrame('SEND', message.headers, message.body).catch(() => undefined);
    }
  }

  /** Makes an open, prepared connection the client's, in one synchronous step. */
  private adopt(connection: StompConnection): StompConnection {
    this.connection = connection;
    connection.once('close', (error: StompError | undefined) => this.onClosed(connection, error));
    this._status$.next(ActiveMQStatus.CONNECTED);
    this.emitEvent('connect', connection.broker);
    watchPrimary(this.settings.brokers, connection, this.reconnectPolicy, (primary) => void this.moveTo(primary, connection));
    return connection;
  }

  /**
   * `priorityBackup`: the first broker is back. Sends wait while the backup's confirmations are
   * drained (up to `closeTimeout`), the backup is DISCONNECTed, and the client carries on with the
   * first broker; what is still unconfirmed is re-sent there.
   */
  private async moveTo(primary: StompConnection, backup: StompConnection): Promise<void> {
    if (this.connection !== backup || this.closing) return primary.destroy();
    const moved = (async () => {
      await primary.subscribe(this.replyTo, (reply) => this.replies.route(reply), {
        onOversize: (reply) => this.replies.tooLarge(reply, this.frameLimits.maxBodyBytes),
      });
      if (this.acknowledged) await this.flushWithin(this.options.closeTimeout ?? 10_000);
      await backup.disconnect();
      primary.once('close', (error: StompError | undefined) => this.onClosed(primary, error));
      await this.acknowledged?.resend(primary);
      this.connection = primary;
      this._status$.next(ActiveMQStatus.CONNECTED);
      this.emitEvent('connect', primary.broker);
      this.logger.log(`moved back to ${primary.broker} (priorityBackup)`);
      return primary;
    })();
    this.reconnecting = moved.finally(() => (this.reconnecting = undefined));
    await moved.catch((error: Error) => {
      this.logger.warn(`could not move back to ${primary.broker}: ${error.message}`);
      primary.destroy();
    });
  }

  private onClosed(connection: StompConnection, error: StompError | undefined): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.lastFailure = error;
    this.replies.failAll(
      new ActiveMQConnectionLostError(`the connection to ${connection.broker} ended before the reply arrived${error ? `: ${error.message}` : ''}`, { cause: error }),
    );
    this._status$.next(this.closing ? ActiveMQStatus.CLOSED : ActiveMQStatus.DISCONNECTED);
    this.emitEvent('disconnect', error);
    if (!error || this.closing) return;
    // One line for the loss, with its reason; `error` listeners get the error itself.
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
    if (!this.reconnectPolicy.enabled) {
      this.logger.warn(`lost the connection to ${connection.broker}: ${error.message}; not reconnecting (reconnection is off)`);
      this.acknowledged?.failAll(error);
      return;
    }
    this.logger.warn(`lost the connection to ${connection.broker}: ${error.message}; reconnecting`);
    void this.startReopening().catch(() => undefined);
  }

  /** Reconnects in the background; `reconnecting` is that attempt while it lasts (sends wait on it). */
  private startReopening(): Promise<StompConnection> {
    this._status$.next(ActiveMQStatus.RECONNECTING);
    const reopening = this.reopen();
    this.reconnecting = reopening;
    const done = () => {
      if (this.reconnecting === reopening) this.reconnecting = undefined;
    };
    reopening.then(done, (failure: Error) => {
      done();
      this.lastFailure = failure;
      this.acknowledged?.failAll(failure);
      this._status$.next(this.closing ? ActiveMQStatus.CLOSED : ActiveMQStatus.DISCONNECTED);
      // Closing while reconnecting is what was asked for, not an error.
      if (!this.closing) this.logger.error(failure.message);
    });
    return reopening;
  }

  private emitEvent<K extends keyof ActiveMQEvents>(event: K, ...args: Parameters<ActiveMQEvents[K]>): void {
    if (event === 'error' && this.events.listenerCount('error') === 0) {
      this.logger.error((args[0] as Error).message);
      return;
    }
    this.events.emit(event, ...args);
  }
}
