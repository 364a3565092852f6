import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { InvalidUriError, InvalidUriParameterError, UnknownOptionError, UnknownUriParameterError } from '../../../lib/config/errors.js';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { resolveSettings, unsetUriProblem } from '../../../lib/config/resolve-settings.js';
import { thrown } from '../../support/thrown.js';

describe('resolveSettings: the uri', () => {
  it('#9 no uri key means the embedded broker vm://localhost', () => {
    const settings = resolveSettings({}, [], 'ClientActiveMQ');
    expect(settings.parsed.endpoints).toEqual([{ scheme: 'vm', host: 'localhost', port: 0 }]);
    expect(typeof settings.brokers[0]!.stream).toBe('function');
  });

  it.each([
    [undefined, 'present but undefined'],
    [null, 'present but null'],
    ['', 'present but an empty string'],
    [' \t', 'present but an empty string'],
  ])('#9 a uri key holding %j is refused, not taken for the embedded broker', (uri, said) => {
    const error = thrown(() => resolveSettings({ uri } as never, [], 'ServerActiveMQ'));
    expect(error).toBeInstanceOf(InvalidUriError);
    expect(error.message).toBe(
      `ServerActiveMQ: the key 'uri' is ${said}, probably an unset environment variable; give a broker URI (e.g. stomp://host:61613), or leave the 'uri' key out to use the in-process embedded broker vm://localhost`,
    );
  });

  it('#9 a uri read through a getter counts as given', () => {
    class Config {
      get uri(): string {
        return 'stomp://h:1';
      }
    }
    expect(resolveSettings(new Config(), [], 'ClientActiveMQ').parsed.endpoints[0]).toMatchObject({ scheme: 'stomp', host: 'h', port: 1 });
    class Unset {
      get uri(): string | undefined {
        return undefined;
      }
    }
    expect(() => resolveSettings(new Unset(), [], 'ClientActiveMQ')).toThrow(/present but undefined/);
  });

  it('#9 unsetUriProblem says nothing about a URI, and names what an unset variable gives', () => {
    expect(unsetUriProblem('stomp://h:1', 'x is', 'omit it')).toBeUndefined();
    expect(unsetUriProblem(5, 'x is', 'omit it')).toBeUndefined();
    expect(unsetUriProblem(undefined, 'x is', 'omit it')).toMatch(/^x is undefined, probably an unset environment variable; .* or omit it to use/);
  });
});

describe('resolveSettings: unknown keys', () => {
  it('#14 an unknown key is an UnknownOptionError of the named options, with the nearest key', () => {
    const error = thrown(() => resolveSettings({ callTimout: 5 } as never, ['requestTimeout'], 'ClientActiveMQ')) as UnknownOptionError;
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error).toBeInstanceOf(UnknownUriParameterError);
    expect(error.name).toBe('UnknownOptionError');
    expect(error.message).toBe(`unknown option 'callTimout' of ClientActiveMQ options; did you mean 'callTimeout'?`);
    expect(error.known).toContain('requestTimeout');
    expect(Object.keys(error)).not.toContain('known');
    expect(inspect(error)).not.toContain('requestTimeout');
  });

  it('#14 a URI spelling in code is told its name in code', () => {
    expect(() => resolveSettings({ 'nms.AsyncSend': true } as never, [], 'ServerActiveMQ')).toThrow(
      `unknown option 'nms.AsyncSend' of ServerActiveMQ options; did you mean 'useAsyncSend'? ('nms.AsyncSend' is how a URI spells it; in code its name is 'useAsyncSend')`,
    );
  });
});

describe('resolveSettings: the start-up policy', () => {
  it('#15 start-up retries start at 100 ms and double, as the README says (the reconnection defaults)', () => {
    const { startup } = resolveSettings({ uri: 'stomp://h:1?startupMaxReconnectAttempts=5' }, [], 'ClientActiveMQ');
    expect(startup).toMatchObject({ retries: 5, initialDelay: 100, multiplier: 2, maxDelay: 30000 });
    expect(typeof startup.onRetry).toBe('function');
  });

  it('#15 the Classic and Artemis spellings still set it', () => {
    const classic = resolveSettings({ uri: 'stomp://h:1?startupMaxReconnectAttempts=2&initialReconnectDelay=20&useExponentialBackOff=false' }, [], 'X').startup;
    expect(classic).toMatchObject({ retries: 2, initialDelay: 20, multiplier: 1 });
    const artemis = resolveSettings({ uri: 'stomp://h:1?initialConnectAttempts=-1&retryInterval=50&retryIntervalMultiplier=1.5&maxRetryInterval=400' }, [], 'X').startup;
    expect(artemis).toMatchObject({ retries: -1, initialDelay: 50, multiplier: 1.5, maxDelay: 400 });
  });
});

