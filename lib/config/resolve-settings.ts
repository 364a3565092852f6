import { Logger } from '@nestjs/common';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { StompConnectionOptions } from '../connection/stomp-connection.js';
import type { StartupPolicy } from '../connection/connect-to-first.js';
import { logStartupRetry } from '../connection/reconnection.js';
import { stompConnectionOptions, type InProcessConnector } from './connection-options.js';
import { InvalidUriError, InvalidUriParameterError, UnknownOptionError } from './errors.js';
import { PARAMETERS, REFUSED_PARAMETERS } from './parameters.js';
import { startupPolicyOf } from './reconnect-policy.js';
import { parseActiveMQUri } from './parse-uri.js';
import { nearest } from './suggest.js';
import type { ActiveMQUriOptions, ParsedActiveMQUri } from './uri-options.js';
import { check } from '../internal/validation.js';

/** Options shared by `ClientActiveMQ` and `ServerActiveMQ`: a URI and anything a URI can say, in code. */
export interface ActiveMQConnectionSettings extends ActiveMQUriOptions {
  /**
   * `stomp://…`, `stomp+ssl://…`, `vm://…` or `failover:(…)`. Without the key: `vm://localhost`,
   * the in-process embedded broker (said once in the log). Present but undefined, null or empty
   * (an unset environment variable) is refused.
   */
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

/** Where no `uri` key sends a client or server, as `vm://localhost` does on ActiveMQ. */
const EMBEDDED_DEFAULT = 'vm://localhost';
const EMBEDDED_NOTICE = `no uri given: using the in-process embedded broker ${EMBEDDED_DEFAULT}; messages do not leave this process (give a uri to reach ActiveMQ)`;

/**
 * Checks an options object and merges it over its URI (code wins). An unknown key is an
 * {@link UnknownOptionError} naming it and the nearest known key; a `uri` key that is present but
 * undefined, null or empty is an {@link InvalidUriError}. Without a `uri` key the embedded broker
 * is used, and said in the log (as `where`) at the first connection.
 */
export function resolveSettings(settings: ActiveMQConnectionSettings, extraKeys: readonly string[], where: string, inProcess?: InProcessConnector): ResolvedSettings {
  check.object(`${where} options`, settings);
  checkKeys(settings, [...SETTING_KEYS, ...URI_OPTION_KEYS, ...extraKeys], where);
  // `in`, not `!== undefined`: `{ uri: process.env.X }` with X unset must not mean "embedded".
  const embedded = !('uri' in settings);
  const parsed = parseActiveMQUri(embedded ? EMBEDDED_DEFAULT : givenUri(settings.uri, where));
  const codeOptions: ActiveMQUriOptions = Object.fromEntries(URI_OPTION_KEYS.filter((k) => settings[k] !== undefined).map((k) => [k, settings[k]]));
  const merged: ParsedActiveMQUri = {
    ...parsed,
    ...(settings.login === undefined ? {} : { login: settings.login }),
    ...(settings.passcode === undefined ? {} : { passcode: settings.passcode }),
    options: { ...parsed.options, ...codeOptions },
  };
  // Nest's loggers all write where the app's logger does; this one speaks as the client or server.
  const logger = new Logger(where);
  const resolved = merged.endpoints.map((endpoint) => {
    const options = stompConnectionOptions(merged, endpoint, settings.tls, inProcess);
    // Credentials given in code win over those written in the address.
    return {
      ...options,
      ...(settings.login === undefined ? {} : { login: settings.login }),
      ...(settings.passcode === undefined ? {} : { passcode: settings.passcode }),
    };
  });
  const brokers = embedded ? announcedOnFirstUse(resolved, logger) : resolved;
  const policy = startupPolicyOf(merged.options);
  const startup: StartupPolicy = { ...policy, onRetry: (retry, delay, error) => logStartupRetry(logger, brokers, policy.retries, retry, delay, error) };
  return { parsed: merged, options: merged.options, uriOptions: parsed.options, codeOptions, brokers, startup };
}

/**
 * Why `value`, where a URI belongs, is none: undefined, null or blank, which is what an unset
 * environment variable gives. `undefined` for anything else (a string is parsed, other types are
 * refused by their reader).
 *
 * @param lead The message's start, which `undefined`, `null` or `an empty string` completes.
 * @param omit How to ask for the embedded broker instead, e.g. `leave the 'uri' key out`.
 */
export function unsetUriProblem(value: unknown, lead: string, omit: string): string | undefined {
  const what = value === undefined ? 'undefined' : value === null ? 'null' : typeof value === 'string' && value.trim() === '' ? 'an empty string' : undefined;
  if (what === undefined) return undefined;
  return `${lead} ${what}, probably an unset environment variable; give a broker URI (e.g. stomp://host:61613), or ${omit} to use the in-process embedded broker ${EMBEDDED_DEFAULT}`;
}

/** The `uri` of an options object that has the key: a string that is not blank. */
function givenUri(uri: unknown, where: string): string {
  const problem = unsetUriProblem(uri, `${where}: the key 'uri' is present but`, `leave the 'uri' key out`);
  if (problem) throw new InvalidUriError(problem);
  if (typeof uri !== 'string') throw new InvalidUriError(`${where}: the option 'uri' must be a string, got ${typeof uri}`);
  return uri;
}

/** Refuses a key that is no option: a URI spelling is told its name in code, anything else gets the nearest key. */
function checkKeys(settings: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(settings)) {
    if (known.includes(key)) continue;
    const refused = REFUSED_PARAMETERS.get(key);
    if (refused !== undefined) throw new InvalidUriParameterError(key, 'not given', `${where}: ${refused}`);
    const spec = PARAMETERS.get(key);
    if (spec) throw new UnknownOptionError(key, spec.target, known, where, `('${key}' is how a URI spells it; in code its name is '${spec.target}')`);
    const suggestion = nearest(key, known);
    throw new UnknownOptionError(
      key,
      suggestion,
      known,
      where,
      suggestion
        ? undefined
        : `Its options are in docs/${where === 'ServerActiveMQ' ? 'server' : 'client'}.md, and every URI option under its canonical name in docs/configuration.md.`,
    );
  }
}

/** The brokers, saying once (at the first connection) that no URI was given and messages stay in this process. */
function announcedOnFirstUse(brokers: readonly StompConnectionOptions[], logger: Logger): StompConnectionOptions[] {
  let announced = false;
  return brokers.map((broker) => {
    const open = broker.stream;
    if (!open) return broker;
    return {
      ...broker,
      stream: () => {
        if (!announced) logger.warn(EMBEDDED_NOTICE);
        announced = true;
        return open();
      },
    };
  });
}

/** Every option a URI can set, by its canonical name (from the one spelling table). */
export const URI_OPTION_KEYS: readonly (keyof ActiveMQUriOptions)[] = [...new Set([...PARAMETERS.values()].map((spec) => spec.target))].filter(
  (target): target is keyof ActiveMQUriOptions => target !== 'login' && target !== 'passcode',
);
