import type { StompHeaders } from '../stomp/frame.js';
import { ARTEMIS_DUPLICATE_ID_HEADER, MESSAGE_ID_HEADER } from '../wire/headers.js';
import { REPLY_HEADER } from '../wire/reply-protocol.js';
import { InvalidOptionError } from '../errors/activemq-error.js';
import { check } from '../internal/validation.js';

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
}

/** A payload with per-message settings; what {@link ActiveMQRecordBuilder.build} returns. */
export class ActiveMQRecord<TData = unknown> {
  /**
   * Prefer {@link ActiveMQRecordBuilder}. The settings are checked here as the builder checks them
   * (a `RangeError`/`TypeError` that says what is wrong), so a record made by hand cannot set a
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
}

const checkDurable = (durable: unknown) => check.boolean('durable (setDurable())', durable);
const checkPriority = (priority: unknown) => check.priority('priority (setPriority())', priority);
const checkTimeToLive = (milliseconds: unknown) => check.wholeNumber('timeToLive (setTimeToLive())', milliseconds, { unit: 'milliseconds' });
const checkCorrelationId = (correlationId: unknown) => check.name('correlationId (setCorrelationId())', correlationId);

function checkHeaders(headers: Readonly<StompHeaders>): void {
  check.object('headers', headers);
  for (const [name, value] of Object.entries(headers)) {
    check.name(`header '${name}'`, value, 'a string');
    if (name === '') throw new InvalidOptionError('headers', 'a header name cannot be empty');
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
]);

/**
 * Builds an {@link ActiveMQRecord}:
 * `new ActiveMQRecordBuilder(order).setDurable(true).setPriority(7).setTimeToLive(60_000).setHeaders({ tenant: 'a' }).build()`.
 * Every setter checks its value and throws a `RangeError`/`TypeError` that says what is wrong.
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

  /** JMS priority, an integer 0–9 (brokers default to 4); throws a `RangeError` otherwise. */
  setPriority(priority: number): this {
    checkPriority(priority);
    this.options.priority = priority;
    return this;
  }

  /** Milliseconds until the broker discards the message, a positive integer; throws a `RangeError` otherwise. */
  setTimeToLive(milliseconds: number): this {
    checkTimeToLive(milliseconds);
    this.options.timeToLive = milliseconds;
    return this;
  }

  /**
   * Adds headers (merged over those set before). Values must be strings, and headers the transport
   * sets or trusts itself (`destination`, `persistent`, `priority`, `expires`, `correlation-id`,
   * `content-type`, `nestjsMessageId`, `nestjsReply`, `_AMQ_DUPL_ID`, `traceparent`, …) are
   * refused with a `TypeError`.
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

  /** The record, with a copy of the settings so far; the builder can go on being used. */
  build(): ActiveMQRecord<TData> {
    return new ActiveMQRecord(this.data as TData, { ...this.options });
  }
}
