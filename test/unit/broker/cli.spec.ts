import { describe, expect, it } from '@jest/globals';
import { brokerUsage, parseBrokerArgs, wantsHelp } from '../../../lib/broker/cli.js';

const USAGE = /usage: nestjs-activemq broker/;

describe('parseBrokerArgs', () => {
  it('defaults: port 61613 on 127.0.0.1, stats every 10 s, memory only, no logins', () => {
    const args = parseBrokerArgs(['broker']);
    expect(args).toEqual({ port: 61613, host: '127.0.0.1', statsSeconds: 10 });
    expect(args).not.toHaveProperty('dataDir');
    expect(args).not.toHaveProperty('users');
  });

  it('reads every flag, --user repeated, a passcode may hold colons', () => {
    expect(parseBrokerArgs(['broker', '--port', '0', '--host', '0.0.0.0', '--data', './data', '--user', 'app:app-secret', '--user', 'ops:a:b:c', '--stats', '0'])).toEqual({
      port: 0,
      host: '0.0.0.0',
      dataDir: './data',
      users: { app: 'app-secret', ops: 'a:b:c' },
      statsSeconds: 0,
    });
    expect(parseBrokerArgs(['broker', '--port=65535', '--stats=2.5'])).toMatchObject({ port: 65535, statsSeconds: 2.5 });
    expect(parseBrokerArgs(['broker', '--memory-limit', '512'])).toMatchObject({ memoryLimitBytes: 512 * 2 ** 20 });
    expect(parseBrokerArgs(['broker', '--max-redeliveries', '0', '--redelivery-delay', '1100'])).toMatchObject({ maxRedeliveries: 0, redeliveryDelayMs: 1100 });
    expect(parseBrokerArgs(['broker', '--tls-port', '0', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'])).toMatchObject({ tls: { port: 0, certFile: 'c.pem', keyFile: 'k.pem' } });
  });

  it.each([
    ['no command', [], USAGE],
    ['an unknown command', ['borker'], /unknown command 'borker'/],
    ['a port that is not a number', ['broker', '--port', 'abc'], /--port 'abc' is not a port number/],
    ['a port out of range', ['broker', '--port', '70000'], /--port '70000' is not a port number/],
    ['a negative port', ['broker', '--port', '-1'], /--port/],
    ['a negative port, =-joined', ['broker', '--port=-1'], /--port '-1' is not a port number/],
    ['a hexadecimal port', ['broker', '--port', '0x50'], /--port '0x50' is not a port number/],
    ['an empty port', ['broker', '--port', ''], /--port '' is not a port number/],
    ['a fractional port', ['broker', '--port', '80.5'], /--port '80.5' is not a port number/],
    ['a user without a passcode separator', ['broker', '--user', 'nocolon'], /--user 'nocolon' is not LOGIN:PASSCODE/],
    ['a user with an empty login', ['broker', '--user', ':secret'], /--user ':secret' is not LOGIN:PASSCODE/],
    ['negative stats', ['broker', '--stats', '-1'], /--stats/],
    ['negative stats, =-joined', ['broker', '--stats=-1'], /--stats '-1' is not a number of seconds/],
    ['empty stats', ['broker', '--stats', ''], /--stats '' is not a number of seconds/],
    ['stats that are not a number', ['broker', '--stats', 'often'], /--stats 'often' is not a number of seconds/],
    ['a memory limit of 0', ['broker', '--memory-limit', '0'], /--memory-limit '0' is not a whole number of MiB >= 1/],
    ['a memory limit in other units', ['broker', '--memory-limit', '1gb'], /--memory-limit '1gb' is not a whole number of MiB >= 1/],
    ['redeliveries that are not a whole number', ['broker', '--max-redeliveries=-1'], /--max-redeliveries '-1' is not a whole number >= 0/],
    ['a redelivery delay in other units', ['broker', '--redelivery-delay', '1s'], /--redelivery-delay '1s' is not a whole number >= 0/],
    ['a TLS port without its certificate and key', ['broker', '--tls-port', '0'], /--tls-port, --tls-cert and --tls-key go together/],
    ['a TLS certificate without a port', ['broker', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], /go together/],
    ['a TLS port that is not a port', ['broker', '--tls-port', '99999', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], /--tls-port '99999' is not a port number/],
    ['an unknown flag', ['broker', '--verbose'], /Unknown option '--verbose'/],
    ['a flag without its value', ['broker', '--port'], /--port <value>' argument missing/],
    ['a stray argument', ['broker', 'extra'], /Unexpected argument 'extra'/],
  ])('%s: a clear error with the usage', (_, argv, expected) => {
    expect(() => parseBrokerArgs(argv)).toThrow(expected);
    expect(() => parseBrokerArgs(argv)).toThrow(USAGE);
  });
});

describe('--help', () => {
  it.each([[['--help']], [['-h']], [['help']], [['broker', '--help']], [['broker', '-h']], [['broker', '--port', '1', '--help']]])('%j asks for the usage', (argv) => {
    expect(wantsHelp(argv)).toBe(true);
  });

  it.each([[[]], [['broker']], [['borker', '--help']], [['--help', 'broker']], [['broker', '--data', 'help']]])('%j does not', (argv) => {
    expect(wantsHelp(argv)).toBe(false);
  });

  it('the usage names every flag parseBrokerArgs reads', () => {
    for (const flag of ['--port', '--host', '--data', '--user', '--memory-limit', '--max-redeliveries', '--redelivery-delay', '--tls-port', '--tls-cert', '--tls-key', '--stats'])
      expect(brokerUsage()).toContain(flag);
  });
});
