import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { encodeFrame } from '../stomp/encoder.js';
import {
  StompAuthenticationError,
  StompBrokerError,
  StompConnectionClosedError,
  StompError,
  StompHeartbeatTimeoutError,
  StompParseError,
  StompTimeoutError,
} from '../stomp/errors.js';
import { DEFAULT_STOMP_LIMITS, type StompClientCommand, type StompFrame, type StompHeaders, type StompLimits } from '../stomp/frame.js';
import { FrameWriter } from '../stomp/frame-writer.js';
import { StompParser } from '../stomp/parser.js';
import { HeartbeatTicker, negotiateHeartbeat, type HeartbeatIntervals } from '../stomp/heartbeat.js';

/** How to reach a broker and what to say in CONNECT. */
export interface StompConnectionOptions {
  /** Host name or IP address of the broker; with `stream`, a name for messages and logs. */
  readonly host: string;
  /** TCP port of the broker's STOMP connector (ActiveMQ's default is 61613). */
  readonly port: number;
  /**
   * `true` or TLS options to connect with TLS (`stomp+ssl://`). The certificate is verified
   * unless `rejectUnauthorized: false` is given explicitly.
   */
  readonly tls?: boolean | tls.ConnectionOptions;
  /** The CONNECT `login` header (user name). */
  readonly login?: string;
  /** The CONNECT `passcode` header (password); never logged or put in error messages. */
  readonly passcode?: string;
  /** The CONNECT `host` header (virtual host). Defaults to `host`. */
  readonly virtualHost?: string;
  /** The CONNECT `client-id` header; ActiveMQ needs one for durable topic subscriptions. */
  readonly clientId?: string;
  /**
   * `[outgoing, incoming]` heart-beat in ms as offered in CONNECT: how often this side can send,
   * and how often it wants to hear from the broker. `[0, 0]` turns heart-beats off. Default `[10000, 10000]`.
   */
  readonly heartBeat?: readonly [number, number];
  /**
   * The broker is declared dead after `expected interval × heartBeatGraceMultiplier` ms of silence.
   * Default 3: ActiveMQ Classic writes a heart-beat only after a whole check period without output,
   * so its silences reach twice the interval (measured: first beat 608 ms after CONNECTED for 300 ms).
   */
  readonly heartBeatGraceMultiplier?: number;
  /**
   * An already open stream to the broker instead of a socket to `host:port` (the in-process
   * embedded broker of `vm://` URIs hands its end of an in-memory pipe here).
   */
  readonly stream?: () => Duplex;
  /** Milliseconds allowed from the socket opening to CONNECTED. Default 10000. */
  readonly connectTimeout?: number;
  /**
   * The broker's frame limits: frames from the broker past them are refused by the parser, and
   * frames to it past them are refused before they are written (defaults: ActiveMQ Classic's).
   */
  readonly limits?: Partial<StompLimits>;
}

/** How a broker reads destinations: what `StompConnection.routing` applies (the wire room's `BrokerDialect` is one). */
export interface DestinationRouting {
  /** Addresses a SEND's headers in place. */
  route(headers: StompHeaders): void;
  /** The SUBSCRIBE destination and headers for a destination and the subscriber's headers. */
  subscription(destination: string, headers: StompHeaders): RoutedSubscription;
}

/** What a SUBSCRIBE is written with, once routed. */
export interface RoutedSubscription {
  /** The SUBSCRIBE's `destination`, as the broker reads it. */
  readonly destination: string;
  /** Its other headers (the routing type, flow control, …). */
  readonly headers: StompHeaders;
}

