import { Inject, Module, type DynamicModule, type FactoryProvider, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency, type Provider } from '@nestjs/common';
import { ClientActiveMQ, type ActiveMQClientOptions } from '../client/client-activemq.js';
import { InvalidUriError } from '../config/errors.js';
import { unsetUriProblem } from '../config/resolve-settings.js';
import { ProviderHandlersBinder } from './provider-handlers.js';

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
   * Registers a client built from `options` now, so that a bad URI or option stops start-up; the
   * error's message starts with `MessagingModule.forRoot:`.
   *
   * @param options A URI, or the client's options with `name` and `isGlobal`. None: the embedded
   *   broker `vm://localhost`. An argument that is there but undefined or empty (an unset
   *   environment variable) is refused.
   */
  static forRoot(options?: string | MessagingModuleOptions): DynamicModule;
  // Rest parameters, to tell `forRoot()` (the embedded broker) from `forRoot(undefined)` (refused).
  static forRoot(...args: [options?: string | MessagingModuleOptions]): DynamicModule {
    const where = 'MessagingModule.forRoot';
    // `forRoot(process.env.X)` with X unset must not mean "embedded", as `forRoot()` does.
    if (args.length > 0) refuseUnsetUri(where, args[0], 'the URI argument is', 'call forRoot() with no argument');
    const [options = {}] = args;
    const { name, isGlobal, ...clientOptions } = typeof options === 'string' ? { uri: options } : options;
    // Checked now, so a bad URI or option stops start-up with its own message.
    const client = raisedIn(where, () => new ClientActiveMQ(clientOptions));
    return MessagingModule.build(name, isGlobal, { provide: getMessagingClientToken(name), useValue: client });
  }

  /**
   * Registers a client whose options (or URI) come from `useFactory`, with the providers listed in
   * `inject`. A factory returning undefined, null or an empty URI is refused, as `forRoot` does.
   */
  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    const where = 'MessagingModule.forRootAsync';
    const provider: FactoryProvider<ClientActiveMQ> = {
      provide: getMessagingClientToken(options.name),
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) => {
        const resolved: unknown = await options.useFactory(...args);
        refuseUnsetUri(where, resolved, 'useFactory returned', "return options without a 'uri' key");
        const clientOptions = (typeof resolved === 'string' ? { uri: resolved } : resolved) as ActiveMQClientOptions;
        return raisedIn(where, () => new ClientActiveMQ(clientOptions));
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
      // Binds the handlers of providers marked @ActiveMQHandlers() to the app's servers.
      providers: [clientProvider, closer, ProviderHandlersBinder],
      exports: [token],
    };
  }
}

/**
 * Refuses what an unset environment variable gives where a URI belongs: `given` itself (a URI
 * argument or a factory's result), or the `uri` key of options. Said here rather than by the
 * client, so that the message names the registration.
 */
function refuseUnsetUri(where: string, given: unknown, lead: string, omit: string): void {
  const isOptions = given !== null && typeof given === 'object';
  if (isOptions && !('uri' in given)) return;
  const problem = isOptions
    ? unsetUriProblem((given as { uri?: unknown }).uri, `${where}: the key 'uri' is present but`, "leave the 'uri' key out")
    : unsetUriProblem(given, `${where}: ${lead}`, omit);
  if (problem) throw new InvalidUriError(problem);
}

/**
 * Runs `build`; an error it throws keeps its class and properties, its message is prefixed with
 * `where`, so that a start-up failure says which registration of the app is wrong.
 */
function raisedIn<T>(where: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith(where)) {
      const original = error.message;
      error.message = `${where}: ${original}`;
      // V8 writes the stack's first line when `stack` is first read; if it was read already, mend it.
      if (error.stack !== undefined && !error.stack.includes(error.message)) error.stack = error.stack.replace(original, error.message);
    }
    throw error;
  }
}
