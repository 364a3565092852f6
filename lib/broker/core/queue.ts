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
}

/** Where a queue's messages go: a subscription with room for more. */
export interface QueueConsumer {
  /** True while the consumer can take one more message (prefetch not used up, its connection not backed up). */
  hasCredit(): boolean;
  deliver(message: BrokerMessage, queue: Queue): void;
}

const PRIORITIES = 10;

/**
 * A queue: messages wait by priority (FIFO within one) and go to its consumers round robin, each
 * as long as its prefetch allows. A topic subscription is a queue of its own with one consumer.
 */
export class Queue {
  private readonly levels: BrokerMessage[][] = Array.from({ length: PRIORITIES }, () => []);
  private readonly heads = new Array<number>(PRIORITIES).fill(0);
  private waiting = 0;
  readonly consumers: QueueConsumer[] = [];
  private nextConsumer = 0;
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
  ) {}

  get size(): number {
    return this.waiting;
  }

  /** No consumer and nothing waiting: the queue holds nothing but its name. */
  get unused(): boolean {
    return this.consumers.length === 0 && this.waiting === 0;
  }

  enqueue(message: BrokerMessage): void {
    this.levels[message.priority]!.push(message);
    this.waiting++;
    this.enqueued++;
    this.dispatch();
  }

  /** Puts a message given back in front of its priority level, so that order is kept. */
  requeue(message: BrokerMessage): void {
    const level = this.levels[message.priority]!;
    if (this.heads[message.priority]! > 0) level[--this.heads[message.priority]!] = message;
    else level.unshift(message);
    this.waiting++;
    this.dispatch();
  }

  addConsumer(consumer: QueueConsumer): void {
    this.consumers.push(consumer);
    this.dispatch();
  }

  removeConsumer(consumer: QueueConsumer): void {
    const at = this.consumers.indexOf(consumer);
    if (at !== -1) this.consumers.splice(at, 1);
  }

  /** Hands waiting messages to consumers with credit, highest priority first. */
  dispatch(): void {
    const now = Date.now();
    while (this.waiting > 0) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      const message = this.take();
      if (message.expires > 0 && message.expires <= now) {
        this.onExpired(message, this);
        continue;
      }
      this.dispatched++;
      consumer.deliver(message, this);
    }
  }

  /** Removes every waiting message (for a temporary queue that goes away). */
  drainAll(): BrokerMessage[] {
    const all: BrokerMessage[] = [];
    while (this.waiting > 0) all.push(this.take());
    return all;
  }

  private pickConsumer(): QueueConsumer | undefined {
    const count = this.consumers.length;
    for (let i = 0; i < count; i++) {
      const consumer = this.consumers[(this.nextConsumer + i) % count]!;
      if (consumer.hasCredit()) {
        this.nextConsumer = (this.nextConsumer + i + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  private take(): BrokerMessage {
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const level = this.levels[p]!;
      const head = this.heads[p]!;
      if (head < level.length) {
        const message = level[head]!;
        level[head] = undefined as unknown as BrokerMessage;
        if (head + 1 === level.length) {
          level.length = 0;
          this.heads[p] = 0;
        } else if (head + 1 > 1024 && head + 1 > level.length / 2) {
          level.splice(0, head + 1);
          this.heads[p] = 0;
        } else {
          this.heads[p] = head + 1;
        }
        this.waiting--;
        return message;
      }
    }
    throw new Error('take() on an empty queue');
  }
}
