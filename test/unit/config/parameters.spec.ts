import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { KNOWN_PARAMETERS, PARAMETERS, REFUSED_PARAMETERS, type ParameterSpec, type ParameterTarget } from '../../../lib/config/parameters.js';
import type { ActiveMQUriOptionName } from '../../../lib/config/uri-options.js';

/** Every option of ActiveMQUriOptions: the compiler refuses this object if one is missing or unknown. */
const CANONICAL: Record<ActiveMQUriOptionName, true> = {
  useAsyncSend: true,
  alwaysSyncSend: true,
  blockOnDurableSend: true,
  blockOnNonDurableSend: true,
  blockOnAcknowledge: true,
  confirmationWindowSize: true,
  callTimeout: true,
  sendTimeout: true,
  prefetchSize: true,
  clientId: true,
  virtualHost: true,
  heartBeat: true,
  heartBeatGraceMultiplier: true,
  connectTimeout: true,
  maxBodyBytes: true,
  maxHeaders: true,
  maxHeaderLineBytes: true,
  rejectUnauthorized: true,
  caFile: true,
  servername: true,
  initialReconnectDelay: true,
  maxReconnectDelay: true,
  useExponentialBackOff: true,
  reconnectDelayExponent: true,
  maxReconnectAttempts: true,
  startupMaxReconnectAttempts: true,
  randomize: true,
  timeout: true,
  priorityBackup: true,
  trackMessages: true,
  maxCacheSize: true,
  duplicateDetection: true,
};
const CREDENTIALS: readonly ParameterTarget[] = ['login', 'passcode'];

const spec = (spelling: string): ParameterSpec => {
  const found = PARAMETERS.get(spelling);
  if (!found) throw new Error(`'${spelling}' is no known spelling`);
  return found;
};

/** The spellings as written in the table's source, duplicates included (the map would hide them). */
function spellingsInSource(): string[] {
  const source = readFileSync(new URL('../../../lib/config/parameters.ts', import.meta.url), 'utf8');
  const table = source.slice(source.indexOf('const SPELLINGS'), source.indexOf('/** Spelling → what it sets. */'));
  return [...table.matchAll(/^\s*\[\[([^\]]*)\]/gm)].flatMap(([, list]) => [...list!.matchAll(/'([^']*)'/g)].map(([, spelling]) => spelling!));
}

describe('the spelling table', () => {
  it('lists no spelling twice', () => {
    const written = spellingsInSource();
    expect(written.length).toBeGreaterThan(40);
    expect(written.filter((spelling, i) => written.indexOf(spelling) !== i)).toEqual([]);
    expect(new Set(written)).toEqual(new Set(PARAMETERS.keys()));
  });

  it('maps each spelling to one canonical option or credential', () => {
    const targets = new Set<string>([...Object.keys(CANONICAL), ...CREDENTIALS]);
    for (const [spelling, { target }] of PARAMETERS) expect([spelling, targets.has(target)]).toEqual([spelling, true]);
  });

  it('spellings that differ only in case never set different options', () => {
    const byLowerCase = new Map<string, Set<ParameterTarget>>();
    for (const [spelling, { target }] of PARAMETERS) {
      const key = spelling.toLowerCase();
      byLowerCase.set(key, (byLowerCase.get(key) ?? new Set()).add(target));
    }
    expect([...byLowerCase].filter(([, targets]) => targets.size > 1)).toEqual([]);
  });

  it('reaches every canonical option of ActiveMQUriOptions, and the credentials', () => {
    const reached = new Set([...PARAMETERS.values()].map((s) => s.target));
    expect([...Object.keys(CANONICAL), ...CREDENTIALS].filter((target) => !reached.has(target as ParameterTarget))).toEqual([]);
  });

  it('accepts each canonical name as a spelling of itself', () => {
    for (const name of [...Object.keys(CANONICAL), ...CREDENTIALS]) expect([name, PARAMETERS.get(name)?.target]).toEqual([name, name]);
  });

  it('reads every spelling of one option the same way', () => {
    const typeOf = new Map<ParameterTarget, ParameterSpec['type']>();
    for (const [spelling, { target, type }] of PARAMETERS) {
      const first = typeOf.get(target);
      if (first) expect([spelling, type]).toEqual([spelling, first]);
      else typeOf.set(target, type);
    }
  });

  it("maps Artemis' reconnection names to Classic's canonical options", () => {
    const artemis: Array<[string, ActiveMQUriOptionName]> = [
      ['retryInterval', 'initialReconnectDelay'],
      ['maxRetryInterval', 'maxReconnectDelay'],
      ['retryIntervalMultiplier', 'reconnectDelayExponent'],
      ['backOffMultiplier', 'reconnectDelayExponent'],
      ['reconnectAttempts', 'maxReconnectAttempts'],
      ['initialConnectAttempts', 'startupMaxReconnectAttempts'],
    ];
    for (const [name, classic] of artemis) expect([name, spec(name)]).toEqual([name, spec(classic)]);
  });

  it('takes -1 (unbounded or off) where the brokers do, and never below 0 elsewhere', () => {
    const unbounded = ['confirmationWindowSize', 'maxReconnectAttempts', 'startupMaxReconnectAttempts', 'timeout'];
    for (const name of unbounded) expect([name, spec(name).type]).toEqual([name, { kind: 'integer', min: -1 }]);
    for (const [spelling, { target, type }] of PARAMETERS) {
      if ((type.kind === 'integer' || type.kind === 'number') && !unbounded.includes(target)) expect([spelling, type.min >= 0]).toEqual([spelling, true]);
    }
  });
});

describe('REFUSED_PARAMETERS', () => {
  it('shares no spelling with the accepted ones', () => {
    expect([...REFUSED_PARAMETERS.keys()].filter((spelling) => PARAMETERS.has(spelling))).toEqual([]);
  });

  it('refuses each spelling of the producer window, naming it and pointing to confirmationWindowSize', () => {
    expect([...REFUSED_PARAMETERS.keys()]).toEqual(['jms.producerWindowSize', 'nms.ProducerWindowSize', 'connection.ProducerWindowSize', 'producerWindowSize']);
    for (const [spelling, reason] of REFUSED_PARAMETERS) {
      expect(reason).toMatch(new RegExp(`^'${spelling.replace('.', '\\.')}' is not supported: .*use 'confirmationWindowSize'`));
    }
    expect(PARAMETERS.has('confirmationWindowSize')).toBe(true);
  });
});

describe('KNOWN_PARAMETERS', () => {
  it('is every accepted spelling, once, and none of the refused ones', () => {
    expect(new Set(KNOWN_PARAMETERS).size).toBe(KNOWN_PARAMETERS.length);
    expect([...KNOWN_PARAMETERS].sort()).toEqual([...PARAMETERS.keys()].sort());
    expect(KNOWN_PARAMETERS.filter((spelling) => REFUSED_PARAMETERS.has(spelling))).toEqual([]);
  });
});
