import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stompConnectionOptions } from '../../../lib/config/connection-options.js';
import { parseActiveMQUri } from '../../../lib/config/parse-uri.js';

describe('stompConnectionOptions', () => {
  it('turns a parsed URI into connection options', () => {
    const parsed = parseActiveMQUri('stomp://app:pw@h:1?heartBeat=100,200&connectTimeout=50&virtualHost=vh&jms.clientID=c&maxBodyBytes=10');
    expect(stompConnectionOptions(parsed, parsed.endpoints[0]!)).toEqual({
      host: 'h',
      port: 1,
      login: 'app',
      passcode: 'pw',
      virtualHost: 'vh',
      clientId: 'c',
      heartBeat: [100, 200],
      connectTimeout: 50,
      limits: { maxBodyBytes: 10 },
    });
  });

  it('verifies TLS certificates unless rejectUnauthorized=false is written, and reads caFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uri-'));
    writeFileSync(join(dir, 'ca.pem'), 'PEM');
    const verified = parseActiveMQUri(`stomp+ssl://h:1?caFile=${encodeURIComponent(join(dir, 'ca.pem'))}`);
    const tls = stompConnectionOptions(verified, verified.endpoints[0]!).tls as { ca: Buffer; rejectUnauthorized?: boolean };
    expect(tls.ca.toString()).toBe('PEM');
    expect(tls.rejectUnauthorized).toBeUndefined();
    const unverified = parseActiveMQUri('stomp+ssl://h:1?rejectUnauthorized=false');
    expect(stompConnectionOptions(unverified, unverified.endpoints[0]!).tls).toEqual({ rejectUnauthorized: false });
  });

  it('says which caFile cannot be read', () => {
    const parsed = parseActiveMQUri('stomp+ssl://h:1?caFile=/no/such/ca.pem');
    expect(() => stompConnectionOptions(parsed, parsed.endpoints[0]!)).toThrow(/caFile '\/no\/such\/ca.pem' cannot be read/);
  });

  it('opens no socket for vm://: the connection gets a stream of the in-process embedded broker', () => {
    const parsed = parseActiveMQUri('vm://localhost');
    const options = stompConnectionOptions(parsed, parsed.endpoints[0]!);
    expect(options.host).toBe('localhost');
    expect(typeof options.stream).toBe('function');
  });
});
