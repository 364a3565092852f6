import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { HeartbeatTicker, MAX_HEARTBEAT_MS, negotiateHeartbeat, parseHeartbeatHeader, type HeartbeatIntervals } from '../../../lib/stomp/heartbeat.js';

describe('parseHeartbeatHeader', () => {
  it.each([
    ['10000,10000', [10000, 10000]],
    ['0,500', [0, 500]],
    ['0,0', [0, 0]],
    [' 10 , 20 ', [10, 20]],
    ['007,8', [7, 8]],
  ])('reads %j as %j', (header, expected) => {
    expect(parseHeartbeatHeader(header)).toEqual(expected);
  });

  it('reads a missing header as 0,0 (STOMP 1.2 "Heart-beating": no header, no heart-beats)', () => {
    expect(parseHeartbeatHeader(undefined)).toEqual([0, 0]);
  });

  it.each(['', ' ', '10', '10,', ',10', '-1,5', '5,-1', '+1,5', '1.5,2', '10,20,30', 'fast,slow', '0x10,1', '1e3,1', '10;20', '10 20', 'Infinity,1'])(
    'refuses %j (not two whole numbers)',
    (header) => {
      expect(parseHeartbeatHeader(header)).toBeUndefined();
    },
  );

  it('returns values past the longest timer as they are: clamping or refusing is the caller’s policy', () => {
    expect(parseHeartbeatHeader('4294967296,1')).toEqual([4294967296, 1]);
  });
});

describe('negotiateHeartbeat', () => {
  it('sends every max(cx, sy) and expects every max(sx, cy) (STOMP 1.2 "Heart-beating")', () => {
    expect(negotiateHeartbeat([1000, 2000], '3000,500')).toEqual({ sendEvery: 1000, expectEvery: 3000 });
    expect(negotiateHeartbeat([1000, 5000], '300,4000')).toEqual({ sendEvery: 4000, expectEvery: 5000 });
  });

  it('turns a direction off when either side says 0', () => {
    expect(negotiateHeartbeat([0, 1000], '1000,1000')).toEqual({ sendEvery: 0, expectEvery: 1000 });
    expect(negotiateHeartbeat([1000, 1000], '0,1000')).toEqual({ sendEvery: 1000, expectEvery: 0 });
    expect(negotiateHeartbeat([1000, 0], '1000,1000')).toEqual({ sendEvery: 1000, expectEvery: 0 });
    expect(negotiateHeartbeat([1000, 1000], '1000,0')).toEqual({ sendEvery: 0, expectEvery: 1000 });
  });

  it('reads a missing or malformed CONNECTED header as 0,0', () => {
    expect(negotiateHeartbeat([1000, 1000], undefined)).toEqual({ sendEvery: 0, expectEvery: 0 });
    expect(negotiateHeartbeat([1000, 1000], 'fast,slow')).toEqual({ sendEvery: 0, expectEvery: 0 });
  });

  it('refuses a value no timer can hold, on either side', () => {
    expect(() => negotiateHeartbeat([1000, 1000], `${MAX_HEARTBEAT_MS + 1},1000`)).toThrow(RangeError);
    expect(() => negotiateHeartbeat([1000, MAX_HEARTBEAT_MS + 1], '1000,1000')).toThrow(/passes 2147483647 ms/);
    expect(negotiateHeartbeat([MAX_HEARTBEAT_MS, 1], `1,${MAX_HEARTBEAT_MS}`)).toEqual({ sendEvery: MAX_HEARTBEAT_MS, expectEvery: 1 });
  });
});

