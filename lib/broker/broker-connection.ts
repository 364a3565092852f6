import type { Duplex } from 'node:stream';
import { encodeFrame } from '../stomp/encoder.js';
import { StompParseError } from '../stomp/errors.js';
import type { StompFrame, StompHeaders, StompServerCommand } from '../stomp/frame.js';
import { StompParser } from '../stomp/parser.js';
import type { BrokerCore } from './broker-core.js';
import type { BrokerMessage, Queue, QueueConsumer } from './queue.js';

/** A protocol error answered with an ERROR frame (carrying the request's receipt-id when it had one). */
export class BrokerProtocolError extends Error {
  constructor(
    message: string,
    /** The connection cannot go on (STOMP says the server closes after an ERROR; used for protocol violations). */
    readonly fatal = false,
  ) {
    super(message);
    this.name = 'BrokerProtocolError';
  }
}

type AckMode = 'auto' | 'client' | 'client-individual';

interface Delivery {
  readonly message: BrokerMessage;
  readonly queue: Queue;
}

/** One SUBSCRIBE of a connection: a consumer of one queue (a topic subscription has a queue of its own). */
export class Subscription implements QueueConsumer {
  /** Delivered, not yet acknowledged, by ack id, in delivery order. */
  readonly unacked = new Map<string, Delivery>();

  constructor(
    readonly connection: BrokerConnection,
    readonly id: string,
    readonly destination: string,
    readonly ack: AckMode,
    readonly prefetch: number,
    readonly queue: Queue,
  ) {}

  hasCredit(): boolean {
    return this.ack === 'auto' || this.unacked.size < this.prefetch;
  }

  deliver(message: BrokerMessage, queue: Queue): void {
    this.connection.deliver(this, message, queue);
  }
}

interface OpenTransaction {
  readonly sends: BrokerMessage[];
  readonly acks: Delivery[];
}

const SERVER_HEARTBEAT = 10_000;

/**
 * The broker's side of one client connection: parses its frames with the project's STOMP codec,
 * runs the STOMP 1.2 state machine (CONNECT first, then the session frames), and writes the
 * frames the broker sends. Everything about destinations and storage is the core's.
 */
export class BrokerConnection {
  readonly id: string;
  private readonly parser: StompParser;
  private connected = false;
  /** After an ERROR or DISCONNECT nothing more the client sent is acted on. */
  private ending = false;
  private closed = false;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly transactions = new Map<string, OpenTransaction>();
  private nextAck = 0;
  private sendTimer: NodeJS.Timeout | undefined;
  private readTimer: NodeJS.Timeout | undefined;
  private readSince = Date.now();
  private wroteSinceBeat = false;
  private corked = false;
  /** Set while the broker is over its memory limit: nothing more is read from this client. */
  paused = false;
  /** True while the client has a subscription (it is then never paused: its ACKs free memory). */
  get consumes(): boolean {
    return this.subscriptions.size > 0;
  }
  /** The client's own temporary queues, by the name it used (`/temp-queue/<name>`). */
  readonly tempQueues = new Map<string, Queue>();

  constructor(
    private readonly core: BrokerCore,
    private readonly stream: Duplex,
    sequence: number,
    readonly remote: string,
  ) {
    this.id = `ID:embedded-${core.brokerId}-${sequence}`;
    this.parser = new StompParser({ frame: (frame) => this.onFrame(frame), heartbeat: () => {} }, core.limits);
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', () => this.close());
    stream.on('close', () => this.close());
    stream.on('end', () => this.close());
  }

  private onData(chunk: Buffer): void {
    this.readSince = Date.now();
    try {
      this.parser.push(chunk);
    } catch (error) {
      const reason = error instanceof StompParseError ? error.message : String(error);
      this.fail(undefined, new BrokerProtocolError(`malformed STOMP: ${reason}`, true));
    }
  }

