/**
 * Handlers on providers (`@ActiveMQHandlers()`): bound through NestJS' own listener code, so that
 * they run through the pipeline a controller's handler does, against a real broker.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Catch,
  Controller,
  Injectable,
  Module,
  Scope,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type INestMicroservice,
  type NestInterceptor,
  type PipeTransform,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, map, throwError, type Observable } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { MessagingModule } from '../../../lib/module/messaging.module.js';
import { ActiveMQHandlers } from '../../../lib/module/provider-handlers.js';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { deferred, newClient, RecordingLogger, testRedelivery } from '../../support/nest.js';

const P = `prov.${process.pid}.${Date.now().toString(36)}`;

/** What the handlers saw, shared with the test through DI (the provider's own dependency). */
@Injectable()
class Journal {
  readonly events: Array<{ order: string; redelivered: boolean }> = [];
  readonly done = deferred<void>();
}

/** A guard by class (resolved in the provider's module): only tenant 'a'. */
@Injectable()
class TenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToRpc().getContext<ActiveMQContext>().getHeaders()['tenant'] === 'a';
  }
}

/** A pipe by class: doubles the payload. */
@Injectable()
class Doubling implements PipeTransform<number, number> {
  transform(value: number): number {
    return value * 2;
  }
}

/** An interceptor by class: wraps the reply. */
@Injectable()
class Wrapping implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value: unknown) => ({ wrapped: value })));
  }
}

/** An exception filter: the requester gets its own error shape. */
@Catch()
class Explaining implements RpcExceptionFilter<Error> {
  catch(error: Error): Observable<never> {
    return throwError(() => ({ status: 'error', message: `filtered: ${error.message}` }));
  }
}

@Injectable()
@ActiveMQHandlers()
class Pricing {
  constructor(private readonly journal: Journal) {}

  @MessagePattern(`${P}.price`)
  @UseGuards(TenantGuard)
  @UseInterceptors(Wrapping)
  price(@Payload(Doubling) quantity: number, @Ctx() ctx: ActiveMQContext): number {
    return quantity + (ctx.getPattern() === `${P}.price` ? 1 : 1000);
  }

  @MessagePattern(`${P}.fail`)
  @UseFilters(Explaining)
  fail(): never {
    throw new Error('out of stock');
  }

  // A throw on the first delivery: NACK, the broker's redelivery, then the ack.
  @EventPattern<string>(`${P}.placed`)
  placed(@Payload() order: string, @Ctx() ctx: ActiveMQContext): void {
    this.journal.events.push({ order, redelivered: ctx.isRedelivered() });
    if (!ctx.isRedelivered()) throw new Error('the first delivery fails');
    this.journal.done.resolve();
  }
}

/** Request-scoped: NestJS makes per-message instances of controllers only, so this is refused. */
@Injectable({ scope: Scope.REQUEST })
@ActiveMQHandlers()
class PerMessage {
  @MessagePattern(`${P}.scoped`)
  which(): string {
    return 'never';
  }
}

/** Nest's decorators without the mark: never called by NestJS, so named in a warning. */
@Injectable()
class Forgotten {
  @EventPattern<string>(`${P}.forgotten`)
  handle(): void {}
}

@Module({ imports: [MessagingModule.forRoot(sharedBrokerUrl())], providers: [Journal, TenantGuard, Doubling, Wrapping, Pricing, Forgotten] })
class ProvidersModule {}

