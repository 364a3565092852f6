import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { connect } from '../../support/connect.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { deferred, startService, type RunningService } from '../../support/nest.js';

/** One trace from the sender, across ActiveMQ, into the handler (W3C trace context in message headers). */
const P = `trace.${process.pid}.${Date.now().toString(36)}`;
const exporter = new InMemorySpanExporter();
const tracer = () => trace.getTracer('test');
const handled = { echo: deferred<string>(), event: deferred<string>(), plain: deferred<string>() };

@Controller()
class Traced {
  @MessagePattern(`${P}.echo`)
  echo(@Payload() text: string): string {
    // Work the handler does shows up inside the consumer span.
    tracer().startSpan('handler work').end();
    handled.echo.resolve(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
    return text;
  }
  @EventPattern<string>(`${P}.event`)
  event(@Payload() _text: string): void {
    handled.event.resolve(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
  }
  @EventPattern<string>(`${P}.plain`)
  plain(@Payload() _text: string): void {
    handled.plain.resolve(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
  }
}

let service: RunningService;
let client: ClientActiveMQ;
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), endWatcher] }));
  service = await startService([Traced]);
  client = new ClientActiveMQ({ uri: sharedBrokerUrl() });
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await service?.close();
  trace.disable();
  context.disable();
  propagation.disable();
});

/** Spans end after the work they time (a consumer span after the handler and its ACK): wait for the end. */
const endWaiters: Array<{ name: string; resolve: (span: ReadableSpan) => void }> = [];
const endWatcher: SpanProcessor = {
  onStart: () => {},
  onEnd: (span) => {
    for (const waiter of endWaiters.filter((w) => w.name === span.name)) {
      endWaiters.splice(endWaiters.indexOf(waiter), 1);
      waiter.resolve(span);
    }
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
const spanNamed = (name: string): Promise<ReadableSpan> => {
  const ended = exporter.getFinishedSpans().find((s) => s.name === name);
  return ended ? Promise.resolve(ended) : new Promise((resolve) => endWaiters.push({ name, resolve }));
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing through @opentelemetry/api', () => {
  it('a request and its handler share one trace: root → request (producer) → process (consumer) → handler work', async () => {
    const traceId = await tracer().startActiveSpan('http POST /orders', async (root) => {
      expect(await firstValueFrom(client.send(`${P}.echo`, 'hi'))).toBe('hi');
      root.end();
      return root.spanContext().traceId;
    });
    expect(await handled.echo.promise).toBe(traceId);
    const root = await spanNamed('http POST /orders');
    const request = await spanNamed(`request /queue/${P}.echo`);
    const processed = await spanNamed(`process /queue/${P}.echo`);
    const work = await spanNamed('handler work');
    for (const span of [request, processed, work]) expect(span.spanContext().traceId).toBe(traceId);
    expect(request.kind).toBe(SpanKind.PRODUCER);
    expect(processed.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(request)).toBe(root.spanContext().spanId);
    expect(parentOf(processed)).toBe(request.spanContext().spanId);
    expect(parentOf(work)).toBe(processed.spanContext().spanId);
    expect(request.attributes['messaging.system']).toBe('activemq');
  });

  it('an event carries its trace too, in the JMS-safe traceparent header', async () => {
    const traceId = await tracer().startActiveSpan('job', async (root) => {
      await lastValueFrom(client.emit(`${P}.event`, 'e'), { defaultValue: undefined });
      root.end();
      return root.spanContext().traceId;
    });
    expect(await handled.event.promise).toBe(traceId);
    expect(parentOf(await spanNamed(`process /queue/${P}.event`))).toBe((await spanNamed(`publish /queue/${P}.event`)).spanContext().spanId);
  });

  it('a message from a client without tracing starts a trace of its own', async () => {
    const raw = await connect(sharedBrokerUrl());
    await raw.send(`/queue/${P}.plain`, {}, 'no trace context', { receipt: true });
    await raw.disconnect();
    const traceId = await handled.plain.promise;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parentOf(await spanNamed(`process /queue/${P}.plain`))).toBeUndefined();
  });
});
