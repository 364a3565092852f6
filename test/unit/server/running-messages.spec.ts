import { describe, expect, it } from '@jest/globals';
import { RunningMessages } from '../../../lib/server/running-messages.js';

describe('RunningMessages', () => {
  it('a run is found by its message-id while it lasts, and its outcome reaches whoever waits', async () => {
    const running = new RunningMessages();
    const end = running.start('orders', 'ID:1', undefined);
    const waiting = running.runOf('orders', 'ID:1', undefined);
    expect(waiting).toBeDefined();
    end('ack');
    expect(await waiting).toBe('ack');
    expect(running.runOf('orders', 'ID:1', undefined)).toBeUndefined();
    expect(running.size).toBe(0);
  });

  it('with a dedupe id, a copy under another message-id (a re-send) finds the run too', async () => {
    const running = new RunningMessages();
    const end = running.start('orders', 'ID:1', 'client:7');
    const copy = running.runOf('orders', 'ID:2', 'client:7');
    expect(copy).toBeDefined();
    expect(running.size).toBe(1);
    end('nack');
    expect(await copy).toBe('nack');
  });

  it('keys are per pattern: the same message reaching two patterns (wildcards) runs for each', () => {
    const running = new RunningMessages();
    running.start('prices.>', 'ID:1', undefined);
    expect(running.runOf('prices.eu', 'ID:1', undefined)).toBeUndefined();
  });

  it('an ended run does not remove a newer run of the same message', () => {
    const running = new RunningMessages();
    const first = running.start('q', 'ID:1', undefined);
    running.start('q', 'ID:1', undefined);
    first(undefined);
    expect(running.runOf('q', 'ID:1', undefined)).toBeDefined();
  });

  it('a message without ids is never found', () => {
    const running = new RunningMessages();
    running.start('q', undefined, undefined);
    expect(running.runOf('q', undefined, undefined)).toBeUndefined();
  });
});
