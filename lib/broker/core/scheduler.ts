/*
 * Scheduled delivery of the embedded broker, as ActiveMQ Classic's scheduler gives it
 * (https://activemq.apache.org/components/classic/documentation/delay-and-schedule-message-delivery).
 * A SEND with scheduling headers is accepted (its RECEIPT once it is journaled, when persistent)
 * and held here; when its time comes, a copy is routed like a fresh send to its destination.
 *
 * The headers, whose values are strings of digits, as ActiveMQ reads them from a STOMP SEND:
 * - AMQ_SCHEDULED_DELAY: ms before the first copy.
 * - AMQ_SCHEDULED_PERIOD: ms between copies. Without a delay it is also the wait before the first
 *   copy: Classic's scheduler puts the first time at the send plus the delay, or plus the period
 *   when there is no delay.
 * - AMQ_SCHEDULED_REPEAT: copies after the first one, so repeat + 1 copies in all. It needs a
 *   period above 0 (refused here without one, where Classic would send them back to back); at most
 *   1000, the bound Classic's SchedulerBroker puts on it (its maxRepeatAllowed) against floods.
 * - AMQ_SCHEDULED_CRON: a cron entry of exactly 5 fields (minute hour day-of-month month
 *   day-of-week, in the broker's time zone), as Classic's CronParser takes it; read by croner.
 *   Each time it fires starts a run of copies as the three headers above describe: its first
 *   copy after the delay (or the period), then `repeat` more, a period apart. Runs may overlap.
 *   Every cron time gives the same run here. (Classic's scheduler also adds the delay to the cron
 *   entry's first time, so that its first run starts a delay late, and a cron without repeats
 *   gets the delay on its first time only: quirks its page does not describe, not copied.)
 * - AMQ_SCHEDULED_TIME: Artemis' STOMP header, the absolute time (ms since the epoch) of the first
 *   copy: Artemis' STOMP support reads it, and AMQ_SCHEDULED_DELAY, into the scheduled delivery
 *   time of https://activemq.apache.org/components/artemis/documentation/latest/scheduled-messages.html
 *   (its StompUtils). Classic does not know it and delivers such a message at once; it is
 *   honoured here, since the embedded broker stands in for both brokers and a client written for
 *   Artemis expects its message held. With AMQ_SCHEDULED_DELAY as well the time wins, as on
 *   Artemis, which reads the delay first and then the time over it; with a period and a repeat,
 *   the repeats follow it; with a cron it is refused, the two naming different first times.
 *
 * Each copy is a new message (its own message-id). As on Classic, the scheduling headers are
 * removed from it (AMQ_SCHEDULED_TIME too, which Artemis removes), `scheduledJobId` names the job it
 * came from, and an `expires` moves by as long as the message waited, so that it keeps its time to
 * live. A SEND that carries `scheduledJobId` is sent at once, headers and all (Classic's page: the
 * property is reserved for its scheduler), as is one with AMQ_SCHEDULED_REPEAT alone.
 *
 * Timing: the next copy of a run is due a period after the previous one went out, and a cron's
 * next firing is its next time after the one that went out, as on Classic: a broker that was
 * stopped, or held its deliveries for memory, delivers what fell due meanwhile once, then goes on
 * from the present, without catching up every missed time.
 *
 * Durability: a persistent scheduled message is journaled with its next due time (absolute) and
 * the copies still to come (StoredSchedule); each copy is journaled in one batch with that state's
 * update, so that a restart neither loses nor repeats one. A restarted broker re-arms them; what
 * fell due while it was down goes out as it starts. Non-persistent ones are kept in memory only,
 * as every non-persistent message of this broker is.
 *
 * In a transaction a scheduled SEND is scheduled at COMMIT, its delay counted from there (Classic
 * schedules it when the transaction commits), and dropped by ABORT.
 *
 * Bounds: one timer, for the earliest due message; a delay, period or time at most 10 years away;
 * held messages count against the broker's memory limit like waiting ones (so that past twice the
 * limit a scheduled SEND is refused like any other); while the copies waiting in queues are over
 * the limit, deliveries wait, as a producer would; a round of deliveries is bounded, so that a
 * backlog (after a long stop) does not hold up the connections. A message for a temporary queue
 * whose connection has gone ends its schedule there.
 */
