import type { Duplex } from 'node:stream';
import { StompParseError } from '../../stomp/errors.js';
import type { StompFrame, StompHeaders, StompServerCommand } from '../../stomp/frame.js';
import { FrameWriter } from '../../stomp/frame-writer.js';
import { HeartbeatTicker, MAX_HEARTBEAT_MS, parseHeartbeatHeader, type HeartbeatIntervals } from '../../stomp/heartbeat.js';
import { StompParser } from '../../stomp/parser.js';
import type { BrokerCore } from '../core/broker-core.js';
import { BrokerProtocolError, type BrokerClient, type CoreAttachment } from '../core/contracts.js';
import { PACKAGE_VERSION } from '../../internal/version.js';
import type { BrokerMessage, Queue, QueueConsumer } from '../core/queue.js';
import { compileFilter, messageHeaders, type MessageFilter } from '../core/selection.js';
import { encodeFrameFor, headerDecoder, negotiateVersion, SUPPORTED_VERSIONS, type StompVersion } from './stomp-versions.js';
import { readSubscribeHeaders, type AckMode, type SubscribeOptions } from './subscribe-headers.js';

/** A frame handler's answer: it wrote (or will write) the frame's receipt itself. */
const RECEIPTED: unique symbol = Symbol('receipted');
type FrameHandler = (frame: StompFrame) => typeof RECEIPTED | void;

interface Delivery {
  readonly message: BrokerMessage;
  readonly queue: Queue;
}

/**
 * One SUBSCRIBE of a connection: a consumer of the queues the core attached it to (one queue; a
 * topic subscription's own; a durable subscription's; those a wildcard matches).
 */
export class Subscription implements QueueConsumer {
  /** Delivered, not yet acknowledged, by ack id, in delivery order. */
  readonly unacked = new Map<string, Delivery>();
  /** Its hold on its queues; set once the core attached it. */
  attachment: CoreAttachment | undefined;
  readonly ack: AckMode;
  readonly prefetch: number;
  readonly priority: number;
  readonly exclusive: boolean;

  constructor(
    readonly connection: BrokerConnection,
    readonly id: string,
    readonly destination: string,
    options: SubscribeOptions,
    /** Its selector and noLocal, for the queues it shares with other consumers. */
    readonly accepts: MessageFilter | undefined,
  ) {
    this.ack = options.ack;
    this.prefetch = options.prefetch;
    this.priority = options.priority;
    this.exclusive = options.exclusive;
  }

  hasCredit(): boolean {
    // A connection whose stream is backed up takes nothing more: what it cannot write waits in the queue, counted.
    return !this.connection.congested && (this.ack === 'auto' || this.unacked.size < this.prefetch);
  }

  deliver(message: BrokerMessage, queue: Queue, firstOfGroup?: boolean): void {
    this.connection.deliver(this, message, queue, firstOfGroup === true);
  }
}

/**
 * A SUBSCRIBE with `browser:true`: the messages its queues held when it came, written as the
 * stream takes them (nothing is taken from the queues or locked), then one MESSAGE with
 * `browser:end` and no body; then it is over, its id kept until UNSUBSCRIBE as ActiveMQ keeps it
 * (https://activemq.apache.org/components/classic/documentation/stomp, "browser").
 */
class Browse {
  private next = 0;
  ended = false;

  constructor(
    readonly id: string,
    readonly destination: string,
    private messages: BrokerMessage[],
  ) {}

  /** The next message to show; undefined once all were. */
  take(): BrokerMessage | undefined {
    const message = this.messages[this.next++];
    if (message === undefined) this.messages = [];
    return message;
  }
}

interface OpenTransaction {
  readonly sends: BrokerMessage[];
  readonly acks: Delivery[];
}

/**
 * What one connection may do before it is CONNECTED, and how fast heart-beats may go. Until
 * CONNECTED a socket has proved nothing (with logins, not even that it may use the broker), so it
 * gets a small frame, a deadline, and (counted by the broker) one of a bounded number of places.
 */
export interface ConnectionLimits {
  /** Milliseconds a new connection has to complete its CONNECT; then it gets an ERROR and is closed. Default 10000. */
  readonly connectTimeoutMs: number;
  /**
   * Bytes a client may send up to the end of its CONNECT frame (EOLs before it included); more, and
   * it gets an ERROR and is closed without the rest being read. A CONNECT carries no body. Default 8 KiB.
   */
  readonly maxConnectFrameBytes: number;
  /** The broker neither beats nor expects beats more often than this, whatever the client asks. Default 100 ms. */
  readonly minHeartbeatMs: number;
}