describe('HeartbeatTicker', () => {
  const tickers: HeartbeatTicker[] = [];
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    for (const ticker of tickers.splice(0)) ticker.stop();
    jest.useRealTimers();
  });

  /** A ticker whose beats and deaths are logged with the (fake) time they happened at. */
  function start(intervals: HeartbeatIntervals, grace?: number) {
    const beats: number[] = [];
    const deaths: { at: number; silent: number }[] = [];
    const ticker = new HeartbeatTicker(intervals, { beat: () => beats.push(Date.now()), dead: (silent) => deaths.push({ at: Date.now(), silent }) }, grace);
    tickers.push(ticker);
    return { ticker, beats, deaths };
  }

  it('beats once per sendEvery while this side is idle, the first a whole interval after the start', () => {
    const { beats } = start({ sendEvery: 500, expectEvery: 0 });
    jest.advanceTimersByTime(2499);
    expect(beats).toEqual([500, 1000, 1500, 2000]);
  });

  it('does not beat while this side writes every half interval', () => {
    const { ticker, beats } = start({ sendEvery: 500, expectEvery: 0 });
    for (let i = 0; i < 20; i++) {
      jest.advanceTimersByTime(240);
      ticker.wrote();
    }
    expect(beats).toEqual([]);
  });

  it('beats one sendEvery after a write that came just after a tick', () => {
    const { ticker, beats } = start({ sendEvery: 500, expectEvery: 0 });
    jest.advanceTimersByTime(251);
    ticker.wrote();
    jest.advanceTimersByTime(499);
    expect(beats).toEqual([750]);
  });

  it('keeps every silence of this side within sendEvery, and never beats sooner than half an interval after output', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 4000 }), { maxLength: 30 }), (times) => {
        jest.useFakeTimers({ now: 0 });
        const { ticker, beats } = start({ sendEvery: 400, expectEvery: 0 });
        const writes = [...times].sort((a, b) => a - b);
        for (const at of writes) {
          jest.advanceTimersByTime(at - Date.now());
          ticker.wrote();
        }
        jest.advanceTimersByTime(5000 - Date.now());
        ticker.stop();
        // A write at the same instant as a tick runs after it (the timer fires first): both are output.
        const output = [0, ...writes, ...beats].sort((a, b) => a - b);
        for (let i = 1; i < output.length; i++) expect(output[i]! - output[i - 1]!).toBeLessThanOrEqual(400);
        expect(5000 - output.at(-1)!).toBeLessThanOrEqual(400);
        for (const beat of beats) {
          const before = output.filter((at) => at < beat).at(-1)!;
          expect(beat - before).toBeGreaterThanOrEqual(200);
        }
      }),
    );
  });

  it('calls dead at the first check after the peer was silent past expectEvery × grace (default 3)', () => {
    const { deaths } = start({ sendEvery: 0, expectEvery: 100 });
    jest.advanceTimersByTime(300);
    expect(deaths).toEqual([]);
    jest.advanceTimersByTime(50);
    expect(deaths).toEqual([{ at: 350, silent: 350 }]);
  });

  it('counts the silence from the last heard(), and uses the given grace', () => {
    const { ticker, deaths } = start({ sendEvery: 0, expectEvery: 200 }, 1.5);
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(250);
      ticker.heard();
    }
    expect(deaths).toEqual([]);
    jest.advanceTimersByTime(300);
    expect(deaths).toEqual([]);
    jest.advanceTimersByTime(100);
    expect(deaths).toEqual([{ at: 2900, silent: 400 }]);
  });

  it('calls dead again at each check until the peer is heard or the count restarts', () => {
    const { ticker, deaths } = start({ sendEvery: 0, expectEvery: 100 });
    jest.advanceTimersByTime(450);
    expect(deaths.map((d) => d.silent)).toEqual([350, 400, 450]);
    ticker.restart();
    jest.advanceTimersByTime(300);
    expect(deaths).toHaveLength(3);
    jest.advanceTimersByTime(50);
    expect(deaths.at(-1)).toEqual({ at: 800, silent: 350 });
  });

  it('does not count its own beats as the peer’s, nor the peer’s data as its own output', () => {
    const { ticker, beats, deaths } = start({ sendEvery: 100, expectEvery: 100 });
    for (let i = 0; i < 8; i++) {
      jest.advanceTimersByTime(50);
      ticker.heard();
    }
    expect(beats).toEqual([100, 200, 300, 400]);
    expect(deaths).toEqual([]);
  });

  it('has no timer for a direction that is off', () => {
    const { ticker, beats, deaths } = start({ sendEvery: 0, expectEvery: 0 });
    expect(jest.getTimerCount()).toBe(0);
    ticker.wrote();
    jest.advanceTimersByTime(10_000);
    expect(beats).toEqual([]);
    expect(deaths).toEqual([]);
  });

  it('calls nothing after stop()', () => {
    const { ticker, beats, deaths } = start({ sendEvery: 100, expectEvery: 100 });
    jest.advanceTimersByTime(100);
    expect(beats).toEqual([100]);
    ticker.stop();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(beats).toEqual([100]);
    expect(deaths).toEqual([]);
  });

  it('never keeps the process alive: both timers are unref’d', () => {
    jest.useRealTimers();
    const timers: NodeJS.Timeout[] = [];
    const real = globalThis.setInterval;
    const spy = jest.spyOn(globalThis, 'setInterval').mockImplementation(((callback: () => void, ms: number) => {
      const timer = real(callback, ms);
      timers.push(timer);
      return timer;
    }) as typeof setInterval);
    try {
      const { ticker } = start({ sendEvery: 60_000, expectEvery: 60_000 });
      expect(timers).toHaveLength(2);
      for (const timer of timers) expect(timer.hasRef()).toBe(false);
      ticker.stop();
    } finally {
      spy.mockRestore();
    }
  });
});
