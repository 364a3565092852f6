import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import { EventEmitter } from 'node:events';
import { ActiveMQStatus, type ActiveMQEvents } from '../events/activemq.events.js';
import { bodyAsIsDeserializer, bodyOnlySerializer, type ActiveMQDeserializer, type ActiveMQSerializer } from '../serialization/activemq-serializers.js';
import { decodePayload } from '../serialization/payload-codec.js';
import type { StompConnection } from '../stomp/connection.js';
import { connectToFirst } from '../stomp/connector.js';
import type { StompError } from '../stomp/errors.js';
import type { StompFrame } from '../stomp/frame.js';
import { resolveSettings, type ActiveMQConnectionSettings, type ResolvedSettings } from '../uri/resolve-settings.js';
import { ActiveMQConnectionLostError, ActiveMQRequestTimeoutError } from './client-activemq.errors.js';
import { buildOutgoingMessage } from './outgoing-message.js';
import { REPLY_HEADER, ReplyKind } from './reply-protocol.js';

/** Options of {@link ClientActiveMQ}: the connection settings, and how messages are sent. */
export interface ActiveMQClientOptions extends ActiveMQConnectionSettings {
  /** Events are persistent unless their record says otherwise. Default true (JMS parity). */
  readonly durable?: boolean;
  /** Milliseconds `send()` waits for a reply; the request also expires on the broker then. Default 30000. */
  readonly requestTimeout?: number;
  readonly serializer?: ActiveMQSerializer;
  readonly deserializer?: ActiveMQDeserializer;
}

const CLIENT_KEYS = ['durable', 'requestTimeout', 'serializer', 'deserializer'];

