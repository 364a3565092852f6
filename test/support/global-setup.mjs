// Starts the real ActiveMQ every integration test talks to (scripts/activemq.sh), unless
// ACTIVEMQ_URL names one already running. Test workers inherit ACTIVEMQ_URL from this process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SCRIPT = new URL('../../scripts/activemq.sh', import.meta.url).pathname;

export default function globalSetup() {
  // NESTJS_ACTIVEMQ_NO_BROKER=1: the unit tests alone (npm run test:unit) need no broker.
  if (process.env.ACTIVEMQ_URL || process.env.NESTJS_ACTIVEMQ_NO_BROKER === '1') return;
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-activemq-'));
  execFileSync('bash', [SCRIPT, 'start', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.env.ACTIVEMQ_URL = execFileSync('bash', [SCRIPT, 'url', dir], { encoding: 'utf8' }).trim();
  process.env.NESTJS_ACTIVEMQ_STARTED_BROKER = dir;
}