import { Cron } from 'croner';
import { messageBytes, type StompHeaders } from '../../stomp/frame.js';
import type { StoredSchedule } from '../store/journal.js';
import { BrokerProtocolError } from './contracts.js';
import { Queue, type BrokerMessage } from './queue.js';

/** The header names scheduled delivery reads and writes. */
export const SCHEDULING_HEADERS = {
  /** ms before the first copy. */
  delay: 'AMQ_SCHEDULED_DELAY',
  /** ms between copies. */
  period: 'AMQ_SCHEDULED_PERIOD',
  /** Copies after the first one. */
  repeat: 'AMQ_SCHEDULED_REPEAT',
  /** A 5-field cron entry. */
  cron: 'AMQ_SCHEDULED_CRON',
  /** Artemis' absolute time of delivery, in ms since the epoch. */
  time: 'AMQ_SCHEDULED_TIME',
  /** Set on each copy to the id of the job it came from; on a SEND, it means "send at once". */
  jobId: 'scheduledJobId',
} as const;

const { delay: DELAY, period: PERIOD, repeat: REPEAT, cron: CRON, time: TIME, jobId: JOB_ID } = SCHEDULING_HEADERS;

/** Removed from every delivered copy. */
const REMOVED_HEADERS = new Set<string>([DELAY, PERIOD, REPEAT, CRON, TIME]);

/** The furthest ahead a delay, a period or a time may reach: 10 years (of 365 days), in ms. */
export const MAX_SCHEDULE_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** The most repeats a message may ask for: Classic's default maxRepeatAllowed. */
export const MAX_REPEAT = 1000;

/** The longest a Node.js timer waits; a later due time is waited for in steps of at most this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Most copies delivered in one turn of the event loop; the rest follow in the next turns. */
const ROUND = 128;

/** While the memory held outside the scheduler is over the limit, how often the scheduler looks again. */
const MEMORY_RETRY_MS = 100;

/** A message's schedule, as its headers give it. */
export interface SchedulePlan {
  /** AMQ_SCHEDULED_DELAY, 0 when absent. */
  readonly delay: number;
  /** AMQ_SCHEDULED_PERIOD, 0 when absent. */
  readonly period: number;
  /** AMQ_SCHEDULED_REPEAT, 0 when absent. */
  readonly repeat: number;
  /** AMQ_SCHEDULED_TIME, when given. */
  readonly time?: number;
  /** AMQ_SCHEDULED_CRON, parsed, when given. */
  readonly cron?: Cron;
}

/** A message the scheduler holds: the message as sent (scheduling headers included), its plan, and where its schedule stands. */
export interface ScheduledMessage extends BrokerMessage {
  /** What its headers ask for. */
  readonly plan: SchedulePlan;
  /** When it is due next and what it does then; journaled with it. */
  readonly schedule: StoredSchedule;
}

/** True for a message the scheduler holds (or is about to take), false for one to deliver. */
export function isScheduled(message: BrokerMessage): message is ScheduledMessage {
  return Object.hasOwn(message, 'schedule');
}

/**
 * Reads and checks a SEND's scheduling headers. Undefined when the message is not to be scheduled
 * (no scheduling header, only AMQ_SCHEDULED_REPEAT, or `scheduledJobId` present); throws a
 * {@link BrokerProtocolError} naming the header at fault for a value that cannot be honoured.
 *
 * @param headers The SEND's headers.
 * @param now The time AMQ_SCHEDULED_TIME's bound is counted from, in ms since the epoch.
 */
export function readSchedule(headers: Readonly<StompHeaders>, now: number): SchedulePlan | undefined {
  const has = (name: string): boolean => Object.hasOwn(headers, name);
  if (!hasSchedulingHeader(headers)) return undefined;
  // Classic's page: a message carrying scheduledJobId is sent at once, not scheduled.
  if (has(JOB_ID)) return undefined;
  const span = `of ms from 0 to ${MAX_SCHEDULE_MS} (10 years)`;
  const delay = wholeNumber(headers, DELAY, MAX_SCHEDULE_MS, span) ?? 0;
  const period = wholeNumber(headers, PERIOD, MAX_SCHEDULE_MS, span) ?? 0;
  const repeat = wholeNumber(headers, REPEAT, MAX_REPEAT, `from 0 to ${MAX_REPEAT}`) ?? 0;
  if (repeat > 0 && period === 0) throw new BrokerProtocolError(`${REPEAT} ${repeat} needs an ${PERIOD} above 0: the ms between the copies`);
  const time = absoluteTime(headers, now);
  const cron = has(CRON) ? readCron(headers[CRON]!, now) : undefined;
  if (cron && time !== undefined) throw new BrokerProtocolError(`${TIME} cannot be combined with ${CRON}: give the first time with one or the other`);
  // AMQ_SCHEDULED_REPEAT alone schedules nothing on Classic either (only a delay, a period or a cron does).
  if (!has(DELAY) && !has(PERIOD) && !cron && time === undefined) return undefined;
  return { delay, period, repeat, ...(time === undefined ? {} : { time }), ...(cron ? { cron } : {}) };
}