/** The broker's address for messages and logs: `host:port` (`[v6]:port`), or `vm://name` for an in-process stream. */
export function brokerAddress(options: Pick<StompConnectionOptions, 'host' | 'port' | 'stream'>): string {
  if (options.stream) return `vm://${options.host}`;
  return `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
}

/** How the broker expects a subscription's messages to be acknowledged. */
export type StompAckMode = 'auto' | 'client' | 'client-individual';

/** Options of one SUBSCRIBE. */
export interface StompSubscribeOptions {
  /** How the messages are acknowledged. Default `auto`. */
  readonly ack?: StompAckMode;
  /** Extra SUBSCRIBE headers, e.g. `activemq.prefetchSize`. */
  readonly headers?: StompHeaders;
  /**
   * Takes each MESSAGE of this subscription whose body passes `maxBodyBytes`, with its headers and
   * an empty body; the body is read past, not kept, and the messages behind it come as usual. The
   * subscriber must settle it (NACK it, so that the broker dead-letters it). Without this, such a
   * MESSAGE fails the connection with a `BODY_TOO_LARGE` parse error.
   */
  readonly onOversize?: StompMessageHandler;
}

/** A live subscription; MESSAGE frames for it reach its handler. */
export interface StompSubscription {
  /** The SUBSCRIBE `id` header, unique on its connection. */
  readonly id: string;
  /** The destination subscribed to, as given. */
  readonly destination: string;
  /** How its messages are acknowledged. */
  readonly ack: StompAckMode;
  /** UNSUBSCRIBE, confirmed by a receipt. */
  unsubscribe(): Promise<void>;
}

/** Receives each MESSAGE frame of a subscription, synchronously as it is parsed. */
export type StompMessageHandler = (message: StompFrame) => void;

interface PendingReceipt {
  resolve(frame: StompFrame): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY_HEADERS: StompHeaders = Object.freeze({});

export interface StompConnection {
  /** The connection ended. `error` says why, unless it was closed on purpose. */
  on(event: 'close', listener: (error: StompError | undefined) => void): this;
  /** A heart-beat EOL arrived from the broker. */
  on(event: 'heartbeat', listener: () => void): this;
  /** A MESSAGE arrived for a subscription that no longer exists (dropped; the broker redelivers what was not acked). */
  on(event: 'unrouted', listener: (message: StompFrame) => void): this;
  /** Like `on('close')`, for the first time only. */
  once(event: 'close', listener: (error: StompError | undefined) => void): this;
  /** Like `on('heartbeat')`, for the next heart-beat only. */
  once(event: 'heartbeat', listener: () => void): this;
}

/**
 * One STOMP 1.2 connection to a broker: CONNECT, heart-beats both ways, receipts, subscriptions,
 * transactions and DISCONNECT. It knows nothing of Nest.
 *
 * Frames written in one turn of the event loop go out in one `writev` (a `FrameWriter`:
 * Nest's replies, scheduled with `process.nextTick`, still join the batch), and a send that finds
 * the socket's buffer full waits for `drain`.
 */
export class StompConnection extends EventEmitter {
  /** `host:port`, for messages and logs (never the credentials). */
  readonly broker: string;
  /** CONNECTED's `server` header. */
  server = '';
  /**
   * How the broker reads destinations, set by the transport once CONNECTED has named the broker
   * (its `BrokerDialect`): applied to the headers of every SEND and to every SUBSCRIBE. Without
   * it, destinations are written as given.
   */
  routing: DestinationRouting | undefined;
  /** CONNECTED's `session` header. */
  session = '';
  /** The heart-beat intervals agreed with the broker. */
  heartbeat: HeartbeatIntervals = { sendEvery: 0, expectEvery: 0 };

  private readonly socket: Duplex;
  private readonly parser: StompParser;
  /** What the broker accepts: checked on every frame written. */
  private readonly limits: StompLimits;
  private readonly receipts = new Map<string, PendingReceipt>();
  private readonly subscriptions = new Map<string, StompMessageHandler>();
  /** The `onOversize` of the subscriptions that have one. */
  private readonly oversizeHandlers = new Map<string, StompMessageHandler>();
  private nextReceipt = 0;
  private nextSubscription = 0;
  private readonly writer: FrameWriter;
  /** Heart-beats, once CONNECTED agreed any. */
  private ticker: HeartbeatTicker | undefined;
  private connectedFrame: ((frame: StompFrame) => void) | undefined;
  private closing = false;
  private closeError: StompError | undefined;
  private ended = false;
  /** Resolves once the socket is closed, with the reason (undefined after a requested close). */
  readonly closed: Promise<StompError | undefined>;
  private resolveClosed!: (error: StompError | undefined) => void;

  private constructor(private readonly options: StompConnectionOptions) {
    super();
    this.broker = brokerAddress(options);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.limits = { ...DEFAULT_STOMP_LIMITS, ...options.limits };
    this.parser = new StompParser({ frame: (frame) => this.onFrame(frame), heartbeat: () => this.emit('heartbeat'), oversize: (frame) => this.onOversize(frame) }, options.limits);
    this.socket = options.stream ? options.stream() : openSocket(options);
    if (this.socket instanceof net.Socket) this.socket.setNoDelay(true);
    this.writer = new FrameWriter(this.socket, { closedError: () => this.closedError() });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      this.fail(new StompConnectionClosedError(`connection to ${this.broker} failed: ${error.message}`, { cause: error }));
    });
    this.socket.on('close', () => this.onSocketClose());
  }

  /** Opens a connection and completes the CONNECT/CONNECTED handshake. */
  static async connect(options: StompConnectionOptions): Promise<StompConnection> {
    const connection = new StompConnection(options);
    await connection.handshake();
    return connection;
  }

  /** Bytes written but not yet taken by the kernel (the socket's buffer). */
  get bufferedBytes(): number {
    return this.writer.bufferedBytes;
  }

  /** Batches written so far: every frame written in one tick of the event loop goes out in one batch. */
  get writeBatches(): number {
    return this.writer.writeBatches;
  }

  /** The frame limits of the broker, as configured: what it takes from this connection. */
  get frameLimits(): StompLimits {
    return this.limits;
  }

  /**
   * Why the connection ended (or is ending), once it has: a {@link StompBrokerError} when the broker sent an ERROR
   * that named no receipt (it refused something and closed), a {@link StompConnectionClosedError}
   * when the connection was lost; `undefined` while open or after a requested close.
   */
  get closeReason(): StompError | undefined {
    return this.isClosed ? this.closeError : undefined;
  }

  /** True once the connection is closed or closing: nothing more can be sent. */
  get isClosed(): boolean {
    return this.closing || this.ended;
  }

  /**
   * SEND. Without `receipt` it resolves once the frame is handed to the socket (waiting for
   * `drain` when the socket's buffer is full). With `receipt` it resolves on the broker's RECEIPT
   * and rejects with a {@link StompBrokerError} on an ERROR for it, or a {@link StompTimeoutError}
   * after `timeout` ms (the outcome is then in doubt).
   */
  send(destination: string, headers: StompHeaders, body: Buffer | string, options: { receipt?: boolean; timeout?: number } = {}): Promise<void> {
    const frameHeaders: StompHeaders = { destination, ...headers };
    if (options.receipt) return this.request('SEND', frameHeaders, body, options.timeout).then(ignore);
    return this.writeFrame('SEND', frameHeaders, body);
  }

  /** SUBSCRIBE, confirmed by a receipt so that a refused destination is an error here. */
  async subscribe(destination: string, handler: StompMessageHandler, options: StompSubscribeOptions = {}): Promise<StompSubscription> {
    const id = `sub-${++this.nextSubscription}`;
    const ack = options.ack ?? 'auto';
    this.subscriptions.set(id, handler);
    if (options.onOversize) this.oversizeHandlers.set(id, options.onOversize);
    try {
      const routed = this.routing ? this.routing.subscription(destination, { ...options.headers }) : { destination, headers: options.headers };
      await this.request('SUBSCRIBE', { ...routed.headers, id, destination: routed.destination, ack });
    } catch (error) {
      this.subscriptions.delete(id);
      this.oversizeHandlers.delete(id);
      throw error;
    }
    return {
      id,
      destination,
      ack,
      unsubscribe: async () => {
        await this.request('UNSUBSCRIBE', { id });
        this.subscriptions.delete(id);
        this.oversizeHandlers.delete(id);
      },
    };
  }

  /**
   * UNSUBSCRIBE that removes a durable subscription rather than detaching from it: `headers` name
   * it as the broker reads them (`activemq.subscriptionName` on Classic, `durable-subscription-name`
   * on Artemis), `destination` is its topic if known (no broker needs it: each finds the
   * subscription by the connection's client id and its name). Confirmed by a receipt.
   */
  async unsubscribeDurable(destination: string | undefined, headers: StompHeaders): Promise<void> {
    const routed = destination !== undefined && this.routing ? this.routing.subscription(destination, { ...headers }) : { destination, headers };
    // STOMP 1.2 wants an id on every UNSUBSCRIBE; none of this connection's subscriptions is meant.
    const id = `durable-removal-${++this.nextSubscription}`;
    await this.request('UNSUBSCRIBE', { ...routed.headers, id, ...(routed.destination === undefined ? {} : { destination: routed.destination }) });
  }

  /**
   * ACK a MESSAGE (its `ack` header), optionally inside a transaction. With `receipt` it resolves
   * once the broker confirmed the acknowledgement (Artemis' `blockOnAcknowledge`).
   */
  ack(message: StompFrame, options: { transaction?: string; receipt?: boolean; timeout?: number } = {}): Promise<void> {
    const headers = ackHeaders(message, options.transaction);
    return options.receipt ? this.request('ACK', headers, undefined, options.timeout).then(ignore) : this.writeFrame('ACK', headers);
  }

  /** NACK a MESSAGE. On ActiveMQ Classic this sends it to redelivery or the DLQ (ActiveMQ's "Message Redelivery and DLQ Handling" docs). */
  nack(message: StompFrame, options: { transaction?: string; receipt?: boolean; timeout?: number } = {}): Promise<void> {
    const headers = ackHeaders(message, options.transaction);
    return options.receipt ? this.request('NACK', headers, undefined, options.timeout).then(ignore) : this.writeFrame('NACK', headers);
  }

  /** BEGIN a transaction. Not receipted: a failure shows at COMMIT. */
  begin(transaction: string): Promise<void> {
    return this.writeFrame('BEGIN', { transaction });
  }

  /** COMMIT, resolved once the broker confirms (one fsync on ActiveMQ Classic). */
  commit(transaction: string, timeout?: number): Promise<void> {
    return this.request('COMMIT', { transaction }, undefined, timeout).then(ignore);
  }

  /** ABORT, resolved once the broker confirms. */
  abort(transaction: string, timeout?: number): Promise<void> {
    return this.request('ABORT', { transaction }, undefined, timeout).then(ignore);
  }

  /**
   * Writes a frame without a receipt. Resolves once the socket took it, or once it drained if its
   * buffer was full; rejects if the connection is closed.
   */
  writeFrame(command: StompClientCommand, headers: StompHeaders = EMPTY_HEADERS, body?: Buffer | string): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    try {
      if (command === 'SEND') this.routing?.route(headers);
    } catch (error) {
      // A SEND this broker cannot take (an option it does not have): refused before anything is written.
      return Promise.reject(error);
    }
    let frame: Buffer;
    try {
      frame = encodeFrame(command, headers, body, this.limits);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writer.write(frame) ? RESOLVED : this.writer.whenDrained();
  }

  /** Writes a frame with a `receipt` header and resolves with the RECEIPT. */
  request(command: StompClientCommand, headers: StompHeaders, body?: Buffer | string, timeout?: number): Promise<StompFrame> {
    if (this.isClosed) return Promise.reject(this.closedError());
    try {
      if (command === 'SEND') this.routing?.route(headers);
    } catch (error) {
      // A SEND this broker cannot take (an option it does not have): refused before anything is written.
      return Promise.reject(error);
    }
    const receipt = String(++this.nextReceipt);
    let frame: Buffer;
    try {
      frame = encodeFrame(command, { ...headers, receipt }, body, this.limits);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<StompFrame>((resolve, reject) => {
      const pending: PendingReceipt = { resolve, reject, timer: undefined };
      if (timeout !== undefined && timeout > 0) {
        pending.timer = setTimeout(() => {
          this.receipts.delete(receipt);
          reject(new StompTimeoutError(`${command} to ${this.broker} got no receipt within ${timeout} ms; its outcome is in doubt`));
        }, timeout);
      }
      this.receipts.set(receipt, pending);
      this.writer.write(frame);
    });
  }

  /** DISCONNECT with a receipt (bounded by `timeout` ms), then close the socket. */
  async disconnect(timeout = 5000): Promise<void> {
    if (this.isClosed) {
      await this.closed;
      return;
    }
    try {
      await this.request('DISCONNECT', {}, undefined, timeout);
    } catch {
      // The socket is closed below whatever the broker answered.
    }
    this.closing = true;
    this.socket.end();
    await this.closed;
  }

  /** Closes the socket at once; what waits on the connection fails with `error`. */
  destroy(error?: StompError): void {
    if (error) this.fail(error);
    else {
      this.closing = true;
      this.socket.destroy();
    }
  }

  private handshake(): Promise<void> {
    const o = this.options;
    const [outgoing, incoming] = o.heartBeat ?? [10000, 10000];
    const headers: StompHeaders = {
      'accept-version': '1.2',
      host: o.virtualHost ?? o.host,
      'heart-beat': `${outgoing},${incoming}`,
    };
    if (o.login !== undefined) headers['login'] = o.login;
    if (o.passcode !== undefined) headers['passcode'] = o.passcode;
    if (o.clientId !== undefined) headers['client-id'] = o.clientId;
    let connectFrame: Buffer;
    try {
      connectFrame = encodeFrame('CONNECT', headers);
    } catch (error) {
      this.socket.destroy();
      return Promise.reject(error);
    }
    const timeoutMs = o.connectTimeout ?? 10000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new StompTimeoutError(`${this.broker} did not answer CONNECT within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (error: StompError | undefined) => {
        clearTimeout(timer);
        this.off('close', onClose);
        this.connectedFrame = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onClose = (error: StompError | undefined) => settle(error ?? new StompConnectionClosedError(`${this.broker} closed the connection during CONNECT`));
      this.once('close', onClose);
      this.connectedFrame = (frame) => {
        if (frame.command === 'ERROR') {
          const error = this.connectRefused(frame);
          settle(error);
          this.fail(error);
          return;
        }
        if (frame.command !== 'CONNECTED') {
          const error = new StompConnectionClosedError(`${this.broker} answered CONNECT with ${frame.command}, not CONNECTED`);
          settle(error);
          this.fail(error);
          return;
        }
        const version = frame.headers['version'] ?? '1.0';
        if (version !== '1.2') {
          const error = new StompConnectionClosedError(`${this.broker} speaks STOMP ${version}; this client needs 1.2`);
          settle(error);
          this.fail(error);
          return;
        }
        this.server = frame.headers['server'] ?? '';
        this.session = frame.headers['session'] ?? '';
        try {
          this.heartbeat = negotiateHeartbeat([outgoing, incoming], frame.headers['heart-beat']);
        } catch (refused) {
          const error = new StompConnectionClosedError(`${this.broker} answered CONNECT with an unusable heart-beat: ${(refused as Error).message}`);
          settle(error);
          this.fail(error);
          return;
        }
        this.startHeartbeats();
        settle(undefined);
      };
      if (o.stream) this.writer.write(connectFrame);
      else this.socket.once(o.tls ? 'secureConnect' : 'connect', () => this.writer.write(connectFrame));
    });
  }

  private connectRefused(frame: StompFrame): StompBrokerError {
    const message = frame.headers['message'] ?? '';
    const login = this.options.login === undefined ? 'without a login' : `as '${this.options.login}'`;
    if (/password|credential|authenticat|user ?name|login|not authorized|security/i.test(message)) {
      const error = new StompAuthenticationError(frame.headers, frame.body, this.broker);
      error.message = `${this.broker} refused the login ${login}: ${message}`;
      return error;
    }
    return new StompBrokerError(frame.headers, frame.body, this.broker);
  }

  private startHeartbeats(): void {
    const { sendEvery, expectEvery } = this.heartbeat;
    if (sendEvery === 0 && expectEvery === 0) return;
    this.ticker = new HeartbeatTicker(
      this.heartbeat,
      {
        beat: () => this.writer.writeHeartbeat(),
        dead: (silent) => {
          this.fail(new StompHeartbeatTimeoutError(`${this.broker} sent nothing for ${silent} ms (heart-beat every ${expectEvery} ms expected); connection closed`));
        },
      },
      this.options.heartBeatGraceMultiplier ?? 3,
    );
    this.writer.activity = this.ticker;
  }

  private onData(chunk: Buffer): void {
    this.ticker?.heard();
    try {
      this.parser.push(chunk);
    } catch (error) {
      if (error instanceof StompParseError) {
        this.fail(new StompConnectionClosedError(`${this.broker} sent an invalid frame: ${error.message}`, { cause: error }));
      } else {
        throw error;
      }
    }
  }

  /**
   * A frame over `maxBodyBytes`, its body not read yet: a MESSAGE of a subscription that takes
   * them goes there, and the parser skips its body. Anything else stays fatal: a frame the broker
   * sends only once (an ERROR, a RECEIPT) cannot be skipped unseen, and a MESSAGE nobody takes
   * would stay unsettled.
   */
  private onOversize(frame: StompFrame): boolean {
    if (frame.command !== 'MESSAGE' || this.connectedFrame) return false;
    const handler = this.oversizeHandlers.get(frame.headers['subscription'] ?? '');
    if (!handler) return false;
    handler(frame);
    return true;
  }

  private onFrame(frame: StompFrame): void {
    if (this.connectedFrame) {
      this.connectedFrame(frame);
      return;
    }
    switch (frame.command) {
      case 'MESSAGE': {
        const handler = this.subscriptions.get(frame.headers['subscription'] ?? '');
        if (handler) handler(frame);
        else this.emit('unrouted', frame);
        return;
      }
      case 'RECEIPT': {
        const id = frame.headers['receipt-id'] ?? '';
        const pending = this.receipts.get(id);
        if (pending) {
          this.receipts.delete(id);
          if (pending.timer) clearTimeout(pending.timer);
          pending.resolve(frame);
        }
        return;
      }
      case 'ERROR': {
        const error = new StompBrokerError(frame.headers, frame.body, this.broker);
        const pending = error.receiptId === undefined ? undefined : this.receipts.get(error.receiptId);
        if (pending) {
          // The broker names the frame it refused: only that request fails (STOMP 1.2, ERROR: `receipt-id`).
          this.receipts.delete(error.receiptId!);
          if (pending.timer) clearTimeout(pending.timer);
          pending.reject(error);
        } else {
          // An ERROR for a frame without a receipt cannot be matched to it: fatal (STOMP 1.2: the server closes the connection after an ERROR).
          this.fail(error);
        }
        return;
      }
      default:
        this.fail(new StompConnectionClosedError(`${this.broker} sent ${frame.command}, which a server may not send after CONNECTED`));
    }
  }

  /** Ends the connection because of `error`: rejects what waits, closes the socket. */
  private fail(error: StompError): void {
    if (this.ended) return;
    if (!this.closeError && !this.closing) this.closeError = error;
    this.closing = true;
    this.socket.destroy();
  }

  private closedError(): StompError {
    return this.closeError ?? new StompConnectionClosedError(`the connection to ${this.broker} is closed`);
  }

  private onSocketClose(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.closing) {
      this.closeError = new StompConnectionClosedError(`${this.broker} closed the connection`);
    }
    this.closing = true;
    this.ticker?.stop();
    const error = this.closedError();
    for (const pending of this.receipts.values()) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.receipts.clear();
    this.subscriptions.clear();
    this.emit('close', this.closeError);
    this.resolveClosed(this.closeError);
  }
}

function openSocket(options: StompConnectionOptions): Duplex {
  if (!options.tls) return net.connect({ host: options.host, port: options.port });
  const extra = options.tls === true ? {} : options.tls;
  const servername = net.isIP(options.host) ? undefined : options.host;
  return tls.connect({ host: options.host, port: options.port, servername, ...extra });
}

function ackHeaders(message: StompFrame, transaction: string | undefined): StompHeaders {
  const id = message.headers['ack'];
  if (id === undefined) {
    throw new StompError(`this MESSAGE has no 'ack' header: its subscription acknowledges automatically`, { code: 'NOT_ACKNOWLEDGEABLE' });
  }
  return transaction === undefined ? { id } : { id, transaction };
}

function ignore(): void {}
