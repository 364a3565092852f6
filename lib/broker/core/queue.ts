import type { StompHeaders } from '../../stomp/frame.js';

/** A message held by the embedded broker. */
export interface BrokerMessage {
  /** The broker's sequence number: unique, increasing; the journal's id for persistent messages. */
  readonly id: number;
  /** Where it was sent (`/queue/x`, `/topic/x`, or a temporary queue's name). */
  readonly destination: string;
  /** The sender's headers, without the frame-level ones (`destination`, `receipt`, `transaction`). */
  readonly headers: StompHeaders;
  readonly body: Buffer;
  readonly persistent: boolean;
  /** 0–9, default 4; higher is dispatched first. */
  readonly priority: number;
  /** Absolute expiry in ms since the epoch; 0 never. */
  readonly expires: number;
  readonly timestamp: number;
  /** Bytes it takes, for the memory limit. */
  readonly size: number;
  /** Times it was dispatched and given back (NACK, or its consumer left before acknowledging). */
  deliveries: number;
  /** The id of the connection that sent it, for `activemq.noLocal`; absent for a message restored from the journal. */
  readonly origin?: string;
  /**
   * The queue the journal files it under when that is not its destination: a durable topic
   * subscription's copy is stored as a message of that subscription's (reserved) queue.
   */
  readonly journalQueue?: string;
}

/** Where a queue's messages go: a subscription with room for more. */
export interface QueueConsumer {
  /** True while the consumer can take one more message (prefetch not used up, its connection not backed up). */
  hasCredit(): boolean;
  /** Hands it a message; `firstOfGroup` when this delivery made it the owner of the message's group (`JMSXGroupFirstForConsumer`). */
  deliver(message: BrokerMessage, queue: Queue, firstOfGroup?: boolean): void;
  /** Consumer priority (`activemq.priority`, 0–127; 0 when absent): higher ones are offered messages first. */
  readonly priority?: number;
  /** An exclusive consumer (`activemq.exclusive`): while one is attached, it alone gets the queue's messages. */
  readonly exclusive?: boolean;
  /** False for a message it must not get (its selector, `activemq.noLocal`); absent: it takes any. */
  accepts?(message: BrokerMessage): boolean;
}

/** How a queue treats its messages. */
export interface QueueOptions {
  /** Messages of one `JMSXGroupID` go to one consumer at a time (ActiveMQ's "Message Groups"). Default true; off for a topic subscription's queue, which has one consumer. */
  readonly groups?: boolean;
  /** Its messages were filtered on the way in (a topic subscription's): the consumers' `accepts` is not asked again. */
  readonly prefiltered?: boolean;
}

/** Consumers of one priority, offered messages round robin from `next`. */
interface Band {
  readonly priority: number;
  readonly consumers: QueueConsumer[];
  next: number;
}

const PRIORITIES = 10;
/**
 * Waiting messages one dispatch may look past: a message nobody with credit takes (a selector,
 * a group whose owner is busy) stays and the next is tried, up to this many left behind. Messages
 * further on wait until those before are taken, as on ActiveMQ Classic, whose dispatch sees the
 * queue's first `maxPageSize` (200) messages only.
 */
const SCAN_WINDOW = 1000;
/** `accepts` calls one dispatch may spend on messages it leaves behind: many selecting consumers over a backlog nobody wants cost a bounded time per dispatch. */
const SCAN_BUDGET = 20_000;
/** Groups whose owner a queue remembers, least recently used forgotten first, as Classic's default `CachedMessageGroupMap` (1024; its "Message Groups" page). */
const MAX_GROUPS = 1024;
/** Priority of a consumer that takes over an exclusive queue from an owner of the same priority (Classic: `Byte.MAX_VALUE`). */
const TOP_CONSUMER_PRIORITY = 127;

/**
 * A queue: messages wait by priority (FIFO within one) and go to its consumers: the exclusive one
 * if any, else the highest consumer priority first and round robin within one, each as long as
 * its prefetch allows; a message that no consumer with credit wants (selectors, message groups)
 * is looked past. A topic subscription is a queue of its own with one consumer.
 */
