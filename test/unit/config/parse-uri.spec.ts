import { describe, expect, it } from '@jest/globals';
import { stompConnectionOptions } from '../../../lib/config/connection-options.js';
import { InvalidUriError, InvalidUriParameterError, UnknownUriParameterError } from '../../../lib/config/errors.js';
import { KNOWN_PARAMETERS, PARAMETERS } from '../../../lib/config/parameters.js';
import { parseActiveMQUri, redactCredentials } from '../../../lib/config/parse-uri.js';
import { thrown } from '../../support/thrown.js';

describe('parseActiveMQUri: addresses', () => {
  it('reads stomp://user:pass@host:port', () => {
    expect(parseActiveMQUri('stomp://app:s%40cret@broker.example:61614')).toEqual({
      endpoints: [{ scheme: 'stomp', host: 'broker.example', port: 61614, login: 'app', passcode: 's@cret' }],
      failover: false,
      options: {},
    });
  });

  it('uses the default ports of ActiveMQ: 61613 for stomp, 61612 for stomp+ssl', () => {
    expect(parseActiveMQUri('stomp://localhost').endpoints[0]).toEqual({ scheme: 'stomp', host: 'localhost', port: 61613 });
    expect(parseActiveMQUri('stomp+ssl://localhost/').endpoints[0]).toEqual({ scheme: 'stomp+ssl', host: 'localhost', port: 61612 });
  });

  it('accepts the nio spellings and IPv6 literals', () => {
    expect(parseActiveMQUri('stomp+nio://[::1]:1234').endpoints[0]).toEqual({ scheme: 'stomp', host: '::1', port: 1234 });
    expect(parseActiveMQUri('stomp+nio+ssl://h:1').endpoints[0]!.scheme).toBe('stomp+ssl');
  });

  it('reads vm://name as the embedded broker', () => {
    expect(parseActiveMQUri('vm://localhost')).toEqual({ endpoints: [{ scheme: 'vm', host: 'localhost', port: 0 }], failover: false, options: {} });
  });

  it('reads failover:(uri1,uri2)?options in order, with options of the whole list', () => {
    const parsed = parseActiveMQUri('failover:(stomp://a:61613,stomp+ssl://b:61612)?randomize=false&maxReconnectAttempts=5');
    expect(parsed.failover).toBe(true);
    expect(parsed.endpoints.map((e) => `${e.scheme}://${e.host}:${e.port}`)).toEqual(['stomp://a:61613', 'stomp+ssl://b:61612']);
    expect(parsed.options).toEqual({ randomize: false, maxReconnectAttempts: 5 });
  });

  it('reads failover lists without brackets and addresses with their own parameters', () => {
    const parsed = parseActiveMQUri('failover:stomp://a:1?heartBeat=1000,2000,stomp://b:2');
    expect(parsed.endpoints.map((e) => e.host)).toEqual(['a', 'b']);
    expect(parsed.options.heartBeat).toEqual([1000, 2000]);
  });

  it('reads a one-address failover list', () => {
    expect(parseActiveMQUri('failover:(stomp://a:1)').endpoints).toHaveLength(1);
  });

  it.each([
    ['', /empty/],
    ['localhost:61613', /not a broker address/],
    ['tcp://localhost:61616', /speaks STOMP/],
    ['amqp://localhost', /unsupported scheme 'amqp:\/\/'/],
    ['stomp://:61613', /has no host/],
    ['stomp://host:99999', /not a port number/],
    ['stomp://host:abc', /not a port number/],
    ['stomp://host/path', /not a broker address/],
    ['vm://broker:5', /takes a name, not a port/],
    ['failover:(stomp://a:1', /without a closing/],
    ['failover:(stomp://a:1)x', /unexpected text/],
    ['failover:()', /empty address|not a broker address/],
    ['failover:(vm://a,stomp://b:1)', /vm:\/\/ broker cannot be part of a failover list/],
    ['stomp://us%ZZer@h', /malformed %-escape/],
  ])('refuses %j', (uri, message) => {
    const error = thrown(() => parseActiveMQUri(uri));
    expect(error).toBeInstanceOf(InvalidUriError);
    expect(error.message).toMatch(message);
  });

  it('never puts a password into an error message', () => {
    const error = thrown(() => parseActiveMQUri('stomp://app:hunter2@host/bad-path'));
    expect(error.message).not.toContain('hunter2');
    expect(redactCredentials('failover:(stomp://a:pw1@h:1)?password=pw2&x=1')).toBe('failover:(stomp://a:***@h:1)?password=***&x=1');
  });
});

