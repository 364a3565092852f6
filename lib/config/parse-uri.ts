import { InvalidUriError, InvalidUriParameterError, UnknownUriParameterError } from './errors.js';
import { KNOWN_PARAMETERS, PARAMETERS, type ParameterTarget, type ParameterType, REFUSED_PARAMETERS } from './parameters.js';
import { nearest } from './suggest.js';
import type { ActiveMQUriOptions, BrokerEndpoint, ParsedActiveMQUri } from './uri-options.js';

const DEFAULT_PORTS = { stomp: 61613, 'stomp+ssl': 61612, vm: 0 } as const;
/** Scheme spellings accepted for an address, and what they mean. */
const SCHEMES: Record<string, BrokerEndpoint['scheme']> = {
  stomp: 'stomp',
  'stomp+nio': 'stomp',
  'stomp+ssl': 'stomp+ssl',
  'stomp+nio+ssl': 'stomp+ssl',
  'stomp+tls': 'stomp+ssl',
  vm: 'vm',
};
const ADDRESS = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?\/?(?:\?([^#]*))?$/;
/** A comma that starts the next address of a failover list (commas also appear in values such as heartBeat=1000,1000). */
const ADDRESS_SEPARATOR = /,(?=\s*[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)/;

type Values = Partial<Record<ParameterTarget, unknown>>;

/**
 * Parses `stomp://user:pass@host:port?…`, `stomp+ssl://…`, `failover:(uri1,uri2)?…` (or
 * `failover:uri1,uri2`) and `vm://name` into one checked, typed object.
 *
 * Parameters may be written in the ActiveMQ Classic, NMS or Artemis spelling (see
 * `parameters.ts`). An unknown parameter throws {@link UnknownUriParameterError} naming it and the
 * nearest known spelling; a value of the wrong type throws {@link InvalidUriParameterError}.
 * Parameters of the addresses inside a failover list apply to the whole connection, like the
 * outer ones; two different values for one setting are an error.
 */
export function parseActiveMQUri(uri: string): ParsedActiveMQUri {
  if (typeof uri !== 'string' || uri.trim() === '') throw new InvalidUriError('the connection URI is empty');
  const trimmed = uri.trim();
  const values: Values = {};
  let failover = false;
  let addresses: string[];
  if (/^failover:/i.test(trimmed)) {
    failover = true;
    const rest = trimmed.slice('failover:'.length);
    if (rest.startsWith('(')) {
      const close = rest.lastIndexOf(')');
      if (close === -1) throw new InvalidUriError(`the failover URI has '(' without a closing ')'`);
      const after = rest.slice(close + 1);
      if (after !== '' && !after.startsWith('?')) {
        throw new InvalidUriError(`unexpected text after the failover list's ')': '${redactCredentials(after)}'`);
      }
      if (after.length > 1) readQuery(after.slice(1), values);
      addresses = rest.slice(1, close).split(ADDRESS_SEPARATOR);
    } else {
      addresses = rest.split(ADDRESS_SEPARATOR);
    }
    addresses = addresses.map((address) => address.trim());
    if (addresses.length === 0 || addresses.some((address) => address === '')) {
      throw new InvalidUriError('the failover list holds an empty address');
    }
  } else {
    addresses = [trimmed];
  }
  const endpoints = addresses.map((address) => parseAddress(address, values));
  if (endpoints.some((endpoint) => endpoint.scheme === 'vm') && endpoints.length > 1) {
    throw new InvalidUriError('a vm:// broker cannot be part of a failover list');
  }
  const { login, passcode, ...options } = values;
  return {
    endpoints,
    failover,
    ...(login === undefined ? {} : { login: login as string }),
    ...(passcode === undefined ? {} : { passcode: passcode as string }),
    options: options as ActiveMQUriOptions,
  };
}

function parseAddress(address: string, values: Values): BrokerEndpoint {
  const match = ADDRESS.exec(address);
  if (!match) {
    throw new InvalidUriError(`'${redactCredentials(address)}' is not a broker address; expected stomp://host:port, stomp+ssl://host:port or vm://name`);
  }
  const [, rawScheme, userInfo, rawHost, rawPort, query] = match;
  const scheme = SCHEMES[rawScheme!.toLowerCase()];
  if (!scheme) {
    const hint = /^(tcp|nio|ssl|auto|amqp|mqtt|ws|wss)/i.test(rawScheme!) ? ` This client speaks STOMP: use the broker's STOMP connector, e.g. stomp://host:61613.` : '';
    throw new InvalidUriError(`unsupported scheme '${rawScheme}://'; expected stomp://, stomp+ssl:// or vm://.${hint}`);
  }
  let host = rawHost!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host === '') throw new InvalidUriError(`'${redactCredentials(address)}' has no host`);
  let port: number = DEFAULT_PORTS[scheme];
  if (rawPort !== undefined) {
    if (scheme === 'vm') throw new InvalidUriError(`a vm:// address takes a name, not a port`);
    if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) {
      throw new InvalidUriError(`port '${rawPort}' of ${scheme}://${host} is not a port number (1-65535)`);
    }
    port = Number(rawPort);
  }
  let login: string | undefined;
  let passcode: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    login = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), 'the login');
    if (colon !== -1) passcode = decode(userInfo.slice(colon + 1), 'the passcode');
  }
  if (query) readQuery(query, values);
  return {
    scheme,
    host,
    port,
    ...(login === undefined ? {} : { login }),
    ...(passcode === undefined ? {} : { passcode }),
  };
}