describe('handlers on providers marked @ActiveMQHandlers()', () => {
  let app: INestMicroservice;
  let client: ClientActiveMQ;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    app = await NestFactory.createMicroservice(ProvidersModule, { strategy: new ServerActiveMQ({ uri: sharedBrokerUrl(), ...testRedelivery() }), logger });
    await app.listen();
    client = newClient();
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it('answer requests through pipes, guards and interceptors given by class', async () => {
    const asTenant = (tenant: string, quantity: number) => new ActiveMQRecordBuilder(quantity).setHeaders({ tenant }).build();
    expect(await firstValueFrom(client.send(`${P}.price`, asTenant('a', 20)))).toEqual({ wrapped: 41 });
    await expect(firstValueFrom(client.send(`${P}.price`, asTenant('b', 20)))).rejects.toEqual({ status: 'error', message: 'Forbidden resource' });
  });

  it("have their errors go through the provider's exception filter", async () => {
    await expect(firstValueFrom(client.send(`${P}.fail`, {}))).rejects.toEqual({ status: 'error', message: 'filtered: out of stock' });
  });

  it('take events with the server’s acks: a throw is rejected, the redelivery handled and acknowledged', async () => {
    const journal = app.get(Journal);
    await lastValueFrom(client.emit(`${P}.placed`, 'order-1'), { defaultValue: undefined });
    await journal.done.promise;
    expect(journal.events).toEqual([
      { order: 'order-1', redelivered: false },
      { order: 'order-1', redelivered: true },
    ]);
  });

  it('warn, naming them, about providers with handler decorators but no mark', async () => {
    const warning = await logger.waitFor(/Forgotten\.handle: @MessagePattern \/ @EventPattern on a provider, which NestJS never calls/);
    expect(warning).toMatch(/mark the class @ActiveMQHandlers\(\)/);
    expect(
      logger.lines
        .filter((l) => /on a provider/.test(l.message))
        .map((l) => l.message)
        .join('\n'),
    ).not.toMatch(/Pricing/);
  });

  it('refuse a request-scoped provider when the server starts, naming it, rather than fail each message', async () => {
    @Module({ imports: [MessagingModule.forRoot(sharedBrokerUrl())], providers: [PerMessage] })
    class ScopedModule {}
    const scoped = await NestFactory.createMicroservice(ScopedModule, { strategy: new ServerActiveMQ({ uri: sharedBrokerUrl() }), logger: new RecordingLogger() });
    try {
      await expect(scoped.listen()).rejects.toThrow(
        /@ActiveMQHandlers\(\) on PerMessage, which is request-scoped .*give PerMessage the default scope, or put the handlers on a controller/,
      );
    } finally {
      await scoped.close();
    }
  });
});

describe('in a hybrid app', () => {
  let app: INestApplication;

  afterAll(async () => {
    await app?.close();
  });

  it('a provider and a controller of the same app both handle, each its own pattern; another app’s providers are not bound', async () => {
    const got = { provider: deferred<string>(), controller: deferred<string>() };
    @Injectable()
    @ActiveMQHandlers()
    class Notifier {
      @EventPattern<string>(`${P}.hybrid.provider`)
      notify(@Payload() text: string): void {
        got.provider.resolve(text);
      }
    }
    @Controller()
    class Orders {
      @MessagePattern(`${P}.hybrid.controller`)
      take(@Payload() text: string): string {
        got.controller.resolve(text);
        return `taken ${text}`;
      }
    }
    @Module({
      imports: [MessagingModule.forRoot(sharedBrokerUrl()), MessagingModule.forRoot({ uri: sharedBrokerUrl(), name: 'second' })],
      controllers: [Orders],
      providers: [Notifier],
    })
    class HybridModule {}
    app = await NestFactory.create(HybridModule, { logger: new RecordingLogger() });
    const server = new ServerActiveMQ({ uri: sharedBrokerUrl() });
    app.connectMicroservice({ strategy: server });
    await app.startAllMicroservices();
    await app.init();
    const client = app.get(ClientActiveMQ);
    expect(await firstValueFrom(client.send(`${P}.hybrid.controller`, 'x'))).toBe('taken x');
    await lastValueFrom(client.emit(`${P}.hybrid.provider`, 'y'), { defaultValue: undefined });
    expect(await got.provider.promise).toBe('y');
    // Two MessagingModules in the app, one binding: the provider's pattern is there once; the
    // first describe's app (closed or not) lent it nothing.
    const patterns = [...server.getHandlers().keys()];
    expect(patterns.filter((p) => p === `${P}.hybrid.provider`)).toHaveLength(1);
    expect(patterns.some((p) => p.startsWith(`${P}.price`))).toBe(false);
  });
});
