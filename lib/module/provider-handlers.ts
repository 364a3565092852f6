/**
 * Pattern handlers on providers. NestJS binds `@MessagePattern` / `@EventPattern` methods of
 * controllers only; a provider's are never called. A provider class marked `@ActiveMQHandlers()`
 * has its handler methods bound to every `ServerActiveMQ` of the app, through NestJS' own listener
 * code (the same code that binds controllers), so that they run through the same pipeline: pipes,
 * guards, interceptors, exception filters, request scope, transport ids; then the server's acks,
 * redelivery and tracing as for any handler. Request-scoped providers are refused: NestJS' code
 * makes per-message instances of controllers only.
 *
 * How the servers are found: NestJS registers each microservice's server in the app's
 * `ModulesContainer` (its RPC target registry, a replaying stream), so that a provider of
 * `MessagingModule` hears of every `ServerActiveMQ` of its own app, and of no other app's.
 * Providers that carry NestJS' handler decorators without the mark are named in a warning when a
 * server starts: they are the silently dead handlers this exists for.
 */
import { Injectable, Logger, SetMetadata, type OnModuleDestroy } from '@nestjs/common';
import { ApplicationConfig, GraphInspector, MetadataScanner, ModuleRef, ModulesContainer, type NestContainer } from '@nestjs/core';
import { MicroservicesModule } from '@nestjs/microservices/microservices-module.js';
import type { Subscription } from 'rxjs';
import { InvalidOptionError } from '../errors/activemq-error.js';
import { ServerActiveMQ, type ProviderHandlerSource } from '../server/server-activemq.js';

/** The metadata key of `@ActiveMQHandlers()`. */
const HANDLERS_METADATA = 'nestjs-activemq:provider-handlers';
/** Where `@MessagePattern` / `@EventPattern` put a method's patterns (NestJS' `PATTERN_METADATA`). */
const PATTERN_METADATA = 'microservices:pattern';

/**
 * Marks a provider whose `@MessagePattern` / `@EventPattern` methods `ServerActiveMQ` calls, as it
 * calls a controller's. The app imports `MessagingModule` (which finds the marked providers):
 *
 * ```ts
 * @Injectable()
 * @ActiveMQHandlers()
 * export class Billing {
 *   @EventPattern<string>('orders.placed')
 *   charge(@Payload() order: Order, @Ctx() ctx: ActiveMQContext): Promise<void> { … }
 * }
 * ```
 */
export const ActiveMQHandlers = (): ClassDecorator => SetMetadata(HANDLERS_METADATA, true);

type Wrapper = { readonly metatype?: unknown; readonly inject?: unknown; readonly isAlias?: boolean; isDependencyTreeStatic(): boolean };

/** The provider classes of one module that define pattern handlers, as NestJS' instance wrappers. */
function handlerProviders(providers: Map<unknown, Wrapper>, controllers: ReadonlySet<unknown>, scanner: MetadataScanner) {
  const marked = new Map<unknown, Wrapper>();
  const unmarked: string[] = [];
  for (const [token, wrapper] of providers) {
    // Class providers only: a factory's or a value's class is not known before it runs.
    const type = wrapper.metatype;
    if (typeof type !== 'function' || wrapper.inject || wrapper.isAlias || controllers.has(type)) continue;
    const prototype = (type as { prototype?: object }).prototype;
    if (!prototype) continue;
    const methods = scanner
      .getAllMethodNames(prototype)
      .filter((name) => Reflect.getMetadata(PATTERN_METADATA, (prototype as Record<string, unknown>)[name] as object) !== undefined);
    if (methods.length === 0) continue;
    const name = (type as { name: string }).name;
    if (Reflect.getMetadata(HANDLERS_METADATA, type) === true) {
      // NestJS' per-request handler code looks its host up among the module's controllers.
      if (!wrapper.isDependencyTreeStatic()) {
        throw new InvalidOptionError(
          'ActiveMQHandlers',
          `@ActiveMQHandlers() on ${name}, which is request-scoped or depends on a request-scoped provider: NestJS makes per-message instances for controllers only; give ${name} the default scope, or put the handlers on a controller`,
        );
      }
      marked.set(token, wrapper);
    } else unmarked.push(...methods.map((method) => `${(type as { name: string }).name}.${method}`));
  }
  return { marked, unmarked };
}

/**
 * A provider of `MessagingModule`: hands each `ServerActiveMQ` of its app a way to bind the app's
 * marked providers (the server does so when it starts, before it subscribes).
 */
@Injectable()
export class ProviderHandlersBinder implements OnModuleDestroy, ProviderHandlerSource {
  private readonly logger = new Logger('ActiveMQHandlers');
  private readonly subscription: Subscription;

  constructor(
    private readonly modules: ModulesContainer,
    moduleRef: ModuleRef,
  ) {
    // ModuleRef holds the app's container (a protected field in NestJS 11 and 12).
    const container = (moduleRef as unknown as { container: NestContainer }).container;
    this.subscription = modules.getRpcTargetRegistry().subscribe((target) => {
      if (target instanceof ServerActiveMQ) target.addProviderHandlerSource(this, (server) => this.bind(container, server));
    });
  }

  /** The key servers tell one app's sources by (several `MessagingModule`s of an app bind once). */
  get key(): object {
    return this.modules;
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  /** Binds the marked providers' handlers to `server`; warns about unmarked ones. Returns how many providers. */
  private bind(container: NestContainer, server: ServerActiveMQ): number {
    const scanner = new MetadataScanner();
    const controllers = new Set<unknown>();
    for (const module of this.modules.values()) for (const wrapper of module.controllers.values()) controllers.add(wrapper.metatype);
    // NestJS' own listener code, as the app's microservices use it, with the app's container and
    // global enhancers (its ApplicationConfig).
    const listeners = new MicroservicesModule();
    listeners.register(container, new GraphInspector(container), container.applicationConfig ?? new ApplicationConfig(), {});
    let bound = 0;
    const unmarked: string[] = [];
    for (const [key, module] of this.modules) {
      const found = handlerProviders(module.providers, controllers, scanner);
      unmarked.push(...found.unmarked);
      if (found.marked.size === 0) continue;
      listeners.bindListeners(found.marked as never, server as never, key);
      bound += found.marked.size;
    }
    if (unmarked.length > 0) {
      this.logger.warn(
        `${unmarked.join(', ')}: @MessagePattern / @EventPattern on a provider, which NestJS never calls (it binds controllers only); ` +
          `mark the class @ActiveMQHandlers() to have ServerActiveMQ call it, or move the method to a controller`,
      );
    }
    return bound;
  }
}