/** True when a scheduling header is present: the cheap test every routed message goes through. */
function hasSchedulingHeader(headers: Readonly<StompHeaders>): boolean {
  return Object.hasOwn(headers, DELAY) || Object.hasOwn(headers, PERIOD) || Object.hasOwn(headers, REPEAT) || Object.hasOwn(headers, CRON) || Object.hasOwn(headers, TIME);
}

/** A header's value for an error message: quoted, and cut short when long. */
function shown(value: string): string {
  return `'${value.length > 64 ? `${value.slice(0, 64)}…` : value}'`;
}

/** A header of digits only (as the core reads `priority` and `expires`: `Number()` would take '', ' 7 ', '0x9' and '1e3'), at most `max`. */
function wholeNumber(headers: Readonly<StompHeaders>, name: string, max: number, what: string): number | undefined {
  const text = headers[name];
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) > max) throw new BrokerProtocolError(`${name} ${shown(text)} is not a whole number ${what}`);
  return Number(text);
}

function absoluteTime(headers: Readonly<StompHeaders>, now: number): number | undefined {
  const text = headers[TIME];
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) > now + MAX_SCHEDULE_MS) {
    throw new BrokerProtocolError(`${TIME} ${shown(text)} is not a time in ms since the epoch at most 10 years from now`);
  }
  return Number(text);
}

/** A cron entry of 5 fields, parsed by croner (whose own error a bad one is refused with); refused as well when it never fires. */
function readCron(entry: string, now: number): Cron {
  const fields = entry.split(/[ \t\n\r\f]+/).filter((field) => field !== '').length;
  if (fields !== 5) {
    throw new BrokerProtocolError(`${CRON} ${shown(entry)} has ${fields} field(s): a cron entry has 5 (minute hour day-of-month month day-of-week), as on ActiveMQ Classic`);
  }
  let cron: Cron;
  try {
    // paused and without a function: croner only computes times, it arms no timer of its own.
    cron = new Cron(entry, { mode: '5-part', paused: true });
  } catch (error) {
    throw new BrokerProtocolError(`${CRON} ${shown(entry)} is not a valid cron entry: ${error instanceof Error ? error.message : String(error)}`);
  }
  // A date that does not exist (February 30th) never comes: croner finds no next time.
  if (nextCronTime(cron, now) === undefined) throw new BrokerProtocolError(`${CRON} ${shown(entry)} never fires`);
  return cron;
}

/** The cron's first time strictly after `after`, in ms since the epoch; undefined if it has none. */
export function nextCronTime(cron: Cron, after: number): number | undefined {
  return cron.nextRun(new Date(after))?.getTime();
}

/**
 * Where a message's schedule starts when it is accepted at `now`: its first copy's time and the
 * copies after it, or, for a cron entry, the cron's first time.
 */
export function firstSchedule(plan: SchedulePlan, now: number): StoredSchedule {
  if (plan.cron) {
    const due = nextCronTime(plan.cron, now);
    if (due === undefined) throw new BrokerProtocolError(`${CRON} '${plan.cron.getPattern()}' never fires`);
    return { due, remaining: 0, cron: true };
  }
  if (plan.time !== undefined) return { due: plan.time, remaining: plan.repeat, cron: false };
  return { due: now + (plan.delay > 0 ? plan.delay : plan.period), remaining: plan.repeat, cron: false };
}

/** What one firing of a scheduled message does. */
export interface Firing {
  /**
   * Messages to route like fresh sends: the copy to deliver, or, for a cron entry whose firings
   * start runs of several copies or a delay, the new run (a scheduled message itself).
   */
  readonly deliver: readonly BrokerMessage[];
  /** The message's next state, to hold and journal in its place; undefined when it is done. */
  readonly next?: ScheduledMessage;
}