  private onFrame(frame: StompFrame): void {
    if (this.closed || this.ending) return;
    try {
      if (!this.connected) {
        if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') throw new BrokerProtocolError(`expected CONNECT, got ${frame.command}`, true);
        this.onConnect(frame);
        return;
      }
      switch (frame.command) {
        case 'SEND':
          this.onSend(frame);
          return;
        case 'SUBSCRIBE':
          this.onSubscribe(frame);
          break;
        case 'UNSUBSCRIBE':
          this.onUnsubscribe(frame);
          break;
        case 'ACK':
        case 'NACK':
          this.onAck(frame, frame.command === 'ACK');
          break;
        case 'BEGIN':
          this.onBegin(frame);
          break;
        case 'COMMIT':
          this.onCommit(frame);
          return;
        case 'ABORT':
          this.onAbort(frame);
          break;
        case 'DISCONNECT':
          this.receipt(frame);
          this.end();
          return;
        default:
          throw new BrokerProtocolError(`${frame.command} is not a frame a client sends`, true);
      }
      this.receipt(frame);
    } catch (error) {
      this.fail(frame, error instanceof BrokerProtocolError ? error : new BrokerProtocolError(String(error)));
    }
  }

  private onConnect(frame: StompFrame): void {
    const versions = (frame.headers['accept-version'] ?? '1.0').split(',');
    if (!versions.includes('1.2')) throw new BrokerProtocolError(`only STOMP 1.2 is supported; the client accepts ${versions.join(', ')}`, true);
    if (!this.core.authenticate(frame.headers['login'], frame.headers['passcode'])) {
      throw new BrokerProtocolError('authentication failed: unknown login or wrong passcode', true);
    }
    const [cx, cy] = parseHeartbeat(frame.headers['heart-beat']);
    const sendEvery = cy === 0 ? 0 : Math.max(SERVER_HEARTBEAT, cy);
    const expectEvery = cx === 0 ? 0 : Math.max(SERVER_HEARTBEAT, cx);
    this.connected = true;
    this.write('CONNECTED', {
      version: '1.2',
      server: `nestjs-activemq-embedded/${this.core.version}`,
      session: this.id,
      'heart-beat': `${SERVER_HEARTBEAT},${SERVER_HEARTBEAT}`,
    });
    if (sendEvery > 0) {
      this.sendTimer = setInterval(() => {
        if (!this.wroteSinceBeat) this.stream.write('\n');
        this.wroteSinceBeat = false;
      }, sendEvery);
      this.sendTimer.unref();
    }
    if (expectEvery > 0) {
      // Generous: a client is dropped after 3 silent intervals.
      this.readTimer = setInterval(() => {
        if (Date.now() - this.readSince > expectEvery * 3) this.close();
      }, expectEvery);
      this.readTimer.unref();
    }
  }

  private onSend(frame: StompFrame): void {
    const destination = required(frame, 'destination');
    const message = this.core.createMessage(this, destination, frame);
    const transaction = frame.headers['transaction'];
    if (transaction !== undefined) {
      this.transactionOf(transaction).sends.push(message);
      this.receipt(frame);
      return;
    }
    const receipt = frame.headers['receipt'];
    this.core.send(message, this).then(
      () => receipt !== undefined && this.write('RECEIPT', { 'receipt-id': receipt }),
      (error: unknown) => this.fail(frame, error instanceof BrokerProtocolError ? error : new BrokerProtocolError(String(error))),
    );
  }

  private onSubscribe(frame: StompFrame): void {
    const id = required(frame, 'id');
    const destination = required(frame, 'destination');
    if (this.subscriptions.has(id)) throw new BrokerProtocolError(`subscription id '${id}' is in use on this connection`);
    const ack = frame.headers['ack'] ?? 'auto';
    if (ack !== 'auto' && ack !== 'client' && ack !== 'client-individual') throw new BrokerProtocolError(`ack mode '${ack}' is not auto, client or client-individual`);
    const prefetchHeader = frame.headers['activemq.prefetchSize'];
    const prefetch = prefetchHeader === undefined ? 1000 : Number(prefetchHeader);
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new BrokerProtocolError(`activemq.prefetchSize '${prefetchHeader}' is not a positive integer`);
    const queue = this.core.queueForSubscription(this, destination);
    const subscription = new Subscription(this, id, destination, ack, prefetch, queue);
    this.subscriptions.set(id, subscription);
    queue.addConsumer(subscription);
  }

  private onUnsubscribe(frame: StompFrame): void {
    const id = required(frame, 'id');
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw new BrokerProtocolError(`no subscription '${id}' on this connection`);
    this.dropSubscription(subscription);
  }