describe('parseActiveMQUri: parameters', () => {
  it.each([
    ['jms.useAsyncSend=true', { useAsyncSend: true }],
    ['nms.AsyncSend=true', { useAsyncSend: true }],
    ['connection.AsyncSend=false', { useAsyncSend: false }],
    ['jms.alwaysSyncSend=true', { alwaysSyncSend: true }],
    ['nms.AlwaysSyncSend=true', { alwaysSyncSend: true }],
    ['blockOnDurableSend=false', { blockOnDurableSend: false }],
    ['blockOnNonDurableSend=true', { blockOnNonDurableSend: true }],
    ['blockOnAcknowledge=true', { blockOnAcknowledge: true }],
    ['confirmationWindowSize=1048576', { confirmationWindowSize: 1048576 }],
    ['confirmationWindowSize=-1', { confirmationWindowSize: -1 }],
    ['callTimeout=5000', { callTimeout: 5000 }],
    ['jms.sendTimeout=100', { sendTimeout: 100 }],
    ['jms.prefetchPolicy.all=10', { prefetchSize: 10 }],
    ['nms.PrefetchPolicy.QueuePrefetch=3', { prefetchSize: 3 }],
    ['jms.clientID=orders-1', { clientId: 'orders-1' }],
    ['heartBeat=5000,0', { heartBeat: [5000, 0] }],
    ['connectTimeout=2000', { connectTimeout: 2000 }],
    ['rejectUnauthorized=false', { rejectUnauthorized: false }],
    [
      'initialReconnectDelay=10&maxReconnectDelay=30000&useExponentialBackOff=true&reconnectDelayExponent=2.0',
      { initialReconnectDelay: 10, maxReconnectDelay: 30000, useExponentialBackOff: true, reconnectDelayExponent: 2 },
    ],
    ['backOffMultiplier=1.5', { reconnectDelayExponent: 1.5 }],
    [
      'maxReconnectAttempts=-1&startupMaxReconnectAttempts=3&randomize=false&timeout=3000&priorityBackup=true',
      { maxReconnectAttempts: -1, startupMaxReconnectAttempts: 3, randomize: false, timeout: 3000, priorityBackup: true },
    ],
    ['trackMessages=true&maxCacheSize=131072', { trackMessages: true, maxCacheSize: 131072 }],
    [
      // Artemis' spellings of the same settings.
      'reconnectAttempts=-1&retryInterval=2000&retryIntervalMultiplier=1.5&maxRetryInterval=10000&initialConnectAttempts=2',
      { maxReconnectAttempts: -1, initialReconnectDelay: 2000, reconnectDelayExponent: 1.5, maxReconnectDelay: 10000, startupMaxReconnectAttempts: 2 },
    ],
  ])('maps %s', (query, options) => {
    expect(parseActiveMQUri(`stomp://h:1?${query}`).options).toEqual(options);
  });

  it('maps every spelling in the table to its canonical option', () => {
    for (const [spelling, spec] of PARAMETERS) {
      const value = { boolean: 'true', integer: '7', number: '2.5', string: 'x', heartbeat: '1,2' }[spec.type.kind];
      const parsed = parseActiveMQUri(`stomp://h:1?${encodeURIComponent(spelling)}=${value}`);
      const where = spec.target === 'login' || spec.target === 'passcode' ? parsed[spec.target] : parsed.options[spec.target];
      expect(where).toBeDefined();
    }
  });

  it('takes credentials from parameters, the address winning over them', () => {
    const parsed = parseActiveMQUri('stomp://h:1?user=u&password=p');
    expect([parsed.login, parsed.passcode]).toEqual(['u', 'p']);
    const both = parseActiveMQUri('stomp://a:b@h:1?login=u&passcode=p');
    const options = stompConnectionOptions(both, both.endpoints[0]!);
    expect([options.login, options.passcode]).toEqual(['a', 'b']);
  });

  it('names an unknown parameter and suggests the nearest known one, saying where the list is instead of listing it', () => {
    const error = thrown(() => parseActiveMQUri('stomp://h:1?jms.useAsyncSnd=true')) as UnknownUriParameterError;
    expect(error).toBeInstanceOf(UnknownUriParameterError);
    expect(error.message).toMatch(
      /^'jms\.useAsyncSnd' is not a known URI parameter; did you mean 'jms\.useAsyncSend'\? Every accepted name is on the error's `known` list and in the table of docs\/configuration\.md/,
    );
    expect(error.suggestion).toBe('jms.useAsyncSend');
    expect(error.known).toEqual(KNOWN_PARAMETERS);
    expect(error.message).not.toContain('confirmationWindowSize');
  });

  it('suggests the right spelling for a wrong case, and nothing for something far off', () => {
    expect((thrown(() => parseActiveMQUri('stomp://h:1?blockondurablesend=true')) as UnknownUriParameterError).suggestion).toBe('blockOnDurableSend');
    const far = thrown(() => parseActiveMQUri('stomp://h:1?zzzzzzzzzzzzzzzzzzzz=1')) as UnknownUriParameterError;
    expect(far.suggestion).toBeUndefined();
    expect(far.message).toMatch(/^'z+' is not a known URI parameter\. Every accepted name/);
  });

  it('finds unknown parameters inside failover addresses too', () => {
    expect(thrown(() => parseActiveMQUri('failover:(stomp://a:1?retryIntervl=5)'))).toBeInstanceOf(UnknownUriParameterError);
  });

  it.each([
    ['jms.useAsyncSend=yes', /must be true or false, got 'yes'/],
    ['confirmationWindowSize=-2', /must be an integer >= -1/],
    ['confirmationWindowSize=1.5', /must be an integer/],
    ['callTimeout=soon', /must be an integer >= 0, got 'soon'/],
    ['connectTimeout=0', /must be an integer >= 1/],
    ['retryIntervalMultiplier=0.5', /must be a number >= 1/],
    ['heartBeat=1000', /must be 'outgoing,incoming'/],
    ['maxCacheSize=99999999999999999999', /must be an integer/],
    ['randomize', /has no value/],
    ['randomize=true&randomize=false', /already sets/],
    ['jms.useAsyncSend=true&nms.AsyncSend=false', /already sets/],
    ['retryInterval=100&initialReconnectDelay=200', /'initialReconnectDelay' sets 'initialReconnectDelay', which the URI already sets/],
    ['jms.producerWindowSize=1024000', /^'jms.producerWindowSize' is not supported: .* use 'confirmationWindowSize'/],
    ['producerWindowSize=1', /^'producerWindowSize' is not supported/],
  ])('refuses %s', (query, message) => {
    const error = thrown(() => parseActiveMQUri(`stomp://h:1?${query}`));
    expect(error).toBeInstanceOf(InvalidUriParameterError);
    expect(error.message).toMatch(message);
  });

  it('accepts the same setting twice when the values agree', () => {
    expect(parseActiveMQUri('failover:(stomp://a:1?jms.useAsyncSend=true)?nms.AsyncSend=true').options).toEqual({ useAsyncSend: true });
  });
});
