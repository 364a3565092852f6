import { randomBytes } from 'node:crypto';
import { messageBytes, type StompFrame, type StompHeaders } from '../../stomp/frame.js';
import { BrokerProtocolError, type BrokerClient, type CoreSubscription } from './contracts.js';
import type { Journal, StoredMessage } from '../store/journal.js';
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

/**
 * Longest a COMMIT's RECEIPT waits for the memory to fall below the limit. The hold only slows a
 * producer (its sends were counted, and refused past twice the limit, as they came); a
 * transaction bigger than the limit, with no consumer, would otherwise never be answered.
 */
const COMMIT_HOLD_MS = 1000;

const FRAME_HEADERS = new Set(['destination', 'receipt', 'transaction', 'persistent', 'priority', 'expires', 'message-id', 'subscription', 'ack', 'redelivered', 'timestamp']);

/**
 * Destinations, routing, acknowledgement, redelivery, storage and limits: everything of the
 * embedded broker except the protocol, which is {@link BrokerClient}'s.
 */
export class BrokerCore {
  readonly brokerId = randomBytes(4).toString('hex');
  private readonly queues = new Map<string, Queue>();
  /** Virtual topic name (`VirtualTopic.x`) → the consumer queues (`Consumer.<group>.VirtualTopic.x`) its sends are copied to: routing looks them up, it never scans every queue. */
  private readonly virtualConsumers = new Map<string, Set<Queue>>();
  /** Counters of the queues removed once empty and unused, so that stats() still counts since start. */
  private readonly removedCounts = { enqueued: 0, dispatched: 0 };
  /** Topic name → its subscriptions' private queues. */
  private readonly topics = new Map<string, Set<Queue>>();
  /** Temporary queues of every connection, by the name others reply to (`/remote-temp-queue/<name>`). */
  private readonly tempQueues = new Map<string, Queue>();
  /** Each connection's temporary queues, by the destination it subscribed: removed when it closes. */
  private readonly tempQueuesOf = new Map<BrokerClient, Map<string, Queue>>();
  private readonly connections = new Set<BrokerClient>();
  private readonly heldReceipts: Array<() => void> = [];
  private readonly pausedProducers = new Set<BrokerClient>();
  private nextId: number;
  private memoryBytes = 0;
  private readonly redeliveryTimers = new Set<NodeJS.Timeout>();
  /** Set by stop(): a redelivery whose delivery count is still being journaled is not scheduled any more. */
  private stopped = false;
  /** Where the core reports what it did on its own (a message it could not deliver). */
  log: (line: string) => void = (line) => console.warn(line);