describe('resolveSettings: code options over the URI', () => {
  it('an option given in code wins over the same option in the URI; the layers stay apart for per-layer decisions', () => {
    const settings = resolveSettings({ uri: 'stomp://h:1?jms.useAsyncSend=true&callTimeout=100', useAsyncSend: false, prefetchSize: 5 }, [], 'ClientActiveMQ');
    expect(settings.options).toMatchObject({ useAsyncSend: false, callTimeout: 100, prefetchSize: 5 });
    expect(settings.parsed.options).toEqual(settings.options);
    expect(settings.uriOptions).toEqual({ useAsyncSend: true, callTimeout: 100 });
    expect(settings.codeOptions).toEqual({ useAsyncSend: false, prefetchSize: 5 });
  });

  it('an option present in code but undefined leaves the URI’s value in force', () => {
    const settings = resolveSettings({ uri: 'stomp://h:1?callTimeout=100', callTimeout: undefined }, [], 'ClientActiveMQ');
    expect(settings.options.callTimeout).toBe(100);
    expect(settings.codeOptions).toEqual({});
  });

  it('code options reach the connection options and the start-up policy', () => {
    const settings = resolveSettings({ uri: 'stomp://h:1?connectTimeout=50&startupMaxReconnectAttempts=1', connectTimeout: 75, startupMaxReconnectAttempts: 4 }, [], 'X');
    expect(settings.brokers[0]!.connectTimeout).toBe(75);
    expect(settings.startup.retries).toBe(4);
  });

  it('tls given in code is merged with what the URI says', () => {
    const settings = resolveSettings({ uri: 'stomp+ssl://h:1?rejectUnauthorized=false', tls: { servername: 'broker.example' } }, [], 'X');
    expect(settings.brokers[0]!.tls).toEqual({ servername: 'broker.example', rejectUnauthorized: false });
  });
});

describe('resolveSettings: credentials', () => {
  it('login and passcode in code win over the address and the parameters, for every broker', () => {
    const settings = resolveSettings({ uri: 'failover:(stomp://a:pa@h1:1,stomp://h2:2)?login=u&passcode=p', login: 'code', passcode: 'secret' }, [], 'X');
    expect(settings.brokers.map((b) => [b.login, b.passcode])).toEqual([
      ['code', 'secret'],
      ['code', 'secret'],
    ]);
    expect([settings.parsed.login, settings.parsed.passcode]).toEqual(['code', 'secret']);
  });

  it('without them, an address’s own credentials win over the parameters, which apply to the other brokers', () => {
    const settings = resolveSettings({ uri: 'failover:(stomp://a:pa@h1:1,stomp://h2:2)?login=u&passcode=p' }, [], 'X');
    expect(settings.brokers.map((b) => [b.login, b.passcode])).toEqual([
      ['a', 'pa'],
      ['u', 'p'],
    ]);
  });

  it('a login alone in code keeps the passcode of the URI', () => {
    const settings = resolveSettings({ uri: 'stomp://a:pa@h:1', login: 'code' }, [], 'X');
    expect([settings.brokers[0]!.login, settings.brokers[0]!.passcode]).toEqual(['code', 'pa']);
  });

  it('no credentials anywhere: none are sent', () => {
    const broker = resolveSettings({ uri: 'stomp://h:1' }, [], 'X').brokers[0]!;
    expect(broker).not.toHaveProperty('login');
    expect(broker).not.toHaveProperty('passcode');
  });
});

