import { execFileSync } from 'node:child_process';
import { SCRIPT } from './global-setup.mjs';

export default function globalTeardown() {
  const dir = process.env.NESTJS_ACTIVEMQ_STARTED_BROKER;
  if (dir) execFileSync('bash', [SCRIPT, 'clean', dir], { stdio: 'inherit' });
}
