import { randomBytes } from 'node:crypto';
import type { StompFrame, StompHeaders, StompLimits } from '../stomp/frame.js';
import { BrokerProtocolError, type BrokerConnection, type Subscription } from './broker-connection.js';
import type { Journal, StoredMessage } from './journal.js';
import { Queue, type BrokerMessage } from './queue.js';

/** Limits and policies of an embedded broker. */
export interface BrokerPolicy {
  /** Logins and their passcodes; none means anyone may connect. */
  readonly users?: Readonly<Record<string, string>>;
  /** Bytes of messages held in memory before producers are slowed (receipts held, readers paused). Default 64 MiB; twice this refuses sends. */
  readonly memoryLimitBytes: number;
  /** Bytes of journal on disk before persistent sends are refused. Default 1 GiB. */
  readonly storeLimitBytes: number;
  /** Redeliveries after a NACK before a message goes to the dead-letter queue. Default 6 (ActiveMQ's). */
  readonly maxRedeliveries: number;
  /** Delay before a NACKed message is delivered again. Default 1000 ms. */
  readonly redeliveryDelayMs: number;
  /** Where dead messages go. Default `ActiveMQ.DLQ`, as on ActiveMQ. */
  readonly deadLetterQueue: string;
}

/** Counters for the stats line and tests. */
export interface BrokerStats {
  /** Open client connections. */
  connections: number;
  /** Queues that exist (topic subscriptions' private queues not counted). */
  queues: number;
  /** Messages in the queues waiting to be dispatched. */
  waiting: number;
  /** Messages enqueued since start, over every queue. */
  enqueued: number;
  /** Messages dispatched since start, redeliveries included. */
  dispatched: number;
  /** Bytes of messages held in memory, the figure the memory limit applies to. */
  memoryBytes: number;
  /** The journal's figures; absent for a broker in memory only. */
  journal?: {
    /** Segment files on disk. */
    segments: number;
    /** Bytes of every segment file. */
    bytesOnDisk: number;
    /** Persistent messages stored and not yet removed. */
    liveMessages: number;
    /** fsync calls since start. */
    fsyncs: number;
  };
}

interface Target {
  readonly queue: Queue;
  readonly message: BrokerMessage;
}

const FRAME_HEADERS = new Set(['destination', 'receipt', 'transaction', 'persistent', 'priority', 'expires', 'message-id', 'subscription', 'ack', 'redelivered', 'timestamp']);

/**
 * Destinations, routing, acknowledgement, redelivery, storage and limits: everything of the
 * embedded broker except the protocol, which is {@link BrokerConnection}'s.
 */
export class BrokerCore {
  readonly brokerId = randomBytes(4).toString('hex');
  readonly version = '0.1.0';
  private readonly queues = new Map<string, Queue>();
  /** Topic name → its subscriptions' private queues. */
  private readonly topics = new Map<string, Set<Queue>>();
  /** Temporary queues of every connection, by the name others reply to (`/remote-temp-queue/<name>`). */
  private readonly tempQueues = new Map<string, Queue>();
  private readonly connections = new Set<BrokerConnection>();
  private readonly heldReceipts: Array<() => void> = [];
  private readonly pausedProducers = new Set<BrokerConnection>();
  private nextId: number;
  private memoryBytes = 0;
  private readonly redeliveryTimers = new Set<NodeJS.Timeout>();

  constructor(
    readonly policy: BrokerPolicy,
    readonly limits: Partial<StompLimits>,
    private readonly journal: Journal | undefined,
    nextId: number,
  ) {
    this.nextId = nextId;
  }

  /** Puts back what the journal recovered, in id order. */
  restore(recovered: readonly StoredMessage[]): void {
    for (const stored of recovered) {
      const name = stored.destination.slice('/queue/'.length);
      const message = fromStored(stored);
      this.memoryBytes += message.size;
      this.queue(name).enqueue(message);
    }
  }

  authenticate(login: string | undefined, passcode: string | undefined): boolean {
    const users = this.policy.users;
    if (!users || Object.keys(users).length === 0) return true;
    return login !== undefined && Object.hasOwn(users, login) && users[login] === passcode;
  }

  addConnection(connection: BrokerConnection): void {
    this.connections.add(connection);
  }