/** The limits of {@link ConnectionLimits} where none are given. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  connectTimeoutMs: 10_000,
  maxConnectFrameBytes: 8 * 1024,
  minHeartbeatMs: 100,
});

/** What a connection tells the broker that accepted it. */
export interface ConnectionEvents {
  /** The connection is no longer waiting for its CONNECT: it got CONNECTED, or it closed first. Called once. */
  settled(connection: BrokerConnection): void;
  /** A limit was enforced; `kind` names it (the broker logs the first of each kind). */
  limit(kind: string, message: string): void;
}

const NO_EVENTS: ConnectionEvents = { settled: () => {}, limit: () => {} };
/** Subscriptions (browses included) one connection may have at once: each costs the broker memory and routing work. */
const MAX_SUBSCRIPTIONS = 10_000;
/** Ended browses whose ids a connection keeps for their UNSUBSCRIBE; past this, the oldest are forgotten. */
const MAX_ENDED_BROWSES = 1000;
const EMPTY = Buffer.alloc(0);
/**
 * Bytes written to a connection's stream and not yet taken by it past which its subscriptions get
 * no more messages until 'drain' (or its high-water mark, if higher, so that 'drain' is sure to come).
 */
const MAX_UNWRITTEN_BYTES = 64 * 1024;

/**
 * The broker's side of one client connection: parses its frames with the project's STOMP codec,
 * runs the STOMP state machine (CONNECT first, agreeing version 1.0, 1.1 or 1.2, then the session
 * frames), and writes the frames the broker sends. Everything about destinations and storage is
 * the core's.
 */
export class BrokerConnection implements BrokerClient {
  readonly id: string;
  private readonly parser: StompParser;
  private connected = false;
  /** The agreed version; until CONNECT, frames (an ERROR) are written as 1.2. */
  private version: StompVersion = '1.2';
  /** Bytes read before the CONNECT frame was complete: at most `maxConnectFrameBytes`. */
  private preConnectBytes = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  private settled = false;
  /** After an ERROR or DISCONNECT nothing more the client sent is acted on. */
  private ending = false;
  private closed = false;
  private readonly subscriptions = new Map<string, Subscription>();
  /** Browses (`browser:true`), running or ended, by subscription id. */
  private readonly browses = new Map<string, Browse>();
  /** The CONNECT `client-id`, held by this connection until it ends. */
  private clientId: string | undefined;
  private readonly transactions = new Map<string, OpenTransaction>();
  /** `ack:auto` deliveries whose bytes the stream has not yet taken: settled once it has, given back if it never does. */
  private readonly unwritten = new Set<Delivery>();
  private nextAck = 0;
  private readonly writer: FrameWriter;
  /** Heart-beats, once CONNECT agreed any. */
  private ticker: HeartbeatTicker | undefined;
  /** Set while the broker is over its memory limit: nothing more is read from this client. */
  paused = false;
  /** True while nothing more should be written for subscriptions: the stream is backed up, or the connection is ending. */
  get congested(): boolean {
    return this.closed || this.ending || this.writer.backedUp;
  }
  /** True while the client has a subscription (it is then never paused: its ACKs free memory). */
  get consumes(): boolean {
    return this.subscriptions.size > 0;
  }
  /** The client's own temporary queues, by the name it used (`/temp-queue/<name>`). */

  constructor(
    private readonly core: BrokerCore,
    private readonly stream: Duplex,
    sequence: number,
    readonly remote: string,
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
    private readonly events: ConnectionEvents = NO_EVENTS,
  ) {
    this.id = `ID:embedded-${core.brokerId}-${sequence}`;
    this.parser = new StompParser({ frame: (frame) => this.onFrame(frame), heartbeat: () => {} });
    this.writer = new FrameWriter(stream, { backedUpAt: MAX_UNWRITTEN_BYTES });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', () => this.close());
    stream.on('close', () => this.close());
    stream.on('end', () => this.close());
    stream.on('drain', () => this.redispatch());
    this.connectTimer = setTimeout(() => this.connectTimedOut(), limits.connectTimeoutMs);
    this.connectTimer.unref();
  }

