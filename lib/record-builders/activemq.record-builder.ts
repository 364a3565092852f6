import type { StompHeaders } from '../stomp/frame.js';
import { ARTEMIS_DUPLICATE_ID_HEADER, MESSAGE_ID_HEADER } from '../wire/headers.js';
import { REPLY_HEADER } from '../wire/reply-protocol.js';
import { InvalidOptionError } from '../errors/activemq-error.js';
import { check, MAX_DELIVERY_DELAY_MS } from '../internal/validation.js';
import { Cron } from 'croner';

/** Per-message settings, carried next to the payload by {@link ActiveMQRecord}. */
export interface ActiveMQRecordOptions {
  /** `persistent` header: survives a broker restart. */
  readonly durable?: boolean;
  /** JMS priority 0–9. */
  readonly priority?: number;
  /** Milliseconds until the broker discards the message (sent as the absolute `expires`). */
  readonly timeToLive?: number;
  /** Extra headers; they become JMS string properties on ActiveMQ. */
  readonly headers?: Readonly<StompHeaders>;
  /** `correlation-id`, for events (requests get their own). */
  readonly correlationId?: string;
  /** The message group (`JMSXGroupID`; Artemis' `_AMQ_GROUP_ID`): one consumer at a time gets a group's messages, in order. */
  readonly group?: string;
  /** The JMS type (`JMSType`, the STOMP `type` header). */
  readonly type?: string;
  /** Milliseconds the broker holds the message before delivering it (`AMQ_SCHEDULED_DELAY`). */
  readonly deliveryDelay?: number;
  /** When the broker delivers the message, in ms since the epoch (Artemis' `AMQ_SCHEDULED_TIME`; a delay computed at send time on Classic). */
  readonly deliveryTime?: number;
  /** ActiveMQ Classic: delivered again every `period` ms, `repeat` more times (`AMQ_SCHEDULED_PERIOD`, `AMQ_SCHEDULED_REPEAT`). */
  readonly schedule?: {
    /** Milliseconds between two deliveries. */
    readonly period: number;
    /** Deliveries after the first. */
    readonly repeat: number;
  };
  /** ActiveMQ Classic: delivered at each time a cron expression names (`AMQ_SCHEDULED_CRON`, five fields). */
  readonly cron?: string;
}

/** A payload with per-message settings; what {@link ActiveMQRecordBuilder.build} returns. */
export class ActiveMQRecord<TData = unknown> {
  /**
   * Prefer {@link ActiveMQRecordBuilder}. The settings are checked here as the builder checks them
   * (an `InvalidOptionError` that says what is wrong), so a record made by hand cannot set a
   * header the transport owns either.
   *
   * @param data The payload, serialized as any other.
   * @param options The message's settings.
   */
  constructor(
    readonly data: TData,
    readonly options: ActiveMQRecordOptions = {},
  ) {
    checkRecordOptions(options);
  }
}

/** The builder's checks, for a record however it was made. */
function checkRecordOptions(options: ActiveMQRecordOptions): void {
  check.object('ActiveMQRecord options', options);
  if (options.durable !== undefined) checkDurable(options.durable);
  if (options.priority !== undefined) checkPriority(options.priority);
  if (options.timeToLive !== undefined) checkTimeToLive(options.timeToLive);
  if (options.headers !== undefined) checkHeaders(options.headers);
  if (options.correlationId !== undefined) checkCorrelationId(options.correlationId);
  if (options.group !== undefined) checkGroup(options.group);
  if (options.type !== undefined) checkType(options.type);
  if (options.deliveryDelay !== undefined) checkDelay(options.deliveryDelay);
  if (options.deliveryTime !== undefined) checkTime(options.deliveryTime);
  if (options.schedule !== undefined) checkSchedule(options.schedule);
  if (options.cron !== undefined) checkCron(options.cron);
  if (options.deliveryDelay !== undefined && options.deliveryTime !== undefined) {
    throw new InvalidOptionError('deliveryTime', 'give a delivery delay (setDeliveryDelay()) or a delivery time (setDeliveryTime()), not both');
  }
}

const checkDurable = (durable: unknown) => check.boolean('durable (setDurable())', durable);
const checkPriority = (priority: unknown) => check.priority('priority (setPriority())', priority);
const checkTimeToLive = (milliseconds: unknown) => check.wholeNumber('timeToLive (setTimeToLive())', milliseconds, { unit: 'milliseconds' });
const checkCorrelationId = (correlationId: unknown) => check.name('correlationId (setCorrelationId())', correlationId);
const checkGroup = (group: unknown) => check.name('group (setGroup())', group);
const checkType = (type: unknown) => check.name('type (setType())', type);
const checkDelay = (ms: unknown) => check.deliveryDelay('deliveryDelay (setDeliveryDelay())', ms);
const checkTime = (epochMs: unknown) =>
  check.wholeNumber('deliveryTime (setDeliveryTime())', epochMs, { min: 0, max: Date.now() + MAX_DELIVERY_DELAY_MS, unit: 'milliseconds since the epoch' });
