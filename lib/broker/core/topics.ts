import { isWildcard, NamePattern } from './destinations.js';
import { Queue, type BrokerMessage } from './queue.js';

/** A topic subscription as routing sees it: the queue its copies go to, and which messages it takes. */
export interface TopicSubscriber {
  /** Its copies: a non-durable subscription's own queue, or a durable subscription's (journaled) one. */
  readonly queue: Queue;
  /** The topic names it subscribed, each a name or a pattern with wildcards. */
  readonly topics: readonly string[];
  /** Its selector and `activemq.noLocal`, tested on each copy before it is enqueued; absent: it takes every message. */
  readonly accepts?: (message: BrokerMessage) => boolean;
  /** A durable subscription's: its copies are journaled as messages of its queue. */
  readonly durable?: boolean;
}

/**
 * The topic subscriptions, found by a sent message's topic: those of a name through an index,
 * those with wildcards by testing each pattern (one test per wildcard subscription and send).
 */
export class TopicSubscribers {
  private readonly byName = new Map<string, Set<TopicSubscriber>>();
  private readonly patterns = new Map<TopicSubscriber, NamePattern[]>();
  private readonly byQueue = new Map<Queue, TopicSubscriber>();

  add(subscriber: TopicSubscriber): void {
    this.byQueue.set(subscriber.queue, subscriber);
    for (const topic of subscriber.topics) {
      if (isWildcard(topic)) {
        let patterns = this.patterns.get(subscriber);
        if (!patterns) this.patterns.set(subscriber, (patterns = []));
        patterns.push(new NamePattern(topic));
        continue;
      }
      let subscribers = this.byName.get(topic);
      if (!subscribers) this.byName.set(topic, (subscribers = new Set()));
      subscribers.add(subscriber);
    }
  }

  remove(subscriber: TopicSubscriber): void {
    this.byQueue.delete(subscriber.queue);
    this.patterns.delete(subscriber);
    for (const topic of subscriber.topics) {
      const subscribers = this.byName.get(topic);
      subscribers?.delete(subscriber);
      if (subscribers?.size === 0) this.byName.delete(topic);
    }
  }

  /** The subscriber whose queue this is, if any. */
  ofQueue(queue: Queue): TopicSubscriber | undefined {
    return this.byQueue.get(queue);
  }

  /** Every subscriber of `topic`, each once (a composite subscription may name it twice). */
  matching(topic: string): TopicSubscriber[] {
    const found = new Set(this.byName.get(topic));
    for (const [subscriber, patterns] of this.patterns) if (patterns.some((pattern) => pattern.matches(topic))) found.add(subscriber);
    return [...found];
  }
}

/** The header that asks a topic to keep a message for retroactive subscribers (Classic's `RetainedMessageSubscriptionRecoveryPolicy.RETAIN_PROPERTY`). */
export const RETAIN_HEADER = 'ActiveMQ.Retain';
/** The header a retained message carries when it is recovered (Classic's `RETAINED_PROPERTY`). */
export const RETAINED_HEADER = 'ActiveMQ.Retained';

/**
 * The message a topic keeps for retroactive subscribers: the last one sent to it with
 * `ActiveMQ.Retain:true` and a body; one with an empty body clears it. This is what ActiveMQ
 * Classic's default subscription recovery policy of a topic, `RetainedMessageSubscriptionRecoveryPolicy`
 * wrapping none, gives an `activemq.retroactive:true` subscriber (its "Retroactive Consumer" and
 * "Subscription Recovery Policy" pages); it lives in memory only, as there. A queue of no
 * consumer, so that routing hands it its copy as to any other target (counted, and released when
 * it is replaced).
 */
export class RetainedSlot extends Queue {
  /** The message kept; undefined once cleared. */
  held: BrokerMessage | undefined;

  constructor(
    readonly topic: string,
    private readonly release: (message: BrokerMessage, queue: Queue) => void,
    /** The slots of every topic: the slot leaves it once cleared. */
    private readonly slots: Map<string, RetainedSlot>,
  ) {
    super(`retained:${topic}`, false, release, { groups: false });
  }

  override enqueue(message: BrokerMessage): void {
    const previous = this.held;
    this.held = message.body.length > 0 ? message : undefined;
    if (previous) this.release(previous, this);
    if (!this.held) {
      this.release(message, this);
      this.slots.delete(this.topic);
    }
  }
}
