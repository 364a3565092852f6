import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler, type WritePacket } from '@nestjs/microservices';
import { EventEmitter } from 'node:events';
import { lastValueFrom, type Observable } from 'rxjs';
import { REPLY_HEADER, ReplyKind } from '../client/reply-protocol.js';
import { checkConsumerGroup, subscriptionOf } from '../destination.js';
import { ActiveMQStatus, ActiveMQTransport, type ActiveMQEvents } from '../events/activemq.events.js';
import type { ActiveMQServerMetrics } from '../metrics.js';
import { checkTracingOption, loadTracing, type MessageTracing } from '../tracing/message-tracing.js';
import { bodyAsIsDeserializer, bodyOnlySerializer, type ActiveMQDeserializer, type ActiveMQSerializer } from '../serialization/activemq-serializers.js';
import { decodePayload, encodePayload, PayloadDecodeError } from '../serialization/payload-codec.js';
import type { StompConnection } from '../stomp/connection.js';
import { connectToFirst } from '../stomp/connector.js';
import { logAttempt, reconnect, reconnectPolicyOf, watchPrimary } from '../stomp/reconnect-policy.js';
import type { StompError } from '../stomp/errors.js';
import type { StompFrame, StompHeaders } from '../stomp/frame.js';
import { resolveSettings, type ActiveMQConnectionSettings, type ResolvedSettings } from '../uri/resolve-settings.js';
import { MESSAGE_ID_HEADER } from '../producer/acknowledgements.js';
import { ActiveMQContext } from './activemq.context.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { MessageSettlement } from './settlement.js';

/** Options of {@link ServerActiveMQ}. */
export interface ActiveMQServerOptions extends ActiveMQConnectionSettings {
  /**
   * Messages the broker may push to each subscription before acks (`activemq.prefetchSize`).
   * Default: `concurrency`, as messages prefetched beyond what can run only wait here while
   * another instance could run them (and, measured, stall request/reply on a broker with Nagle on).
   */
  readonly prefetch?: number;
  /** Handlers in flight per subscription. Default 16; 1 keeps a queue's order. */
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
   */
  readonly dedupeWindow?: number;
  /**
   * Handlers run inside a consumer span whose parent is the trace context the message carries
   * (`traceparent`), through `@opentelemetry/api` when it is installed. Default true.
   */
  readonly tracing?: boolean;
}

const SERVER_KEYS = ['prefetch', 'concurrency', 'ackMode', 'consumerGroup', 'transportId', 'closeTimeout', 'serializer', 'deserializer', 'dedupeWindow', 'tracing'];
const NO_HANDLER = 'There is no matching message handler defined in the remote service.';

interface Consumer {
  readonly pattern: string;
  readonly gate: ConcurrencyGate;
  /**
   * The pattern's handler, looked up once: Nest's lookup tries `JSON.parse` on the pattern and
   * throws for every plain string, a cost paid on each message otherwise.
   */
  handler?: MessageHandler;
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
  private readonly events = new EventEmitter();
  private readonly consumers: Consumer[] = [];
  private readonly prefetch: number;
  private readonly counters = { received: 0, redelivered: 0, acknowledged: 0, rejected: 0, handlerFailures: 0, reconnections: 0 };
  private currentStatus: ActiveMQStatus = ActiveMQStatus.DISCONNECTED;
  private tracing: MessageTracing | undefined;
  private readonly concurrency: number;
  private readonly manualAck: boolean;
  private readonly replySerializer: ActiveMQSerializer;
  private readonly bodyDeserializer: ActiveMQDeserializer;
  private connection: StompConnection | undefined;
  private closing = false;
  /** Ids of handled messages, oldest first (bounded by `dedupeWindow`). */
  private readonly handledIds = new Set<string>();
  private readonly dedupeWindow: number;

  /** With `blockOnAcknowledge`, each ACK/NACK waits for the broker's receipt, up to `callTimeout`. */
  private get blockOnAcknowledgeMs(): number {
    return this.settings.options.blockOnAcknowledge ? (this.settings.options.callTimeout ?? 30_000) : 0;
  }

