import { describe, expect, it } from '@jest/globals';
import type { BrokerMessage } from '../../../lib/broker/core/queue.js';
import {
  firstSchedule,
  isScheduled,
  MAX_SCHEDULE_MS,
  readSchedule,
  Scheduler,
  type ScheduledMessage,
  type SchedulerClock,
  type SchedulerHost,
} from '../../../lib/broker/core/scheduler.js';
import type { StoredSchedule } from '../../../lib/broker/store/journal.js';

/**
 * The scheduler (lib/broker/core/scheduler.ts) with a clock the test moves: delays, repeats and
 * cron entries (5 fields, minute precision) are checked to the millisecond without waiting.
 */

/** 2030-01-01 00:00:30 local time: half a minute before a 5-field cron's next time. */
const START = new Date(2030, 0, 1, 0, 0, 30).getTime();
const MINUTE = 60_000;

/** Timers that fire only when the test moves the time. */
class ManualClock implements SchedulerClock {
  time = START;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private sequence = 0;
  /** The most timers armed at once so far. */
  mostArmed = 0;
  /** Every wait a timer was armed with. */
  readonly waits: number[] = [];

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): unknown {
    const id = ++this.sequence;
    this.timers.set(id, { at: this.time + ms, callback });
    this.waits.push(ms);
    this.mostArmed = Math.max(this.mostArmed, this.timers.size);
    return id;
  }

  clearTimer(timer: unknown): void {
    this.timers.delete(timer as number);
  }

  get armed(): number {
    return this.timers.size;
  }

  /** Moves the time to `to`, firing each timer at its time, earliest first, and letting what it started settle. */
  async advanceTo(to: number): Promise<void> {
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= to && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].callback();
      await settle();
    }
    this.time = to;
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.time + ms);
  }
}

/** Lets promise chains (the scheduler's journal writes) run to their end. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Delivered {
  readonly at: number;
  readonly message: BrokerMessage;
}

/** A scheduler over a stand-in for the broker core, which records what it is asked to deliver and journal. */
function harness(options: { memoryLimit?: number; failJournal?: boolean } = {}) {
  const clock = new ManualClock();
  const delivered: Delivered[] = [];
  const journal: Array<{ adds: readonly BrokerMessage[]; removes: readonly number[] }> = [];
  const logs: string[] = [];
  const released: number[] = [];
  let nextId = 1;
  /** Bytes held, as the core counts them: scheduled messages, and delivered copies until {@link consume}. */
  let held = 0;
  let failJournal = options.failJournal ?? false;
  const host: SchedulerHost = {
    deliver: async (messages, entries) => {
      if (failJournal && (entries.adds.length > 0 || entries.removes.length > 0)) throw new Error('disk on fire');
      journal.push({ adds: entries.adds, removes: entries.removes });
      let routed = true;
      for (const message of messages) {
        // A temporary queue whose connection has gone: the core drops the copy.
        if (message.destination.startsWith('/remote-temp-queue/')) {
          routed = false;
          continue;
        }
        held += message.size;
        // A new run of a cron entry is routed back to the scheduler, as the core's route() does.
        if (isScheduled(message)) scheduler.queue.enqueue(message);
        else delivered.push({ at: clock.now(), message });
      }
      return routed;
    },
    release: (message) => {
      held -= message.size;
      released.push(message.id);
    },
    nextId: () => nextId++,
    jobId: (id) => `job-${id}`,
    memory: () => ({ held, limit: options.memoryLimit ?? Number.MAX_SAFE_INTEGER }),
    log: (line) => logs.push(line),
  };
  const scheduler = new Scheduler(host, clock);

  /** A SEND as the core makes it, routed now: planned, counted, handed to the scheduler. Returns it. */
  const send = (headers: Record<string, string>, extra: Partial<BrokerMessage> = {}): ScheduledMessage => {
    const message: BrokerMessage = {
      id: nextId++,
      destination: '/queue/later',
      headers,
      body: Buffer.from('payload'),
      persistent: false,
      priority: 4,
      expires: 0,
      timestamp: clock.now(),
      size: 100,
      deliveries: 0,
      ...extra,
    };
    scheduler.check(message.headers);
    const planned = scheduler.plan(message);
    if (!planned) throw new Error('not scheduled');
    held += planned.size;
    scheduler.queue.enqueue(planned);
    return planned;
  };

  /** A message taken back from the journal, counted as the core's restore() counts it. */
  const restore = (headers: Record<string, string>, schedule: StoredSchedule): void => {
    const message: BrokerMessage = {
      id: nextId++,
      destination: '/queue/later',
      headers,
      body: Buffer.from('payload'),
      persistent: true,
      priority: 4,
      expires: 0,
      timestamp: START - 10 * MINUTE,
      size: 100,
      deliveries: 0,
    };
    held += message.size;
    scheduler.restore(message, schedule);
  };

  let consumed = 0;
  /** A consumer takes the delivered copies not taken yet: their memory is released. */
  const consume = (): void => {
    for (const { message } of delivered.slice(consumed)) held -= message.size;
    consumed = delivered.length;
  };

  return {
    clock,
    scheduler,
    delivered,
    journal,
    logs,
    released,
    send,
    restore,
    consume,
    held: () => held,
    failJournal: (fail: boolean) => (failJournal = fail),
    times: () => delivered.map(({ at }) => at - START),
  };
}

