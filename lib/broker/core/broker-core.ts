import { randomBytes } from 'node:crypto';
import { messageBytes, type StompFrame, type StompHeaders } from '../../stomp/frame.js';
import { BrokerProtocolError, type BrokerClient, type CoreAttachment, type CoreSubscription, type HeldDelivery, type SubscriptionSpec } from './contracts.js';
import type { Journal, StoredMessage } from '../store/journal.js';
import { Queue, type BrokerMessage, type QueueConsumer } from './queue.js';
import { compositeParts, isWildcard, NamePattern, RESERVED_QUEUE_PREFIX, subscriptionParts, type DestinationPart } from './destinations.js';
import { compileFilter, type MessageFilter } from './selection.js';
import { RETAIN_HEADER, RETAINED_HEADER, RetainedSlot, TopicSubscribers, type TopicSubscriber } from './topics.js';
import { isScheduled, Scheduler } from './scheduler.js';

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
  /** Messages held by the scheduler until their time (`AMQ_SCHEDULED_*` headers): a repeating or cron message counts once. */
  scheduled: number;
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
  /** Every topic subscription (durable ones included), found by a sent message's topic. */
  private readonly topicSubscribers = new TopicSubscribers();
  /** Topic name → the message it retained for retroactive subscribers (`ActiveMQ.Retain`). */
  private readonly retained = new Map<string, RetainedSlot>();
  /** Subscriptions to queue names with wildcards: a queue made later that matches is attached to them too. */
  private readonly queueWatchers = new Set<Attachment>();
  /** CONNECT `client-id` → the connection that holds it (one at a time, as on ActiveMQ). */
  private readonly clientIds = new Map<string, BrokerClient>();
  /** Durable topic subscriptions by the name of their queue (made of client-id and subscription name). */
  private readonly durables = new Map<string, DurableSubscription>();
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
  /** Holds the messages sent with `AMQ_SCHEDULED_*` headers until their time. */
  private readonly scheduler: Scheduler;

  constructor(
    readonly policy: BrokerPolicy,
    private readonly journal: Journal | undefined,
    nextId: number,
  ) {
    this.nextId = nextId;
    // Scheduled delivery (scheduler.ts): its messages are routed to `scheduler.queue` and come back through deliverScheduled.
    this.scheduler = new Scheduler({
      deliver: (messages, entries) => this.deliverScheduled(messages, entries),
      release: (message) => this.release(message),
      nextId: () => this.nextId++,
      jobId: (id) => `ID:embedded-${this.brokerId}-${id}`,
      memory: () => ({ held: this.memoryBytes, limit: this.policy.memoryLimitBytes }),
      log: (line) => this.log(line),
    });
  }

  /** Puts back what the journal recovered, in id order. */
  restore(recovered: readonly StoredMessage[]): void {
    for (const stored of recovered) {
      const name = stored.destination.slice('/queue/'.length);
      // A durable subscription's registration, or a copy it holds (journaled under its reserved queue).
      if (name.startsWith(DURABLE_QUEUE_PREFIX)) {
        this.restoreDurable(name, stored);
        continue;
      }
      const message = fromStored(stored);
      this.memoryBytes += message.size;
      // A scheduled message goes back to the scheduler, due when it was journaled to be (at once if that has passed).
      if (stored.schedule) this.scheduler.restore(message, stored.schedule);
      else this.queue(name).enqueue(message);
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
    const destination = this.sendDestination(connection, sentTo);
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
    // Classic reads JMSXGroupSeq as an int property and refuses a SEND whose value is none.
    const groupSequence = headers['JMSXGroupSeq'];
    if (groupSequence !== undefined && !(/^-?[0-9]{1,10}$/.test(groupSequence) && Number(groupSequence) >= -(2 ** 31) && Number(groupSequence) < 2 ** 31)) {
      throw new BrokerProtocolError(`JMSXGroupSeq '${groupSequence}' is not an integer`);
    }
    // Scheduling headers that cannot be honoured refuse the SEND here, before anything is stored (scheduler.ts).
    this.scheduler.check(headers);
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
      origin: connection.id,
    };
  }

  /**
   * A SEND's destination, checked, with a temporary queue of the sender named as others reach it
   * (`/remote-temp-queue/…`); a composite list part by part (ActiveMQ's "Composite Destinations").
   */
  private sendDestination(connection: BrokerClient, sentTo: string): string {
    const unknown = `unknown destination '${sentTo}': use /queue/<name>, /topic/<name> or a reply-to temporary queue`;
    if (!sentTo.includes(',')) this.checkDestination(sentTo);
    const parts = compositeParts(sentTo, unknown);
    return parts.map((part) => (part.kind === 'temp-queue' ? `/remote-temp-queue/${this.tempName(connection, part.written)}` : part.written)).join(',');
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
    this.giveBackAll([{ message, queue }]);
  }

  /**
   * Deliveries a consumer left unacknowledged, in the order they were delivered: back at the
   * heads of their queues in that order, marked redelivered, before any of those queues
   * dispatches again, so that the next consumer gets them first and in order (a message group's too).
   */
  giveBackAll(deliveries: readonly HeldDelivery[]): void {
    const touched = new Set<Queue>();
    for (let i = deliveries.length - 1; i >= 0; i--) {
      const { message, queue } = deliveries[i]!;
      message.deliveries++;
      void this.storeDeliveries(message, queue);
      const into = this.requeue(message, queue, false);
      if (into) touched.add(into);
    }
    for (const queue of touched) queue.dispatch();
  }

  /** The queue a SUBSCRIBE to one plain destination consumes (a queue's, a topic subscription's own, a temporary queue's); ended with {@link subscriptionEnded}. */
  queueForSubscription(connection: BrokerClient, destination: string): Queue {
    const parts = subscriptionParts(destination);
    const part = parts[0]!;
    if (parts.length > 1 || isWildcard(part.name)) throw new BrokerProtocolError(`'${destination}' names more than one destination`);
    if (part.kind === 'queue') return this.queue(part.name);
    if (part.kind === 'topic') return this.topicSubscriber(connection, destination, [part.name], undefined).queue;
    return this.tempQueue(connection, part.written);
  }

  /** A subscription of {@link queueForSubscription} ended: a topic subscription's queue goes, a queue left empty and unused is forgotten. */
  subscriptionEnded(subscription: CoreSubscription): void {
    const subscriber = this.topicSubscribers.ofQueue(subscription.queue);
    if (subscriber) this.dropTopicSubscriber(subscriber);
    else this.forgetIfUnused(subscription.queue);
  }

  /**
   * Attaches `consumer` to what a SUBSCRIBE names: queues (for a wildcard, those that match, now
   * and later), a temporary queue, a topic subscription's own queue of copies (those its selector
   * and `noLocal` take, and first what the topic retained when it is retroactive), or a durable
   * subscription's queue (made, or made again when its topic, selector or noLocal changed).
   * Throws a {@link BrokerProtocolError}, having attached nothing, when that cannot be done.
   */
  subscribe(connection: BrokerClient, consumer: QueueConsumer, spec: SubscriptionSpec): CoreAttachment {
    const parts = subscriptionParts(spec.destination);
    if (spec.durableName !== undefined) return this.subscribeDurable(consumer, spec, parts);
    const attachment = new Attachment(consumer);
    const topics = parts.filter((part) => part.kind === 'topic').map((part) => part.name);
    for (const part of parts) if (part.kind === 'queue' && isWildcard(part.name)) attachment.patterns.push(new NamePattern(part.name));
    // Every check is done: from here the subscription consumes.
    if (topics.length > 0) {
      const subscriber = this.topicSubscriber(
        connection,
        spec.destination,
        topics,
        topicTest(spec.filter, spec.noLocal, () => connection.id),
      );
      attachment.subscriber = subscriber;
      if (spec.retroactive) this.recoverRetained(subscriber);
      attachment.attach(subscriber.queue);
    }
    for (const part of parts) {
      if (part.kind === 'temp-queue') attachment.attach(this.tempQueue(connection, part.written));
      else if (part.kind === 'queue' && !isWildcard(part.name)) attachment.attach(this.queue(part.name));
    }
    if (attachment.patterns.length > 0) {
      for (const queue of [...this.queues.values()]) if (attachment.matches(queue.name)) attachment.attach(queue);
      this.queueWatchers.add(attachment);
    }
    return attachment;
  }

  /**
   * Ends a subscription: its consumer leaves its queues, what it held unacknowledged goes back
   * (before those queues dispatch again, so that order is kept), a topic subscription's own
   * queue goes with what it held, queues left empty and unused are forgotten. A durable
   * subscription stays and goes on collecting its topic's messages.
   */
  unsubscribe(attachment: CoreAttachment, unacked: readonly HeldDelivery[]): void {
    const own = attachment as Attachment;
    for (const queue of own.queues) queue.removeConsumer(own.consumer);
    this.queueWatchers.delete(own);
    if (own.durableSubscription?.active === own) own.durableSubscription.active = undefined;
    this.giveBackAll(unacked);
    // Another consumer may take over what it had (an exclusive queue, its message groups).
    for (const queue of own.queues) queue.dispatch();
    if (own.subscriber) this.dropTopicSubscriber(own.subscriber);
    for (const queue of own.queues) this.forgetIfUnused(queue);
    own.queues.clear();
  }

  /** True when `clientId` has a durable subscription `name`. */
  hasDurable(clientId: string, name: string): boolean {
    return this.durables.has(durableQueueName(clientId, name));
  }

  /**
   * Removes the durable subscription `name` of `clientId` and what it holds (UNSUBSCRIBE with
   * `activemq.subscriptionName`). Returns the journal write a RECEIPT waits for, if any. Throws
   * when there is no such subscription, or it is still consumed.
   */
  removeDurable(clientId: string, name: string): Promise<void> | undefined {
    const durable = this.durables.get(durableQueueName(clientId, name));
    if (!durable) throw new BrokerProtocolError(`no durable subscription '${name}' of client-id '${clientId}' to remove`);
    if (durable.active) throw new BrokerProtocolError(`durable subscription '${name}' of client-id '${clientId}' is in use: end its subscription first`);
    const removes = this.dropDurable(durable);
    return this.journal && removes.length > 0 ? this.journal.write({ removes }) : undefined;
  }

  /**
   * What a browser of `destination` is shown: the messages waiting now in the queues it names
   * (those a wildcard matches, by name), each queue's in dispatch order, those `filter` takes;
   * nothing is taken or locked. A topic cannot be browsed: it keeps nothing.
   */
  browse(connection: BrokerClient, destination: string, filter?: MessageFilter): BrokerMessage[] {
    const parts = subscriptionParts(destination);
    if (parts.some((part) => part.kind === 'topic'))
      throw new BrokerProtocolError(`cannot browse '${destination}': browser:true is for queues, a topic keeps no messages to browse`);
    const found: BrokerMessage[] = [];
    const add = (queue: Queue | undefined): void => {
      for (const message of queue?.snapshot(filter) ?? []) found.push(message);
    };
    for (const part of parts) {
      if (part.kind === 'temp-queue') add(this.tempQueues.get(this.tempName(connection, part.written)));
      else if (!isWildcard(part.name)) add(this.queues.get(part.name));
      else {
        const pattern = new NamePattern(part.name);
        const names = [...this.queues.keys()].filter((name) => pattern.matches(name)).sort();
        for (const name of names) add(this.queues.get(name));
      }
    }
    return found;
  }

  /**
   * Gives the CONNECT `client-id` to `connection`; refused (fatal, as on ActiveMQ, whose
   * InvalidClientIDException says "already connected") while another connection holds it.
   */
  claimClientId(connection: BrokerClient, clientId: string): void {
    const holder = this.clientIds.get(clientId);
    if (holder !== undefined && holder !== connection) {
      throw new BrokerProtocolError(`Broker: embedded-${this.brokerId} - Client: ${clientId} already connected from ${holder.remote ?? holder.id}`, true);
    }
    this.clientIds.set(clientId, connection);
  }

  /** The connection is ending: its client-id is free for the next connection. */
  releaseClientId(connection: BrokerClient, clientId: string): void {
    if (this.clientIds.get(clientId) === connection) this.clientIds.delete(clientId);
  }

  connectionClosed(connection: BrokerClient): void {
    this.connections.delete(connection);
    this.pausedProducers.delete(connection);
    for (const [clientId, holder] of this.clientIds) if (holder === connection) this.clientIds.delete(clientId);
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
    return {
      connections: this.connections.size,
      queues: this.queues.size,
      waiting,
      enqueued,
      dispatched,
      memoryBytes: this.memoryBytes,
      scheduled: this.scheduler.size,
      journal: this.journal?.stats(),
    };
  }

  /** Cancels pending redeliveries and the scheduler's timer (the broker is stopping; the journal keeps what was persistent). */
  stop(): void {
    this.stopped = true;
    this.scheduler.stop();
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
      // Wildcard subscriptions consume every queue that matches, made before them or after.
      for (const attachment of this.queueWatchers) if (attachment.matches(name)) attachment.attach(queue);
    }
    return queue;
  }

  /** A temporary queue of `connection`, by the name it gave it (`/temp-queue/x`); made on first use, removed when the connection closes. */
  private tempQueue(connection: BrokerClient, destination: string): Queue {
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

  /** Forgets a queue (of `this.queues`) once empty and unused; a virtual topic's consumer queue is its group's durable subscription: it stays to collect copies while nobody consumes. */
  private forgetIfUnused(queue: Queue): void {
    if (this.queues.get(queue.name) === queue && queue.unused && virtualTopicsOf(queue.name).length === 0) this.removeQueue(queue);
  }

  /** A non-durable topic subscription's own queue of copies, registered for routing; `accepts` its selector and noLocal. */
  private topicSubscriber(connection: BrokerClient, destination: string, topics: readonly string[], accepts: MessageFilter | undefined): TopicSubscriber {
    const queue = new Queue(`${destination}#${connection.id}`, false, (m, q) => this.expired(m, q), { groups: false, prefiltered: true });
    const subscriber: TopicSubscriber = accepts ? { queue, topics, accepts } : { queue, topics };
    this.topicSubscribers.add(subscriber);
    return subscriber;
  }

  /** A topic subscription ended: nothing more is routed to it, and what its queue held is released. */
  private dropTopicSubscriber(subscriber: TopicSubscriber): void {
    this.topicSubscribers.remove(subscriber);
    subscriber.queue.removed = true;
    for (const message of subscriber.queue.drainAll()) this.release(message);
  }

  /** A retroactive subscription's start: a copy of what each of its topics retained (and has not expired), if it takes it. */
  private recoverRetained(subscriber: TopicSubscriber): void {
    const now = Date.now();
    const slots = subscriber.topics.some(isWildcard)
      ? [...this.retained.values()].filter((slot) => subscriber.topics.some((topic) => new NamePattern(topic).matches(slot.topic)))
      : subscriber.topics.map((topic) => this.retained.get(topic));
    for (const slot of new Set(slots)) {
      const held = slot?.held;
      if (!held || (held.expires > 0 && held.expires <= now)) continue;
      const copy = this.copy(held);
      if (!subscriber.accepts || subscriber.accepts(copy)) this.enqueue({ queue: subscriber.queue, message: copy });
    }
  }

  /** The retained-message slot of a topic, made on first use. */
  private retainedSlot(topic: string): RetainedSlot {
    let slot = this.retained.get(topic);
    if (!slot) this.retained.set(topic, (slot = new RetainedSlot(topic, (m, q) => this.expired(m, q), this.retained)));
    return slot;
  }

  /**
   * A SUBSCRIBE with `activemq.subscriptionName`: the durable subscription (client-id, name) of one
   * topic, made if need be; one SUBSCRIBEd again with another topic, selector or noLocal is made
   * anew, what it held dropped (JMS: changing a durable subscription is removing it and making a
   * new one; Classic's Topic.activate does the same).
   */
  private subscribeDurable(consumer: QueueConsumer, spec: SubscriptionSpec, parts: readonly DestinationPart[]): Attachment {
    const name = spec.durableName!;
    const clientId = spec.clientId;
    if (clientId === undefined)
      throw new BrokerProtocolError(`activemq.subscriptionName '${name}' needs a client-id on CONNECT: a durable subscription is known by its client-id and name`);
    if (parts.length !== 1 || parts[0]!.kind !== 'topic') {
      throw new BrokerProtocolError(`cannot durably subscribe to '${spec.destination}': a durable subscription (activemq.subscriptionName) is of one topic`);
    }
    let durable = this.durables.get(durableQueueName(clientId, name));
    if (durable?.active) throw new BrokerProtocolError(`durable subscription '${name}' of client-id '${clientId}' is in use by another subscription of this connection`);
    let removes: number[] = [];
    if (durable && (durable.destination !== spec.destination || durable.selector !== spec.selector || durable.noLocal !== spec.noLocal)) {
      removes = this.dropDurable(durable);
      durable = undefined;
    }
    let stored: Promise<void> | undefined;
    if (!durable) {
      if (this.durables.size >= MAX_DURABLE_SUBSCRIPTIONS) {
        throw new BrokerProtocolError(
          `the broker keeps at most ${MAX_DURABLE_SUBSCRIPTIONS} durable subscriptions: '${name}' of client-id '${clientId}' refused; remove some first`,
        );
      }
      const registration = this.journal ? this.nextId++ : undefined;
      durable = this.createDurable({ clientId, name, destination: spec.destination, selector: spec.selector, noLocal: spec.noLocal }, spec.filter, registration);
      // Its registration and the removal of the one it replaces are one journal batch: a restart finds one or the other.
      if (this.journal) stored = this.journal.write({ adds: [registrationRecord(durable)], removes });
    }
    const attachment = new Attachment(consumer);
    attachment.durableSubscription = durable;
    attachment.stored = stored;
    durable.active = attachment;
    attachment.attach(durable.subscriber.queue);
    return attachment;
  }

  /** A durable subscription, registered for routing (its selector `filter`, its noLocal against the connection holding its client-id now). */
  private createDurable(registration: DurableRegistration, filter: MessageFilter | undefined, record: number | undefined): DurableSubscription {
    const queueName = durableQueueName(registration.clientId, registration.name);
    const queue = new Queue(queueName, true, (m, q) => this.expired(m, q), { groups: false, prefiltered: true });
    const accepts = topicTest(filter, registration.noLocal, () => this.clientIds.get(registration.clientId)?.id);
    const topics = [registration.destination.slice('/topic/'.length)];
    const subscriber: TopicSubscriber = accepts ? { queue, topics, accepts, durable: true } : { queue, topics, durable: true };
    this.topicSubscribers.add(subscriber);
    const durable: DurableSubscription = { ...registration, subscriber, record, active: undefined };
    this.durables.set(queueName, durable);
    return durable;
  }

  /** Forgets a durable subscription and releases what it held; returns the journal ids to remove (its copies and registration). */
  private dropDurable(durable: DurableSubscription): number[] {
    const queue = durable.subscriber.queue;
    this.durables.delete(queue.name);
    this.topicSubscribers.remove(durable.subscriber);
    queue.removed = true;
    const removes = durable.record === undefined ? [] : [durable.record];
    for (const message of queue.drainAll()) {
      this.release(message);
      if (this.journaled(message, queue)) removes.push(message.id);
    }
    return removes;
  }

  /**
   * A journal record under a durable subscription's reserved queue: its registration (made again,
   * with its selector compiled again), or a copy it held (back in its queue). A record that cannot
   * be restored (damage, a selector no longer valid, a copy whose registration is gone) is logged
   * and removed from the journal, never a reason for the broker not to start.
   */
  private restoreDurable(queueName: string, stored: StoredMessage): void {
    const drop = (why: string): void => {
      this.log(`embedded broker: journal record ${stored.id} of durable subscription queue ${queueName} dropped: ${why}`);
      void this.journal?.write({ removes: [stored.id] }).catch(() => {});
    };
    const registration = stored.headers[REGISTRATION_HEADER];
    if (registration !== undefined) {
      let parsed: DurableRegistration;
      let filter: MessageFilter | undefined;
      try {
        parsed = parseRegistration(registration);
        filter = parsed.selector === undefined ? undefined : compileFilter(this.brokerId, parsed.selector);
      } catch (error) {
        return drop(`its registration cannot be read (${error instanceof Error ? error.message : String(error)})`);
      }
      if (durableQueueName(parsed.clientId, parsed.name) !== queueName) return drop('its registration names another subscription');
      const previous = this.durables.get(queueName);
      if (previous) void this.journal?.write({ removes: this.dropDurable(previous) }).catch(() => {});
      this.createDurable(parsed, filter, stored.id);
      return;
    }
    const durable = this.durables.get(queueName);
    if (!durable) return drop('no registration of its subscription was found');
    const message = fromStored(stored);
    this.memoryBytes += message.size;
    durable.subscriber.queue.enqueue(message);
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
   * (made again: the message is still stored); for a subscription or temporary queue that is
   * gone, nowhere, and its memory is released. Returns the queue it went to.
   */
  private requeue(message: BrokerMessage, queue: Queue, dispatch = true): Queue | undefined {
    if (!queue.removed) {
      queue.requeue(message, dispatch);
      return queue;
    }
    if (queue.durable && !queue.name.startsWith(DURABLE_QUEUE_PREFIX)) {
      const live = this.queue(queue.name);
      live.requeue(message, dispatch);
      return live;
    }
    // A durable subscription removed (or made anew) takes what it held with it, from the journal too.
    this.release(message);
    if (this.journaled(message, queue)) void this.store({ removes: [message.id] }).catch(() => {});
    return undefined;
  }

  /** Where a message goes: one queue, a temporary queue, or a topic's subscribers (and a virtual topic's consumer queues), each with its own copy. */
  private route(message: BrokerMessage): Target[] {
    // A scheduled message goes to the scheduler first (admitted, stored and counted as a send to a durable queue); its copies come back here when due.
    const scheduled = this.scheduler.plan(message);
    if (scheduled) return [{ queue: this.scheduler.queue, message: scheduled }];
    // A composite destination: a copy to each destination of the list, all of one send (ActiveMQ's "Composite Destinations").
    if (message.destination.includes(',')) {
      return compositeParts(message.destination, `unknown destination '${message.destination}'`).flatMap((part) => this.routeTo(this.copy(message, part.written)));
    }
    return this.routeTo(message);
  }

  /** Where a message of one destination goes. */
  private routeTo(message: BrokerMessage): Target[] {
    const destination = message.destination;
    if (destination.startsWith('/queue/')) return [{ queue: this.queue(destination.slice('/queue/'.length)), message }];
    if (destination.startsWith('/remote-temp-queue/')) {
      const queue = this.tempQueues.get(destination.slice('/remote-temp-queue/'.length));
      if (!queue) throw new BrokerProtocolError(`destination ${destination} does not exist (its connection has gone)`);
      return [{ queue, message }];
    }
    const name = destination.slice('/topic/'.length);
    // Classic's RetainedMessageSubscriptionRecoveryPolicy: the message is kept for retroactive
    // subscribers, and its copies lose the header that asked for it.
    const retain = message.headers[RETAIN_HEADER]?.toLowerCase() === 'true';
    const sent = retain ? { ...message, headers: withoutHeader(message.headers, RETAIN_HEADER) } : message;
    const targets: Target[] = [];
    for (const subscriber of this.topicSubscribers.matching(name)) {
      // Tested as the copy it would get (its own message-id); a durable subscription's copy is journaled under its queue.
      const copy = this.copy(sent, sent.destination, subscriber.durable ? subscriber.queue.name : undefined);
      if (!subscriber.accepts || subscriber.accepts(copy)) targets.push({ queue: subscriber.queue, message: copy });
    }
    // As on ActiveMQ, the copy is a message of the consumer queue.
    for (const queue of this.virtualConsumers.get(name) ?? []) targets.push({ queue, message: this.copy(sent, `/queue/${queue.name}`) });
    if (retain) targets.push({ queue: this.retainedSlot(name), message: this.copy({ ...sent, headers: { ...sent.headers, [RETAINED_HEADER]: 'true' } }) });
    return targets;
  }

  private copy(message: BrokerMessage, destination = message.destination, journalQueue?: string): BrokerMessage {
    return { ...message, id: this.nextId++, destination, journalQueue };
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
      // A message of the DLQ now, journaled as one (not as a durable subscription's copy).
      journalQueue: undefined,
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

  /**
   * The scheduler's delivery of what fell due (scheduler.ts): `messages` routed like fresh sends,
   * stored in one journal batch with the scheduler's own changes (`entries`), then enqueued, so that
   * a restart neither loses nor repeats a copy. A copy for a temporary queue whose connection has
   * gone is dropped, with a log line, and false returned: its schedule ends. Rejects only when the
   * journal write fails.
   */
  private async deliverScheduled(messages: readonly BrokerMessage[], entries: { readonly adds: readonly BrokerMessage[]; readonly removes: readonly number[] }): Promise<boolean> {
    let routed = true;
    const targets = messages.flatMap((message) => {
      try {
        return this.route(message);
      } catch (error) {
        routed = false;
        const reason = error instanceof Error ? error.message : String(error);
        this.log(`embedded broker: scheduled message ${message.id} for ${message.destination} dropped, its schedule ended: ${reason}`);
        return [];
      }
    });
    const adds = [...targets.filter((t) => t.queue.durable && t.message.persistent).map((t) => t.message), ...entries.adds];
    if (adds.length > 0 || entries.removes.length > 0) await this.store({ adds, removes: entries.removes });
    for (const target of targets) this.enqueue(target);
    return routed;
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

/**
 * A message as the journal keeps it. A durable subscription's copy is filed under its
 * subscription's reserved queue (`/queue/ActiveMQ.Embedded.DurableSubscription.…`), which the
 * journal keeps as any queue's message, its topic in {@link STORED_DESTINATION_HEADER}.
 */
function toStored(message: BrokerMessage): StoredMessage {
  const headers: StompHeaders = {
    ...message.headers,
    persistent: 'true',
    priority: String(message.priority),
    expires: String(message.expires),
    timestamp: String(message.timestamp),
  };
  if (message.journalQueue !== undefined) headers[STORED_DESTINATION_HEADER] = message.destination;
  return {
    id: message.id,
    destination: message.journalQueue === undefined ? message.destination : `/queue/${message.journalQueue}`,
    headers,
    body: message.body,
    ...(isScheduled(message) ? { schedule: message.schedule } : {}),
  };
}

function fromStored(stored: StoredMessage): BrokerMessage {
  const { persistent: _p, priority, expires, timestamp, ...kept } = stored.headers;
  const headers: StompHeaders = { ...kept };
  // Under a durable subscription's queue: a copy of a topic's message (the header is the broker's there, never a sender's).
  const journalQueue = stored.destination.startsWith(`/queue/${DURABLE_QUEUE_PREFIX}`) ? stored.destination.slice('/queue/'.length) : undefined;
  const topic = journalQueue === undefined ? undefined : headers[STORED_DESTINATION_HEADER];
  if (journalQueue !== undefined) delete headers[STORED_DESTINATION_HEADER];
  let size = stored.body.length + 64;
  for (const name in headers) size += name.length + headers[name]!.length + 2;
  return {
    id: stored.id,
    destination: topic ?? stored.destination,
    journalQueue,
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

/** The reserved queues of durable subscriptions: `<prefix><client-id>:<name>`, each URI-encoded (so the colon separates them). */
const DURABLE_QUEUE_PREFIX = `${RESERVED_QUEUE_PREFIX}DurableSubscription.`;
/** Header of a durable subscription's journaled copy: the topic it was sent to. */
const STORED_DESTINATION_HEADER = `${RESERVED_QUEUE_PREFIX}Destination`;
/** Header of the journal record that registers a durable subscription (no message: restored as a subscription). */
const REGISTRATION_HEADER = `${RESERVED_QUEUE_PREFIX}DurableSubscription`;
/** Durable subscriptions the broker keeps at most, over every client-id: each is a queue that collects copies while its client is away. */
const MAX_DURABLE_SUBSCRIPTIONS = 10_000;

function durableQueueName(clientId: string, name: string): string {
  return `${DURABLE_QUEUE_PREFIX}${encodeURIComponent(clientId)}:${encodeURIComponent(name)}`;
}

/** What a durable subscription is, as its SUBSCRIBE made it and the journal keeps it. */
interface DurableRegistration {
  readonly clientId: string;
  readonly name: string;
  /** Its topic, as SUBSCRIBEd (`/topic/x`, wildcards allowed). */
  readonly destination: string;
  readonly selector: string | undefined;
  readonly noLocal: boolean;
}

/** A durable topic subscription: its registration, its queue of copies, and who consumes it now. */
interface DurableSubscription extends DurableRegistration {
  readonly subscriber: TopicSubscriber;
  /** The id of the journal record of its registration; undefined without a journal. */
  readonly record: number | undefined;
  /** The subscription consuming it; undefined while its client is away. */
  active: Attachment | undefined;
}

/** The journal record of a durable subscription's registration: a record of its reserved queue, without body, that restore() reads back as a subscription. */
function registrationRecord(durable: DurableSubscription): StoredMessage {
  const { clientId, name, destination, selector, noLocal } = durable;
  return {
    id: durable.record!,
    destination: `/queue/${durable.subscriber.queue.name}`,
    headers: { [REGISTRATION_HEADER]: JSON.stringify({ clientId, name, destination, selector, noLocal }) },
    body: Buffer.alloc(0),
  };
}

function parseRegistration(text: string): DurableRegistration {
  const value = JSON.parse(text) as Record<string, unknown>;
  const { clientId, name, destination, selector, noLocal } = value;
  if (typeof clientId !== 'string' || typeof name !== 'string' || typeof destination !== 'string' || !destination.startsWith('/topic/')) throw new Error('fields missing');
  if ((selector !== undefined && typeof selector !== 'string') || typeof noLocal !== 'boolean') throw new Error('fields of the wrong type');
  return { clientId, name, destination, selector, noLocal };
}

/** A topic subscription's test: its selector, and with noLocal, not the messages of the connection `own()` names. */
function topicTest(filter: MessageFilter | undefined, noLocal: boolean, own: () => string | undefined): MessageFilter | undefined {
  if (!noLocal) return filter;
  return (message) => (message.origin === undefined || message.origin !== own()) && (!filter || filter(message));
}

function withoutHeader(headers: StompHeaders, name: string): StompHeaders {
  const { [name]: _removed, ...rest } = headers;
  return rest;
}

/** A subscription's hold on its queues (see {@link BrokerCore.subscribe}). */
class Attachment implements CoreAttachment {
  readonly queues = new Set<Queue>();
  /** Its own queue of a topic's copies, when it subscribed a topic (not durably). */
  subscriber: TopicSubscriber | undefined;
  /** The durable subscription it consumes. */
  durableSubscription: DurableSubscription | undefined;
  /** Queue names with wildcards it subscribed: queues made later that match are attached too. */
  readonly patterns: NamePattern[] = [];
  stored: Promise<void> | undefined;

  constructor(readonly consumer: QueueConsumer) {}

  get durable(): boolean {
    return this.durableSubscription !== undefined;
  }

  get durableName(): string | undefined {
    return this.durableSubscription?.name;
  }

  matches(queueName: string): boolean {
    return this.patterns.some((pattern) => pattern.matches(queueName));
  }

  attach(queue: Queue): void {
    if (this.queues.has(queue)) return;
    this.queues.add(queue);
    queue.addConsumer(this.consumer);
  }

  dispatch(): void {
    for (const queue of this.queues) queue.dispatch();
  }
}
