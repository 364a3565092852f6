import { describe, expect, it } from '@jest/globals';
import { EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';

describe('EmbeddedBroker options', () => {
  it.each([
    [{ memoryLimitBytes: 0 }, /memoryLimitBytes must be a whole number >= 1, got 0/],
    [{ storeLimitBytes: 1.5 }, /storeLimitBytes must be a whole number >= 1, got 1.5/],
    [{ maxRedeliveries: -1 }, /maxRedeliveries must be a whole number >= 0, got -1/],
    [{ redeliveryDelayMs: 'soon' as never }, /redeliveryDelayMs must be a whole number >= 0, got "soon"/],
    [{ deadLetterQueue: '' }, /deadLetterQueue must be a queue name/],
    [{ users: { app: 7 as never } }, /the passcode of user 'app' must be a string/],
  ])('%j is refused with its name', (options, message) => {
    expect(() => EmbeddedBroker.inMemory(options)).toThrow(message);
  });

  it('a port out of range is refused before anything listens', async () => {
    await expect(EmbeddedBroker.start({ port: 70000 })).rejects.toThrow(/port must be a whole number from 0 to 65535, got 70000/);
  });
});