  /** Closes a connection still waiting for its CONNECT, with an ERROR saying why (the broker needs its place). */
  refuse(kind: string, reason: string): void {
    if (this.settled || this.ending) return;
    this.events.limit(kind, reason);
    this.fail(undefined, new BrokerProtocolError(reason, true));
  }

  private connectTimedOut(): void {
    this.refuse('connectTimeoutMs', `no CONNECT within ${this.limits.connectTimeoutMs} ms of the connection opening (connectTimeoutMs): closed`);
  }

  private onData(chunk: Buffer): void {
    // After an ERROR nothing more is parsed: a hostile client's bytes cost no more work.
    if (this.closed || this.ending) return;
    this.ticker?.heard();
    const rest = this.connected ? chunk : this.readUntilConnected(chunk);
    if (rest.length > 0) this.push(rest);
  }

  /**
   * Before CONNECTED, hands the parser at most `maxConnectFrameBytes`, cut where a frame may end
   * (each NUL), so that nothing is buffered for a frame that would pass the limit; returns what
   * follows the CONNECT frame in `chunk` once it is CONNECTED (frames may follow it in one write).
   */
  private readUntilConnected(chunk: Buffer): Buffer {
    let offset = 0;
    while (offset < chunk.length && !this.connected) {
      if (this.closed || this.ending) return EMPTY;
      const nul = chunk.indexOf(0, offset);
      const end = nul === -1 ? chunk.length : nul + 1;
      this.preConnectBytes += end - offset;
      if (this.preConnectBytes > this.limits.maxConnectFrameBytes) {
        const limit = this.limits.maxConnectFrameBytes;
        this.refuse('maxConnectFrameBytes', `the first frame must be a CONNECT of at most ${limit} bytes; more came before its end (maxConnectFrameBytes ${limit}): closed`);
        return EMPTY;
      }
      this.push(chunk.subarray(offset, end));
      offset = end;
    }
    return chunk.subarray(offset);
  }

  private push(bytes: Buffer): void {
    try {
      this.parser.push(bytes);
    } catch (error) {
      const reason = error instanceof StompParseError ? error.message : String(error);
      this.fail(undefined, new BrokerProtocolError(`malformed STOMP: ${reason}`, true));
    }
  }

  /** Each client frame's handler (after CONNECT); {@link RECEIPTED} when it answers the receipt itself. */
  private readonly handlers: ReadonlyMap<string, FrameHandler> = new Map<string, FrameHandler>([
    ['SEND', (frame) => (this.onSend(frame), RECEIPTED)],
    ['SUBSCRIBE', (frame) => this.onSubscribe(frame)],
    ['UNSUBSCRIBE', (frame) => this.onUnsubscribe(frame)],
    ['ACK', (frame) => (this.onAck(frame, true), RECEIPTED)],
    ['NACK', (frame) => (this.onAck(frame, false), RECEIPTED)],
    ['BEGIN', (frame) => this.onBegin(frame)],
    ['COMMIT', (frame) => (this.onCommit(frame), RECEIPTED)],
    ['ABORT', (frame) => this.onAbort(frame)],
    [
      'DISCONNECT',
      (frame) => {
        this.receipt(frame);
        this.end();
        return RECEIPTED;
      },
    ],
  ]);

  private onFrame(frame: StompFrame): void {
    if (this.closed || this.ending) return;
    try {
      if (!this.connected) {
        if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') throw new BrokerProtocolError(`expected CONNECT, got ${frame.command}`, true);
        this.onConnect(frame);
        return;
      }
      const handle = this.handlers.get(frame.command);
      if (!handle) throw new BrokerProtocolError(`${frame.command} is not a frame a client sends`, true);
      // SEND, ACK/NACK and COMMIT answer their receipt themselves, once what they do is stored.
      if (handle(frame) === RECEIPTED) return;
      this.receipt(frame);
    } catch (error) {
      this.fail(frame, error instanceof BrokerProtocolError ? error : new BrokerProtocolError(String(error)));
    }
  }

