import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

/** A standalone embedded broker (`nestjs-activemq broker --data DIR`, built into dist-bench/) in its own process. */
export interface EmbeddedProcess {
  readonly port: number;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the embedded broker as users run it standalone, its journal in a new temp directory. It
 * keeps every message in memory (ActiveMQ pages them to disk), so runs that leave many messages
 * before they are drained need a memory limit above its default 64 MiB: 2 GiB here.
 */
export async function startEmbeddedProcess(user: string, password: string): Promise<EmbeddedProcess> {
  const data = mkdtempSync(join(tmpdir(), 'nestjs-activemq-bench-journal-'));
  const args = [join(root, 'dist-bench/lib/bin.js'), 'broker', '--port', '0', '--data', data, '--user', `${user}:${password}`, '--stats', '0', '--memory-limit', '2048'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const banner = await new Promise<string>((resolveBanner, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolveBanner(out);
    });
    child.once('exit', (code) => reject(new Error(`the embedded broker exited with ${code}`)));
  });
  return {
    port: Number(/listening on stomp:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]),
    pid: child.pid,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(data, { recursive: true, force: true });
    },
  };
}
