import { describe, expect, it } from '@jest/globals';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';
import { reconnectPolicyOf, startupPolicyOf } from '../../../lib/config/reconnect-policy.js';

/** The options a URI's query gives, under their canonical names. */
const optionsOf = (query: string) => parseActiveMQUri(`failover:(stomp://a:1,stomp://b:2)${query === '' ? '' : `?${query}`}`).options;

describe('reconnectPolicyOf', () => {
  it('reconnects by default, for ever, from 100 ms doubling to 30 s, in the order written, waiting 30 s for a send', () => {
    expect(reconnectPolicyOf({})).toEqual({
      enabled: true,
      maxAttempts: -1,
      initialDelay: 100,
      maxDelay: 30_000,
      multiplier: 2,
      randomize: false,
      sendWait: 30_000,
      priorityBackup: false,
    });
  });

  it("reads Classic's failover options", () => {
    const policy = reconnectPolicyOf(
      optionsOf('initialReconnectDelay=10&maxReconnectDelay=5000&reconnectDelayExponent=1.5&maxReconnectAttempts=4&randomize=true&priorityBackup=true&timeout=700'),
    );
    expect(policy).toEqual({ enabled: true, maxAttempts: 4, initialDelay: 10, maxDelay: 5000, multiplier: 1.5, randomize: true, sendWait: 700, priorityBackup: true });
  });

  it("reads Artemis' spellings of the same settings as the same policy", () => {
    const classic = reconnectPolicyOf(optionsOf('initialReconnectDelay=250&maxReconnectDelay=8000&reconnectDelayExponent=3&maxReconnectAttempts=7'));
    const artemis = reconnectPolicyOf(optionsOf('retryInterval=250&maxRetryInterval=8000&retryIntervalMultiplier=3&reconnectAttempts=7'));
    expect(artemis).toEqual(classic);
    expect(artemis).toMatchObject({ initialDelay: 250, maxDelay: 8000, multiplier: 3, maxAttempts: 7 });
  });

  it('backOffMultiplier is another spelling of the multiplier', () => {
    expect(reconnectPolicyOf(optionsOf('backOffMultiplier=1.25')).multiplier).toBe(1.25);
  });

  it('useExponentialBackOff=false keeps the delay constant, whatever the exponent says', () => {
    expect(reconnectPolicyOf(optionsOf('useExponentialBackOff=false')).multiplier).toBe(1);
    expect(reconnectPolicyOf(optionsOf('useExponentialBackOff=false&reconnectDelayExponent=4')).multiplier).toBe(1);
    expect(reconnectPolicyOf(optionsOf('useExponentialBackOff=true&reconnectDelayExponent=4')).multiplier).toBe(4);
  });

  it('maxReconnectAttempts=0 (or reconnectAttempts=0) turns reconnection off; any other count keeps it on', () => {
    expect(reconnectPolicyOf(optionsOf('maxReconnectAttempts=0'))).toMatchObject({ enabled: false, maxAttempts: 0 });
    expect(reconnectPolicyOf(optionsOf('reconnectAttempts=0'))).toMatchObject({ enabled: false, maxAttempts: 0 });
    expect(reconnectPolicyOf(optionsOf('maxReconnectAttempts=1'))).toMatchObject({ enabled: true, maxAttempts: 1 });
    expect(reconnectPolicyOf(optionsOf('maxReconnectAttempts=-1'))).toMatchObject({ enabled: true, maxAttempts: -1 });
  });

  it('a send waits `timeout` when it is set (0 included), else callTimeout, else 30 s', () => {
    expect(reconnectPolicyOf(optionsOf('timeout=1500&callTimeout=9000')).sendWait).toBe(1500);
    expect(reconnectPolicyOf(optionsOf('timeout=0&callTimeout=9000')).sendWait).toBe(0);
    expect(reconnectPolicyOf(optionsOf('timeout=-1&callTimeout=9000')).sendWait).toBe(9000);
    expect(reconnectPolicyOf(optionsOf('callTimeout=9000')).sendWait).toBe(9000);
    expect(reconnectPolicyOf(optionsOf('timeout=-1')).sendWait).toBe(30_000);
  });
});

describe('startupPolicyOf', () => {
  it('fails at once by default, with the reconnection backoff for when retries are asked for', () => {
    expect(startupPolicyOf({})).toEqual({ retries: 0, initialDelay: 100, maxDelay: 30_000, multiplier: 2 });
  });

  it('retries startupMaxReconnectAttempts (Artemis: initialConnectAttempts) further rounds, -1 for ever', () => {
    expect(startupPolicyOf(optionsOf('startupMaxReconnectAttempts=3')).retries).toBe(3);
    expect(startupPolicyOf(optionsOf('initialConnectAttempts=-1')).retries).toBe(-1);
  });

  it('shares the backoff of reconnections, useExponentialBackOff=false included', () => {
    const options = optionsOf('startupMaxReconnectAttempts=2&retryInterval=40&maxRetryInterval=400&reconnectDelayExponent=3&useExponentialBackOff=false');
    expect(startupPolicyOf(options)).toEqual({ retries: 2, initialDelay: 40, maxDelay: 400, multiplier: 1 });
    const { initialDelay, maxDelay, multiplier } = reconnectPolicyOf(options);
    expect({ initialDelay, maxDelay, multiplier }).toEqual({ initialDelay: 40, maxDelay: 400, multiplier: 1 });
  });

  it('is not changed by the reconnection count: maxReconnectAttempts=0 still lets start-up retry', () => {
    expect(startupPolicyOf(optionsOf('maxReconnectAttempts=0&startupMaxReconnectAttempts=2')).retries).toBe(2);
  });
});