  /** Checks the options and the URI at once (an unknown or invalid one throws); connects on `listen()`. */
  constructor(private readonly options: ActiveMQServerOptions = {}) {
    super();
    this.settings = resolveSettings(options, SERVER_KEYS, 'ServerActiveMQ');
    this._status$.subscribe((status) => (this.currentStatus = status));
    this.transportId = options.transportId ?? ActiveMQTransport;
    checkTracingOption(options.tracing);
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? 16);
    this.prefetch = positiveInteger('prefetch', options.prefetch ?? this.settings.options.prefetchSize ?? this.concurrency);
    const ackMode = options.ackMode ?? 'auto-after-handler';
    if (ackMode !== 'auto-after-handler' && ackMode !== 'manual') {
      throw new TypeError(`ackMode must be 'auto-after-handler' or 'manual', got '${String(ackMode)}'`);
    }
    this.manualAck = ackMode === 'manual';
    this.dedupeWindow = options.dedupeWindow ?? 0;
    if (!Number.isInteger(this.dedupeWindow) || this.dedupeWindow < 0) throw new RangeError(`dedupeWindow must be a whole number >= 0, got ${String(options.dedupeWindow)}`);
    this.replySerializer = options.serializer ?? bodyOnlySerializer;
    this.bodyDeserializer = options.deserializer ?? bodyAsIsDeserializer;
    if (options.consumerGroup !== undefined) checkConsumerGroup(options.consumerGroup);
  }

  /** Connects and subscribes one consumer per handler pattern; `callback(error)` if that fails. */
  listen(callback: (error?: unknown, ...info: unknown[]) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Stops taking messages, waits (up to `closeTimeout`) for handlers in flight, then disconnects. */
  async close(): Promise<void> {
    this.closing = true;
    for (const consumer of this.consumers) consumer.gate.stop();
    await this.drainHandlers(this.options.closeTimeout ?? 10_000);
    this.consumers.length = 0;
    await this.connection?.disconnect();
    this.connection = undefined;
    this._status$.next(ActiveMQStatus.CLOSED);
  }

  /** Waits up to `timeout` ms for the handlers in flight. */
  private async drainHandlers(timeout: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.all(this.consumers.map((c) => c.gate.idle()));
    const expired = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeout)));
    if ((await Promise.race([drained, expired])) === 'timeout') {
      this.logger.warn(`closing with handlers still running after ${timeout} ms; their messages will be redelivered`);
    }
    clearTimeout(timer);
  }

  on<K extends keyof ActiveMQEvents>(event: K, callback: ActiveMQEvents[K]): void {
    this.events.on(event, callback as (...args: unknown[]) => void);
  }

  /** The STOMP connection. Throws before `listen()`. */
  unwrap<T = StompConnection>(): T {
    if (!this.connection) throw new Error('Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.');
    return this.connection as T;
  }

  /** The connection's state now (`status` reports its changes). */
  get connectionStatus(): ActiveMQStatus {
    return this.currentStatus;
  }

  /** Counters since this server was created, and the handlers running now. */
  metrics(): ActiveMQServerMetrics {
    return { status: this.currentStatus, ...this.counters, inFlight: this.consumers.reduce((sum, c) => sum + c.gate.running, 0) };
  }

  private async start(): Promise<void> {
    this.closing = false;
    this.tracing = await loadTracing(this.options.tracing);
    this._status$.next(ActiveMQStatus.CONNECTING);
    await this.attach(() => connectToFirst(this.settings.brokers, this.settings.startup));
  }

  /** Connects as `open` does, then subscribes every pattern; the server is consuming when it resolves. */
  private async attach(open: () => Promise<StompConnection>): Promise<void> {
    let connection: StompConnection;
    try {
      connection = await open();
    } catch (error) {
      this._status$.next(ActiveMQStatus.DISCONNECTED);
      throw error;
    }
    if (this.closing) {
      await connection.disconnect();
      return;
    }
    this.connection = connection;
    connection.once('close', (error: StompError | undefined) => this.onClosed(connection, error));
    try {
      for (const pattern of this.messageHandlers.keys()) await this.subscribe(connection, pattern);
    } catch (error) {
      await connection.disconnect();
      this._status$.next(ActiveMQStatus.DISCONNECTED);
      throw error;
    }
    this._status$.next(ActiveMQStatus.CONNECTED);
    this.emitEvent('connect', connection.broker);
    watchPrimary(this.settings.brokers, connection, reconnectPolicyOf(this.settings.options), (primary) => void this.moveTo(primary, connection));
  }

  /**
   * `priorityBackup`: the first broker is back. Stop taking messages from the backup, let the
   * handlers in flight finish (up to `closeTimeout`), DISCONNECT it, and consume from the first.
   */
  private async moveTo(primary: StompConnection, backup: StompConnection): Promise<void> {
    if (this.connection !== backup || this.closing) return primary.destroy();
    for (const consumer of this.consumers) consumer.gate.stop();
    await this.drainHandlers(this.options.closeTimeout ?? 10_000);
    await backup.disconnect();
    await this.attach(async () => primary).then(
      () => this.logger.log(`moved back to ${primary.broker} (priorityBackup)`),
      (error: Error) => this.logger.error(`could not move back to ${primary.broker}: ${error.message}`),
    );
  }

  private async subscribe(connection: StompConnection, pattern: string): Promise<void> {
    const consumer: Consumer = { pattern, gate: new ConcurrencyGate(this.concurrency) };
    this.consumers.push(consumer);
    const destination = subscriptionOf(pattern, this.options.consumerGroup);
    await connection.subscribe(destination, (message) => consumer.gate.run(() => this.handle(connection, consumer, message)), {
      ack: 'client-individual',
      headers: { 'activemq.prefetchSize': String(this.prefetch) },
    });
    this.logger.debug?.(`consuming ${destination} for '${pattern}'`);
  }

  private async handle(connection: StompConnection, consumer: Consumer, message: StompFrame): Promise<void> {
    const pattern = consumer.pattern;
    this.counters.received++;
    if (message.headers['redelivered'] === 'true') this.counters.redelivered++;
    const settlement = new MessageSettlement(connection, message, this.blockOnAcknowledgeMs);
    const context = new ActiveMQContext([message, pattern, settlement, this.manualAck]);
    const replyTo = message.headers['reply-to'];
    const handler = (consumer.handler ??= this.getHandlerByPattern(pattern) ?? undefined);
    const messageId = message.headers['message-id'] ?? '(no message-id)';
    if (!handler) {
      this.logger.error(`no handler for '${pattern}'; message ${messageId} rejected`);
      if (replyTo) await this.reply(connection, message, replyTo, { err: NO_HANDLER });
      await this.settle(settlement, replyTo ? 'ack' : 'nack');
      return;
    }
    const dedupeId = this.dedupeWindow > 0 ? message.headers[MESSAGE_ID_HEADER] : undefined;
    if (dedupeId !== undefined && this.handledIds.has(dedupeId)) {
      this.logger.debug?.(`message ${messageId} repeats ${dedupeId}, handled already: acknowledged without running the handler`);
      await this.settle(settlement, 'ack');
      return;
    }
    let data: unknown;
    try {
      data = this.bodyDeserializer.deserialize(decodePayload(message), { channel: pattern, headers: message.headers });
    } catch (error) {
      // Never handled, never dropped: rejected towards the DLQ, and the requester told.
      this.logger.error(
        `message ${messageId} on ${message.headers['destination'] ?? pattern} rejected unhandled: ${error instanceof PayloadDecodeError ? error.message : String(error)}`,
      );
      if (replyTo) await this.reply(connection, message, replyTo, { err: errorToWire(error) });
      await this.settle(settlement, 'nack');
      return;
    }
    const run =
      handler.isEventHandler || !replyTo
        ? () => this.runEvent(handler, data, context, settlement, messageId)
        : () => this.runRequest(connection, handler, data, context, settlement, message, replyTo);
    const tracing = this.tracing;
    const traced = tracing ? () => tracing.process(message.headers['destination'] ?? pattern, message.headers, run) : run;
    const startHook = this.onProcessingStartHook as ((id: symbol, ctx: ActiveMQContext, done: () => Promise<void>) => unknown) | undefined;
    if (startHook) await startHook.call(this, this.transportId as symbol, context, traced);
    else await traced();
    if (dedupeId !== undefined && settlement.outcome === 'ack') this.remember(dedupeId);
  }

  private remember(id: string): void {
    this.handledIds.add(id);
    if (this.handledIds.size > this.dedupeWindow) this.handledIds.delete(this.handledIds.values().next().value!);
  }

  private async runEvent(handler: MessageHandler, data: unknown, context: ActiveMQContext, settlement: MessageSettlement, messageId: string): Promise<void> {
    try {
      const result: unknown = await handler(data, context);
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    } catch (error) {
      this.counters.handlerFailures++;
      this.logger.error(`handler for '${context.getPattern()}' failed on message ${messageId} (${errorMessage(error)}); rejected for redelivery, then the DLQ`);
      await this.settle(settlement, 'nack');
      return;
    } finally {
      this.onProcessingEndHook?.(this.transportId!, context);
    }
    await this.settle(settlement, 'ack');
  }

  private async runRequest(
    connection: StompConnection,
    handler: MessageHandler,
    data: unknown,
    context: ActiveMQContext,
    settlement: MessageSettlement,
    message: StompFrame,
    replyTo: string,
  ): Promise<void> {
    let response$: Observable<unknown>;
    try {
      response$ = this.transformToObservable(await handler(data, context)) as Observable<unknown>;
    } catch (error) {
      this.counters.handlerFailures++;
      await this.reply(connection, message, replyTo, { err: error });
      await this.settle(settlement, 'ack');
      this.onProcessingEndHook?.(this.transportId!, context);
      return;
    }
    await new Promise<void>((resolve) => {
      let finished = false;
      this.send(response$, async (packet: WritePacket) => {
        if (finished) return;
        if (packet.err !== undefined || packet.isDisposed) finished = true;
        if (packet.err !== undefined) this.counters.handlerFailures++;
        await this.reply(connection, message, replyTo, packet);
        if (finished) resolve();
      });
    });
    await this.settle(settlement, 'ack');
    this.onProcessingEndHook?.(this.transportId!, context);
  }

  /**
   * Sends one reply packet and waits for its receipt, so that a reply to a vanished temporary
   * queue fails alone (ActiveMQ answers an ERROR) and not the connection. The request's ACK waits
   * for it too: then the broker always has something of ours to answer, which matters on a broker
   * that keeps Nagle's algorithm on (ActiveMQ's default): measured, not waiting left each reply
   * stalled by the 40 ms delayed-ACK timer.
   */
  private async reply(connection: StompConnection, request: StompFrame, replyTo: string, packet: WritePacket): Promise<void> {
    let kind: ReplyKind;
    let value: unknown;
    if (packet.err !== undefined) {
      kind = ReplyKind.Error;
      value = errorToWire(packet.err);
    } else if (packet.isDisposed) {
      kind = packet.response === undefined ? ReplyKind.End : ReplyKind.Last;
      value = packet.response;
    } else {
      kind = ReplyKind.Next;
      value = packet.response;
    }
    try {
      const encoded = encodePayload(this.replySerializer.serialize({ pattern: replyTo, data: value }));
      const headers: StompHeaders = { ...encoded.headers, persistent: 'false', [REPLY_HEADER]: kind };
      const correlationId = request.headers['correlation-id'];
      if (correlationId !== undefined) headers['correlation-id'] = correlationId;
      // No timer of its own: a connection that dies rejects it.
      await connection.send(replyTo, headers, encoded.body, { receipt: true });
    } catch (error) {
      this.notDelivered(request, replyTo, error);
    }
  }

  private notDelivered(request: StompFrame, replyTo: string, error: unknown): void {
    this.logger.warn(`reply to ${replyTo} for message ${request.headers['message-id'] ?? ''} not delivered: ${errorMessage(error)}`);
  }

  private async settle(settlement: MessageSettlement, outcome: 'ack' | 'nack'): Promise<void> {
    if (this.manualAck) return;
    try {
      await (outcome === 'ack' ? settlement.ack() : settlement.nack());
      this.counters[outcome === 'ack' ? 'acknowledged' : 'rejected']++;
    } catch (error) {
      this.logger.warn(`could not ${outcome} a message: ${errorMessage(error)}; the broker will redeliver it`);
    }
  }

  private onClosed(connection: StompConnection, error: StompError | undefined): void {
    if (this.connection !== connection) return;
    for (const consumer of this.consumers) consumer.gate.stop();
    this.consumers.length = 0;
    this.connection = undefined;
    this._status$.next(this.closing ? ActiveMQStatus.CLOSED : ActiveMQStatus.DISCONNECTED);
    this.emitEvent('disconnect', error);
    if (!error || this.closing) return;
    this.logger.error(`lost the connection to ${connection.broker}: ${error.message}`);
    this.emitEvent('error', error);
    const policy = reconnectPolicyOf(this.settings.options);
    if (!policy.enabled) return;
    // Handlers in flight on the lost connection cannot ack: the broker redelivers their messages.
    this._status$.next(ActiveMQStatus.RECONNECTING);
    this.attach(() =>
      reconnect(
        this.settings.brokers,
        policy,
        () => this.closing,
        (attempt) => logAttempt(this.logger, attempt),
      ),
    ).then(
      () => {
        this.counters.reconnections++;
        this.logger.log(`reconnected; consuming ${this.consumers.length} subscriptions again`);
      },
      (failure: Error) => this.logger.error(failure.message),
    );
  }

  private emitEvent<K extends keyof ActiveMQEvents>(event: K, ...args: Parameters<ActiveMQEvents[K]>): void {
    if (event === 'error' && this.events.listenerCount('error') === 0) return;
    this.events.emit(event, ...args);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${String(value)}`);
  return value;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

/** Errors cross the wire as JSON: an Error keeps its message, name and own fields. */
function errorToWire(error: unknown): unknown {
  if (error instanceof Error) return { ...error, name: error.name, message: error.message };
  return error;
}
