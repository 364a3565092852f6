import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { InvalidUriError, UnknownOptionError, UnknownUriParameterError } from '../../../lib/config/errors.js';
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
