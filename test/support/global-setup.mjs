// Starts the real brokers the integration tests talk to, with the project's own scripts, unless a
// URL names one already running: ActiveMQ Classic 5.17 (scripts/activemq.sh; ACTIVEMQ_URL), and
// for their jest projects Classic 6 (ACTIVEMQ_VERSION=6; ACTIVEMQ6_URL) and Artemis
// (scripts/artemis.sh; ARTEMIS_URL). Test workers inherit the URLs from this process. The brokers
// start side by side; a broker whose project is not selected (--selectProjects) is not started.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SCRIPT = new URL('../../scripts/activemq.sh', import.meta.url).pathname;
export const ARTEMIS_SCRIPT = new URL('../../scripts/artemis.sh', import.meta.url).pathname;
const EMBEDDED_SCRIPT = new URL('../../scripts/embedded.sh', import.meta.url).pathname;

/** Each broker of the matrix: its script, the start environment, and the variables it fills. */
export const BROKERS = [
  { project: 'activemq', script: SCRIPT, env: {}, url: 'ACTIVEMQ_URL', dir: 'NESTJS_ACTIVEMQ_STARTED_BROKER' },
  { project: 'activemq6', script: SCRIPT, env: { ACTIVEMQ_VERSION: '6' }, url: 'ACTIVEMQ6_URL', dir: 'NESTJS_ACTIVEMQ6_STARTED_BROKER' },
  { project: 'artemis', script: ARTEMIS_SCRIPT, env: {}, url: 'ARTEMIS_URL', dir: 'NESTJS_ARTEMIS_STARTED_BROKER' },
];

/** The projects this run selected (all of jest.config.js's when --selectProjects is not given). */
function selected(project) {
  // As jest.config.js: the default matrix runs Classic 6 and Artemis; NESTJS_ACTIVEMQ_MATRIX names fewer.
  const matrix = (process.env.NESTJS_ACTIVEMQ_MATRIX ?? 'activemq6,artemis').split(',');
  if (project !== 'activemq' && project !== 'embedded' && !matrix.includes(project)) return false;
  const argv = process.argv;
  const at = argv.indexOf('--selectProjects');
  if (at < 0) return true;
  const names = [];
  for (let i = at + 1; i < argv.length && !argv[i].startsWith('-'); i++) names.push(argv[i]);
  return names.includes(project);
}

export default async function globalSetup() {
  // NESTJS_ACTIVEMQ_NO_BROKER=1: the unit tests alone (npm run test:unit) need no broker.
  if (process.env.NESTJS_ACTIVEMQ_NO_BROKER === '1') return;
  // The embedded project's suites that crash a broker run the CLI's broker as a process
  // (scripts/embedded.sh): lib/ is compiled for it here, once, not inside a test's time.
  const compiled = selected('embedded')
    ? run('bash', [EMBEDDED_SCRIPT, 'build'], { timeout: 300_000 }).then(
        () => undefined,
        (error) => error,
      )
    : undefined;
  await Promise.all(
    BROKERS.filter((b) => !process.env[b.url] && selected(b.project)).map(async (b) => {
      const dir = mkdtempSync(join(tmpdir(), `nestjs-${b.project}-`));
      const env = { ...process.env, ...b.env };
      try {
        await run('bash', [b.script, 'start', dir], { env, timeout: 600_000 });
      } catch (error) {
        throw new Error(`could not start the ${b.project} test broker: ${error.stderr || error.message}`, { cause: error });
      }
      const { stdout } = await run('bash', [b.script, 'url', dir], { env });
      process.env[b.url] = stdout.trim();
      process.env[b.dir] = dir;
      // Only what this setup started is stopped and removed by the teardown.
      process.env.NESTJS_ACTIVEMQ_CLEANUP = [process.env.NESTJS_ACTIVEMQ_CLEANUP, `${b.project}=${dir}`].filter(Boolean).join(',');
    }),
  );
  const failed = await compiled;
  if (failed) throw new Error(`could not compile the embedded broker: ${failed.stderr || failed.message}`, { cause: failed });
}