describe('readSchedule: the scheduling headers of a SEND', () => {
  const read = (headers: Record<string, string>) => readSchedule(headers, START);
  const refused = (headers: Record<string, string>): string => {
    try {
      read(headers);
    } catch (error) {
      expect(error).toMatchObject({ name: 'BrokerProtocolError' });
      return (error as Error).message;
    }
    throw new Error(`not refused: ${JSON.stringify(headers)}`);
  };

  it('reads delay, period, repeat, time and cron', () => {
    expect(read({ 'x-other': '1' })).toBeUndefined();
    expect(read({ AMQ_SCHEDULED_DELAY: '1500' })).toEqual({ delay: 1500, period: 0, repeat: 0 });
    expect(read({ AMQ_SCHEDULED_DELAY: '0' })).toEqual({ delay: 0, period: 0, repeat: 0 });
    expect(read({ AMQ_SCHEDULED_PERIOD: '200', AMQ_SCHEDULED_REPEAT: '1000' })).toEqual({ delay: 0, period: 200, repeat: 1000 });
    expect(read({ AMQ_SCHEDULED_TIME: String(START + 5) })).toEqual({ delay: 0, period: 0, repeat: 0, time: START + 5 });
    expect(read({ AMQ_SCHEDULED_DELAY: String(MAX_SCHEDULE_MS) })).toEqual({ delay: MAX_SCHEDULE_MS, period: 0, repeat: 0 });
    const cron = read({ AMQ_SCHEDULED_CRON: '*/5 * * * *', AMQ_SCHEDULED_DELAY: '10', AMQ_SCHEDULED_PERIOD: '20', AMQ_SCHEDULED_REPEAT: '2' });
    expect(cron).toMatchObject({ delay: 10, period: 20, repeat: 2 });
    expect(cron!.cron!.getPattern()).toBe('*/5 * * * *');
  });

  it('schedules nothing with scheduledJobId (sent at once, as on Classic) or with AMQ_SCHEDULED_REPEAT alone', () => {
    expect(read({ AMQ_SCHEDULED_DELAY: '60000', scheduledJobId: 'ID:x' })).toBeUndefined();
    // Not even checked then: Classic sends it as it is.
    expect(read({ AMQ_SCHEDULED_DELAY: 'soon', scheduledJobId: 'ID:x' })).toBeUndefined();
    expect(read({ AMQ_SCHEDULED_REPEAT: '0' })).toBeUndefined();
  });

  it('refuses every value it cannot honour, naming the header', () => {
    const delay = (value: string) => `AMQ_SCHEDULED_DELAY '${value}' is not a whole number of ms from 0 to 315360000000 (10 years)`;
    for (const bad of ['-1', 'abc', 'NaN', '', ' 5', '5 ', '1e3', '0x10', '1.5', '+5', String(MAX_SCHEDULE_MS + 1), '9'.repeat(16)]) {
      expect(refused({ AMQ_SCHEDULED_DELAY: bad })).toBe(delay(bad));
    }
    expect(refused({ AMQ_SCHEDULED_PERIOD: '-100' })).toBe(`AMQ_SCHEDULED_PERIOD '-100' is not a whole number of ms from 0 to 315360000000 (10 years)`);
    expect(refused({ AMQ_SCHEDULED_DELAY: '1', AMQ_SCHEDULED_REPEAT: '1001', AMQ_SCHEDULED_PERIOD: '5' })).toBe(`AMQ_SCHEDULED_REPEAT '1001' is not a whole number from 0 to 1000`);
    expect(refused({ AMQ_SCHEDULED_DELAY: '1', AMQ_SCHEDULED_REPEAT: '-1', AMQ_SCHEDULED_PERIOD: '5' })).toBe(`AMQ_SCHEDULED_REPEAT '-1' is not a whole number from 0 to 1000`);
    expect(refused({ AMQ_SCHEDULED_DELAY: '1000', AMQ_SCHEDULED_REPEAT: '3' })).toBe('AMQ_SCHEDULED_REPEAT 3 needs an AMQ_SCHEDULED_PERIOD above 0: the ms between the copies');
    expect(refused({ AMQ_SCHEDULED_REPEAT: '3', AMQ_SCHEDULED_PERIOD: '0' })).toBe('AMQ_SCHEDULED_REPEAT 3 needs an AMQ_SCHEDULED_PERIOD above 0: the ms between the copies');
    expect(refused({ AMQ_SCHEDULED_REPEAT: '2' })).toBe('AMQ_SCHEDULED_REPEAT 2 needs an AMQ_SCHEDULED_PERIOD above 0: the ms between the copies');
    const far = String(START + MAX_SCHEDULE_MS + 1);
    expect(refused({ AMQ_SCHEDULED_TIME: far })).toBe(`AMQ_SCHEDULED_TIME '${far}' is not a time in ms since the epoch at most 10 years from now`);
    expect(refused({ AMQ_SCHEDULED_TIME: '-5' })).toBe(`AMQ_SCHEDULED_TIME '-5' is not a time in ms since the epoch at most 10 years from now`);
    expect(refused({ AMQ_SCHEDULED_TIME: String(START), AMQ_SCHEDULED_CRON: '* * * * *' })).toBe(
      'AMQ_SCHEDULED_TIME cannot be combined with AMQ_SCHEDULED_CRON: give the first time with one or the other',
    );
    const long = 'z'.repeat(100);
    expect(refused({ AMQ_SCHEDULED_DELAY: long })).toBe(`AMQ_SCHEDULED_DELAY '${'z'.repeat(64)}…' is not a whole number of ms from 0 to 315360000000 (10 years)`);
  });

  it('takes a cron entry of 5 fields only, with croner reading it, and refuses one that never fires', () => {
    const fields = (entry: string, count: number) =>
      `AMQ_SCHEDULED_CRON '${entry}' has ${count} field(s): a cron entry has 5 (minute hour day-of-month month day-of-week), as on ActiveMQ Classic`;
    expect(refused({ AMQ_SCHEDULED_CRON: '* * * * * *' })).toBe(fields('* * * * * *', 6));
    expect(refused({ AMQ_SCHEDULED_CRON: '* * * *' })).toBe(fields('* * * *', 4));
    expect(refused({ AMQ_SCHEDULED_CRON: '' })).toBe(fields('', 0));
    expect(refused({ AMQ_SCHEDULED_CRON: '@hourly' })).toBe(fields('@hourly', 1));
    expect(refused({ AMQ_SCHEDULED_CRON: '2030-01-01T00:00:00' })).toBe(fields('2030-01-01T00:00:00', 1));
    expect(refused({ AMQ_SCHEDULED_CRON: '61 * * * *' })).toBe(`AMQ_SCHEDULED_CRON '61 * * * *' is not a valid cron entry: CronPattern: Invalid value for minute: 61`);
    expect(refused({ AMQ_SCHEDULED_CRON: '*/0 * * * *' })).toBe(`AMQ_SCHEDULED_CRON '*/0 * * * *' is not a valid cron entry: CronPattern: Syntax error, illegal stepping: 0`);
    expect(refused({ AMQ_SCHEDULED_CRON: 'a b c d e' })).toMatch(/^AMQ_SCHEDULED_CRON 'a b c d e' is not a valid cron entry: CronPattern: /);
    expect(refused({ AMQ_SCHEDULED_CRON: '0 0 30 2 *' })).toBe(`AMQ_SCHEDULED_CRON '0 0 30 2 *' never fires`);
    expect(refused({ AMQ_SCHEDULED_CRON: '0 0 31 4,6,9,11 *' })).toBe(`AMQ_SCHEDULED_CRON '0 0 31 4,6,9,11 *' never fires`);
    expect(refused({ AMQ_SCHEDULED_CRON: '* * * * *', AMQ_SCHEDULED_REPEAT: '4' })).toBe('AMQ_SCHEDULED_REPEAT 4 needs an AMQ_SCHEDULED_PERIOD above 0: the ms between the copies');
  });
});

