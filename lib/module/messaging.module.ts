import { Inject, Module, type DynamicModule, type FactoryProvider, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency, type Provider } from '@nestjs/common';
import { ClientActiveMQ, type ActiveMQClientOptions } from '../client/client-activemq.js';

/** `MessagingModule.forRoot()` options: a client's options, a name for a second connection, and scope. */
export interface MessagingModuleOptions extends ActiveMQClientOptions {
  /** Registers a named client, injected with `@InjectMessagingClient(name)`. Unnamed: inject `ClientActiveMQ`. */
  readonly name?: string;
  /** Make the client injectable everywhere (default true). */
  readonly isGlobal?: boolean;
}

/** `MessagingModule.forRootAsync()` options. */
export interface MessagingModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Registers a named client, injected with `@InjectMessagingClient(name)`. Unnamed: inject `ClientActiveMQ`. */
  readonly name?: string;
  /** Make the client injectable everywhere (default true). */
  readonly isGlobal?: boolean;
  /** Providers whose values are passed to `useFactory`, in order. */
  readonly inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Returns the client's options, or a URI alone; may be async. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest factories take whatever `inject` lists
  readonly useFactory: (...args: any[]) => ActiveMQClientOptions | string | Promise<ActiveMQClientOptions | string>;
}

/** The injection token of the client registered under `name` (the `ClientActiveMQ` class when unnamed). */
export function getMessagingClientToken(name?: string): InjectionToken {
  return name === undefined ? ClientActiveMQ : `nestjs-activemq:client:${name}`;
}

/** Injects the client registered with `MessagingModule.forRoot({ name })`. */
export const InjectMessagingClient = (name?: string): ParameterDecorator & PropertyDecorator => Inject(getMessagingClientToken(name));

/**
 * Wires an ActiveMQ client into an app:
 *
 * ```ts
 * MessagingModule.forRoot('stomp://app:secret@localhost:61613?jms.useAsyncSend=true')
 * MessagingModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ uri: config.get('ACTIVEMQ_URL') }) })
 * ```
 *
 * The client connects on first use and is closed when the application shuts down.
 */
@Module({})
export class MessagingModule {
  /**
   * Registers a client built from `options` now, so that a bad URI or option stops start-up.
   *
   * @param options A URI, or the client's options with `name` and `isGlobal`. Default: the embedded broker `vm://localhost`.
   */
  static forRoot(options: string | MessagingModuleOptions = {}): DynamicModule {
    const { name, isGlobal, ...clientOptions } = typeof options === 'string' ? { uri: options } : options;
    // Checked now, so a bad URI or option stops start-up with its own message.
    const client = new ClientActiveMQ(clientOptions);
    return MessagingModule.build(name, isGlobal, { provide: getMessagingClientToken(name), useValue: client });
  }

  /** Registers a client whose options (or URI) come from `useFactory`, with the providers listed in `inject`. */
  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    const provider: FactoryProvider<ClientActiveMQ> = {
      provide: getMessagingClientToken(options.name),
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) => {
        const resolved = await options.useFactory(...args);
        return new ClientActiveMQ(typeof resolved === 'string' ? { uri: resolved } : resolved);
      },
    };
    return { ...MessagingModule.build(options.name, options.isGlobal, provider), imports: options.imports ?? [] };
  }

  private static build(name: string | undefined, isGlobal: boolean | undefined, clientProvider: Provider): DynamicModule {
    const token = getMessagingClientToken(name);
    const closer: FactoryProvider = {
      provide: `nestjs-activemq:closer:${name ?? ''}`,
      inject: [token],
      useFactory: (client: ClientActiveMQ) => ({ onApplicationShutdown: () => client.close() }),
    };
    return {
      module: MessagingModule,
      global: isGlobal ?? true,
      providers: [clientProvider, closer],
      exports: [token],
    };
  }
}
