/**
 * `npm run bench`: every figure measured side by side in one run against a real ActiveMQ started
 * by scripts/activemq.sh (or ACTIVEMQ_URL + ACTIVEMQ_OPENWIRE_URL), as medians of several runs
 * with their spread, and as ratios against the raw protocol and ActiveMQ's own Java client.
 *
 * BENCH_RUNS (default 3) sets the runs per figure; BENCH_QUICK=1 measures 200-byte persistent
 * messages only.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseActiveMQUri } from '../lib/uri/parse-uri.js';
import { drain, freshQueue, scenarios, type BenchTarget, type Scenario } from './scenarios.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const script = join(root, 'scripts/activemq.sh');
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const quick = process.env['BENCH_QUICK'] === '1';

interface Figure {
  readonly scenario: string;
  readonly group: Scenario['group'];
  readonly persistent: boolean;
  readonly size: number;
  readonly count: number;
  readonly rates: number[];
  readonly median: number;
}

function startBroker(): { target: BenchTarget; stop: () => void } {
  const log4j = join(root, 'scripts/activemq/log4j.properties');
  if (process.env['ACTIVEMQ_URL']) {
    const parsed = parseActiveMQUri(process.env['ACTIVEMQ_URL']);
    const endpoint = parsed.endpoints[0]!;
    return {
      target: {
        stompUrl: process.env['ACTIVEMQ_URL'],
        stompPort: endpoint.port,
        openwireUrl: process.env['ACTIVEMQ_OPENWIRE_URL'] ?? `tcp://${endpoint.host}:61616`,
        user: endpoint.login ?? parsed.login ?? '',
        password: endpoint.passcode ?? parsed.passcode ?? '',
        log4j,
      },
      stop: () => {},
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-activemq-bench-'));
  execFileSync('bash', [script, 'start', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = execFileSync('bash', [script, 'status', dir], { encoding: 'utf8' });
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(env)![1]!;
  return {
    target: {
      stompUrl: execFileSync('bash', [script, 'url', dir], { encoding: 'utf8' }).trim(),
      stompPort: Number(value('STOMP_PORT')),
      openwireUrl: `tcp://127.0.0.1:${value('OPENWIRE_PORT')}`,
      user: value('ACTIVEMQ_USER'),
      password: value('ACTIVEMQ_PASSWORD'),
      log4j,
    },
    stop: () => execFileSync('bash', [script, 'clean', dir], { stdio: 'inherit' }),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function measure(target: BenchTarget): Promise<Figure[]> {
  const figures: Figure[] = [];
  const combos = quick ? [{ persistent: true, size: 200 }] : [true, false].flatMap((persistent) => [200, 4096].map((size) => ({ persistent, size })));
  for (const { persistent, size } of combos) {
    for (const scenario of scenarios(persistent)) {
      const rates: number[] = [];
      // One warm-up run (JIT on both sides), then the measured ones; each run's messages are
      // drained after it, outside the measured time.
      const warmUp = freshQueue(scenario.name);
      const warmUpCount = Math.min(scenario.count, 1000);
      await scenario.run(target, warmUp, size, warmUpCount);
      await drain(target, warmUp, warmUpCount + (scenario.extra ?? 0));
      for (let r = 0; r < runs; r++) {
        const queue = freshQueue(scenario.name);
        const secondsTaken = await scenario.run(target, queue, size, scenario.count);
        rates.push(scenario.count / secondsTaken);
        await drain(target, queue, scenario.count + (scenario.extra ?? 0));
      }
      const figure = { scenario: scenario.name, group: scenario.group, persistent, size, count: scenario.count, rates, median: median(rates) };
      figures.push(figure);
      process.stderr.write(`${persistent ? 'persistent' : 'non-persistent'} ${size} B  ${scenario.name}: ${fmt(figure.median)} msg/s\n`);
    }
  }
  return figures;
}

/** Which baseline each transport figure is read against. */
const BASELINES: Record<string, { raw: string; java: string }> = {
  'ClientActiveMQ, blocking': { raw: 'raw STOMP, receipt per message, waited', java: 'Java producer (OpenWire), sync' },
  'ClientActiveMQ, async (unconfirmed)': { raw: 'raw STOMP, unconfirmed', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
  'ClientActiveMQ, acknowledged async (window 1 MiB, every message confirmed)': { raw: 'raw STOMP, transactions of 100, COMMIT receipt', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
  'ClientActiveMQ, acknowledged async, receipt per message': { raw: 'raw STOMP, receipt per message, pipelined', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
  'ClientActiveMQ, transactions of 100': { raw: 'raw STOMP, transactions of 100, COMMIT receipt', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
};

function report(figures: Figure[]): string {
  const lines: string[] = [];
  const find = (f: Figure, name: string) => figures.find((g) => g.scenario === name && g.persistent === f.persistent && g.size === f.size);
  const ratio = (f: Figure, name: string | undefined) => {
    const base = name ? find(f, name) : undefined;
    return base ? `${(f.median / base.median).toFixed(2)}×` : '';
  };
  for (const persistent of [true, false]) {
    for (const size of [200, 4096]) {
      const group = figures.filter((f) => f.persistent === persistent && f.size === size);
      if (group.length === 0) continue;
      lines.push(`\n### ${persistent ? 'Persistent' : 'Non-persistent'}, ${size}-byte messages\n`);
      lines.push('| scenario | msg/s (median) | spread (min–max) | vs raw STOMP | vs Java |');
      lines.push('|---|---:|---:|---:|---:|');
      for (const f of group) {
        const base = BASELINES[f.scenario];
        lines.push(`| ${f.scenario} | ${fmt(f.median)} | ${fmt(Math.min(...f.rates))}–${fmt(Math.max(...f.rates))} | ${ratio(f, base?.raw)} | ${ratio(f, base?.java)} |`);
      }
    }
  }
  const get = (name: string, persistent: boolean) => figures.find((f) => f.scenario === name && f.persistent === persistent && f.size === 200);
  const target = (label: string, a: Figure | undefined, b: Figure | undefined, wanted: number) => {
    if (!a || !b) return `- ${label}: not measured`;
    const r = a.median / b.median;
    return `- ${label}: ${r.toFixed(2)}× (target ≥ ${wanted}×) — ${r >= wanted ? 'met' : 'not met'}`;
  };
  lines.push('\n### Targets (200-byte messages)\n');
  lines.push(target('blocking durable emit vs raw STOMP blocking', get('ClientActiveMQ, blocking', true), get('raw STOMP, receipt per message, waited', true), 0.95));
  lines.push(target('blocking durable emit vs Java sync', get('ClientActiveMQ, blocking', true), get('Java producer (OpenWire), sync', true), 1.5));
  lines.push(target('acknowledged async durable (all confirmed) vs Java useAsyncSend (unconfirmed)', get('ClientActiveMQ, acknowledged async (window 1 MiB, every message confirmed)', true), get('Java producer (OpenWire), jms.useAsyncSend=true', true), 1.0));
  lines.push(target('non-durable fire-and-forget vs raw unconfirmed', get('ClientActiveMQ, async (unconfirmed)', false), get('raw STOMP, unconfirmed', false), 0.9));
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { target, stop } = startBroker();
  try {
    const figures = await measure(target);
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ActiveMQ 5.17 (Debian), KahaDB on ${tmpdir()}`;
    const table = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; median of ${runs} runs after a warm-up.\n${report(figures)}`;
    console.log(table);
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify({ machine, runs, figures }, null, 2));
    writeFileSync(join(root, 'bench/results/latest.md'), table + '\n');
  } finally {
    stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