interface PendingRequest {
  readonly pattern: string;
  readonly callback: (packet: WritePacket) => void;
  timer: NodeJS.Timeout | undefined;
}

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
  private readonly pending = new Map<string, PendingRequest>();
  /** Connection-scoped on ActiveMQ: each connection gets its own queue under this name. */
  private readonly replyTo = '/temp-queue/nestjs-replies';
  private readonly durableByDefault: boolean;
  private readonly requestTimeout: number;
  private connection: StompConnection | undefined;
  private connecting: Promise<StompConnection> | undefined;
  private closing = false;
  private readonly messageSerializer: ActiveMQSerializer;
  private readonly messageDeserializer: ActiveMQDeserializer;

  constructor(protected readonly options: ActiveMQClientOptions = {}) {
    super();
    this.settings = resolveSettings(options, CLIENT_KEYS, 'ClientActiveMQ');
    this.durableByDefault = options.durable ?? true;
    this.requestTimeout = options.requestTimeout ?? 30_000;
    if (!Number.isInteger(this.requestTimeout) || this.requestTimeout <= 0) {
      throw new RangeError(`requestTimeout must be a positive whole number of milliseconds, got ${String(options.requestTimeout)}`);
    }
    this.messageSerializer = options.serializer ?? bodyOnlySerializer;
    this.messageDeserializer = options.deserializer ?? bodyAsIsDeserializer;
  }

  /** Connects (once; concurrent calls share the attempt) and opens the reply queue. */
  async connect(): Promise<StompConnection> {
    if (this.connection && !this.connection.isClosed) return this.connection;
    this.closing = false;
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Fails the requests still waiting, then DISCONNECTs. */
  async close(): Promise<void> {
    this.closing = true;
    const connection = this.connection ?? (await this.connecting?.catch(() => undefined));
    this.failPending(new ActiveMQConnectionLostError('the client was closed before the reply arrived'));
    if (connection) await connection.disconnect();
    this._status$.next(ActiveMQStatus.CLOSED);
  }

  /** Connection states as they change. */
  override get status(): Observable<ActiveMQStatus> {
    return super.status as Observable<ActiveMQStatus>;
  }

  /** Requests waiting for their reply. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /** The STOMP connection. Throws before `connect()`. */
  unwrap<T = StompConnection>(): T {
    if (!this.connection) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.connection as T;
  }

  override on<EventKey extends keyof ActiveMQEvents = keyof ActiveMQEvents, EventCallback extends ActiveMQEvents[EventKey] = ActiveMQEvents[EventKey]>(
    event: EventKey,
    callback: EventCallback,
  ): void {
    this.events.on(event, callback as (...args: unknown[]) => void);
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const connection = this.connection;
    if (!connection || connection.isClosed) {
      callback({ err: new ActiveMQConnectionLostError('the connection is not open') });
      return () => {};
    }
    const pattern = this.normalizePattern(packet.pattern);
    let message;
    try {
      // A request outlives its caller's patience only as waste: non-durable unless the record says so.
      message = buildOutgoingMessage(pattern, packet.data, this.messageSerializer, false);
    } catch (err) {
      callback({ err });
      return () => {};
    }
    const correlationId = randomUUID();
    const request: PendingRequest = { pattern, callback, timer: undefined };
    request.timer = setTimeout(() => {
      if (this.pending.delete(correlationId)) callback({ err: new ActiveMQRequestTimeoutError(pattern, this.requestTimeout) });
    }, this.requestTimeout);
    this.pending.set(correlationId, request);
    const headers = {
      expires: String(Date.now() + this.requestTimeout),
      ...message.headers,
      'reply-to': this.replyTo,
      'correlation-id': correlationId,
    };
    connection
      .send(message.destination, headers, message.body, message.durable ? { receipt: true, timeout: this.callTimeout } : {})
      .catch((err: unknown) => {
        const waiting = this.pending.get(correlationId);
        if (!waiting) return;
        this.forget(correlationId, waiting);
        callback({ err });
      });
    return () => {
      const waiting = this.pending.get(correlationId);
      if (waiting) this.forget(correlationId, waiting);
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const connection = await this.connect();
    const message = buildOutgoingMessage(this.normalizePattern(packet.pattern), packet.data, this.messageSerializer, this.durableByDefault);
    // Durable events wait for the broker's receipt (on disk); others go once written (semantics §8.1).
    await connection.send(message.destination, message.headers, message.body, message.durable ? { receipt: true, timeout: this.callTimeout } : {});
    return undefined as T;
  }

  private get callTimeout(): number {
    return this.settings.options.callTimeout ?? 30_000;
  }

  private async open(): Promise<StompConnection> {
    this._status$.next(ActiveMQStatus.CONNECTING);
    let connection: StompConnection | undefined;
    try {
      connection = await connectToFirst(this.settings.brokers, this.settings.startup);
      await connection.subscribe(this.replyTo, (reply) => this.onReply(reply));
    } catch (error) {
      connection?.destroy();
      this._status$.next(ActiveMQStatus.DISCONNECTED);
      throw error;
    }
    const opened = connection;
    this.connection = opened;
    opened.once('close', (error: StompError | undefined) => this.onClosed(opened, error));
    this._status$.next(ActiveMQStatus.CONNECTED);
    this.emitEvent('connect', opened.broker);
    return opened;
  }

  private onReply(message: StompFrame): void {
    const correlationId = message.headers['correlation-id'] ?? '';
    const request = this.pending.get(correlationId);
    if (!request) return; // its caller gave up (timeout or unsubscribe)
    const kind = message.headers[REPLY_HEADER] ?? ReplyKind.Last; // a JMS replier sends one plain reply
    let value: unknown;
    try {
      value = this.messageDeserializer.deserialize(decodePayload(message), { channel: request.pattern, headers: message.headers });
    } catch (err) {
      this.forget(correlationId, request);
      request.callback({ err });
      return;
    }
    if (kind !== ReplyKind.Next) this.forget(correlationId, request);
    switch (kind) {
      case ReplyKind.Next:
        return request.callback({ response: value });
      case ReplyKind.End:
        return request.callback({ response: undefined, isDisposed: true });
      case ReplyKind.Error:
        return request.callback({ err: value });
      default:
        return request.callback({ response: value, isDisposed: true });
    }
  }

  private onClosed(connection: StompConnection, error: StompError | undefined): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.failPending(
      new ActiveMQConnectionLostError(`the connection to ${connection.broker} ended before the reply arrived${error ? `: ${error.message}` : ''}`, { cause: error }),
    );
    this._status$.next(this.closing ? ActiveMQStatus.CLOSED : ActiveMQStatus.DISCONNECTED);
    this.emitEvent('disconnect', error);
    if (error && !this.closing) this.emitEvent('error', error);
  }

  private failPending(error: Error): void {
    for (const [correlationId, request] of this.pending) {
      this.forget(correlationId, request);
      request.callback({ err: error });
    }
  }

  private forget(correlationId: string, request: PendingRequest): void {
    clearTimeout(request.timer);
    this.pending.delete(correlationId);
  }

  private emitEvent<K extends keyof ActiveMQEvents>(event: K, ...args: Parameters<ActiveMQEvents[K]>): void {
    if (event === 'error' && this.events.listenerCount('error') === 0) {
      this.logger.error((args[0] as Error).message);
      return;
    }
    this.events.emit(event, ...args);
  }
}