/**
 * One firing of a scheduled message that is due, at `now`: pure, apart from taking new ids.
 *
 * @param entry The message that is due.
 * @param now The time of the firing, in ms since the epoch.
 * @param newId Gives the next message id of the broker.
 * @param jobId The `scheduledJobId` of the job with the given message id.
 */
export function fireOnce(entry: ScheduledMessage, now: number, newId: () => number, jobId: (id: number) => string): Firing {
  const { plan, schedule } = entry;
  if (!schedule.cron || !plan.cron) {
    const copy = copyOf(entry, newId(), jobId(entry.id), now);
    if (schedule.remaining === 0) return { deliver: [copy] };
    return { deliver: [copy], next: { ...entry, schedule: { due: now + plan.period, remaining: schedule.remaining - 1, cron: false } } };
  }
  const offset = plan.delay > 0 ? plan.delay : plan.period;
  let deliver: BrokerMessage;
  // A plain cron delivers at its times; otherwise each firing starts a run, a job of its own as on Classic.
  if (offset === 0 && plan.repeat === 0) deliver = copyOf(entry, newId(), jobId(entry.id), now);
  else {
    const run: ScheduledMessage = { ...entry, id: newId(), schedule: { due: now + offset, remaining: plan.repeat, cron: false } };
    deliver = run;
  }
  const due = nextCronTime(plan.cron, now);
  return { deliver: [deliver], ...(due === undefined ? {} : { next: { ...entry, schedule: { due, remaining: 0, cron: true } } }) };
}

/** The copy a firing delivers: a new message without the scheduling headers, marked with its job, its expiry moved by the wait. */
function copyOf(entry: ScheduledMessage, id: number, jobId: string, now: number): BrokerMessage {
  const headers: StompHeaders = {};
  for (const name in entry.headers) if (!REMOVED_HEADERS.has(name)) headers[name] = entry.headers[name]!;
  headers[JOB_ID] = jobId;
  // As Classic's SchedulerBroker does: the time to live (expires - timestamp) is counted again
  // from now, and the timestamp moved to now, when that makes the message live longer.
  const timeToLive = entry.expires - entry.timestamp;
  let { expires, timestamp } = entry;
  if (expires > 0 && timestamp > 0 && now + timeToLive > expires) {
    if (timeToLive > 0) expires = now + timeToLive;
    timestamp = now;
  }
  // The message as sent (its sender, priority, persistence...), without what made it a scheduled one.
  const { plan: _plan, schedule: _schedule, ...sent } = entry;
  return {
    ...sent,
    id,
    headers,
    expires,
    timestamp,
    // As the core counts a message it creates from a SEND.
    size: messageBytes(headers, entry.body) + 64,
    deliveries: 0,
  };
}

/** What the scheduler needs of the broker core. */
export interface SchedulerHost {
  /**
   * Routes `messages` like fresh sends and stores them in one journal batch with `entries` (the
   * scheduler's own changes: messages re-written with their next state, and ids removed), then
   * enqueues them. Resolves to false when a copy could not be routed because its destination (a
   * temporary queue) has gone, for good: the schedule then ends. Rejects only when the journal
   * write fails.
   */
  deliver(messages: readonly BrokerMessage[], entries: { readonly adds: readonly BrokerMessage[]; readonly removes: readonly number[] }): Promise<boolean>;
  /** Releases the memory a message held (the scheduler is done with it). */
  release(message: BrokerMessage): void;
  /** The next message id. */
  nextId(): number;
  /** The `scheduledJobId` of the job with this message id. */
  jobId(id: number): string;
  /** Bytes held in memory (the scheduler's included) and the limit on them. */
  memory(): { readonly held: number; readonly limit: number };
  /** Where the scheduler reports what it did on its own. */
  log(line: string): void;
}

/** The time and timers the scheduler uses; tests give it one they move by hand. */
export interface SchedulerClock {
  /** ms since the epoch. */
  now(): number;
  /** Calls `callback` once, after `ms`; returns what {@link clearTimer} takes. */
  setTimer(callback: () => void, ms: number): unknown;
  /** Cancels a timer of {@link setTimer} that has not fired. */
  clearTimer(timer: unknown): void;
}

