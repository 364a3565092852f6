import { execFileSync } from 'node:child_process';
import { BROKERS } from './global-setup.mjs';

/** Stops and removes the brokers the global setup started (never one a URL named). */
export default function globalTeardown() {
  for (const entry of (process.env.NESTJS_ACTIVEMQ_CLEANUP ?? '').split(',').filter(Boolean)) {
    const [project, dir] = entry.split('=');
    const broker = BROKERS.find((b) => b.project === project);
    if (broker) execFileSync('bash', [broker.script, 'clean', dir], { stdio: 'inherit' });
  }
}