function checkSchedule(schedule: unknown): void {
  check.object('schedule (setSchedule())', schedule);
  const { period, repeat } = schedule as { period?: unknown; repeat?: unknown };
  check.wholeNumber('schedule.period (setSchedule())', period, { min: 1, max: MAX_DELIVERY_DELAY_MS, unit: 'milliseconds' });
  check.wholeNumber('schedule.repeat (setSchedule())', repeat, { min: 0, max: 1_000_000 });
}
function checkCron(cron: unknown): void {
  const text = check.name('cron (setCron())', cron, 'a cron expression');
  // Classic's scheduler reads the five fields of Unix cron (minute hour day-of-month month day-of-week).
  if (text.trim().split(/\s+/).length !== 5) {
    throw new InvalidOptionError(
      'cron',
      `cron (setCron()) must have the five fields of a Unix cron expression (minute hour day-of-month month day-of-week), got ${JSON.stringify(text)}`,
    );
  }
  try {
    new Cron(text, { paused: true }).stop();
  } catch (error) {
    throw new InvalidOptionError('cron', `cron (setCron()) ${JSON.stringify(text)} is not a valid cron expression: ${(error as Error).message}`);
  }
}

function checkHeaders(headers: Readonly<StompHeaders>): void {
  check.object('headers', headers);
  for (const [name, value] of Object.entries(headers)) {
    check.name(`header '${name}'`, value, 'a string');
    if (name === '') throw new InvalidOptionError('headers', 'a header name cannot be empty');
    const setter = SETTER_OF[name];
    if (setter) throw new InvalidOptionError(name, `header '${name}' is written by ${setter}, not setHeaders()`);
    if (RESERVED_HEADERS.has(name)) {
      throw new InvalidOptionError(name, `header '${name}' is set by the transport; use the builder's own setter or option for it`);
    }
  }
}

/**
 * Headers the transport writes or trusts itself: the frame's own, the body's type, the ids that
 * acknowledgements and `dedupeWindow` rely on (a reused one would make a consumer drop the
 * message), the reply protocol's, Artemis' duplicate id and the trace context.
 */
const RESERVED_HEADERS = new Set([
  'content-type',
  MESSAGE_ID_HEADER,
  REPLY_HEADER,
  ARTEMIS_DUPLICATE_ID_HEADER,
  'traceparent',
  'tracestate',
  'destination',
  'receipt',
  'transaction',
  'content-length',
  'reply-to',
  'persistent',
  'priority',
  'expires',
  'correlation-id',
  'message-id',
  'subscription',
  'ack',
  'redelivered',
  'timestamp',
  'destination-type',
  // The server's own redelivery on Artemis.
  'nestjs-delivery-count',
  'nestjs-original-destination',
]);

/** Headers that have a setter of their own: refused by setHeaders(), naming it. */
const SETTER_OF: Readonly<Record<string, string>> = {
  JMSXGroupID: 'setGroup()',
  _AMQ_GROUP_ID: 'setGroup()',
  'nestjs-group': 'setGroup()',
  type: 'setType()',
  AMQ_SCHEDULED_DELAY: 'setDeliveryDelay()',
  AMQ_SCHEDULED_TIME: 'setDeliveryTime()',
  AMQ_SCHEDULED_PERIOD: 'setSchedule()',
  AMQ_SCHEDULED_REPEAT: 'setSchedule()',
  AMQ_SCHEDULED_CRON: 'setCron()',
  persistent: 'setDurable()',
  priority: 'setPriority()',
  expires: 'setTimeToLive()',
  'correlation-id': 'setCorrelationId()',
};

/**
 * Builds an {@link ActiveMQRecord}:
 * `new ActiveMQRecordBuilder(order).setDurable(true).setPriority(7).setTimeToLive(60_000).setHeaders({ tenant: 'a' }).build()`.
 * Every setter checks its value and throws an `InvalidOptionError` that names the setter and says what is wrong.
 */
export class ActiveMQRecordBuilder<TData = unknown> {
  private options: { -readonly [K in keyof ActiveMQRecordOptions]: ActiveMQRecordOptions[K] } = {};

  /**
   * A builder with no settings yet.
   *
   * @param data The payload; it can also be given later with {@link setData}.
   */
  constructor(private data?: TData) {}

  /** Sets the payload. */
  setData(data: TData): this {
    this.data = data;
    return this;
  }