  private onAck(frame: StompFrame, positive: boolean): void {
    const ackId = required(frame, 'id');
    const settled = this.takeDeliveries(ackId);
    if (!settled) throw new BrokerProtocolError(`${frame.command} of '${ackId}': no such unacknowledged message on this connection`);
    const transaction = frame.headers['transaction'];
    if (transaction !== undefined && positive) {
      this.transactionOf(transaction).acks.push(...settled);
      return;
    }
    for (const delivery of settled) {
      if (positive) this.core.acknowledge(delivery.message, delivery.queue);
      else this.core.reject(delivery.message, delivery.queue);
    }
    this.redispatch();
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

  private transactionOf(id: string): OpenTransaction {
    const transaction = this.transactions.get(id);
    if (!transaction) throw new BrokerProtocolError(`transaction '${id}' is not open (BEGIN it first)`);
    return transaction;
  }

  /** Writes a MESSAGE for `message` to `subscription`. */
  deliver(subscription: Subscription, message: BrokerMessage, queue: Queue): void {
    const headers: StompHeaders = {
      ...message.headers,
      destination: message.destination,
      'message-id': `ID:embedded-${this.core.brokerId}-${message.id}`,
      subscription: subscription.id,
      timestamp: String(message.timestamp),
      priority: String(message.priority),
      persistent: String(message.persistent),
    };
    if (message.expires > 0) headers['expires'] = String(message.expires);
    if (message.deliveries > 0) headers['redelivered'] = 'true';
    if (subscription.ack !== 'auto') {
      const ackId = `${this.id}-${++this.nextAck}`;
      headers['ack'] = ackId;
      subscription.unacked.set(ackId, { message, queue });
    } else {
      this.core.acknowledge(message, queue);
    }
    this.write('MESSAGE', headers, message.body);
  }

  private redispatch(): void {
    for (const subscription of this.subscriptions.values()) subscription.queue.dispatch();
  }

  private dropSubscription(subscription: Subscription): void {
    this.subscriptions.delete(subscription.id);
    subscription.queue.removeConsumer(subscription);
    this.giveBack([...subscription.unacked.values()]);
    subscription.unacked.clear();
    this.core.subscriptionEnded(subscription);
  }

  /** Deliveries never acknowledged go back to their queues, marked redelivered. */
  private giveBack(deliveries: Delivery[]): void {
    for (const { message, queue } of deliveries.reverse()) this.core.giveBack(message, queue);
  }

  private receipt(frame: StompFrame): void {
    const receipt = frame.headers['receipt'];
    if (receipt !== undefined) this.write('RECEIPT', { 'receipt-id': receipt });
  }

  /** Answers an ERROR; closes the connection when the error is fatal. */
  private fail(frame: StompFrame | undefined, error: BrokerProtocolError): void {
    if (this.closed || this.ending) return;
    const headers: StompHeaders = { message: error.message.slice(0, 200).replace(/[\r\n]/g, ' ') };
    const receipt = frame?.headers['receipt'];
    if (receipt !== undefined) headers['receipt-id'] = receipt;
    this.write('ERROR', headers, error.message);
    if (error.fatal || receipt === undefined) this.end();
  }

  write(command: StompServerCommand, headers: StompHeaders, body?: Buffer | string): void {
    if (this.closed || this.ending) return;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      setImmediate(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    this.wroteSinceBeat = true;
    this.stream.write(encodeFrame(command, headers, body));
  }

  /** Resumes reading after the broker went back under its memory limit. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
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
    setImmediate(() => {
      this.stream.end();
      this.close();
    });
  }

  /** Releases everything the connection held: its subscriptions' unacknowledged messages go back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sendTimer);
    clearInterval(this.readTimer);
    for (const subscription of [...this.subscriptions.values()]) this.dropSubscription(subscription);
    for (const transaction of this.transactions.values()) this.giveBack(transaction.acks);
    this.transactions.clear();
    this.core.connectionClosed(this);
    if (!this.stream.destroyed) setImmediate(() => this.stream.destroy());
  }
}

function required(frame: StompFrame, header: string): string {
  const value = frame.headers[header];
  if (value === undefined || value === '') throw new BrokerProtocolError(`${frame.command} needs a '${header}' header`);
  return value;
}

function parseHeartbeat(value: string | undefined): [number, number] {
  const match = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value ?? '0,0');
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}