function readQuery(query: string, values: Values): void {
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    if (equals === -1)
      throw new InvalidUriParameterError(decode(pair, 'a parameter name'), 'given a value', `parameter '${decode(pair, 'a parameter name')}' has no value (write name=value)`);
    const name = decode(pair.slice(0, equals), 'a parameter name');
    const text = decode(pair.slice(equals + 1), `the value of '${name}'`);
    const refused = REFUSED_PARAMETERS.get(name);
    if (refused !== undefined) throw new InvalidUriParameterError(name, 'not given', refused);
    const spec = PARAMETERS.get(name);
    if (!spec) throw new UnknownUriParameterError(name, nearest(name, KNOWN_PARAMETERS), KNOWN_PARAMETERS);
    const value = convert(name, text, spec.type);
    const previous = values[spec.target];
    if (previous !== undefined && !sameValue(previous, value)) {
      throw new InvalidUriParameterError(name, 'set once', `parameter '${name}' sets '${spec.target}', which the URI already sets to a different value`);
    }
    values[spec.target] = value;
  }
}

function convert(name: string, text: string, type: ParameterType): unknown {
  switch (type.kind) {
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new InvalidUriParameterError(name, 'true or false', `parameter '${name}' must be true or false, got '${text}'`);
    case 'integer':
    case 'number': {
      const pattern = type.kind === 'integer' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
      const value = Number(text);
      if (!pattern.test(text) || !Number.isSafeInteger(Math.trunc(value)) || value < type.min) {
        const expected = `${type.kind === 'integer' ? 'an integer' : 'a number'} >= ${type.min}`;
        throw new InvalidUriParameterError(name, expected, `parameter '${name}' must be ${expected}, got '${text}'`);
      }
      return value;
    }
    case 'heartbeat': {
      const match = /^(\d+),(\d+)$/.exec(text);
      if (!match) {
        throw new InvalidUriParameterError(
          name,
          'two millisecond counts, outgoing,incoming',
          `parameter '${name}' must be 'outgoing,incoming' in ms (e.g. 10000,10000), got '${text}'`,
        );
      }
      return [Number(match[1]), Number(match[2])] as const;
    }
    case 'string':
      return text;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.join() === b.join() : a === b;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidUriError(`${what} holds a malformed %-escape`);
  }
}

/** The URI with any password replaced by `***`, for messages and logs. */
export function redactCredentials(uri: string): string {
  return uri.replace(/(\/\/[^:@/?#]*:)[^@/?#]*@/g, '$1***@').replace(/([?&,(](?:passcode|password|jms\.password|nms\.Password|connection\.Password)=)[^&)]*/gi, '$1***');
}
