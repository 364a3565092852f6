import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, symlinkSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawStomp } from '../../support/raw-stomp.js';
import { report as reportFigure } from '../../support/report.js';

/**
 * The issue-13 resource test: the standalone embedded broker (built from lib/, in its own process,
 * `--memory-limit 16`) faces hostile sockets — pre-CONNECT floods, slowloris, consumers that stop
 * reading a queue holding half the memory limit — while a healthy client keeps connecting,
 * subscribing and sending. The healthy client's round trips stay within a stated bound and the
 * broker's RSS within the memory limit plus a stated margin. `HOSTILE_SCALE` multiplies the
 * hostile sockets for a longer run (`npm run test:hostile`).
 */
const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const SCALE = Number(process.env['HOSTILE_SCALE'] ?? 1);
const MEMORY_LIMIT_MIB = 16;
/** RSS allowed above the broker's own idle RSS: the memory limit, socket buffers and V8's slack. */
const RSS_MARGIN_MIB = 64;
/** Longest round trip the healthy client may see (a loaded 2-core machine; an idle one takes ~1 ms). */
const ROUND_TRIP_BOUND_MS = 2000;

let build: string;
let broker: ChildProcess;
let port = 0;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const CONNECT = 'CONNECT\naccept-version:1.2\nhost:localhost\nlogin:app\npasscode:app-secret\nheart-beat:0,0\n\n\0';

beforeAll(async () => {
  build = mkdtempSync(join(tmpdir(), 'nestjs-activemq-build-'));
  execFileSync('npx', ['tsc', '-p', join(root, 'tsconfig.build.json'), '--outDir', build], { cwd: root, stdio: 'inherit' });
  // The build runs from outside the checkout: its imports of the broker's dependencies (croner, peggy) resolve through a link to the project's node_modules.
  symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'), 'dir');
  broker = spawn(process.execPath, [join(build, 'bin.js'), 'broker', '--port', '0', '--user', 'app:app-secret', '--memory-limit', String(MEMORY_LIMIT_MIB), '--stats', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const banner = await new Promise<string>((resolveBanner, reject) => {
    let out = '';
    broker.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolveBanner(out);
    });
    broker.once('exit', (code) => reject(new Error(`the broker exited with ${code} before its banner`)));
  });
  port = Number(/listening on stomp:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]);
}, 120_000);

afterAll(() => {
  broker?.kill('SIGKILL');
  rmSync(build, { recursive: true, force: true });
});

/** A socket that never sends CONNECT but streams a huge frame at the broker. */
function preAuthFlood(): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const chunk = Buffer.alloc(256 * 1024, 'x');
  socket.once('connect', () => {
    socket.write(`SEND\ndestination:/queue/flood\ncontent-length:${100 * 1024 * 1024}\n\n`);
    const pump = () => {
      while (!socket.destroyed && socket.write(chunk));
      if (!socket.destroyed) socket.once('drain', pump);
    };
    pump();
  });
  return socket;
}

/** A socket that sends a CONNECT one byte at a time, far apart. */
function slowloris(): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= CONNECT.length - 1) return clearInterval(timer);
    socket.write(CONNECT[sent++]!);
  }, 200);
  socket.once('close', () => clearInterval(timer));
  return socket;
}

/** One healthy round trip: a fresh connection, SUBSCRIBE, a receipted SEND to itself, its MESSAGE, DISCONNECT. */
async function healthyRoundTrip(n: number): Promise<number> {
  const startedAt = performance.now();
  const { raw } = await RawStomp.connected(port, CONNECT);
  raw.write(`SUBSCRIBE\nid:s\ndestination:/queue/healthy.${n}\nack:auto\nreceipt:sub\n\n\0`);
  raw.write(`SEND\ndestination:/queue/healthy.${n}\npersistent:false\nreceipt:send\n\nping ${n}\0`);
  const seen = new Set<string>();
  while (!(seen.has('RECEIPT:sub') && seen.has('RECEIPT:send') && seen.has('MESSAGE'))) {
    const frame = await raw.next();
    seen.add(frame.command === 'RECEIPT' ? `RECEIPT:${frame.headers['receipt-id']}` : frame.command);
    if (frame.command === 'MESSAGE') expect(frame.body).toBe(`ping ${n}`);
  }
  raw.write('DISCONNECT\nreceipt:bye\n\n\0');
  await raw.closed;
  return performance.now() - startedAt;
}

describe('the standalone embedded broker under hostile sockets', () => {
  it('a healthy client keeps round trips under the bound, and RSS stays under the memory limit plus the margin', async () => {
    const idleRss = rssMiB(broker.pid!);
    let peakRss = idleRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(broker.pid!))), 50);
    const hostile: Array<{ destroy(): void }> = [];
    try {
      // Consumers that stop reading, on a queue filled to half the memory limit (the other half
      // stays free for the healthy client: past the limit the broker holds every producer's
      // receipts, by design).
      const stalled: RawStomp[] = [];
      for (let i = 0; i < 4; i++) {
        const { raw } = await RawStomp.connected(port, CONNECT);
        raw.write(`SUBSCRIBE\nid:s\ndestination:/queue/stalled\nack:auto\nreceipt:sub\n\n\0`);
        await raw.next('RECEIPT');
        raw.pause();
        stalled.push(raw);
        hostile.push(raw);
      }
      const producer = await RawStomp.open(port);
      hostile.push(producer);
      producer.write(CONNECT);
      const body = 'p'.repeat(64 * 1024);
      for (let i = 0; i < (MEMORY_LIMIT_MIB / 2) * 16; i++) producer.write(`SEND\ndestination:/queue/stalled\npersistent:false\n\n${body}\0`);
      for (let i = 0; i < 20 * SCALE; i++) hostile.push(preAuthFlood());
      for (let i = 0; i < 50 * SCALE; i++) hostile.push(slowloris());
      const roundTrips: number[] = [];
      for (let n = 0; n < 40; n++) roundTrips.push(await healthyRoundTrip(n));
      const sorted = [...roundTrips].sort((a, b) => a - b);
      const p50 = sorted[Math.floor(sorted.length / 2)]!;
      const max = sorted[sorted.length - 1]!;
      reportFigure(
        `hostile load: ${20 * SCALE} pre-CONNECT floods, ${50 * SCALE} slowloris, 4 stalled consumers on ${MEMORY_LIMIT_MIB / 2} MiB; ` +
          `healthy round trip p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms; broker RSS idle ${idleRss.toFixed(0)} MiB, peak ${peakRss.toFixed(0)} MiB`,
      );
      expect(max).toBeLessThan(ROUND_TRIP_BOUND_MS);
      expect(peakRss).toBeLessThan(idleRss + MEMORY_LIMIT_MIB + RSS_MARGIN_MIB);
      expect(broker.exitCode).toBeNull();
    } finally {
      clearInterval(sampler);
      for (const socket of hostile) socket.destroy();
    }
  }, 120_000);
});
