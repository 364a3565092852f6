import type { StompHeaders } from '../stomp/frame.js';
import { check } from '../internal/validation.js';

/*
 * W3C trace context across the broker, through `@opentelemetry/api` when the application has it
 * installed (an optional peer dependency: it is loaded with a dynamic import, and only the few
 * members used here are typed, so the package's types never depend on it).
 */

interface Span {
  spanContext(): object;
  setAttribute(key: string, value: string): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(error: Error | string): unknown;
  end(): void;
}
type Context = object;
interface OpenTelemetryApi {
  trace: {
    getTracer(name: string, version?: string): { startSpan(name: string, options: { kind: number; attributes: Record<string, string> }, context?: Context): Span };
    setSpan(context: Context, span: Span): Context;
    isSpanContextValid(spanContext: object): boolean;
  };
  context: { active(): Context; with<T>(context: Context, fn: () => T): T };
  propagation: {
    inject(context: Context, carrier: StompHeaders, setter: { set(carrier: StompHeaders, key: string, value: string): void }): void;
    extract(
      context: Context,
      carrier: Readonly<StompHeaders>,
      getter: { keys(carrier: Readonly<StompHeaders>): string[]; get(carrier: Readonly<StompHeaders>, key: string): string | undefined },
    ): Context;
  };
  SpanKind: { PRODUCER: number; CONSUMER: number };
  SpanStatusCode: { ERROR: number };
}

const SETTER = { set: (carrier: StompHeaders, key: string, value: string) => void (carrier[key] = value) };
const GETTER = { keys: (carrier: Readonly<StompHeaders>) => Object.keys(carrier), get: (carrier: Readonly<StompHeaders>, key: string) => carrier[key] };

/** Ends a span: with an error it is marked failed. */
export type EndSpan = (error?: unknown) => void;

/**
 * Producer and consumer spans for messages (OpenTelemetry messaging conventions: `publish <dest>`,
 * `process <dest>`, `messaging.system=activemq`), their context carried in the `traceparent` and
 * `tracestate` headers (JMS-safe names), and handlers run inside the consumer span.
 */
export class MessageTracing {
  private readonly tracer: ReturnType<OpenTelemetryApi['trace']['getTracer']>;

  constructor(private readonly api: OpenTelemetryApi) {
    this.tracer = api.trace.getTracer('nestjs-activemq');
  }

  /**
   * Starts the span of a send and writes its context into `headers`. Without an OpenTelemetry
   * SDK the span is invalid and nothing more is done: the send path pays for one no-op span.
   */
  startSend(destination: string, headers: StompHeaders, operation: 'publish' | 'request'): EndSpan | undefined {
    const { api } = this;
    const span = this.tracer.startSpan(`${operation} ${destination}`, {
      kind: api.SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'activemq', 'messaging.destination.name': destination, 'messaging.operation.type': 'send' },
    });
    if (!api.trace.isSpanContextValid(span.spanContext())) return undefined;
    api.propagation.inject(api.trace.setSpan(api.context.active(), span), headers, SETTER);
    return (error?: unknown) => this.end(span, error);
  }

  /** Runs `handle` inside a consumer span whose parent is the context the message carries. */
  async process<T>(destination: string, headers: Readonly<StompHeaders>, handle: () => Promise<T>): Promise<T> {
    const { api } = this;
    const parent = api.propagation.extract(api.context.active(), headers, GETTER);
    const span = this.tracer.startSpan(
      `process ${destination}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'activemq',
          'messaging.destination.name': destination,
          'messaging.operation.type': 'process',
          'messaging.message.id': headers['message-id'] ?? '',
        },
      },
      parent,
    );
    // No SDK (an invalid span): the handler runs as it would untraced.
    if (!api.trace.isSpanContextValid(span.spanContext())) return handle();
    try {
      const result = await api.context.with(api.trace.setSpan(parent, span), handle);
      this.end(span);
      return result;
    } catch (error) {
      this.end(span, error);
      throw error;
    }
  }

  private end(span: Span, error?: unknown): void {
    if (error !== undefined) {
      /* eslint-disable @typescript-eslint/no-base-to-string -- whatever was thrown, as String() renders it */
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      /* eslint-enable @typescript-eslint/no-base-to-string */
    }
    span.end();
  }
}

let loaded: Promise<MessageTracing | undefined> | undefined;

/** The tracing of this process: undefined when `@opentelemetry/api` is not installed or `enabled` is false. */
export function loadTracing(enabled = true): Promise<MessageTracing | undefined> {
  if (!enabled) return Promise.resolve(undefined);
  loaded ??= import('@opentelemetry/api').then(
    (api) => new MessageTracing(api as unknown as OpenTelemetryApi),
    () => undefined,
  );
  return loaded;
}

/** The `tracing` option, checked when a client or server is built. */
export function checkTracingOption(value: unknown): boolean | undefined {
  return value === undefined ? undefined : check.boolean('tracing', value);
}