  /** Sends it persistent (`true`, the default argument) or not, whatever the client, decorator or URI say. */
  setDurable(durable = true): this {
    checkDurable(durable);
    this.options.durable = durable;
    return this;
  }

  /** JMS priority, an integer 0–9 (brokers default to 4); throws an `InvalidOptionError` otherwise. */
  setPriority(priority: number): this {
    checkPriority(priority);
    this.options.priority = priority;
    return this;
  }

  /** Milliseconds until the broker discards the message, a positive integer; throws an `InvalidOptionError` otherwise. */
  setTimeToLive(milliseconds: number): this {
    checkTimeToLive(milliseconds);
    this.options.timeToLive = milliseconds;
    return this;
  }

  /**
   * Adds headers (merged over those set before). Values must be strings, and headers the transport
   * sets or trusts itself (`destination`, `persistent`, `priority`, `expires`, `correlation-id`,
   * `content-type`, `nestjsMessageId`, `nestjsReply`, `_AMQ_DUPL_ID`, `traceparent`, …) are
   * refused with an `InvalidOptionError`, as are those with a setter of their own (`JMSXGroupID`,
   * `type`, `AMQ_SCHEDULED_*`, …), whose error names the setter. The full list is in
   * docs/consumer-features/message-type-and-headers.md.
   */
  setHeaders(headers: Readonly<StompHeaders>): this {
    checkHeaders(headers ?? {});
    this.options.headers = { ...this.options.headers, ...headers };
    return this;
  }

  /** The `correlation-id` header, a non-empty string; for events (requests get their own). */
  setCorrelationId(correlationId: string): this {
    checkCorrelationId(correlationId);
    this.options.correlationId = correlationId;
    return this;
  }

  /**
   * The message group (`JMSXGroupID`), a non-empty string: the broker gives all of a group's
   * messages to one consumer, in order, and `ServerActiveMQ` runs them one at a time (other groups
   * in parallel). Classic and the embedded broker: `JMSXGroupID`, plus a `nestjs-group` copy that
   * the server reads on Classic (which does not pass `JMSXGroupID` on to STOMP consumers); Artemis:
   * `_AMQ_GROUP_ID`.
   */
  setGroup(group: string): this {
    checkGroup(group);
    this.options.group = group;
    return this;
  }

  /** The JMS type (`JMSType`, the STOMP `type` header), a non-empty string, which selectors can test; the same on every broker. */
  setType(type: string): this {
    checkType(type);
    this.options.type = type;
    return this;
  }

  /**
   * Delivers the message `milliseconds` after the broker received it (`AMQ_SCHEDULED_DELAY`), a
   * whole number from 0 to ten years; not with {@link setDeliveryTime}. Classic needs its scheduler
   * on (`schedulerSupport="true"`); Artemis and the embedded broker have it.
   */
  setDeliveryDelay(milliseconds: number): this {
    checkDelay(milliseconds);
    this.options.deliveryDelay = milliseconds;
    return this;
  }

  /**
   * Delivers the message at `time` (a `Date` or ms since the epoch; a past time is now), at most
   * ten years ahead; not with {@link setDeliveryDelay}. Artemis: `AMQ_SCHEDULED_TIME`; Classic and
   * the embedded broker: the delay left at the send (`AMQ_SCHEDULED_DELAY`; Classic has no delivery time).
   */
  setDeliveryTime(time: Date | number): this {
    const epochMs = time instanceof Date ? time.getTime() : time;
    checkTime(epochMs);
    this.options.deliveryTime = epochMs;
    return this;
  }

  /**
   * ActiveMQ Classic (and the embedded broker): delivers the message, then `repeat` more times
   * every `period` ms (after the delay, if one is set): `AMQ_SCHEDULED_PERIOD` and
   * `AMQ_SCHEDULED_REPEAT`. `period` from 1 ms to ten years, `repeat` from 0 to 1,000,000. On
   * Artemis, which has no repeats, the send fails with an `InvalidOptionError`.
   */
  setSchedule(schedule: { readonly period: number; readonly repeat: number }): this {
    checkSchedule(schedule);
    this.options.schedule = { period: schedule.period, repeat: schedule.repeat };
    return this;
  }

  /**
   * ActiveMQ Classic (and the embedded broker): delivers the message at each time the five-field
   * cron expression names (`'0 2 * * *'`: every day at 02:00; `AMQ_SCHEDULED_CRON`). An expression
   * that is not five valid fields is an `InvalidOptionError`. On Artemis the send fails.
   */
  setCron(cron: string): this {
    checkCron(cron);
    this.options.cron = cron;
    return this;
  }

  /** The record, with a copy of the settings so far; the builder can go on being used. */
  build(): ActiveMQRecord<TData> {
    return new ActiveMQRecord(this.data as TData, { ...this.options });
  }
}