export class Queue {
  /** Each priority's messages in order; a slot emptied in the middle (taken past the head) is undefined until compacted. */
  private readonly levels: Array<Array<BrokerMessage | undefined>> = Array.from({ length: PRIORITIES }, () => []);
  private readonly heads = new Array<number>(PRIORITIES).fill(0);
  /** Empty slots after each head. */
  private readonly holes = new Array<number>(PRIORITIES).fill(0);
  private waiting = 0;
  private readonly bands: Band[] = [];
  private consumerCount = 0;
  private exclusiveOwner: QueueConsumer | undefined;
  /** Message group → the consumer that owns it, least recently used first. */
  private readonly groupOwners = new Map<string, QueueConsumer>();
  private readonly groups: boolean;
  private readonly prefiltered: boolean;
  /** A dispatch is running: a message given back meanwhile waits in `deferred`, so that the running scan's positions stay right. */
  private dispatching = false;
  private deferred: BrokerMessage[] = [];
  private again = false;
  /** Set by {@link pick}: the band and index of the consumer picked round robin (undefined for a group owner or the exclusive consumer). */
  private pickedBand: Band | undefined;
  private pickedAt = 0;
  private pickedFirst = false;
  private tests = 0;
  /** Messages enqueued and dispatched since start, for stats. */
  enqueued = 0;
  dispatched = 0;
  /**
   * Set once nothing can reach the queue any more (its topic subscription ended, its temporary
   * queue's connection left, or, empty and unused, it was removed): a message given back to it
   * must go elsewhere, or be released, instead of waiting here for ever.
   */
  removed = false;

  constructor(
    readonly name: string,
    /** Persistent messages of this queue are journaled (false for topic subscriptions and temporary queues). */
    readonly durable: boolean,
    private readonly onExpired: (message: BrokerMessage, queue: Queue) => void,
    options: QueueOptions = {},
  ) {
    this.groups = options.groups ?? true;
    this.prefiltered = options.prefiltered ?? false;
  }

  get size(): number {
    return this.waiting;
  }

  /** No consumer and nothing waiting: the queue holds nothing but its name. */
  get unused(): boolean {
    return this.consumerCount === 0 && this.waiting === 0;
  }

  /** Its consumers, highest priority first. */
  get consumers(): readonly QueueConsumer[] {
    return this.bands.flatMap((band) => band.consumers);
  }

  enqueue(message: BrokerMessage): void {
    this.levels[message.priority]!.push(message);
    this.waiting++;
    this.enqueued++;
    this.dispatch();
  }

  /** Puts a message given back in front of its priority level, so that order is kept; `dispatch` false when more are given back at once (the caller dispatches after the last). */
  requeue(message: BrokerMessage, dispatch = true): void {
    this.waiting++;
    if (this.dispatching) {
      this.deferred.push(message);
      this.again = true;
      return;
    }
    this.putBack(message);
    if (dispatch) this.dispatch();
  }

  addConsumer(consumer: QueueConsumer): void {
    const priority = consumer.priority ?? 0;
    let at = this.bands.findIndex((band) => band.priority <= priority);
    if (at === -1 || this.bands[at]!.priority !== priority) {
      at = at === -1 ? this.bands.length : at;
      this.bands.splice(at, 0, { priority, consumers: [], next: 0 });
    }
    this.bands[at]!.consumers.push(consumer);
    this.consumerCount++;
    if (consumer.exclusive) {
      // Classic's Queue.addSubscription: the first exclusive consumer owns the queue; a later one
      // takes over with a higher priority, or with the highest (127).
      const owner = this.exclusiveOwner;
      if (!owner || priority === TOP_CONSUMER_PRIORITY || priority > (owner.priority ?? 0)) this.exclusiveOwner = consumer;
    }
    this.dispatch();
  }