  constructor(
    readonly policy: BrokerPolicy,
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

  addConnection(connection: BrokerClient): void {
    this.connections.add(connection);
  }

  /** A message from a SEND frame, checked; `reply-to` a temporary queue of the sender is made reachable. */
  createMessage(connection: BrokerClient, sentTo: string, frame: StompFrame): BrokerMessage {
    this.checkDestination(sentTo);
    const destination = sentTo.startsWith('/temp-queue/') ? `/remote-temp-queue/${this.tempName(connection, sentTo)}` : sentTo;
    const headers: StompHeaders = {};
    for (const name in frame.headers) if (!FRAME_HEADERS.has(name)) headers[name] = frame.headers[name]!;
    // Only what can be delivered is accepted: a MESSAGE cannot carry a header without a name, and
    // stored, such a message would fail every delivery (and, persistent, every restart).
    if (Object.hasOwn(headers, '')) throw new BrokerProtocolError(`SEND has a header with an empty name (':${headers['']!.slice(0, 64)}'), which no MESSAGE can carry: refused`);
    const replyTo = headers['reply-to'];
    if (replyTo?.startsWith('/temp-queue/')) headers['reply-to'] = `/remote-temp-queue/${this.tempName(connection, replyTo)}`;
    // Digits only: `Number()` would take '', ' 7 ' and '0x9' as numbers.
    const priorityText = frame.headers['priority'];
    if (priorityText !== undefined && !(/^[0-9]{1,3}$/.test(priorityText) && Number(priorityText) <= 9)) throw new BrokerProtocolError(`priority '${priorityText}' is not 0–9`);
    const priority = priorityText === undefined ? 4 : Number(priorityText);
    const expiresText = frame.headers['expires'];
    if (expiresText !== undefined && !/^[0-9]{1,16}$/.test(expiresText)) throw new BrokerProtocolError(`expires '${expiresText}' is not a time in ms`);
    const expires = expiresText === undefined ? 0 : Number(expiresText);
    const size = messageBytes(headers, frame.body) + 64;
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
  async send(message: BrokerMessage, from: BrokerClient): Promise<void> {
    const targets = this.route(message);
    this.admit(targets, from);
    const adds = targets.filter((t) => t.queue.durable && t.message.persistent).map((t) => t.message);
    const stored = adds.length > 0 ? this.store({ adds }) : undefined;
    for (const target of targets) this.enqueue(target);
    await stored;
    await this.belowMemoryLimit();
  }

  /**
   * A SEND into an open transaction: counted against the memory limit from now on, though it
   * reaches no queue before COMMIT. Past twice the limit it is refused. The producer is never
   * paused for it: only its own COMMIT or ABORT could free what it holds, and a paused
   * connection is not read.
   */
  holdTransactional(message: BrokerMessage): void {
    this.refuseOverHardLimit();
    this.memoryBytes += message.size;
  }

  /** The sends of a transaction that ends without them (ABORT, or its connection gone). */
  dropTransactional(sends: readonly BrokerMessage[]): void {
    for (const message of sends) this.release(message);
  }

  /**
   * A transaction's sends and acknowledgements, stored as one journal batch, then applied. It takes
   * over the sends' count from {@link holdTransactional}, whether it succeeds or throws.
   */
  async commit(sends: readonly BrokerMessage[], acks: ReadonlyArray<{ message: BrokerMessage; queue: Queue }>, from: BrokerClient): Promise<void> {
    // From here they are counted as the copies their routes make (a topic's subscribers each hold one).
    this.dropTransactional(sends);
    const targets = sends.flatMap((message) => this.route(message));
    this.admit(targets, from);
    const adds = targets.filter((t) => t.queue.durable && t.message.persistent).map((t) => t.message);
    const removes = acks.filter((a) => a.queue.durable && a.message.persistent).map((a) => a.message.id);
    if (adds.length > 0 || removes.length > 0) await this.store({ adds, removes });
    for (const target of targets) this.enqueue(target);
    for (const { message } of acks) this.release(message);
    // Only what adds messages is held: a COMMIT of ACKs alone frees memory, and holding it would stall its consumer.
    if (targets.length > 0) await this.belowMemoryLimit(COMMIT_HOLD_MS);
  }

  /**
   * Settles a delivery. Returns what a RECEIPT must wait for: the removal's journal write (it
   * rejects if the journal failed), or undefined when nothing went to disk (answered at once,
   * so that receipts keep the order of their frames).
   */
  acknowledge(message: BrokerMessage, queue: Queue): Promise<void> | undefined {
    this.release(message);
    return this.journaled(message, queue) ? this.store({ removes: [message.id] }) : undefined;
  }

  /** NACK: delivered again after the redelivery delay, or dead-lettered after too many tries. Returns the journal write to wait for, as {@link acknowledge}. */
  reject(message: BrokerMessage, queue: Queue): Promise<void> | undefined {
    message.deliveries++;
    if (message.deliveries > this.policy.maxRedeliveries) {
      return this.deadLetter(message, queue, `delivery ${message.deliveries} was rejected; redelivery limit ${this.policy.maxRedeliveries} reached`);
    }
    const schedule = (): void => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.redeliveryTimers.delete(timer);
        this.requeue(message, queue);
      }, this.policy.redeliveryDelayMs);
      this.redeliveryTimers.add(timer);
    };
    if (!this.journaled(message, queue)) return void schedule();
    // The count is journaled before the redelivery is scheduled: a broker restarted meanwhile
    // continues it, so a poison message still reaches the DLQ after maxRedeliveries.
    return this.storeDeliveries(message, queue).then(schedule);
  }

  /**
   * A message no client can be sent (a header STOMP cannot carry, stored by a broker from before
   * such SENDs were refused): moved to the DLQ without the headers at fault, or, already on the
   * DLQ, dropped. Logged; never thrown, so that no delivery, and no restart, falls over on it.
   */
  undeliverable(message: BrokerMessage, queue: Queue, reason: string): void {
    const what = `message ${message.id} of ${message.destination} is undeliverable (${reason})`;
    if (queue.durable && queue.name === this.policy.deadLetterQueue) {
      this.log(`embedded broker: ${what}: dropped (it is on the dead-letter queue already)`);
      void this.acknowledge(message, queue)?.catch(() => {});
      return;
    }
    this.log(`embedded broker: ${what}: moved to ${this.policy.deadLetterQueue} without the headers at fault`);
    const headers: StompHeaders = {};
    for (const name in message.headers) if (name !== '') headers[name] = message.headers[name]!;
    void this.deadLetter(message, queue, `undeliverable: ${reason}`, headers)?.catch(() => {});
  }

  /** A delivery its consumer left unacknowledged: back at the head of its queue, marked redelivered. */
  giveBack(message: BrokerMessage, queue: Queue): void {
    message.deliveries++;
    void this.storeDeliveries(message, queue);
    this.requeue(message, queue);
  }

  queueForSubscription(connection: BrokerClient, destination: string): Queue {
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
        let own = this.tempQueuesOf.get(connection);
        if (!own) this.tempQueuesOf.set(connection, (own = new Map<string, Queue>()));
        own.set(destination, queue);
      }
      return queue;
    }
    throw new BrokerProtocolError(`cannot subscribe to '${destination}': use /queue/, /topic/ or /temp-queue/`);
  }

  subscriptionEnded(subscription: CoreSubscription): void {
    const destination = subscription.destination;
    if (destination.startsWith('/topic/')) {
      const name = destination.slice('/topic/'.length);
      const subscribers = this.topics.get(name);
      subscribers?.delete(subscription.queue);
      subscription.queue.removed = true;
      for (const message of subscription.queue.drainAll()) this.release(message);
      if (subscribers?.size === 0) this.topics.delete(name);
      return;
    }
    const queue = subscription.queue;
    // A virtual topic's consumer queue is its group's durable subscription: it stays to collect copies while nobody consumes.
    if (queue.durable && queue.unused && virtualTopicsOf(queue.name).length === 0) this.removeQueue(queue);
  }

  connectionClosed(connection: BrokerClient): void {
    this.connections.delete(connection);
    this.pausedProducers.delete(connection);
    for (const [destination, queue] of this.tempQueuesOf.get(connection) ?? []) {
      this.tempQueues.delete(this.tempName(connection, destination));
      queue.removed = true;
      for (const message of queue.drainAll()) this.release(message);
    }
    this.tempQueuesOf.delete(connection);
  }

  stats(): BrokerStats {
    let waiting = 0;
    let { enqueued, dispatched } = this.removedCounts;
    for (const queue of this.queues.values()) {
      waiting += queue.size;
      enqueued += queue.enqueued;
      dispatched += queue.dispatched;
    }
    return { connections: this.connections.size, queues: this.queues.size, waiting, enqueued, dispatched, memoryBytes: this.memoryBytes, journal: this.journal?.stats() };
  }

  /** Cancels pending redeliveries (the broker is stopping; the journal keeps what was persistent). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.redeliveryTimers) clearTimeout(timer);
    this.redeliveryTimers.clear();
    for (const connection of [...this.connections]) connection.close();
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, true, (m, q) => this.expired(m, q));
      this.queues.set(name, queue);
      for (const topic of virtualTopicsOf(name)) {
        let consumers = this.virtualConsumers.get(topic);
        if (!consumers) this.virtualConsumers.set(topic, (consumers = new Set()));
        consumers.add(queue);
      }
    }
    return queue;
  }

  /** Forgets an empty, unused queue (a client that subscribed to many names and left must not leave them all behind). */
  private removeQueue(queue: Queue): void {
    this.queues.delete(queue.name);
    queue.removed = true;
    this.removedCounts.enqueued += queue.enqueued;
    this.removedCounts.dispatched += queue.dispatched;
  }

  /**
   * Puts a message back: on its queue; when that was removed, on the live queue of the same name
   * (made again: the message is still stored); for a topic subscription or temporary queue that
   * is gone, nowhere, and its memory is released.
   */
  private requeue(message: BrokerMessage, queue: Queue): void {
    if (!queue.removed) queue.requeue(message);
    else if (queue.durable) this.queue(queue.name).requeue(message);
    else this.release(message);
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
    // As on ActiveMQ, the copy is a message of the consumer queue.
    for (const queue of this.virtualConsumers.get(name) ?? []) targets.push({ queue, message: this.copy(message, `/queue/${queue.name}`) });
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
  private admit(targets: readonly Target[], from: BrokerClient): void {
    // Nothing to hold (e.g. a COMMIT of ACKs alone, which frees memory): never refused.
    if (targets.length === 0) return;
    this.refuseOverHardLimit();
    if (this.journal && targets.some((t) => t.queue.durable && t.message.persistent) && this.journal.stats().bytesOnDisk > this.policy.storeLimitBytes) {
      throw new BrokerProtocolError(`store limit reached (${this.policy.storeLimitBytes} bytes): persistent send refused`);
    }
    if (this.memoryBytes > this.policy.memoryLimitBytes && !from.consumes) {
      this.pausedProducers.add(from);
      from.pause();
    }
  }

  private refuseOverHardLimit(): void {
    if (this.memoryBytes > 2 * this.policy.memoryLimitBytes) {
      throw new BrokerProtocolError(`memory limit reached (${this.memoryBytes} bytes held, limit ${this.policy.memoryLimitBytes}): send refused; consume messages first`);
    }
  }

  /** Resolves once the memory is below the limit, or after `atMostMs`. */
  private belowMemoryLimit(atMostMs = Infinity): Promise<void> {
    if (this.memoryBytes <= this.policy.memoryLimitBytes) return Promise.resolve();
    return new Promise((resolve) => {
      this.heldReceipts.push(resolve);
      if (atMostMs === Infinity) return;
      setTimeout(() => {
        const at = this.heldReceipts.indexOf(resolve);
        if (at !== -1) this.heldReceipts.splice(at, 1);
        resolve();
      }, atMostMs).unref();
    });
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

  /**
   * Moves a message to the DLQ; a persistent one once the move is on disk (returned, for a RECEIPT
   * to wait for), in neither queue until then. If the journal fails, the message goes back to its
   * queue and the promise rejects.
   */
  private deadLetter(message: BrokerMessage, queue: Queue, cause: string, headers = message.headers): Promise<void> | undefined {
    const dead: BrokerMessage = {
      ...message,
      id: this.nextId++,
      destination: `/queue/${this.policy.deadLetterQueue}`,
      headers: { ...headers, 'original-destination': message.destination, dlqDeliveryFailureCause: cause },
      deliveries: 0,
    };
    const move = (): void => {
      this.release(message);
      this.enqueue({ queue: this.queue(this.policy.deadLetterQueue), message: dead });
    };
    // The DLQ is a durable queue: a persistent message's copy is journaled there even when it came
    // from a topic subscription or a temporary queue, whose own copy never was.
    if (!this.journal || !message.persistent) return void move();
    return this.store({ adds: [dead], removes: this.journaled(message, queue) ? [message.id] : [] }).then(move, (error: unknown) => {
      this.requeue(message, queue);
      throw error;
    });
  }

  /** True when settling `message` of `queue` writes to the journal. */
  private journaled(message: BrokerMessage, queue: Queue): boolean {
    return this.journal !== undefined && queue.durable && message.persistent;
  }

  private store(batch: { adds?: readonly BrokerMessage[]; removes?: readonly number[] }): Promise<void> {
    if (!this.journal) return Promise.resolve();
    return this.journal.write({ adds: batch.adds?.map(toStored), removes: batch.removes });
  }

  /** Journals a persistent message's delivery count (restored by restore()); never rejects: a failed journal fails the next send instead. */
  private storeDeliveries(message: BrokerMessage, queue: Queue): Promise<void> {
    if (!this.journal || !queue.durable || !message.persistent) return Promise.resolve();
    return this.journal.write({ deliveryCounts: [{ id: message.id, deliveries: message.deliveries }] }).catch(() => {});
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

  private tempName(connection: BrokerClient, destination: string): string {
    return `${connection.id}.${destination.slice('/temp-queue/'.length)}`;
  }
}

/**
 * The virtual topics a queue of this name consumes, as ActiveMQ's default `Consumer.*.VirtualTopic.>`
 * matches them: every `VirtualTopic.…` that the name ends with after a dot, the dot ending
 * `Consumer.` included. Usually one; none for other queues.
 */
function virtualTopicsOf(queueName: string): string[] {
  if (!queueName.startsWith('Consumer.')) return [];
  const topics: string[] = [];
  for (let at = queueName.indexOf('.VirtualTopic.', 'Consumer'.length); at !== -1; at = queueName.indexOf('.VirtualTopic.', at + 1)) {
    topics.push(queueName.slice(at + 1));
  }
  return topics;
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
    deliveries: stored.deliveries ?? 0,
  };
}
