import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SendOutcome } from '../../../lib/producer/acknowledgements.js';
import { ConfirmationWindow } from '../../../lib/producer/confirmation-window.js';
import { MessageTooLargeForWindowError } from '../../../lib/producer/errors.js';

function windowOf(capacity: number) {
  const outcomes: SendOutcome[] = [];
  const window = new ConfirmationWindow(capacity, (o) => outcomes.push(o));
  const send = (id: string, bytes: number) => window.track(id, '/queue/q', bytes, true, performance.now());
  return { window, outcomes, send };
}

describe('ConfirmationWindow', () => {
  it('admits while there is room, then makes senders wait in order', async () => {
    const { window, send } = windowOf(100);
    expect(window.admit(60)).toBeUndefined();
    const a = send('a', 60);
    const order: string[] = [];
    const second = window.admit(50)!.then(() => order.push('second'));
    const third = window.admit(10)!.then(() => order.push('third'));
    expect(window.outstandingBytes).toBe(60);
    window.confirm([a]);
    await Promise.all([second, third]);
    expect(order).toEqual(['second', 'third']);
    expect(window.outstandingBytes).toBe(60);
  });

  it('refuses a message larger than the whole window instead of waiting for ever', () => {
    const { window } = windowOf(100);
    expect(() => window.admit(101)).toThrow(MessageTooLargeForWindowError);
    expect(() => window.admit(101)).toThrow('a 101-byte message cannot fit a confirmationWindowSize of 100 bytes');
  });

  it('reports every send exactly once, in send order, whatever order confirmations come in', () => {
    const { window, outcomes, send } = windowOf(1000);
    const entries = ['a', 'b', 'c', 'd'].map((id) => {
      void window.admit(10);
      return send(id, 10);
    });
    window.confirm([entries[2]!]);
    expect(outcomes).toEqual([]);
    expect(window.outstandingBytes).toBe(30); // room is freed at once
    window.fail([entries[1]!], new Error('refused'));
    window.confirm([entries[0]!, entries[2]!]);
    window.confirm([entries[3]!, entries[3]!]);
    expect(outcomes.map((o) => `${o.messageId}:${o.status}`)).toEqual(['a:confirmed', 'b:failed', 'c:confirmed', 'd:confirmed']);
    expect(window.outstandingBytes).toBe(0);
  });

  it('whenEmpty() resolves only once the last send is settled', async () => {
    const { window, send } = windowOf(100);
    void window.admit(10);
    const a = send('a', 10);
    let empty = false;
    const flushed = window.whenEmpty().then(() => (empty = true));
    await Promise.resolve();
    expect(empty).toBe(false);
    window.confirm([a]);
    await flushed;
    expect(empty).toBe(true);
    await window.whenEmpty();
  });

  it('never holds more than its capacity, under any interleaving (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 60 }), async (sizes, picks) => {
        const { window, outcomes, send } = windowOf(100);
        const pending: Array<ReturnType<typeof send>> = [];
        const senders = sizes.map(async (bytes, i) => {
          await window.admit(bytes);
          expect(window.outstandingBytes).toBeLessThanOrEqual(100);
          pending.push(send(String(i), bytes));
        });
        let p = 0;
        while (outcomes.length < sizes.length) {
          await new Promise((resolve) => setImmediate(resolve));
          if (pending.length > 0) {
            const [entry] = pending.splice((picks[p++] ?? 0) % pending.length, 1);
            window.confirm([entry!]);
          }
        }
        await Promise.all(senders);
        expect(window.peakBytes).toBeLessThanOrEqual(100);
        expect(new Set(outcomes.map((o) => o.messageId)).size).toBe(sizes.length);
      }),
      { numRuns: 100 },
    );
  });
});