  /**
   * Detaches a consumer; its groups are free again and, if it owned the queue, the exclusive
   * consumer of highest priority left (the first of them) owns it. Dispatches nothing: the
   * caller gives back what the consumer held first, then dispatches, so that order is kept.
   */
  removeConsumer(consumer: QueueConsumer): void {
    const bandAt = this.bands.findIndex((band) => band.consumers.includes(consumer));
    if (bandAt === -1) return;
    const band = this.bands[bandAt]!;
    const at = band.consumers.indexOf(consumer);
    band.consumers.splice(at, 1);
    if (at < band.next) band.next--;
    if (band.next >= band.consumers.length) band.next = 0;
    if (band.consumers.length === 0) this.bands.splice(bandAt, 1);
    this.consumerCount--;
    for (const [group, owner] of this.groupOwners) if (owner === consumer) this.groupOwners.delete(group);
    if (this.exclusiveOwner === consumer) {
      this.exclusiveOwner = undefined;
      for (const other of this.consumers) {
        if (other.exclusive && (!this.exclusiveOwner || (other.priority ?? 0) > (this.exclusiveOwner.priority ?? 0))) this.exclusiveOwner = other;
      }
    }
  }

  /** Hands waiting messages to consumers that want them and have credit. */
  dispatch(): void {
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.again = false;
        this.pass();
        for (const message of this.deferred.splice(0)) this.putBack(message);
        for (let p = 0; p < PRIORITIES; p++) this.compact(p);
      } while (this.again);
    } finally {
      this.dispatching = false;
    }
  }

  /** The waiting messages in dispatch order, those `filter` takes (all without one), left where they are: what a browser is shown. */
  snapshot(filter?: (message: BrokerMessage) => boolean): BrokerMessage[] {
    const now = Date.now();
    const found: BrokerMessage[] = [];
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const level = this.levels[p]!;
      for (let i = this.heads[p]!; i < level.length; i++) {
        const message = level[i];
        if (message === undefined || (message.expires > 0 && message.expires <= now)) continue;
        if (!filter || filter(message)) found.push(message);
      }
    }
    // Given back during a dispatch and not yet in place: in front of the rest.
    return [...this.deferred.filter((message) => !filter || filter(message)), ...found];
  }

  /** Removes every waiting message (for a temporary queue or a subscription that goes away). */
  drainAll(): BrokerMessage[] {
    const all: BrokerMessage[] = this.deferred.splice(0);
    this.waiting -= all.length;
    while (this.waiting > 0) all.push(this.take());
    return all;
  }

  /**
   * One scan in dispatch order: each waiting message goes to the first consumer (exclusive owner,
   * group owner, or by priority and round robin) that has credit and wants it; one nobody takes
   * stays. Stops when no consumer has credit, or after {@link SCAN_WINDOW} messages or
   * {@link SCAN_BUDGET} `accepts` calls. Without selectors or groups it takes the head each time.
   */
  private pass(): void {
    if (this.waiting === 0 || this.consumerCount === 0) return;
    const now = Date.now();
    // What the scan spent on messages it had to leave: the bounds apply to that, not to deliveries.
    let skipped = 0;
    let wasted = 0;
    this.tests = 0;
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const level = this.levels[p]!;
      for (let i = this.heads[p]!; i < level.length; i++) {
        const message = level[i];
        if (message === undefined) continue;
        if (message.expires > 0 && message.expires <= now) {
          this.removeAt(p, i);
          this.onExpired(message, this);
          continue;
        }
        const testsBefore = this.tests;
        const consumer = this.pick(message);
        if (consumer === null) return;
        if (consumer === undefined) {
          wasted += this.tests - testsBefore;
          if (++skipped >= SCAN_WINDOW || wasted >= SCAN_BUDGET) return;
          continue;
        }
        this.removeAt(p, i);
        if (this.pickedBand) this.pickedBand.next = (this.pickedAt + 1) % this.pickedBand.consumers.length;
        this.dispatched++;
        consumer.deliver(message, this, this.pickedFirst);
        if (this.waiting - this.deferred.length === 0) return;
      }
    }
  }

  /**
   * The consumer `message` goes to: undefined when none with credit wants it now (it stays),
   * null when no consumer has credit at all (the scan stops). Assigns and closes message groups
   * as Classic's `Queue.assignMessageGroup` does: a group belongs to the first consumer given one
   * of its messages until that consumer leaves; `JMSXGroupSeq` 1 starts it afresh, and a
   * negative one closes it after this message (ActiveMQ's "Message Groups" page).
   */
  private pick(message: BrokerMessage): QueueConsumer | null | undefined {
    this.pickedBand = undefined;
    this.pickedFirst = false;
    const group = this.groups ? message.headers['JMSXGroupID'] : undefined;
    const sequence = group === undefined ? 0 : groupSequence(message);
    if (group !== undefined && sequence !== 1) {
      const owner = this.groupOwners.get(group);
      if (owner) {
        if (this.exclusiveOwner && owner !== this.exclusiveOwner) return this.exclusiveOwner.hasCredit() ? undefined : null;
        if (!owner.hasCredit() || !this.wants(owner, message)) return undefined;
        this.groupOwners.delete(group);
        if (sequence >= 0) this.groupOwners.set(group, owner);
        return owner;
      }
    }
    let found: QueueConsumer | null | undefined = null;
    if (this.exclusiveOwner) {
      if (!this.exclusiveOwner.hasCredit()) return null;
      found = this.wants(this.exclusiveOwner, message) ? this.exclusiveOwner : undefined;
    } else {
      search: for (const band of this.bands) {
        const count = band.consumers.length;
        for (let k = 0; k < count; k++) {
          const at = (band.next + k) % count;
          const consumer = band.consumers[at]!;
          if (!consumer.hasCredit()) continue;
          found = undefined;
          if (!this.wants(consumer, message)) continue;
          found = consumer;
          this.pickedBand = band;
          this.pickedAt = at;
          break search;
        }
      }
    }
    if (found && group !== undefined) {
      this.groupOwners.delete(group);
      if (sequence >= 0) {
        this.groupOwners.set(group, found);
        if (this.groupOwners.size > MAX_GROUPS) this.groupOwners.delete(this.groupOwners.keys().next().value!);
      }
      this.pickedFirst = true;
    }
    return found;
  }

  private wants(consumer: QueueConsumer, message: BrokerMessage): boolean {
    if (this.prefiltered || !consumer.accepts) return true;
    this.tests++;
    return consumer.accepts(message);
  }

  private putBack(message: BrokerMessage): void {
    const p = message.priority;
    const level = this.levels[p]!;
    if (this.heads[p]! > 0) level[--this.heads[p]!] = message;
    else level.unshift(message);
  }

  /** Empties the slot of a message taken at `i` of level `p` (the head moves on; a slot past it becomes a hole). */
  private removeAt(p: number, i: number): void {
    const level = this.levels[p]!;
    level[i] = undefined;
    this.waiting--;
    if (i !== this.heads[p]) {
      this.holes[p]!++;
      return;
    }
    let head = i + 1;
    while (head < level.length && level[head] === undefined) {
      head++;
      this.holes[p]!--;
    }
    this.heads[p] = head;
  }

  /** Frees the storage of taken slots once they are many (not while a scan walks the level). */
  private compact(p: number): void {
    const level = this.levels[p]!;
    const head = this.heads[p]!;
    if (head === level.length) {
      level.length = 0;
      this.heads[p] = 0;
      this.holes[p] = 0;
    } else if (this.holes[p]! > 1024 && this.holes[p]! > (level.length - head) / 2) {
      const kept = level.slice(head).filter((message) => message !== undefined);
      level.length = 0;
      level.push(...kept);
      this.heads[p] = 0;
      this.holes[p] = 0;
    } else if (head > 1024 && head > level.length / 2) {
      level.splice(0, head);
      this.heads[p] = 0;
    }
  }

  private take(): BrokerMessage {
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const level = this.levels[p]!;
      const head = this.heads[p]!;
      if (head < level.length) {
        const message = level[head]!;
        this.removeAt(p, head);
        this.compact(p);
        return message;
      }
    }
    throw new Error('take() on an empty queue');
  }
}

/** The message's `JMSXGroupSeq` (checked to be an integer when it was sent); 0 when absent. */
function groupSequence(message: BrokerMessage): number {
  const sequence = Number(message.headers['JMSXGroupSeq'] ?? 0);
  return Number.isInteger(sequence) ? sequence : 0;
}
