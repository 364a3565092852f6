import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { checkTracingOption, loadTracing, MessageTracing } from '../../../lib/observability/message-tracing.js';
import type { StompHeaders } from '../../../lib/stomp/frame.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
/** A sender's context, as a traced producer elsewhere wrote it. */
const REMOTE = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
const REMOTE_TRACEPARENT = `00-${REMOTE.traceId}-${REMOTE.spanId}-01`;

async function tracing(): Promise<MessageTracing> {
  const loaded = await loadTracing();
  if (!loaded) throw new Error('@opentelemetry/api is a devDependency: tracing should load');
  return loaded;
}

describe('checkTracingOption', () => {
  it.each([
    [undefined, undefined],
    [true, true],
    [false, false],
  ])('takes %p as %p', (value, expected) => {
    expect(checkTracingOption(value)).toBe(expected);
  });

  it.each([
    ['yes', 'tracing must be true or false, got "yes"'],
    [1, 'tracing must be true or false, got 1'],
    [null, 'tracing must be true or false, got null'],
  ])('refuses %p, naming the option', (value, message) => {
    expect(() => checkTracingOption(value)).toThrow(new InvalidOptionError('tracing', message));
    expect(() => checkTracingOption(value)).toThrow(InvalidOptionError);
  });
});

describe('loadTracing', () => {
  it('is undefined when tracing is off', async () => {
    expect(await loadTracing(false)).toBeUndefined();
  });

  it('loads @opentelemetry/api once for the process', async () => {
    const first = await loadTracing();
    expect(first).toBeInstanceOf(MessageTracing);
    expect(await loadTracing(true)).toBe(first);
    expect(await loadTracing(false)).toBeUndefined();
  });
});

// Before any SDK is registered: the API's no-op tracer.
describe('MessageTracing without an OpenTelemetry SDK', () => {
  it('startSend starts no span and writes no header', async () => {
    const headers: StompHeaders = { destination: '/queue/q' };
    expect((await tracing()).startSend('/queue/q', headers, 'publish')).toBeUndefined();
    expect(headers).toEqual({ destination: '/queue/q' });
  });

  it('process runs the handler untraced and returns its result', async () => {
    const result = await (await tracing()).process('/queue/q', { traceparent: REMOTE_TRACEPARENT }, async () => ({ value: 42, active: trace.getActiveSpan() }));
    expect(result).toEqual({ value: 42, active: undefined });
  });
});

describe('MessageTracing with an OpenTelemetry SDK', () => {
  const exporter = new InMemorySpanExporter();
  const finished = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
  const only = (name: string): ReadableSpan => {
    const spans = finished(name);
    expect(spans.map((s) => s.name)).toEqual([name]);
    return spans[0]!;
  };

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  afterEach(() => exporter.reset());
  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  describe('startSend', () => {
    it('writes the traceparent of a new producer span into the headers; the span ends when the returned function is called', async () => {
      const headers: StompHeaders = { destination: '/queue/orders' };
      const end = (await tracing()).startSend('/queue/orders', headers, 'publish');
      expect(end).toBeInstanceOf(Function);
      const [, traceId, spanId] = TRACEPARENT.exec(headers['traceparent'] ?? '') ?? [];
      expect(traceId).toBeDefined();
      expect(exporter.getFinishedSpans()).toEqual([]);
      end!();
      const span = only('publish /queue/orders');
      expect(span.spanContext()).toMatchObject({ traceId, spanId });
      expect(span.kind).toBe(SpanKind.PRODUCER);
      expect(span.attributes).toEqual({ 'messaging.system': 'activemq', 'messaging.destination.name': '/queue/orders', 'messaging.operation.type': 'send' });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.parentSpanContext).toBeUndefined();
    });

    it('names a request span "request <destination>"', async () => {
      (await tracing()).startSend('/queue/rpc', {}, 'request')!();
      expect(only('request /queue/rpc').kind).toBe(SpanKind.PRODUCER);
    });

    it('inside an active span, the producer span is its child, in its trace', async () => {
      const t = await tracing();
      const headers: StompHeaders = {};
      const root = trace.getTracer('test').startSpan('http POST /orders');
      context.with(trace.setSpan(context.active(), root), () => t.startSend('/queue/orders', headers, 'publish')!());
      root.end();
      const span = only('publish /queue/orders');
      expect(span.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(headers['traceparent']).toBe(`00-${root.spanContext().traceId}-${span.spanContext().spanId}-01`);
    });

    it('ending with an error marks the span failed and records the exception', async () => {
      const t = await tracing();
      t.startSend('/queue/a', {}, 'publish')!(new Error('refused by the broker'));
      t.startSend('/queue/b', {}, 'publish')!('a plain reason');
      const a = only('publish /queue/a');
      expect(a.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refused by the broker' });
      expect(a.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'refused by the broker']]);
      const b = only('publish /queue/b');
      expect(b.status).toEqual({ code: SpanStatusCode.ERROR, message: 'a plain reason' });
      expect(b.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'a plain reason']]);
    });
  });

  describe('process', () => {
    it("runs the handler inside a consumer span whose parent is the message's traceparent, and returns its result", async () => {
      const headers = { traceparent: REMOTE_TRACEPARENT, 'message-id': 'ID:broker-1:1' };
      const inside = await (
        await tracing()
      ).process('/queue/orders', headers, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return { active: trace.getActiveSpan()?.spanContext(), endedYet: finished('process /queue/orders').length };
      });
      const span = only('process /queue/orders');
      expect(inside.active).toEqual(span.spanContext());
      expect(inside.endedYet).toBe(0);
      expect(span.spanContext().traceId).toBe(REMOTE.traceId);
      expect(span.parentSpanContext).toMatchObject({ traceId: REMOTE.traceId, spanId: REMOTE.spanId, isRemote: true });
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.attributes).toEqual({
        'messaging.system': 'activemq',
        'messaging.destination.name': '/queue/orders',
        'messaging.operation.type': 'process',
        'messaging.message.id': 'ID:broker-1:1',
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    });

    it("continues the trace startSend wrote: the consumer span is the producer span's child", async () => {
      const t = await tracing();
      const headers: StompHeaders = {};
      t.startSend('/queue/orders', headers, 'publish')!();
      await t.process('/queue/orders', headers, async () => undefined);
      const producer = only('publish /queue/orders');
      const consumer = only('process /queue/orders');
      expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    });

    it('a message without trace context starts a trace of its own, with an empty message id', async () => {
      await (await tracing()).process('/queue/plain', {}, async () => undefined);
      const span = only('process /queue/plain');
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.attributes['messaging.message.id']).toBe('');
    });

    it('a handler that fails: its error is rethrown and the span marked failed', async () => {
      const failure = new Error('handler failed');
      await expect(
        (await tracing()).process('/queue/orders', { traceparent: REMOTE_TRACEPARENT }, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      const span = only('process /queue/orders');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'handler failed' });
      expect(span.events.map((e) => e.name)).toEqual(['exception']);
      expect(span.ended).toBe(true);
    });
  });
});
