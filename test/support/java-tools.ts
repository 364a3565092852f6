import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseActiveMQUri } from '../../lib/config/parse-uri.js';
import { sharedBrokerUrl } from './broker.js';

const run = promisify(execFile);
const ACTIVEMQ_HOME = process.env['ACTIVEMQ_HOME'] ?? '/usr/share/activemq';
const LOG4J = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/activemq/log4j.properties');

/** The shared broker's OpenWire URL: ACTIVEMQ_OPENWIRE_URL, or the port in the started broker's broker.env. */
export function openwireUrl(): string {
  const given = process.env['ACTIVEMQ_OPENWIRE_URL'];
  if (given) return given;
  const dir = process.env['NESTJS_ACTIVEMQ_STARTED_BROKER'];
  if (!dir) throw new Error('ACTIVEMQ_URL names an outside broker: set ACTIVEMQ_OPENWIRE_URL (tcp://host:61616) for the JMS interop tests');
  const port = /^OPENWIRE_PORT=(\d+)$/m.exec(readFileSync(join(dir, 'broker.env'), 'utf8'))![1];
  return `tcp://127.0.0.1:${port}`;
}

function credentials(): string[] {
  const { endpoints, login, passcode } = parseActiveMQUri(sharedBrokerUrl());
  const user = endpoints[0]!.login ?? login;
  const password = endpoints[0]!.passcode ?? passcode;
  return [...(user ? ['--user', user] : []), ...(password ? ['--password', password] : [])];
}

/** ActiveMQ's own Java tool (`activemq.jar producer|consumer`), a plain JMS client over OpenWire. */
async function javaTool(command: 'producer' | 'consumer', args: string[]): Promise<string> {
  const { stdout } = await run(
    'java',
    [
      `-Dactivemq.home=${ACTIVEMQ_HOME}`,
      `-Dlog4j.configuration=file:${LOG4J}`,
      '-jar',
      join(ACTIVEMQ_HOME, 'bin/activemq.jar'),
      command,
      '--brokerUrl',
      openwireUrl(),
      ...credentials(),
      ...args,
    ],
    { timeout: 60_000 },
  );
  return stdout;
}

/** Sends `count` JMS TextMessages with `text` as the body. */
export async function javaProduce(destination: string, text: string, count = 1): Promise<void> {
  const out = await javaTool('producer', ['--destination', destination, '--messageCount', String(count), '--message', text, '--persistent', 'true']);
  if (!/Produced: \d+ messages/.test(out)) throw new Error(`the Java producer did not report its sends:\n${out}`);
}

/** Receives `count` JMS messages and returns their bodies as the tool prints them. */
export async function javaConsume(destination: string, count = 1): Promise<string[]> {
  const out = await javaTool('consumer', ['--destination', destination, '--messageCount', String(count)]);
  return [...out.matchAll(/Received (.*)$/gm)].map((m) => m[1]!);
}