/**
 * The clock of a running broker. Its timer is unref'd: a scheduled message is state, not work in
 * progress, and must not keep a process alive whose every other task has ended (the journal keeps
 * the persistent ones).
 */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** The queue a scheduled message is routed to: taking it hands it to the scheduler. It has no consumers and is never subscribed. */
class SchedulerQueue extends Queue {
  constructor(private readonly scheduler: Scheduler) {
    // Durable: a persistent scheduled message is journaled, whatever its destination.
    super('(scheduler)', true, () => {});
  }

  override enqueue(message: BrokerMessage): void {
    this.scheduler.add(message);
  }
}

/**
 * Holds scheduled messages until their time and delivers their copies through its
 * {@link SchedulerHost}: one timer, for the earliest due message, ordered by due time then id.
 */
export class Scheduler {
  /** The target {@link plan}ned messages are routed to: the core enqueues them there, as in any queue. */
  readonly queue: Queue = new SchedulerQueue(this);
  /** Min-heap of the held messages by (due, id); those being delivered are out of it. */
  private readonly heap: ScheduledMessage[] = [];
  /** Bytes of the messages held, those being delivered included. */
  private bytes = 0;
  /** Deliveries whose journal write has not finished; no new round starts before they have. */
  private inFlight = 0;
  private timer: unknown;
  /** When the armed timer fires; Infinity when none is armed. */
  private timerAt = Infinity;
  /** The last round stopped for memory: the next one is tried a little later. */
  private memoryFull = false;
  private stopped = false;
  /** Set by a failed journal write: nothing more is delivered (it stays journaled) or accepted. */
  private halted: Error | undefined;

  /**
   * @param host The broker core.
   * @param clock The time and timers; {@link systemClock} by default.
   */
  constructor(
    private readonly host: SchedulerHost,
    private readonly clock: SchedulerClock = systemClock,
  ) {}

  /** Messages held, those being delivered included (a repeating or cron message counts once). */
  get size(): number {
    return this.heap.length + this.inFlight;
  }

  /** Checks a SEND's scheduling headers, throwing a {@link BrokerProtocolError} naming the one at fault: nothing is stored for a refused SEND. */
  check(headers: Readonly<StompHeaders>): void {
    if (hasSchedulingHeader(headers) && readSchedule(headers, this.clock.now()) !== undefined) this.refuseIfHalted();
  }

  /**
   * The scheduled message `message` becomes when it is routed now, or undefined when it is not
   * to be scheduled. A message already planned (a new run of a cron entry) is returned as it is.
   */
  plan(message: BrokerMessage): ScheduledMessage | undefined {
    if (isScheduled(message)) return message;
    if (!hasSchedulingHeader(message.headers)) return undefined;
    const now = this.clock.now();
    const plan = readSchedule(message.headers, now);
    if (!plan) return undefined;
    this.refuseIfHalted();
    return { ...message, plan, schedule: firstSchedule(plan, now) };
  }

  /** Takes a {@link plan}ned message (the core counted its memory): held until it is due. */
  add(message: BrokerMessage): void {
    if (!isScheduled(message)) throw new Error(`message ${message.id} was not planned by the scheduler`);
    this.bytes += message.size;
    this.push(message);
    this.arm();
  }