  /** A message from a SEND frame, checked; `reply-to` a temporary queue of the sender is made reachable. */
  createMessage(connection: BrokerConnection, sentTo: string, frame: StompFrame): BrokerMessage {
    this.checkDestination(sentTo);
    const destination = sentTo.startsWith('/temp-queue/') ? `/remote-temp-queue/${this.tempName(connection, sentTo)}` : sentTo;
    const headers: StompHeaders = {};
    for (const name in frame.headers) if (!FRAME_HEADERS.has(name)) headers[name] = frame.headers[name]!;
    const replyTo = headers['reply-to'];
    if (replyTo?.startsWith('/temp-queue/')) headers['reply-to'] = `/remote-temp-queue/${this.tempName(connection, replyTo)}`;
    const priority = frame.headers['priority'] === undefined ? 4 : Number(frame.headers['priority']);
    if (!Number.isInteger(priority) || priority < 0 || priority > 9) throw new BrokerProtocolError(`priority '${frame.headers['priority']}' is not 0–9`);
    const expires = frame.headers['expires'] === undefined ? 0 : Number(frame.headers['expires']);
    if (!Number.isFinite(expires) || expires < 0) throw new BrokerProtocolError(`expires '${frame.headers['expires']}' is not a time in ms`);
    let size = frame.body.length + 64;
    for (const name in headers) size += name.length + headers[name]!.length + 2;
    return {
      id: this.nextId++,
      destination,
      headers,
      body: frame.body,
      persistent: frame.headers['persistent'] === 'true',
      priority,
      expires,
      timestamp: Date.now(),
      size,
      deliveries: 0,
    };
  }

  /** Routes and stores one message; resolves when it is safe (journaled when persistent), after any memory hold. */
  async send(message: BrokerMessage, from: BrokerConnection): Promise<void> {
    const targets = this.route(message);
    this.admit(targets, from);
    const adds = targets.filter((t) => t.queue.durable && t.message.persistent).map((t) => t.message);
    const stored = adds.length > 0 ? this.store({ adds }) : undefined;
    for (const target of targets) this.enqueue(target);
    await stored;
    await this.belowMemoryLimit();
  }

  /** A transaction's sends and acknowledgements, stored as one journal batch, then applied. */
  async commit(sends: readonly BrokerMessage[], acks: ReadonlyArray<{ message: BrokerMessage; queue: Queue }>, from: BrokerConnection): Promise<void> {
    const targets = sends.flatMap((message) => this.route(message));
    this.admit(targets, from);
    const adds = targets.filter((t) => t.queue.durable && t.message.persistent).map((t) => t.message);
    const removes = acks.filter((a) => a.queue.durable && a.message.persistent).map((a) => a.message.id);
    if (adds.length > 0 || removes.length > 0) await this.store({ adds, removes });
    for (const target of targets) this.enqueue(target);
    for (const { message } of acks) this.release(message);
    // Only what adds messages is held: a COMMIT of ACKs alone frees memory, and holding it would stall its consumer.
    if (targets.length > 0) await this.belowMemoryLimit();
  }

  acknowledge(message: BrokerMessage, queue: Queue): void {
    if (queue.durable && message.persistent) void this.store({ removes: [message.id] }).catch(() => {});
    this.release(message);
  }

  /** NACK: delivered again after the redelivery delay, or dead-lettered after too many tries. */
  reject(message: BrokerMessage, queue: Queue): void {
    message.deliveries++;
    if (message.deliveries > this.policy.maxRedeliveries) {
      this.deadLetter(message, queue, `delivery ${message.deliveries} was rejected; redelivery limit ${this.policy.maxRedeliveries} reached`);
      return;
    }
    const timer = setTimeout(() => {
      this.redeliveryTimers.delete(timer);
      queue.requeue(message);
    }, this.policy.redeliveryDelayMs);
    this.redeliveryTimers.add(timer);
  }

  /** A delivery its consumer left unacknowledged: back at the head of its queue, marked redelivered. */
  giveBack(message: BrokerMessage, queue: Queue): void {
    message.deliveries++;
    if (this.isTemporary(queue) && !this.tempQueueAlive(queue)) {
      this.release(message);
      return;
    }
    queue.requeue(message);
  }