  private onConnect(frame: StompFrame): void {
    const accepted = frame.headers['accept-version'];
    const version = negotiateVersion(accepted);
    if (version === undefined) {
      throw new BrokerProtocolError(`no STOMP version in common: the client accepts ${accepted}, this broker speaks ${SUPPORTED_VERSIONS.join(', ')}`, true, {
        version: SUPPORTED_VERSIONS.join(','),
      });
    }
    // From here on frames, the ERRORs below included, are written as the client reads them.
    this.version = version;
    this.parser.decodeHeader = headerDecoder(version);
    if (frame.body.length > 0) throw new BrokerProtocolError(`a ${frame.command} frame carries no body; this one has ${frame.body.length} bytes`, true);
    if (!this.core.authenticate(frame.headers['login'], frame.headers['passcode'])) {
      throw new BrokerProtocolError('authentication failed: unknown login or wrong passcode', true);
    }
    const { sendEvery, expectEvery } = this.negotiateHeartbeat(frame.headers['heart-beat']);
    // The JMS client id (ActiveMQ's STOMP page, CONNECT `client-id`): one connection at a time holds it.
    const clientId = frame.headers['client-id'];
    if (clientId !== undefined) {
      if (clientId === '') throw new BrokerProtocolError('client-id is empty: give it a value, or no client-id header', true);
      this.core.claimClientId(this, clientId);
      this.clientId = clientId;
    }
    this.connected = true;
    this.settle();
    this.write('CONNECTED', {
      version,
      server: `nestjs-activemq-embedded/${PACKAGE_VERSION}`,
      // As ActiveMQ answers: the client id when there is one.
      session: clientId ?? this.id,
      // As ActiveMQ answers: what the broker sends, then what it expects (a client asking 0,500 gets 500,0).
      'heart-beat': `${sendEvery},${expectEvery}`,
    });
    if (sendEvery === 0 && expectEvery === 0) return;
    // Generous: a client is dropped after 3 silent intervals. Not while paused: the broker itself
    // stopped reading, so the client's beats wait unread in the socket.
    const events = {
      beat: () => this.writer.writeHeartbeat(),
      dead: () => {
        if (!this.paused) this.close();
      },
    };
    this.ticker = new HeartbeatTicker({ sendEvery, expectEvery }, events, 3);
    this.writer.activity = this.ticker;
  }

  /**
   * The broker's intervals for CONNECT's `heart-beat:cx,cy` (STOMP 1.1+ "Heart-beating"): it sends
   * every cy ms and expects the client every cx ms, each raised to `minHeartbeatMs`; 0 means none.
   * Honoured whatever the version (1.0 has no heart-beating, but ActiveMQ takes the header there too).
   * A value past 2^31 - 1 ms (24.8 days) is clamped to it: a Node timer cannot wait longer and
   * would fire every millisecond instead, and ActiveMQ accepts such values, so refusing them
   * would refuse clients ActiveMQ takes. A header that is not two whole numbers is refused, as
   * ActiveMQ refuses it.
   */
  private negotiateHeartbeat(header: string | undefined): HeartbeatIntervals {
    const offered = parseHeartbeatHeader(header);
    if (!offered) throw new BrokerProtocolError(`heart-beat '${header}' is not two whole numbers of ms, as in heart-beat:10000,10000`, true);
    const [cx, cy] = offered;
    if (cx > MAX_HEARTBEAT_MS || cy > MAX_HEARTBEAT_MS) {
      const asked = header!.trim().slice(0, 64);
      this.events.limit('heart-beat', `a client asked for heart-beat:${asked}, past ${MAX_HEARTBEAT_MS} ms, the longest a timer holds: clamped to ${MAX_HEARTBEAT_MS}`);
    }
    const interval = (ms: number) => (ms === 0 ? 0 : Math.min(MAX_HEARTBEAT_MS, Math.max(this.limits.minHeartbeatMs, ms)));
    return { sendEvery: interval(cy), expectEvery: interval(cx) };
  }