describe('resolveSettings: what is refused', () => {
  it('takes the extra keys of its owner', () => {
    expect(() => resolveSettings({ uri: 'stomp://h:1', requestTimeout: 5 } as never, ['requestTimeout'], 'ClientActiveMQ')).not.toThrow();
    expect(() => resolveSettings({ uri: 'stomp://h:1', requestTimeout: 5 } as never, [], 'ServerActiveMQ')).toThrow(UnknownOptionError);
  });

  it('a key far from any option says where the options are listed', () => {
    const error = thrown(() => resolveSettings({ zzzzzzzzzzzzzzzz: 1 } as never, [], 'ServerActiveMQ')) as UnknownOptionError;
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error.suggestion).toBeUndefined();
    expect(error.where).toBe('ServerActiveMQ');
    expect(error.message).toBe(
      "unknown option 'zzzzzzzzzzzzzzzz' of ServerActiveMQ options. Its options are in docs/server.md, and every URI option under its canonical name in docs/configuration.md.",
    );
  });

  it('options that are not an object are an InvalidOptionError', () => {
    expect(() => resolveSettings(null as never, [], 'ClientActiveMQ')).toThrow(new InvalidOptionError('ClientActiveMQ options', 'ClientActiveMQ options must be an object'));
    expect(() => resolveSettings('stomp://h:1' as never, [], 'ClientActiveMQ')).toThrow(InvalidOptionError);
  });

  it('a uri that is not a string is refused with its type', () => {
    expect(() => resolveSettings({ uri: 61613 } as never, [], 'ClientActiveMQ')).toThrow(new InvalidUriError("ClientActiveMQ: the option 'uri' must be a string, got number"));
  });

  it.each(['producerWindowSize', 'jms.producerWindowSize', 'nms.ProducerWindowSize'])('%s given in code is refused with the reason, not taken for an unknown key', (key) => {
    const error = thrown(() => resolveSettings({ uri: 'stomp://h:1', [key]: 1024 }, [], 'ClientActiveMQ')) as InvalidUriParameterError;
    expect(error).toBeInstanceOf(InvalidUriParameterError);
    expect(error).not.toBeInstanceOf(UnknownOptionError);
    expect(error.parameter).toBe(key);
    expect(error.message).toMatch(new RegExp(`^ClientActiveMQ: '${key.replace('.', '\\.')}' is not supported: .*never over STOMP; use 'confirmationWindowSize'`));
  });

  it('producerWindowSize in a URI is refused with the reason', () => {
    const error = thrown(() => resolveSettings({ uri: 'failover:(stomp://h:1)?jms.producerWindowSize=1024' }, [], 'ClientActiveMQ'));
    expect(error).toBeInstanceOf(InvalidUriParameterError);
    expect(error.message).toMatch(/^'jms\.producerWindowSize' is not supported: .* use 'confirmationWindowSize'/);
  });
});

describe('resolveSettings: vm://', () => {
  it('vm:// without an in-process connector resolves, and fails with a clear error when its stream is opened', () => {
    const settings = resolveSettings({ uri: 'vm://orders' }, [], 'X');
    const open = settings.brokers[0]!.stream!;
    const error = thrown(() => open()) as InvalidUriParameterError;
    expect(error).toBeInstanceOf(InvalidUriParameterError);
    expect(error.parameter).toBe('vm');
    expect(error.message).toBe('vm://orders names an in-process broker, which only ClientActiveMQ and ServerActiveMQ start');
  });

  it('vm://name opens its stream through the connector, by name', () => {
    const stream = new PassThrough();
    const names: string[] = [];
    const settings = resolveSettings({ uri: 'vm://orders' }, [], 'X', (name) => {
      names.push(name);
      return stream;
    });
    expect(names).toEqual([]);
    expect(settings.brokers[0]!.stream!()).toBe(stream);
    expect(names).toEqual(['orders']);
  });

  it('without a uri key, the first stream opened says once that messages stay in this process; a uri given says nothing', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    try {
      const embedded = resolveSettings({}, [], 'ClientActiveMQ', () => new PassThrough());
      expect(warn).not.toHaveBeenCalled();
      embedded.brokers[0]!.stream!();
      embedded.brokers[0]!.stream!();
      expect(warn.mock.calls).toEqual([[expect.stringMatching(/^no uri given: using the in-process embedded broker vm:\/\/localhost; messages do not leave this process/)]]);
      warn.mockClear();
      resolveSettings({ uri: 'vm://localhost' }, [], 'ClientActiveMQ', () => new PassThrough()).brokers[0]!.stream!();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