describe('firstSchedule: the first due time', () => {
  it('is the delay after now, else the period (as Classic computes it), else the absolute time, else the cron time', () => {
    const first = (headers: Record<string, string>) => firstSchedule(readSchedule(headers, START)!, START);
    expect(first({ AMQ_SCHEDULED_DELAY: '500' })).toEqual({ due: START + 500, remaining: 0, cron: false });
    expect(first({ AMQ_SCHEDULED_DELAY: '500', AMQ_SCHEDULED_PERIOD: '100', AMQ_SCHEDULED_REPEAT: '2' })).toEqual({ due: START + 500, remaining: 2, cron: false });
    expect(first({ AMQ_SCHEDULED_PERIOD: '100', AMQ_SCHEDULED_REPEAT: '2' })).toEqual({ due: START + 100, remaining: 2, cron: false });
    expect(first({ AMQ_SCHEDULED_TIME: String(START - 5), AMQ_SCHEDULED_DELAY: '999' })).toEqual({ due: START - 5, remaining: 0, cron: false });
    expect(first({ AMQ_SCHEDULED_CRON: '* * * * *', AMQ_SCHEDULED_DELAY: '999' })).toEqual({ due: START + 30_000, remaining: 0, cron: true });
  });
});

describe('Scheduler', () => {
  it('delivers a delayed copy at its time, not a millisecond before, as a new message without the scheduling headers', async () => {
    const h = harness();
    const sent = h.send({ AMQ_SCHEDULED_DELAY: '1500', AMQ_SCHEDULED_TIME_UNRELATED: 'kept', 'x-trace': 't1' }, { expires: START + 10_000 });
    expect(h.scheduler.size).toBe(1);
    await h.clock.advanceTo(START + 1499);
    expect(h.delivered).toEqual([]);
    await h.clock.advanceTo(START + 1500);
    expect(h.times()).toEqual([1500]);
    const copy = h.delivered[0]!.message;
    expect(copy.id).not.toBe(sent.id);
    expect(copy.headers).toEqual({ AMQ_SCHEDULED_TIME_UNRELATED: 'kept', 'x-trace': 't1', scheduledJobId: `job-${sent.id}` });
    expect(isScheduled(copy)).toBe(false);
    // Its 10 s time to live counts from its delivery, as on Classic.
    expect(copy).toMatchObject({ timestamp: START + 1500, expires: START + 11_500, destination: '/queue/later', body: Buffer.from('payload') });
    expect(h.scheduler.size).toBe(0);
    expect(h.released).toEqual([sent.id]);
    expect(h.clock.armed).toBe(0);
  });

  it('delivers period + repeat as repeat + 1 copies, each a period after the one before, then nothing more', async () => {
    const h = harness();
    h.send({ AMQ_SCHEDULED_DELAY: '1000', AMQ_SCHEDULED_PERIOD: '500', AMQ_SCHEDULED_REPEAT: '3' });
    await h.clock.advanceTo(START + 10 * MINUTE);
    expect(h.times()).toEqual([1000, 1500, 2000, 2500]);
    expect(new Set(h.delivered.map(({ message }) => message.id)).size).toBe(4);
    expect(h.scheduler.size).toBe(0);
    expect(h.clock.armed).toBe(0);
  });

  it('without a delay waits a period before the first copy too, as Classic does', async () => {
    const h = harness();
    h.send({ AMQ_SCHEDULED_PERIOD: '300', AMQ_SCHEDULED_REPEAT: '1' });
    await h.clock.advanceTo(START + MINUTE);
    expect(h.times()).toEqual([300, 600]);
  });

  it('delivers at an absolute time (AMQ_SCHEDULED_TIME), at once when it has passed, repeats following it', async () => {
    const h = harness();
    h.send({ AMQ_SCHEDULED_TIME: String(START + 2000), AMQ_SCHEDULED_PERIOD: '100', AMQ_SCHEDULED_REPEAT: '1' });
    h.send({ AMQ_SCHEDULED_TIME: String(START - 2000) });
    await h.clock.advance(0);
    expect(h.times()).toEqual([0]);
    await h.clock.advanceTo(START + MINUTE);
    expect(h.times()).toEqual([0, 2000, 2100]);
  });

  it('fires a 5-field cron at each of its minutes, the message held in between', async () => {
    const h = harness();
    h.send({ AMQ_SCHEDULED_CRON: '* * * * *' });
    await h.clock.advanceTo(START + 29_999);
    expect(h.delivered).toEqual([]);
    await h.clock.advanceTo(START + 30_000 + 3 * MINUTE);
    // 00:01:00, 00:02:00, 00:03:00 and 00:04:00.
    expect(h.times()).toEqual([30_000, 90_000, 150_000, 210_000]);
    expect(h.delivered.every(({ message }) => !('AMQ_SCHEDULED_CRON' in message.headers))).toBe(true);
    expect(h.scheduler.size).toBe(1);
  });

  it('starts a run of delay, period and repeat at each cron time', async () => {
    const h = harness();
    h.send({ AMQ_SCHEDULED_CRON: '*/2 * * * *', AMQ_SCHEDULED_DELAY: '1000', AMQ_SCHEDULED_PERIOD: '2000', AMQ_SCHEDULED_REPEAT: '2' });
    await h.clock.advanceTo(START + 212_000);
    // Cron times 00:02 and 00:04 (90 s and 210 s after the start): copies 1, 3 and 5 s after each.
    expect(h.times()).toEqual([91_000, 93_000, 95_000, 211_000]);
    // The cron entry, and its second run, still going.
    expect(h.scheduler.size).toBe(2);
    await h.clock.advanceTo(START + 4 * MINUTE);
    expect(h.times()).toEqual([91_000, 93_000, 95_000, 211_000, 213_000, 215_000]);
    expect(h.scheduler.size).toBe(1);
    // Each run is a job of its own, as on Classic.
    const jobs = h.delivered.map(({ message }) => message.headers['scheduledJobId']);
    expect(new Set(jobs.slice(0, 3)).size).toBe(1);
    expect(jobs[3]).not.toBe(jobs[0]);
  });

  it('goes on after a late firing from the present, without catching up the missed cron times', async () => {
    const h = harness();
    h.restore({ AMQ_SCHEDULED_CRON: '* * * * *' }, { due: START - 5 * MINUTE, remaining: 0, cron: true });
    await h.clock.advance(0);
    expect(h.times()).toEqual([0]);
    await h.clock.advanceTo(START + 30_000);
    expect(h.times()).toEqual([0, 30_000]);
  });

  it('delivers in due order, the order of sending among equal times', async () => {
    const h = harness();
    const late = h.send({ AMQ_SCHEDULED_DELAY: '300' });
    const a = h.send({ AMQ_SCHEDULED_DELAY: '100' });
    const b = h.send({ AMQ_SCHEDULED_DELAY: '100' });
    const early = h.send({ AMQ_SCHEDULED_DELAY: '50' });
    await h.clock.advanceTo(START + 1000);
    expect(h.delivered.map(({ message }) => message.headers['scheduledJobId'])).toEqual([early, a, b, late].map((m) => `job-${m.id}`));
  });

  it('keeps one timer, for the earliest due message, among many', async () => {
    const h = harness();
    const delays = Array.from({ length: 500 }, (_, i) => (i * 7919) % 5000);
    for (const delay of delays) h.send({ AMQ_SCHEDULED_DELAY: String(delay) });
    expect(h.clock.mostArmed).toBe(1);
    await h.clock.advanceTo(START + 5000);
    expect(h.clock.mostArmed).toBe(1);
    expect(h.times()).toEqual([...delays].sort((x, y) => x - y));
  });

  it('waits a far delay in steps a Node timer can take, and delivers at its time', async () => {
    const h = harness();
    const tenYears = MAX_SCHEDULE_MS;
    h.send({ AMQ_SCHEDULED_DELAY: String(tenYears) });
    expect(h.clock.waits).toEqual([2 ** 31 - 1]);
    await h.clock.advanceTo(START + tenYears - 1);
    expect(h.delivered).toEqual([]);
    await h.clock.advanceTo(START + tenYears);
    expect(h.times()).toEqual([tenYears]);
    expect(Math.max(...h.clock.waits)).toBe(2 ** 31 - 1);
  });

  it('delivers a backlog in bounded rounds, in order, each round a turn of its own', async () => {
    const h = harness();
    for (let i = 0; i < 1000; i++) h.restore({ AMQ_SCHEDULED_DELAY: '1', seq: String(i) }, { due: START - 1000 + i, remaining: 0, cron: false });
    await h.clock.advance(0);
    expect(h.delivered.map(({ message }) => message.headers['seq'])).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
    // One timer per round of at most 128.
    expect(h.clock.waits.length).toBeGreaterThanOrEqual(1000 / 128);
  });

  it('holds repeats while copies waiting outside it exceed the memory limit, and goes on once they are consumed', async () => {
    const h = harness({ memoryLimit: 250 });
    h.send({ AMQ_SCHEDULED_DELAY: '100', AMQ_SCHEDULED_PERIOD: '100', AMQ_SCHEDULED_REPEAT: '9' });
    await h.clock.advanceTo(START + 2000);
    // Three copies (300 bytes) waiting, unconsumed: over the 250-byte limit, the fourth waits.
    expect(h.times()).toEqual([100, 200, 300]);
    expect(h.clock.armed).toBe(1);
    // Consumed three at a time, as a slow consumer would: each time three more go out.
    for (let round = 1; round <= 3; round++) {
      h.consume();
      await h.clock.advance(1000);
      expect(h.delivered).toHaveLength(Math.min(3 + 3 * round, 10));
    }
    expect(h.times()[3]).toBeGreaterThan(2000);
    const times = h.times();
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(100);
    expect(h.scheduler.size).toBe(0);
  });

  it('is not held by the memory of the scheduled messages themselves', async () => {
    const h = harness({ memoryLimit: 250 });
    for (let i = 0; i < 10; i++) h.send({ AMQ_SCHEDULED_DELAY: '100' });
    expect(h.held()).toBe(1000);
    await h.clock.advanceTo(START + 100);
    // 10 held (1000 bytes) but none waiting outside: the first three go out, then the copies hold the rest.
    expect(h.delivered).toHaveLength(3);
    h.consume();
    await h.clock.advanceTo(START + 1000);
    expect(h.delivered.length).toBeGreaterThan(3);
  });

  it('journals a persistent message: its next state in the batch of each copy, its removal with the last', async () => {
    const h = harness();
    const sent = h.send({ AMQ_SCHEDULED_DELAY: '10', AMQ_SCHEDULED_PERIOD: '10', AMQ_SCHEDULED_REPEAT: '2' }, { persistent: true });
    h.send({ AMQ_SCHEDULED_DELAY: '100' });
    await h.clock.advanceTo(START + 1000);
    const schedules = h.journal.map(({ adds, removes }) => ({ adds: adds.map((m) => [m.id, (m as ScheduledMessage).schedule]), removes }));
    expect(schedules).toEqual([
      { adds: [[sent.id, { due: START + 20, remaining: 1, cron: false }]], removes: [] },
      { adds: [[sent.id, { due: START + 30, remaining: 0, cron: false }]], removes: [] },
      { adds: [], removes: [sent.id] },
      // The non-persistent one: nothing to journal.
      { adds: [], removes: [] },
    ]);
  });

  it('ends the schedule of a message whose destination has gone, its journaled state removed', async () => {
    const h = harness();
    const sent = h.send({ AMQ_SCHEDULED_DELAY: '10', AMQ_SCHEDULED_PERIOD: '10', AMQ_SCHEDULED_REPEAT: '5' }, { persistent: true, destination: '/remote-temp-queue/gone' });
    await h.clock.advanceTo(START + MINUTE);
    expect(h.delivered).toEqual([]);
    expect(h.journal.map(({ adds, removes }) => ({ adds: adds.map((m) => m.id), removes }))).toEqual([
      { adds: [sent.id], removes: [] },
      { adds: [], removes: [sent.id] },
    ]);
    expect(h.released).toEqual([sent.id]);
    expect(h.scheduler.size).toBe(0);
    expect(h.held()).toBe(0);
    expect(h.clock.armed).toBe(0);
  });

  it('restores a journaled run with the copies it had left', async () => {
    const h = harness();
    h.restore({ AMQ_SCHEDULED_DELAY: '10', AMQ_SCHEDULED_PERIOD: '400', AMQ_SCHEDULED_REPEAT: '5' }, { due: START + 50, remaining: 1, cron: false });
    await h.clock.advanceTo(START + MINUTE);
    expect(h.times()).toEqual([50, 450]);
  });

  it('delivers once, with a log line, a restored message whose headers no longer schedule it', async () => {
    const h = harness();
    h.restore({ AMQ_SCHEDULED_CRON: '* * * * * *' }, { due: START + 5, remaining: 0, cron: true });
    await h.clock.advanceTo(START + 10 * MINUTE);
    expect(h.times()).toEqual([5]);
    expect(h.logs.join('\n')).toMatch(
      /scheduled message \d+ of \/queue\/later: AMQ_SCHEDULED_CRON '\* \* \* \* \* \*' has 6 field\(s\).*; delivered once, at its due time, without repeats/,
    );
  });

  it('stops: the timer is cleared and nothing is delivered any more', async () => {
    const h = harness();
    h.send({ AMQ_SCHEDULED_DELAY: '100' });
    expect(h.clock.armed).toBe(1);
    h.scheduler.stop();
    expect(h.clock.armed).toBe(0);
    await h.clock.advanceTo(START + MINUTE);
    expect(h.delivered).toEqual([]);
    h.send({ AMQ_SCHEDULED_DELAY: '100' });
    expect(h.clock.armed).toBe(0);
  });

  it('halts on a failed journal write, keeping the message, and refuses scheduled sends after it', async () => {
    const h = harness({ failJournal: true });
    h.send({ AMQ_SCHEDULED_DELAY: '10' }, { persistent: true });
    await h.clock.advanceTo(START + MINUTE);
    expect(h.delivered).toEqual([]);
    expect(h.scheduler.size).toBe(1);
    expect(h.clock.armed).toBe(0);
    expect(h.logs).toEqual([
      'embedded broker: scheduled delivery stopped: a journal write failed (disk on fire); the scheduled messages stay journaled for the next start, and scheduled sends are refused',
    ]);
    const refusal = 'scheduled send refused: scheduled delivery stopped after a journal write failed (disk on fire)';
    expect(() => h.send({ AMQ_SCHEDULED_DELAY: '10' })).toThrow(refusal);
    expect(() => h.scheduler.check({ AMQ_SCHEDULED_DELAY: '10' })).toThrow(refusal);
    // A send that is not scheduled is not the scheduler's to refuse.
    expect(() => h.scheduler.check({ 'x-plain': '1' })).not.toThrow();
  });
});
