import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { watchConfirmations } from '../../support/confirmations.js';
import { drainIds } from '../../support/drain.js';
import { transformUnderCrashes } from '../../support/transform-chaos.js';
import { report as reportFigure } from '../../support/report.js';

/**
 * The standalone embedded broker (`nestjs-activemq broker --data DIR`, the package's command,
 * built from lib/) is killed with SIGKILL 10 times while it takes acknowledged durable sends;
 * every confirmed message must be there after the last restart.
 */
const root = resolve(fileURLToPath(import.meta.url), '../../../..');
let build: string;
let data: string;
let port = 0;
let broker: ChildProcess | undefined;

async function startBroker(): Promise<void> {
  const child = spawn(process.execPath, [join(build, 'bin.js'), 'broker', '--port', String(port), '--data', data, '--user', 'app:app-secret', '--stats', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const banner = await new Promise<string>((resolveBanner, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolveBanner(out);
    });
    child.once('exit', (code) => reject(new Error(`the broker exited with ${code} before its banner`)));
  });
  port = Number(/listening on stomp:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]);
  broker = child;
}

async function killBroker(): Promise<void> {
  const child = broker!;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(() => {
  build = mkdtempSync(join(tmpdir(), 'nestjs-activemq-build-'));
  data = mkdtempSync(join(tmpdir(), 'nestjs-activemq-journal-'));
  execFileSync('npx', ['tsc', '-p', join(root, 'tsconfig.build.json'), '--outDir', build], { cwd: root, stdio: 'inherit' });
  // The build runs from outside the checkout: its imports of the broker's dependencies (croner, peggy) resolve through a link to the project's node_modules.
  symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'), 'dir');
}, 120_000);

afterAll(async () => {
  if (broker && broker.exitCode === null) await killBroker();
  rmSync(build, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

describe('embedded broker under kill -9 (acknowledged async, 5,000 durable messages, 10 crashes)', () => {
  it('recovers every confirmed message from its journal', async () => {
    await startBroker();
    const url = () => `stomp://app:app-secret@127.0.0.1:${port}`;
    const queue = `embedded-crash.${process.pid}`;
    const total = 5000;
    const client = new ClientActiveMQ({ uri: `${url()}?jms.useAsyncSend=true&confirmationWindowSize=65536&initialReconnectDelay=20&maxReconnectDelay=200&timeout=120000` });
    const { confirmed, failed, reached: confirmations } = watchConfirmations(client);
    const crashAt = Array.from({ length: 10 }, (_, i) => Math.floor(((i + Math.random()) * total) / 11));
    let crashes = 0;
    const chaos = (async () => {
      for (const at of crashAt) {
        await confirmations(at);
        await killBroker();
        crashes++;
        await startBroker();
      }
    })();
    for (let i = 0; i < total; i++) await lastValueFrom(client.emit(queue, { i }), { defaultValue: undefined });
    await chaos;
    await client.flush();
    await client.close();

    const received = await drainIds(url(), queue, confirmed);
    const unique = new Set(received);
    const lost = [...confirmed].filter((id) => !unique.has(id));
    reportFigure(
      `embedded crash: sent ${total}, confirmed ${confirmed.size}, crashes ${crashes}, received ${received.length}, lost ${lost.length}, duplicates ${received.length - unique.size}`,
    );
    expect(crashes).toBe(10);
    expect(lost).toEqual([]);
    expect(failed).toEqual([]);
    expect(confirmed.size).toBe(total);
  }, 300_000);
});

describe('embedded broker: consume-transform-produce under kill -9 (10,000 inputs, two outputs each, 5 crashes)', () => {
  it('leaves every input handled with both outputs exactly once, or still waiting with none', async () => {
    if (!broker || broker.exitCode !== null) await startBroker();
    const report = await transformUnderCrashes({
      url: () => `stomp://app:app-secret@127.0.0.1:${port}`,
      crash: async () => {
        await killBroker();
        await startBroker();
      },
      total: 10_000,
      crashes: 5,
      queue: `embedded-transform.${process.pid}`,
    });
    reportFigure(`embedded consume-transform-produce under kill -9: ${JSON.stringify({ ...report, broken: report.broken.length })}`);
    expect(report.crashes).toBe(5);
    expect(report.broken).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.complete + report.waiting).toBe(10_000);
  }, 300_000);
});
