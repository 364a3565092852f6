import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { StompConnectionOptions } from '../stomp/connection.js';
import type { StartupPolicy } from '../stomp/connector.js';
import { stompConnectionOptions } from './connection-options.js';
import { UnknownUriParameterError } from './errors.js';
import { PARAMETERS } from './parameters.js';
import { parseActiveMQUri } from './parse-uri.js';
import { nearest } from './suggest.js';
import type { ActiveMQUriOptions, ParsedActiveMQUri } from './uri-options.js';

/** Options shared by `ClientActiveMQ` and `ServerActiveMQ`: a URI and anything a URI can say, in code. */
export interface ActiveMQConnectionSettings extends ActiveMQUriOptions {
  /** `stomp://…`, `stomp+ssl://…`, `vm://…` or `failover:(…)`. Default `vm://localhost`, the in-process embedded broker. */
  readonly uri?: string;
  /** User name for CONNECT; wins over credentials written in the URI. */
  readonly login?: string;
  /** Password for CONNECT; wins over credentials written in the URI. */
  readonly passcode?: string;
  /** TLS options (e.g. `ca`) for `stomp+ssl://` brokers, merged over what the URI says. */
  readonly tls?: TlsOptions;
}

/** Settings checked and resolved: code options over URI parameters. */
export interface ResolvedSettings {
  /** The URI parsed, with the code's `login`/`passcode` and the merged options. */
  readonly parsed: ParsedActiveMQUri;
  /** Code options over URI options. */
  readonly options: ActiveMQUriOptions;
  /** What the URI alone says, for settings whose precedence is decided per layer (send modes). */
  readonly uriOptions: ActiveMQUriOptions;
  /** What the options object alone says. */
  readonly codeOptions: ActiveMQUriOptions;
  /** One entry per broker of the URI. */
  readonly brokers: readonly StompConnectionOptions[];
  /** How hard to try the first connection, from the start-up and backoff options. */
  readonly startup: StartupPolicy;
}

const SETTING_KEYS = ['uri', 'login', 'passcode', 'tls'] as const;

/**
 * Checks an options object and merges it over its URI (code wins). An unknown key is an
 * {@link UnknownUriParameterError} naming it and the nearest known key.
 */
export function resolveSettings(settings: ActiveMQConnectionSettings, extraKeys: readonly string[], where: string): ResolvedSettings {
  if (settings === null || typeof settings !== 'object') throw new TypeError(`${where} options must be an object`);
  const known = [...SETTING_KEYS, ...URI_OPTION_KEYS, ...extraKeys];
  for (const key of Object.keys(settings)) {
    if (!known.includes(key)) throw new UnknownUriParameterError(key, nearest(key, known), known);
  }
  // No URI: the in-process embedded broker, as `vm://localhost` is on ActiveMQ.
  const uri = settings.uri ?? 'vm://localhost';
  const parsed = parseActiveMQUri(uri);
  const codeOptions: ActiveMQUriOptions = Object.fromEntries(URI_OPTION_KEYS.filter((k) => settings[k] !== undefined).map((k) => [k, settings[k]]));
  const merged: ParsedActiveMQUri = {
    ...parsed,
    ...(settings.login === undefined ? {} : { login: settings.login }),
    ...(settings.passcode === undefined ? {} : { passcode: settings.passcode }),
    options: { ...parsed.options, ...codeOptions },
  };
  const brokers = merged.endpoints.map((endpoint) => {
    const options = stompConnectionOptions(merged, endpoint, settings.tls);
    // Credentials given in code win over those written in the address.
    return {
      ...options,
      ...(settings.login === undefined ? {} : { login: settings.login }),
      ...(settings.passcode === undefined ? {} : { passcode: settings.passcode }),
    };
  });
  const o = merged.options;
  const startup: StartupPolicy = {
    retries: o.startupMaxReconnectAttempts ?? o.initialConnectAttempts ?? 0,
    initialDelay: o.initialReconnectDelay ?? o.retryInterval ?? 1000,
    multiplier: o.useExponentialBackOff === false ? 1 : (o.reconnectDelayExponent ?? o.retryIntervalMultiplier ?? 2),
    maxDelay: o.maxReconnectDelay ?? o.maxRetryInterval ?? 30000,
  };
  return { parsed: merged, options: merged.options, uriOptions: parsed.options, codeOptions, brokers, startup };
}

/** Every option a URI can set, by its canonical name (from the one spelling table). */
export const URI_OPTION_KEYS: readonly (keyof ActiveMQUriOptions)[] = [...new Set([...PARAMETERS.values()].map((spec) => spec.target))].filter(
  (target): target is keyof ActiveMQUriOptions => target !== 'login' && target !== 'passcode',
);