  queueForSubscription(connection: BrokerConnection, destination: string): Queue {
    if (destination.startsWith('/queue/')) return this.queue(this.checkName(destination, '/queue/'));
    if (destination.startsWith('/topic/')) {
      const name = this.checkName(destination, '/topic/');
      const own = new Queue(`${destination}#${connection.id}`, false, (m, q) => this.expired(m, q));
      let subscribers = this.topics.get(name);
      if (!subscribers) this.topics.set(name, (subscribers = new Set()));
      subscribers.add(own);
      return own;
    }
    if (destination.startsWith('/temp-queue/')) {
      const name = this.tempName(connection, destination);
      let queue = this.tempQueues.get(name);
      if (!queue) {
        queue = new Queue(`/remote-temp-queue/${name}`, false, (m, q) => this.expired(m, q));
        this.tempQueues.set(name, queue);
        connection.tempQueues.set(destination, queue);
      }
      return queue;
    }
    throw new BrokerProtocolError(`cannot subscribe to '${destination}': use /queue/, /topic/ or /temp-queue/`);
  }

  subscriptionEnded(subscription: Subscription): void {
    const destination = subscription.destination;
    if (destination.startsWith('/topic/')) {
      const name = destination.slice('/topic/'.length);
      const subscribers = this.topics.get(name);
      subscribers?.delete(subscription.queue);
      for (const message of subscription.queue.drainAll()) this.release(message);
      if (subscribers?.size === 0) this.topics.delete(name);
    }
  }

  connectionClosed(connection: BrokerConnection): void {
    this.connections.delete(connection);
    this.pausedProducers.delete(connection);
    for (const [destination, queue] of connection.tempQueues) {
      this.tempQueues.delete(this.tempName(connection, destination));
      for (const message of queue.drainAll()) this.release(message);
    }
    connection.tempQueues.clear();
  }

  stats(): BrokerStats {
    let waiting = 0;
    let enqueued = 0;
    let dispatched = 0;
    for (const queue of this.queues.values()) {
      waiting += queue.size;
      enqueued += queue.enqueued;
      dispatched += queue.dispatched;
    }
    return { connections: this.connections.size, queues: this.queues.size, waiting, enqueued, dispatched, memoryBytes: this.memoryBytes, journal: this.journal?.stats() };
  }