  /** Leaves the pending state (CONNECTED, or closed first): the deadline is off, the broker frees the place. */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.connectTimer);
    this.events.settled(this);
  }

  private onSend(frame: StompFrame): void {
    const destination = required(frame, 'destination');
    const message = this.core.createMessage(this, destination, frame);
    const transaction = frame.headers['transaction'];
    if (transaction !== undefined) {
      const open = this.transactionOf(transaction);
      this.core.holdTransactional(message);
      open.sends.push(message);
      this.receipt(frame);
      return;
    }
    const receipt = frame.headers['receipt'];
    this.core.send(message, this).then(
      () => receipt !== undefined && this.write('RECEIPT', { 'receipt-id': receipt }),
      (error: unknown) => this.fail(frame, error instanceof BrokerProtocolError ? error : new BrokerProtocolError(String(error))),
    );
  }

  private onSubscribe(frame: StompFrame): typeof RECEIPTED | void {
    const destination = required(frame, 'destination');
    // STOMP 1.0 has no subscription ids: the destination stands for one, as in its UNSUBSCRIBE.
    const id = this.version === '1.0' ? (frame.headers['id'] ?? destination) : required(frame, 'id');
    // An ended browse's id may be used again (ActiveMQ keeps it only for its UNSUBSCRIBE).
    if (this.subscriptions.has(id) || this.browses.get(id)?.ended === false) throw new BrokerProtocolError(`subscription id '${id}' is in use on this connection`);
    if (this.subscriptions.size + this.browses.size >= MAX_SUBSCRIPTIONS) {
      throw new BrokerProtocolError(`this connection has ${MAX_SUBSCRIPTIONS} subscriptions, the most one may have: UNSUBSCRIBE some first`);
    }
    const options = readSubscribeHeaders(frame.headers);
    const filter = options.selector === undefined ? undefined : compileFilter(this.core.brokerId, options.selector);
    const accepts = consumerTest(filter, options.noLocal, this.id);
    if (options.browser) return this.browse(id, destination, options, accepts);
    if (options.retroactive && options.durableName !== undefined) {
      throw new BrokerProtocolError('activemq.retroactive is for non-durable topic subscriptions (ActiveMQ\'s "Retroactive Consumer"): not with activemq.subscriptionName');
    }
    const subscription = new Subscription(this, id, destination, options, accepts);
    subscription.attachment = this.core.subscribe(this, subscription, {
      destination,
      filter,
      selector: options.selector,
      noLocal: options.noLocal,
      retroactive: options.retroactive,
      durableName: options.durableName,
      clientId: this.clientId,
    });
    this.browses.delete(id);
    this.subscriptions.set(id, subscription);
    // A durable subscription made on a broker with a journal: the RECEIPT once its registration is on disk.
    const stored = subscription.attachment.stored;
    if (!stored) return;
    stored.then(
      () => this.receipt(frame),
      (error: unknown) => this.fail(frame, asProtocolError(error)),
    );
    return RECEIPTED;
  }

  /** A SUBSCRIBE with `browser:true`: what its queues hold now, then `browser:end`. */
  private browse(id: string, destination: string, options: SubscribeOptions, accepts: MessageFilter | undefined): void {
    // As ActiveMQ's ProtocolConverter: "Queue Browser feature only valid for Stomp v1.1+ clients".
    if (this.version === '1.0') throw new BrokerProtocolError('browser:true needs STOMP 1.1 or later (ActiveMQ has no queue browser for STOMP 1.0 clients)');
    if (options.durableName !== undefined) throw new BrokerProtocolError('browser:true is for queues: not with activemq.subscriptionName');
    const browse = new Browse(id, destination, this.core.browse(this, destination, accepts));
    this.browses.delete(id);
    this.browses.set(id, browse);
    this.pump(browse);
  }

  /** Writes what a browse has to show while the stream takes it (on 'drain' it goes on), then its `browser:end`. */
  private pump(browse: Browse): void {
    while (!browse.ended && !this.congested) {
      const message = browse.take();
      if (message === undefined) {
        browse.ended = true;
        this.write('MESSAGE', { subscription: browse.id, destination: browse.destination, 'message-id': '0', browser: 'end' });
        this.forgetEndedBrowses();
        return;
      }
      let bytes: Buffer;
      try {
        bytes = encodeFrameFor(this.version, 'MESSAGE', { ...messageHeaders(this.core.brokerId, message), subscription: browse.id }, message.body);
      } catch {
        // One no MESSAGE can carry is not shown; it is the core's to handle when it is consumed.
        continue;
      }
      this.writeBytes(bytes);
    }
  }

  /** Keeps at most {@link MAX_ENDED_BROWSES} ended browses' ids, the oldest forgotten first. */
  private forgetEndedBrowses(): void {
    let ended = 0;
    for (const browse of this.browses.values()) if (browse.ended) ended++;
    for (const [id, browse] of this.browses) {
      if (ended <= MAX_ENDED_BROWSES) return;
      if (!browse.ended) continue;
      this.browses.delete(id);
      ended--;
    }
  }

  private onUnsubscribe(frame: StompFrame): typeof RECEIPTED | void {
    const durableName = frame.headers['activemq.subscriptionName'];
    if (durableName !== undefined) return this.removeDurable(frame, durableName);
    const byDestination = this.version === '1.0' && frame.headers['id'] === undefined;
    const id = byDestination ? undefined : required(frame, 'id');
    const subscription = id === undefined ? this.subscriptionTo(required(frame, 'destination')) : this.subscriptions.get(id);
    if (subscription) return void this.dropSubscription(subscription);
    // A browse, running (it stops) or ended.
    if (id !== undefined && this.browses.delete(id)) return;
    throw new BrokerProtocolError(`no subscription '${frame.headers['id'] ?? frame.headers['destination']}' on this connection`);
  }

  /**
   * UNSUBSCRIBE with `activemq.subscriptionName`: removes that durable subscription of this
   * connection's client-id and what it holds (ActiveMQ's STOMP page). Its subscription on this
   * connection, if it is consumed, ends first (Classic removes only an inactive one, so a
   * client detaches, then removes). The RECEIPT follows the journal's removal.
   */
  private removeDurable(frame: StompFrame, name: string): typeof RECEIPTED | void {
    const clientId = this.clientId;
    if (clientId === undefined)
      throw new BrokerProtocolError(`UNSUBSCRIBE with activemq.subscriptionName '${name}' needs a client-id on CONNECT: a durable subscription is known by its client-id and name`);
    if (!this.core.hasDurable(clientId, name)) throw new BrokerProtocolError(`no durable subscription '${name}' of client-id '${clientId}' to remove`);
    for (const subscription of [...this.subscriptions.values()]) if (subscription.attachment?.durableName === name) this.dropSubscription(subscription);
    const stored = this.core.removeDurable(clientId, name);
    if (!stored) return;
    stored.then(
      () => this.receipt(frame),
      (error: unknown) => this.fail(frame, asProtocolError(error)),
    );
    return RECEIPTED;
  }

  /** A STOMP 1.0 UNSUBSCRIBE by destination: the first subscription to it. */
  private subscriptionTo(destination: string): Subscription | undefined {
    for (const subscription of this.subscriptions.values()) if (subscription.destination === destination) return subscription;
    return undefined;
  }

  /** ACK or NACK; its RECEIPT follows the journal writes it causes (a removal, a count, a move to the DLQ). */
  private onAck(frame: StompFrame, positive: boolean): void {
    const ackId = this.ackIdOf(frame);
    const transaction = frame.headers['transaction'];
    // Checked before any delivery is taken: a refused ACK must leave its deliveries as they were.
    const open = transaction === undefined ? undefined : this.transactionOf(transaction);
    const settled = this.takeDeliveries(ackId);
    if (!settled) throw new BrokerProtocolError(`${frame.command} of '${ackId}': no such unacknowledged message on this connection`);
    if (open && positive) {
      open.acks.push(...settled);
      this.receipt(frame);
      return;
    }
    const stored = settled.map((delivery) => (positive ? this.core.acknowledge(delivery.message, delivery.queue) : this.core.reject(delivery.message, delivery.queue)));
    this.redispatch();
    const writes = stored.filter((write) => write !== undefined);
    if (writes.length === 0) {
      this.receipt(frame);
      return;
    }
    Promise.all(writes).then(
      () => this.receipt(frame),
      (error: unknown) => this.fail(frame, asProtocolError(error)),
    );
  }

  private onBegin(frame: StompFrame): void {
    const id = required(frame, 'transaction');
    if (this.transactions.has(id)) throw new BrokerProtocolError(`transaction '${id}' is already open`);
    this.transactions.set(id, { sends: [], acks: [] });
  }

  private onCommit(frame: StompFrame): void {
    const id = required(frame, 'transaction');
    const transaction = this.transactions.get(id);
    if (!transaction) throw new BrokerProtocolError(`COMMIT of '${id}': no such transaction`);
    this.transactions.delete(id);
    // From here the core counts the sends: commit() takes them over, whatever its outcome.
    this.core.commit(transaction.sends, transaction.acks, this).then(
      () => {
        this.receipt(frame);
        this.redispatch();
      },
      (error: unknown) => {
        // Refused (limits) or not stored: the transaction is rolled back, its ACKed messages given back as on ABORT.
        this.giveBack(transaction.acks);
        this.fail(frame, error instanceof BrokerProtocolError ? error : new BrokerProtocolError(String(error)));
      },
    );
  }

  private onAbort(frame: StompFrame): void {
    const id = required(frame, 'transaction');
    const transaction = this.transactions.get(id);
    if (!transaction) throw new BrokerProtocolError(`ABORT of '${id}': no such transaction`);
    this.transactions.delete(id);
    this.core.dropTransactional(transaction.sends);
    this.giveBack(transaction.acks);
  }

  /** Unacknowledged deliveries settled by an ACK/NACK of `ackId` (cumulative for `client` mode). */
  private takeDeliveries(ackId: string): Delivery[] | undefined {
    for (const subscription of this.subscriptions.values()) {
      const delivery = subscription.unacked.get(ackId);
      if (!delivery) continue;
      if (subscription.ack !== 'client') {
        subscription.unacked.delete(ackId);
        return [delivery];
      }
      const settled: Delivery[] = [];
      for (const [key, earlier] of subscription.unacked) {
        settled.push(earlier);
        subscription.unacked.delete(key);
        if (key === ackId) break;
      }
      return settled;
    }
    return undefined;
  }

  /**
   * The delivery an ACK or NACK names, by the version's rule: 1.2 by `id` (the MESSAGE's `ack`),
   * 1.1 by `message-id` and `subscription`, 1.0 by `message-id` alone; 1.0 has no NACK.
   */
  private ackIdOf(frame: StompFrame): string {
    if (this.version === '1.2') return required(frame, 'id');
    if (this.version === '1.0' && frame.command === 'NACK') throw new BrokerProtocolError('NACK is not part of STOMP 1.0 (the version this connection agreed)');
    const messageId = required(frame, 'message-id');
    if (this.version === '1.1' && !this.subscriptions.get(required(frame, 'subscription'))?.unacked.has(messageId)) {
      throw new BrokerProtocolError(`${frame.command} of '${messageId}': no such unacknowledged message on subscription '${frame.headers['subscription']}'`);
    }
    return messageId;
  }

  /** The key a new delivery is acknowledged by: a fresh `ack` header in 1.2, its `message-id` before (unique among a connection's unacknowledged deliveries). */
  private ackIdFor(headers: StompHeaders): string {
    if (this.version !== '1.2') return headers['message-id']!;
    return (headers['ack'] = `${this.id}-${++this.nextAck}`);
  }

  private transactionOf(id: string): OpenTransaction {
    const transaction = this.transactions.get(id);
    if (!transaction) throw new BrokerProtocolError(`transaction '${id}' is not open (BEGIN it first)`);
    return transaction;
  }

  /**
   * Writes a MESSAGE for `message` to `subscription`. It is encoded first: a message that cannot
   * be is handed to the core as undeliverable, never settled and lost. An `ack:auto` delivery is
   * settled once the stream has taken its bytes; until then it is held, and counted.
   * `firstOfGroup` marks the first message of a group its subscription now owns
   * (`JMSXGroupFirstForConsumer:true`, as ActiveMQ sets it; its "Message Groups" page).
   */
  deliver(subscription: Subscription, message: BrokerMessage, queue: Queue, firstOfGroup = false): void {
    const headers: StompHeaders = { ...messageHeaders(this.core.brokerId, message), subscription: subscription.id };
    if (firstOfGroup) headers['JMSXGroupFirstForConsumer'] = 'true';
    const ackId = subscription.ack === 'auto' ? undefined : this.ackIdFor(headers);
    let bytes: Buffer;
    try {
      bytes = encodeFrameFor(this.version, 'MESSAGE', headers, message.body);
    } catch (error) {
      this.core.undeliverable(message, queue, error instanceof Error ? error.message : String(error));
      return;
    }
    const delivery: Delivery = { message, queue };
    if (ackId !== undefined) {
      subscription.unacked.set(ackId, delivery);
      this.writeBytes(bytes);
      return;
    }
    this.unwritten.add(delivery);
    this.writeBytes(bytes, (error) => {
      if (!this.unwritten.delete(delivery)) return;
      if (error) this.core.giveBack(message, queue);
      else void this.core.acknowledge(message, queue)?.catch(() => {});
    });
  }

  private redispatch(): void {
    for (const subscription of this.subscriptions.values()) subscription.attachment?.dispatch();
    for (const browse of this.browses.values()) if (!browse.ended) this.pump(browse);
  }

  /** Ends a subscription: what it held unacknowledged goes back (in order, before its queues dispatch again). */
  private dropSubscription(subscription: Subscription): void {
    this.subscriptions.delete(subscription.id);
    const unacked = [...subscription.unacked.values()];
    subscription.unacked.clear();
    if (subscription.attachment) this.core.unsubscribe(subscription.attachment, unacked);
  }

  /** Deliveries never acknowledged go back to their queues, in order, marked redelivered. */
  private giveBack(deliveries: Delivery[]): void {
    this.core.giveBackAll(deliveries);
  }

  private receipt(frame: StompFrame): void {
    const receipt = frame.headers['receipt'];
    if (receipt !== undefined) this.write('RECEIPT', { 'receipt-id': receipt });
  }

  /** Answers an ERROR; closes the connection when the error is fatal. */
  private fail(frame: StompFrame | undefined, error: BrokerProtocolError): void {
    if (this.closed || this.ending) return;
    const headers: StompHeaders = { ...error.headers, message: error.message.slice(0, 200).replace(/[\r\n]/g, ' ') };
    const receipt = frame?.headers['receipt'];
    if (receipt !== undefined) headers['receipt-id'] = receipt;
    this.write('ERROR', headers, error.message);
    if (error.fatal || receipt === undefined) this.end();
  }

  write(command: StompServerCommand, headers: StompHeaders, body?: Buffer | string): void {
    if (this.closed || this.ending) return;
    this.writeBytes(encodeFrameFor(this.version, command, headers, body));
  }

  /** Writes an encoded frame (corked for the rest of this turn, see {@link FrameWriter}); `written` as stream.write calls it. */
  private writeBytes(bytes: Buffer, written?: (error?: Error | null) => void): void {
    if (this.closed || this.ending) {
      // Later, as the stream would: the caller may be in the middle of a queue's dispatch.
      if (written) queueMicrotask(() => written(new Error('the connection is closing')));
      return;
    }
    this.writer.write(bytes, written);
  }

  /** Resumes reading after the broker went back under its memory limit. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // The silence while paused was the broker's: the heart-beat check starts over.
    this.ticker?.restart();
    this.stream.resume();
  }

  /** Stops reading from the client until {@link resume}: TCP (or the pipe) slows the producer. */
  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.stream.pause();
  }

  /** Ends the connection after what was written has gone out. */
  private end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.leaveDurables();
    setImmediate(() => {
      this.stream.end();
      this.close();
    });
  }

  /**
   * At once when the connection ends (DISCONNECT, ERROR), not when its stream is gone: its durable
   * subscriptions are detached and its client-id is free, so that the client may connect again
   * with them right away.
   */
  private leaveDurables(): void {
    for (const subscription of [...this.subscriptions.values()]) if (subscription.attachment?.durable) this.dropSubscription(subscription);
    if (this.clientId !== undefined) this.core.releaseClientId(this, this.clientId);
  }

  /** Releases everything the connection held: its subscriptions' unacknowledged messages go back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settle();
    this.ticker?.stop();
    this.browses.clear();
    for (const subscription of [...this.subscriptions.values()]) this.dropSubscription(subscription);
    for (const transaction of this.transactions.values()) {
      this.core.dropTransactional(transaction.sends);
      this.giveBack(transaction.acks);
    }
    this.transactions.clear();
    this.core.connectionClosed(this);
    // What the stream still holds when it is destroyed was never written: given back (after
    // destroy() a pending write's callback may never come). Taken by then: settled by its callback.
    const giveBackUnwritten = (): void => {
      this.giveBack([...this.unwritten]);
      this.unwritten.clear();
    };
    if (this.stream.destroyed) giveBackUnwritten();
    else
      setImmediate(() => {
        this.stream.destroy();
        giveBackUnwritten();
      });
  }
}

function asProtocolError(error: unknown): BrokerProtocolError {
  return error instanceof BrokerProtocolError ? error : new BrokerProtocolError(String(error));
}

function required(frame: StompFrame, header: string): string {
  const value = frame.headers[header];
  if (value === undefined || value === '') throw new BrokerProtocolError(`${frame.command} needs a '${header}' header`);
  return value;
}

/** A queue consumer's test of a message: its selector, and with noLocal, not the messages its own connection (`own`) sent. */
function consumerTest(filter: MessageFilter | undefined, noLocal: boolean, own: string): MessageFilter | undefined {
  if (!noLocal) return filter;
  return (message) => message.origin !== own && (!filter || filter(message));
}