  /**
   * Takes back a message the journal kept, with the schedule it was journaled with (the core
   * counted its memory). Its plan is read again from its headers; should that fail (they were
   * checked when it was sent), it is delivered once at its due time, and that is logged.
   */
  restore(message: BrokerMessage, schedule: StoredSchedule): void {
    let plan: SchedulePlan | undefined;
    let problem = 'its headers no longer schedule it';
    try {
      plan = readSchedule(message.headers, this.clock.now());
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (!plan) {
      this.host.log(`embedded broker: scheduled message ${message.id} of ${message.destination}: ${problem}; delivered once, at its due time, without repeats`);
      plan = { delay: 0, period: 0, repeat: 0 };
      schedule = { due: schedule.due, remaining: 0, cron: false };
    }
    const entry: ScheduledMessage = { ...message, plan, schedule };
    this.add(entry);
  }

  /** Cancels the timer (the broker stops; the journal keeps the persistent messages). Deliveries under way finish. */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private refuseIfHalted(): void {
    if (this.halted) throw new BrokerProtocolError(`scheduled send refused: scheduled delivery stopped after a journal write failed (${this.halted.message})`);
  }

  /** Arms the one timer for the earliest due message, unless a round is under way (it arms it when it ends). */
  private arm(): void {
    if (this.stopped || this.halted || this.inFlight > 0) return;
    const first = this.heap[0];
    if (!first) return this.disarm();
    const now = this.clock.now();
    const at = this.memoryFull ? Math.max(first.schedule.due, now + MEMORY_RETRY_MS) : first.schedule.due;
    const wait = Math.min(Math.max(at - now, 0), MAX_TIMER_MS);
    // An armed timer that fires sooner stays: the round it starts arms the next one.
    if (this.timer !== undefined && this.timerAt <= now + wait) return;
    this.disarm();
    this.timerAt = now + wait;
    this.timer = this.clock.setTimer(() => this.wake(), wait);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /**
   * A round: delivers what is due, in order, up to {@link ROUND} messages, while the memory held
   * outside the scheduler (copies waiting in queues) is within the limit. The scheduler's own bytes
   * are left out of that test, or messages held here alone could stop their own delivery.
   */
  private wake(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.memoryFull = false;
    if (this.stopped || this.halted) return;
    const now = this.clock.now();
    const round: Promise<void>[] = [];
    while (round.length < ROUND && this.heap.length > 0 && this.heap[0]!.schedule.due <= now) {
      const { held, limit } = this.host.memory();
      if (held - this.bytes > limit) {
        this.memoryFull = true;
        break;
      }
      round.push(this.fire(this.pop(), now));
    }
    if (round.length === 0) return this.arm();
    void Promise.all(round).then(() => this.arm());
  }

  /** Delivers one due message; never rejects (a failed journal write halts the scheduler). */
  private fire(entry: ScheduledMessage, now: number): Promise<void> {
    this.inFlight++;
    const { deliver, next } = fireOnce(
      entry,
      now,
      () => this.host.nextId(),
      (id) => this.host.jobId(id),
    );
    const journaled = entry.persistent;
    const entries = { adds: journaled && next ? [next] : [], removes: journaled && !next ? [entry.id] : [] };
    return this.host.deliver(deliver, entries).then(
      (routed) => {
        this.inFlight--;
        if (next && routed) return this.push(next);
        this.bytes -= entry.size;
        this.host.release(entry);
        // Its destination has gone (the core logged it): the journaled next state goes too, or a restart would bring it back.
        if (next && journaled)
          void this.host.deliver([], { adds: [], removes: [entry.id] }).catch((error: unknown) => this.halt(error instanceof Error ? error : new Error(String(error))));
      },
      (error: unknown) => {
        this.inFlight--;
        // Nothing of this firing was applied: the message stays as it is journaled.
        this.push(entry);
        this.halt(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /** A journal write failed (and the journal takes no more): delivery stops, the persistent messages stay journaled for the next start. */
  private halt(error: Error): void {
    if (this.halted) return;
    this.halted = error;
    this.disarm();
    this.host.log(
      `embedded broker: scheduled delivery stopped: a journal write failed (${error.message}); the scheduled messages stay journaled for the next start, and scheduled sends are refused`,
    );
  }

  private push(entry: ScheduledMessage): void {
    const heap = this.heap;
    heap.push(entry);
    for (let at = heap.length - 1; at > 0;) {
      const parent = (at - 1) >> 1;
      if (!earlier(heap[at]!, heap[parent]!)) break;
      [heap[at], heap[parent]] = [heap[parent]!, heap[at]!];
      at = parent;
    }
  }

  private pop(): ScheduledMessage {
    const heap = this.heap;
    const first = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let at = 0; ;) {
        const left = 2 * at + 1;
        const right = left + 1;
        let least = at;
        if (left < heap.length && earlier(heap[left]!, heap[least]!)) least = left;
        if (right < heap.length && earlier(heap[right]!, heap[least]!)) least = right;
        if (least === at) break;
        [heap[at], heap[least]] = [heap[least]!, heap[at]!];
        at = least;
      }
    }
    return first;
  }
}

/** Heap order: due time, then id (the order they were sent in). */
function earlier(a: ScheduledMessage, b: ScheduledMessage): boolean {
  return a.schedule.due < b.schedule.due || (a.schedule.due === b.schedule.due && a.id < b.id);
}