  /** Cancels pending redeliveries (the broker is stopping; the journal keeps what was persistent). */
  stop(): void {
    for (const timer of this.redeliveryTimers) clearTimeout(timer);
    this.redeliveryTimers.clear();
    for (const connection of [...this.connections]) connection.close();
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, true, (m, q) => this.expired(m, q));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Where a message goes: one queue, a temporary queue, or a topic's subscribers (and a virtual topic's consumer queues), each with its own copy. */
  private route(message: BrokerMessage): Target[] {
    const destination = message.destination;
    if (destination.startsWith('/queue/')) return [{ queue: this.queue(destination.slice('/queue/'.length)), message }];
    if (destination.startsWith('/remote-temp-queue/')) {
      const queue = this.tempQueues.get(destination.slice('/remote-temp-queue/'.length));
      if (!queue) throw new BrokerProtocolError(`destination ${destination} does not exist (its connection has gone)`);
      return [{ queue, message }];
    }
    const name = destination.slice('/topic/'.length);
    const targets: Target[] = [];
    for (const queue of this.topics.get(name) ?? []) targets.push({ queue, message: this.copy(message) });
    if (name.startsWith('VirtualTopic.')) {
      const suffix = `.${name}`;
      for (const [queueName, queue] of this.queues) {
        // As on ActiveMQ, the copy is a message of the consumer queue.
        if (queueName.startsWith('Consumer.') && queueName.endsWith(suffix)) targets.push({ queue, message: this.copy(message, `/queue/${queueName}`) });
      }
    }
    return targets;
  }

  private copy(message: BrokerMessage, destination = message.destination): BrokerMessage {
    return { ...message, id: this.nextId++, destination };
  }

  private enqueue({ queue, message }: Target): void {
    this.memoryBytes += message.size;
    queue.enqueue(message);
  }

  /** Flow control: over the memory limit, producers without subscriptions stop being read; over twice the limit, sends are refused. */
  private admit(targets: readonly Target[], from: BrokerConnection): void {
    // Nothing to hold (e.g. a COMMIT of ACKs alone, which frees memory): never refused.
    if (targets.length === 0) return;
    if (this.memoryBytes > 2 * this.policy.memoryLimitBytes) {
      throw new BrokerProtocolError(`memory limit reached (${this.memoryBytes} bytes held, limit ${this.policy.memoryLimitBytes}): send refused; consume messages first`);
    }
    if (this.journal && targets.some((t) => t.queue.durable && t.message.persistent) && this.journal.stats().bytesOnDisk > this.policy.storeLimitBytes) {
      throw new BrokerProtocolError(`store limit reached (${this.policy.storeLimitBytes} bytes): persistent send refused`);
    }
    if (this.memoryBytes > this.policy.memoryLimitBytes && !from.consumes) {
      this.pausedProducers.add(from);
      from.pause();
    }
  }

  private belowMemoryLimit(): Promise<void> {
    if (this.memoryBytes <= this.policy.memoryLimitBytes) return Promise.resolve();
    return new Promise((resolve) => this.heldReceipts.push(resolve));
  }

  private release(message: BrokerMessage): void {
    this.memoryBytes -= message.size;
    if (this.memoryBytes <= this.policy.memoryLimitBytes * 0.9) {
      for (const resolve of this.heldReceipts.splice(0)) resolve();
      for (const connection of this.pausedProducers) connection.resume();
      this.pausedProducers.clear();
    }
  }

  private expired(message: BrokerMessage, queue: Queue): void {
    if (queue.durable && message.persistent) void this.store({ removes: [message.id] }).catch(() => {});
    this.release(message);
  }

  private deadLetter(message: BrokerMessage, queue: Queue, cause: string): void {
    const dead: BrokerMessage = {
      ...message,
      id: this.nextId++,
      destination: `/queue/${this.policy.deadLetterQueue}`,
      headers: { ...message.headers, 'original-destination': message.destination, dlqDeliveryFailureCause: cause },
      deliveries: 0,
    };
    const dlq = this.queue(this.policy.deadLetterQueue);
    const persistent = queue.durable && message.persistent;
    if (persistent) void this.store({ adds: [dead], removes: [message.id] }).catch(() => {});
    this.release(message);
    this.enqueue({ queue: dlq, message: dead });
  }

  private store(batch: { adds?: readonly BrokerMessage[]; removes?: readonly number[] }): Promise<void> {
    if (!this.journal) return Promise.resolve();
    return this.journal.write({ adds: batch.adds?.map(toStored), removes: batch.removes });
  }

  private checkDestination(destination: string): void {
    if (/^\/(queue|topic)\/./.test(destination) || /^\/(remote-temp-queue|temp-queue)\/./.test(destination)) return;
    throw new BrokerProtocolError(`unknown destination '${destination}': use /queue/<name>, /topic/<name> or a reply-to temporary queue`);
  }

  private checkName(destination: string, prefix: string): string {
    const name = destination.slice(prefix.length);
    if (name === '') throw new BrokerProtocolError(`'${destination}' names no destination`);
    return name;
  }

  private tempName(connection: BrokerConnection, destination: string): string {
    return `${connection.id}.${destination.slice('/temp-queue/'.length)}`;
  }

  private isTemporary(queue: Queue): boolean {
    return queue.name.startsWith('/remote-temp-queue/');
  }

  private tempQueueAlive(queue: Queue): boolean {
    return this.tempQueues.get(queue.name.slice('/remote-temp-queue/'.length)) === queue;
  }
}

function toStored(message: BrokerMessage): StoredMessage {
  return {
    id: message.id,
    destination: message.destination,
    headers: { ...message.headers, persistent: 'true', priority: String(message.priority), expires: String(message.expires), timestamp: String(message.timestamp) },
    body: message.body,
  };
}

function fromStored(stored: StoredMessage): BrokerMessage {
  const { persistent: _p, priority, expires, timestamp, ...headers } = stored.headers;
  let size = stored.body.length + 64;
  for (const name in headers) size += name.length + headers[name]!.length + 2;
  return {
    id: stored.id,
    destination: stored.destination,
    headers,
    body: stored.body,
    persistent: true,
    priority: Number(priority ?? 4),
    expires: Number(expires ?? 0),
    timestamp: Number(timestamp ?? Date.now()),
    size,
    deliveries: 0,
  };
}
