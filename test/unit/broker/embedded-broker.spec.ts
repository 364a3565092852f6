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

  it('a TLS port needs its certificate and key, and a port number', async () => {
    await expect(EmbeddedBroker.start({ tls: { port: 0, cert: 'x', key: '' } })).rejects.toThrow(/tls needs both cert and key/);
    await expect(EmbeddedBroker.start({ tls: { port: -1, cert: 'x', key: 'y' } })).rejects.toThrow(/tls\.port must be a whole number from 0 to 65535, got -1/);
  });

  it('a certificate TLS cannot read fails the start and lets go of the plain port it opened', async () => {
    const probe = await EmbeddedBroker.start({ port: 0 });
    const port = probe.port!;
    await probe.stop();
    await expect(EmbeddedBroker.start({ port, tls: { port: 0, cert: 'not a certificate', key: 'not a key' } })).rejects.toThrow();
    const again = await EmbeddedBroker.start({ port });
    expect(again.port).toBe(port);
    await again.stop();
  });
});
