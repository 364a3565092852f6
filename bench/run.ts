/**
 * `npm run bench`: every figure measured side by side in one run against a real ActiveMQ started
 * by scripts/activemq.sh (or ACTIVEMQ_URL + ACTIVEMQ_OPENWIRE_URL), as medians of several runs
 * with their spread, and as ratios against the raw protocol and ActiveMQ's own Java client.
 *
 * BENCH_RUNS (default 3) sets the runs per figure; BENCH_QUICK=1 measures 200-byte persistent
 * messages only (and 100,000 emits for memory); BENCH_ONLY=send,request-reply,embedded,consume,rtt,memory,transform,peers
 * picks sections; BENCH_MEMORY_MESSAGES sets the memory run's emits (default 1,000,000);
 * BENCH_TRANSFORM_INPUTS sets the inputs per consume-transform-produce run (default 5,000).
 *
 * `transform` is consume-transform-produce on ActiveMQ Classic and on the embedded broker: a
 * handler sends two persistent outputs per persistent input, once with confirmed ClientActiveMQ
 * emits and the input acknowledged after it (plain), once in one broker transaction with its
 * input (`{ transactional: true }`, `ctx.emit()`, ACK and COMMIT); the two alternate run by run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseActiveMQUri } from '../lib/config/parse-uri.js';
import { renderChart, type Bar, type Panel } from './chart.js';
import { preload, rawConsume, transportConsume } from './consumer.js';
import { DelayRelay } from './delay.js';
import type { MemoryReport } from './memory.js';
import { RawStomp, rawSend } from './raw-stomp.js';
import { quantile, rawRequestReply, timeRequests, transportRequestReply } from './request-reply.js';
import { drain, freshQueue, scenarios, type BenchTarget, type Scenario } from './scenarios.js';
import { measurePeers, peersReport } from './peers.js';
import { startEmbeddedProcess } from './embedded-process.js';
import { transform, TRANSFORM_CONCURRENCY, TRANSFORM_SIZE, type TransformVariant } from './transform.js';

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

/** The standalone embedded broker beside ActiveMQ, as a bench target. */
async function startEmbedded(user: string, password: string, log4j: string): Promise<{ target: BenchTarget; stop: () => Promise<void> }> {
  const broker = await startEmbeddedProcess(user, password);
  return {
    target: { stompUrl: `stomp://${user}:${password}@127.0.0.1:${broker.port}`, stompPort: broker.port, openwireUrl: '', user, password, log4j },
    stop: () => broker.stop(),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(n < 10 ? 3 : 1);
const progress = (line: string) => process.stderr.write(line + '\n');
const combos = quick ? [{ persistent: true, size: 200 }] : [true, false].flatMap((persistent) => [200, 4096].map((size) => ({ persistent, size })));
const sizes = quick ? [200] : [200, 4096];

/** One warm-up run of at most 1,000 messages, then `runs` measured runs of `count`. */
async function repeat(runOnce: (count: number) => Promise<number>, count: number, warmUp = Math.min(count, 1000)): Promise<number[]> {
  await runOnce(warmUp);
  const values: number[] = [];
  for (let r = 0; r < runs; r++) values.push(await runOnce(count));
  return values;
}

async function measure(target: BenchTarget, label = ''): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const { persistent, size } of combos) {
    // The Java client speaks OpenWire, which only ActiveMQ has.
    for (const scenario of scenarios(persistent).filter((s) => target.openwireUrl !== '' || s.group !== 'java')) {
      // One warm-up run (JIT on both sides), then the measured ones; each run's messages are
      // drained after it, outside the measured time.
      const rates = await repeat(async (count) => {
        const queue = freshQueue(scenario.name);
        const secondsTaken = await scenario.run(target, queue, size, count);
        await drain(target, queue, count + (scenario.extra ?? 0));
        return count / secondsTaken;
      }, scenario.count);
      const figure = { scenario: scenario.name, group: scenario.group, persistent, size, count: scenario.count, rates, median: median(rates) };
      figures.push(figure);
      progress(`${label}${persistent ? 'persistent' : 'non-persistent'} ${size} B  ${scenario.name}: ${fmt(figure.median)} msg/s`);
    }
  }
  return figures;
}

interface LatencyFigure {
  readonly scenario: string;
  readonly size: number;
  /** Per run: p50 and p99 at concurrency 1 (ms), requests/s at concurrency 64. */
  readonly p50s: number[];
  readonly p99s: number[];
  readonly throughputs: number[];
  readonly p50: number;
  readonly p99: number;
  readonly throughput: number;
}

const RAW_RR = 'raw STOMP request/reply (bare sockets)';
const TRANSPORT_RR = 'ClientActiveMQ.send() → ServerActiveMQ @MessagePattern';

async function measureRequestReply(target: BenchTarget, label = ''): Promise<LatencyFigure[]> {
  const figures: LatencyFigure[] = [];
  for (const size of sizes) {
    for (const [scenario, open] of [
      [RAW_RR, (queue: string) => rawRequestReply(target, queue, size)],
      [TRANSPORT_RR, (queue: string) => transportRequestReply(target, queue, size)],
    ] as const) {
      const requester = await open(freshQueue(`rr-${size}`));
      try {
        await timeRequests(requester, 1000, 1); // warm-up
        await timeRequests(requester, 5000, 64);
        const p50s: number[] = [];
        const p99s: number[] = [];
        const throughputs: number[] = [];
        for (let r = 0; r < runs; r++) {
          const serial = await timeRequests(requester, 3000, 1);
          p50s.push(quantile(serial.latencies, 0.5));
          p99s.push(quantile(serial.latencies, 0.99));
          const parallel = await timeRequests(requester, 20000, 64);
          throughputs.push(20000 / parallel.seconds);
        }
        const figure = { scenario, size, p50s, p99s, throughputs, p50: median(p50s), p99: median(p99s), throughput: median(throughputs) };
        figures.push(figure);
        progress(`${label}request/reply ${size} B  ${scenario}: p50 ${ms(figure.p50)} ms, p99 ${ms(figure.p99)} ms, ${fmt(figure.throughput)} req/s at 64`);
      } finally {
        await requester.close();
      }
    }
  }
  return figures;
}

interface ConsumerFigure {
  readonly scenario: string;
  readonly persistent: boolean;
  readonly size: number;
  readonly prefetch: number;
  readonly rates: number[];
  readonly median: number;
}

const RAW_CONSUMER = 'raw STOMP consumer, client-individual ACK per message';
const TRANSPORT_CONSUMER = 'ServerActiveMQ @EventPattern, ack after the handler';

async function measureConsumers(target: BenchTarget): Promise<ConsumerFigure[]> {
  const figures: ConsumerFigure[] = [];
  for (const { persistent, size } of combos) {
    for (const prefetch of [1, 1000]) {
      const count = prefetch === 1 ? 5000 : 20000;
      for (const [scenario, consume] of [
        [RAW_CONSUMER, (pattern: string, n: number) => rawConsume(target, `/queue/${pattern}`, n, prefetch)],
        [TRANSPORT_CONSUMER, (pattern: string, n: number) => transportConsume(target, pattern, n, prefetch)],
      ] as const) {
        const rates = await repeat(async (n) => {
          const pattern = freshQueue(`consume-${prefetch}`);
          await preload(target, `/queue/${pattern}`, size, n, persistent);
          return n / (await consume(pattern, n));
        }, count);
        const figure = { scenario, persistent, size, prefetch, rates, median: median(rates) };
        figures.push(figure);
        progress(`consumer ${persistent ? 'persistent' : 'non-persistent'} ${size} B prefetch ${prefetch}  ${scenario}: ${fmt(figure.median)} msg/s`);
      }
    }
  }
  return figures;
}

interface RttFigure {
  readonly scenario: string;
  readonly rates: number[];
  readonly median: number;
}

interface RttResult {
  /** The round trip the relay adds, measured (ms): receipted non-persistent sends through it minus direct. */
  readonly addedRttMs: number;
  readonly figures: RttFigure[];
}

const RTT_SCENARIOS = [
  'raw STOMP, receipt per message, waited',
  'raw STOMP, transactions of 100, COMMIT receipt',
  'ClientActiveMQ, blocking',
  'ClientActiveMQ, acknowledged async (window 1 MiB, every message confirmed)',
];

/** Persistent 200-byte sends through a relay that delays the broker's side by 1 ms. */
async function measureRtt(target: BenchTarget): Promise<RttResult> {
  const relay = await DelayRelay.start(target.stompPort, 1);
  const delayed: BenchTarget = { ...target, stompPort: relay.port, stompUrl: relay.urlFor(target.stompUrl) };
  try {
    const roundTrip = async (t: BenchTarget) => {
      const raw = await RawStomp.connect(t.stompPort, t.user, t.password);
      const queue = freshQueue('rtt-probe');
      const body = Buffer.alloc(10, 'x');
      const started = performance.now();
      for (let i = 0; i < 500; i++) {
        await raw.write(rawSend(`/queue/${queue}`, body, false, `receipt:${i}\n`));
        await raw.until(i + 2);
      }
      raw.close();
      await drain(target, queue, 500);
      return (performance.now() - started) / 500;
    };
    await roundTrip(delayed);
    const addedRttMs = (await roundTrip(delayed)) - (await roundTrip(target));
    progress(`1 ms relay: measured added round trip ${ms(addedRttMs)} ms`);
    const figures: RttFigure[] = [];
    for (const scenario of scenarios(true).filter((s) => RTT_SCENARIOS.includes(s.name))) {
      const rates = await repeat(async (n) => {
        const queue = freshQueue(`rtt-${scenario.name}`);
        const secondsTaken = await scenario.run(delayed, queue, 200, n);
        await drain(target, queue, n + (scenario.extra ?? 0));
        return n / secondsTaken;
      }, scenario.count);
      const figure = { scenario: scenario.name, rates, median: median(rates) };
      figures.push(figure);
      progress(`1 ms RTT persistent 200 B  ${figure.scenario}: ${fmt(figure.median)} msg/s`);
    }
    return { addedRttMs, figures };
  } finally {
    await relay.close();
  }
}

/** 1,000,000 (BENCH_MEMORY_MESSAGES) acknowledged emits in a process of their own, drained as they go. */
async function measureMemory(target: BenchTarget): Promise<MemoryReport> {
  const count = Number(process.env['BENCH_MEMORY_MESSAGES'] ?? (quick ? 100_000 : 1_000_000));
  const pattern = freshQueue('memory');
  progress(`memory: ${fmt(count)} acknowledged emits with a 1 MiB window ...`);
  const child = spawn(process.execPath, ['--expose-gc', join(root, 'dist-bench/bench/memory.js'), target.stompUrl, pattern, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const drained = drain(target, pattern, count);
  const code = await exited;
  if (code !== 0) throw new Error(`the memory run exited with ${code}`);
  await drained;
  const report = JSON.parse(out) as MemoryReport;
  if (report.confirmed !== count) throw new Error(`${report.confirmed} of ${count} confirmed`);
  progress(`memory: RSS ${mb(report.rssStart)} → peak ${mb(report.rssPeak)} → end ${mb(report.rssEnd)} MB`);
  return report;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

interface TransformFigure {
  readonly broker: string;
  /** Inputs per run; each gives two outputs. */
  readonly inputs: number;
  readonly size: number;
  readonly concurrency: number;
  /** Inputs handled with their outputs stored, per second, run by run (run r of each variant ran side by side). */
  readonly plain: number[];
  readonly transactional: number[];
  /** transactional[r] / plain[r]. */
  readonly ratios: number[];
  /** Per transactional run: mean ms from the input's ACK written to the COMMIT's receipt. */
  readonly commitLatencyMs: number[];
  readonly plainMedian: number;
  readonly transactionalMedian: number;
  readonly ratioMedian: number;
}

const TRANSFORM_INPUTS = Number(process.env['BENCH_TRANSFORM_INPUTS'] ?? 5000);

/**
 * Consume-transform-produce on one broker: one warm-up run of each variant, then `runs` pairs,
 * plain then transactional, so that each pair meets the same state of the machine.
 */
async function measureTransform(target: BenchTarget, broker: string): Promise<TransformFigure> {
  const once = async (variant: TransformVariant, inputs: number) => {
    const run = await transform(target, variant, inputs);
    return { rate: inputs / run.seconds, commitLatencyMs: run.commitLatencyMs };
  };
  const warmUp = Math.min(TRANSFORM_INPUTS, 1000);
  await once('plain', warmUp);
  await once('transactional', warmUp);
  const plain: number[] = [];
  const transactional: number[] = [];
  const ratios: number[] = [];
  const commitLatencyMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const p = await once('plain', TRANSFORM_INPUTS);
    const t = await once('transactional', TRANSFORM_INPUTS);
    plain.push(p.rate);
    transactional.push(t.rate);
    ratios.push(t.rate / p.rate);
    commitLatencyMs.push(t.commitLatencyMs ?? NaN);
    progress(`transform ${broker} run ${r + 1}/${runs}: plain ${fmt(p.rate)}, transactional ${fmt(t.rate)} inputs/s (${(t.rate / p.rate).toFixed(2)}×)`);
  }
  const figure = {
    broker,
    inputs: TRANSFORM_INPUTS,
    size: TRANSFORM_SIZE,
    concurrency: TRANSFORM_CONCURRENCY,
    plain,
    transactional,
    ratios,
    commitLatencyMs,
    plainMedian: median(plain),
    transactionalMedian: median(transactional),
    ratioMedian: median(ratios),
  };
  progress(`transform ${broker}: plain ${fmt(figure.plainMedian)}, transactional ${fmt(figure.transactionalMedian)} inputs/s, ${figure.ratioMedian.toFixed(2)}×`);
  return figure;
}

/** Which baseline each transport figure is read against. */
const BASELINES: Record<string, { raw: string; java: string }> = {
  'ClientActiveMQ, blocking': { raw: 'raw STOMP, receipt per message, waited', java: 'Java producer (OpenWire), sync' },
  'ClientActiveMQ, async (unconfirmed)': { raw: 'raw STOMP, unconfirmed', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
  'ClientActiveMQ, acknowledged async (window 1 MiB, every message confirmed)': {
    raw: 'raw STOMP, transactions of 100, COMMIT receipt',
    java: 'Java producer (OpenWire), jms.useAsyncSend=true',
  },
  'ClientActiveMQ, acknowledged async, receipt per message': { raw: 'raw STOMP, receipt per message, pipelined', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
  // The targets of the user-written scenario: acknowledged durable against Java's unconfirmed async
  // send, non-durable against a bare socket.
  'user-written: @DurableSend({ block: false }) provider method, object payload, window 1 MiB, every message confirmed': {
    raw: 'raw STOMP, unconfirmed',
    java: 'Java producer (OpenWire), jms.useAsyncSend=true',
  },
  'user-written: @NonDurableSend() provider method, object payload': { raw: 'raw STOMP, unconfirmed', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
  'ClientActiveMQ, transactions of 100': { raw: 'raw STOMP, transactions of 100, COMMIT receipt', java: 'Java producer (OpenWire), jms.useAsyncSend=true' },
};

interface Results {
  readonly throughput: Figure[];
  readonly requestReply: LatencyFigure[];
  /** The same sends and request/reply against the embedded broker (standalone, journal on the same disk). */
  readonly embedded: Figure[];
  readonly embeddedRequestReply: LatencyFigure[];
  readonly consumers: ConsumerFigure[];
  readonly rtt?: RttResult;
  readonly memory?: MemoryReport;
  /** Consume-transform-produce, on ActiveMQ Classic and on the embedded broker. */
  readonly transform: TransformFigure[];
}

const spread = (values: number[], format: (n: number) => string = fmt) => `${format(Math.min(...values))}–${format(Math.max(...values))}`;
const times = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '');
const BLOCKING = 'ClientActiveMQ, blocking';
const WINDOW = 'ClientActiveMQ, acknowledged async (window 1 MiB, every message confirmed)';

function report({ throughput: figures, requestReply, embedded, embeddedRequestReply, consumers, rtt, memory, transform }: Results): string {
  const lines: string[] = [];
  const find = (f: Figure, name: string) => figures.find((g) => g.scenario === name && g.persistent === f.persistent && g.size === f.size);
  for (const persistent of [true, false]) {
    for (const size of [200, 4096]) {
      const group = figures.filter((f) => f.persistent === persistent && f.size === size);
      if (group.length === 0) continue;
      lines.push(`\n### Sending: ${persistent ? 'persistent' : 'non-persistent'}, ${size}-byte messages\n`);
      lines.push('| scenario | msg/s (median) | spread (min–max) | vs raw STOMP | vs Java |');
      lines.push('|---|---:|---:|---:|---:|');
      for (const f of group) {
        const base = BASELINES[f.scenario];
        lines.push(
          `| ${f.scenario} | ${fmt(f.median)} | ${spread(f.rates)} | ${times(f.median, base && find(f, base.raw)?.median)} | ${times(f.median, base && find(f, base.java)?.median)} |`,
        );
      }
    }
  }
  if (requestReply.length) {
    lines.push('\n### Request/reply (non-persistent, as the transport sends requests and replies)\n');
    lines.push('| scenario | size | p50 ms (concurrency 1) | p99 ms | p50 spread | req/s (concurrency 64) | spread | p50 vs raw | req/s vs raw |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const f of requestReply) {
      const raw = requestReply.find((g) => g.scenario === RAW_RR && g.size === f.size);
      lines.push(
        `| ${f.scenario} | ${f.size} B | ${ms(f.p50)} | ${ms(f.p99)} | ${spread(f.p50s, ms)} | ${fmt(f.throughput)} | ${spread(f.throughputs)} | ${times(f.p50, raw?.p50)} | ${times(f.throughput, raw?.throughput)} |`,
      );
    }
  }
  if (embedded.length) {
    lines.push('\n### The embedded broker beside ActiveMQ (same workloads, same run; standalone process, journal on the same disk)\n');
    lines.push('| scenario | messages | ActiveMQ msg/s | embedded msg/s | embedded spread | embedded / ActiveMQ |');
    lines.push('|---|---|---:|---:|---:|---:|');
    for (const f of embedded) {
      const classic = figures.find((g) => g.scenario === f.scenario && g.persistent === f.persistent && g.size === f.size);
      lines.push(
        `| ${f.scenario} | ${f.persistent ? 'persistent' : 'non-persistent'} ${f.size} B | ${classic ? fmt(classic.median) : ''} | ${fmt(f.median)} | ${spread(f.rates)} | ${times(f.median, classic?.median)} |`,
      );
    }
    for (const f of embeddedRequestReply) {
      const classic = requestReply.find((g) => g.scenario === f.scenario && g.size === f.size);
      lines.push(
        `| ${f.scenario}, req/s at concurrency 64 (p50 ${ms(f.p50)} ms vs ${classic ? ms(classic.p50) : '?'} ms at 1) | ${f.size} B | ${classic ? fmt(classic.throughput) : ''} | ${fmt(f.throughput)} | ${spread(f.throughputs)} | ${times(f.throughput, classic?.throughput)} |`,
      );
    }
  }
  if (consumers.length) {
    lines.push('\n### Consuming: a queue filled beforehand, read to the last message with every message acknowledged\n');
    lines.push('| scenario | messages | prefetch | msg/s (median) | spread | vs raw |');
    lines.push('|---|---|---:|---:|---:|---:|');
    for (const f of consumers) {
      const raw = consumers.find((g) => g.scenario === RAW_CONSUMER && g.persistent === f.persistent && g.size === f.size && g.prefetch === f.prefetch);
      lines.push(
        `| ${f.scenario} | ${f.persistent ? 'persistent' : 'non-persistent'} ${f.size} B | ${f.prefetch} | ${fmt(f.median)} | ${spread(f.rates)} | ${times(f.median, raw?.median)} |`,
      );
    }
  }
  if (rtt) {
    lines.push(`\n### Sending with 1 ms more round trip (persistent, 200 B; measured added round trip ${ms(rtt.addedRttMs)} ms)\n`);
    lines.push('| scenario | msg/s (median) | spread | vs ClientActiveMQ blocking |');
    lines.push('|---|---:|---:|---:|');
    const blocking = rtt.figures.find((f) => f.scenario === BLOCKING);
    for (const f of rtt.figures) lines.push(`| ${f.scenario} | ${fmt(f.median)} | ${spread(f.rates)} | ${times(f.median, blocking?.median)} |`);
  }
  if (memory) {
    lines.push(`\n### Memory: ${fmt(memory.count)} acknowledged durable 200-byte emits, 1 MiB window, one process\n`);
    lines.push(
      `RSS at start ${mb(memory.rssStart)} MB, peak ${mb(memory.rssPeak)} MB, end ${mb(memory.rssEnd)} MB; V8 heap in use ${mb(memory.heapStart)} MB at start, ${mb(memory.heapEndAfterGc)} MB after a full GC at the end; ${fmt(memory.confirmed)} confirmed in ${memory.seconds.toFixed(1)} s (${fmt(memory.count / memory.seconds)} msg/s).`,
    );
  }
  if (transform.length) {
    const f0 = transform[0]!;
    lines.push(`\n### Consume-transform-produce: ${fmt(f0.inputs)} persistent ${f0.size}-byte inputs per run, two persistent outputs each, concurrency ${f0.concurrency}\n`);
    lines.push(
      'Inputs handled with both outputs stored, per second. Plain: two blocking `ClientActiveMQ` emits, input acknowledged after the handler. Transactional: `{ transactional: true }`, two `ctx.emit()`, ACK and COMMIT (receipted). Runs alternate plain/transactional after one warm-up each; the ratio is the median of the per-pair ratios.\n',
    );
    lines.push(
      '| broker | plain inputs/s (median) | plain spread | transactional inputs/s (median) | transactional spread | transactional / plain | ratio spread | mean COMMIT ms |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    const ratio = (n: number) => `${n.toFixed(2)}×`;
    for (const f of transform) {
      lines.push(
        `| ${f.broker} | ${fmt(f.plainMedian)} | ${spread(f.plain)} | ${fmt(f.transactionalMedian)} | ${spread(f.transactional)} | ${ratio(f.ratioMedian)} | ${spread(f.ratios, ratio)} | ${ms(median(f.commitLatencyMs))} |`,
      );
    }
  }

  const get = (name: string, persistent: boolean) => figures.find((f) => f.scenario === name && f.persistent === persistent && f.size === 200);
  const target = (label: string, a: number | undefined, b: number | undefined, wanted: number, atMost = false) => {
    if (a === undefined || b === undefined) return `- ${label}: not measured`;
    const r = a / b;
    const met = atMost ? r <= wanted : r >= wanted;
    return `- ${label}: ${r.toFixed(2)}× (target ${atMost ? '≤' : '≥'} ${wanted}×): ${met ? 'met' : 'not met'}`;
  };
  lines.push('\n### Targets (200-byte messages)\n');
  lines.push(target('blocking durable emit vs raw STOMP blocking', get(BLOCKING, true)?.median, get('raw STOMP, receipt per message, waited', true)?.median, 0.95));
  lines.push(target('blocking durable emit vs Java sync', get(BLOCKING, true)?.median, get('Java producer (OpenWire), sync', true)?.median, 1.5));
  lines.push(
    target(
      'acknowledged async durable (all confirmed) vs Java useAsyncSend (unconfirmed)',
      get(WINDOW, true)?.median,
      get('Java producer (OpenWire), jms.useAsyncSend=true', true)?.median,
      1.0,
    ),
  );
  lines.push(
    target('non-durable fire-and-forget vs raw unconfirmed', get('ClientActiveMQ, async (unconfirmed)', false)?.median, get('raw STOMP, unconfirmed', false)?.median, 0.9),
  );
  const rr = (scenario: string) => requestReply.find((f) => f.scenario === scenario && f.size === 200)?.p50;
  lines.push(target('request/reply p50 vs a raw STOMP request/reply round trip', rr(TRANSPORT_RR), rr(RAW_RR), 1.3, true));
  const delayed = (scenario: string) => rtt?.figures.find((f) => f.scenario === scenario)?.median;
  lines.push(target('with 1 ms RTT injected, acknowledged async vs blocking', delayed(WINDOW), delayed(BLOCKING), 20));
  const onEmbedded = embedded.find((f) => f.scenario === WINDOW && f.persistent && f.size === 200)?.median;
  lines.push(target('embedded broker: durable confirmed throughput (acknowledged async) vs ActiveMQ Classic', onEmbedded, get(WINDOW, true)?.median, 1.0));
  const blockingEmbedded = embedded.find((f) => f.scenario === BLOCKING && f.persistent && f.size === 200)?.median;
  lines.push(target('embedded broker: durable blocking sends vs ActiveMQ Classic', blockingEmbedded, get(BLOCKING, true)?.median, 1.0));
  if (memory) {
    const growth = memory.rssPeak - memory.rssStart;
    const allowed = memory.windowBytes + 32 * 2 ** 20;
    lines.push(
      `- RSS growth over ${fmt(memory.count)} acknowledged emits: ${mb(growth)} MB (target ≤ window + 32 MB = ${mb(allowed)} MB): ${growth <= allowed ? 'met' : 'not met'}; heap retained after a full GC: ${mb(memory.heapEndAfterGc - memory.heapStart)} MB`,
    );
  } else {
    lines.push('- RSS growth over 1M acknowledged emits: not measured');
  }
  return lines.join('\n');
}

function chart(results: Results, machine: string): string {
  const kindOf = (group: Scenario['group']): Bar['kind'] => group;
  const panels: Panel[] = [];
  for (const { persistent, size } of combos.filter((c) => c.size === 200)) {
    panels.push({
      title: `Sending, ${persistent ? 'persistent' : 'non-persistent'} 200 B`,
      unit: 'msg/s, median',
      bars: results.throughput.filter((f) => f.persistent === persistent && f.size === size).map((f) => ({ label: f.scenario, value: f.median, kind: kindOf(f.group) })),
    });
  }
  if (results.requestReply.length) {
    panels.push({
      title: 'Request/reply, 200 B, concurrency 64',
      unit: 'req/s, median',
      bars: results.requestReply.filter((f) => f.size === 200).map((f) => ({ label: f.scenario, value: f.throughput, kind: f.scenario === RAW_RR ? 'raw' : 'transport' })),
    });
  }
  if (results.consumers.length) {
    panels.push({
      title: 'Consuming, persistent 200 B',
      unit: 'msg/s, median',
      bars: results.consumers
        .filter((f) => f.persistent && f.size === 200)
        .map((f) => ({ label: `${f.scenario}, prefetch ${f.prefetch}`, value: f.median, kind: f.scenario === RAW_CONSUMER ? 'raw' : 'transport' })),
    });
  }
  if (results.embedded.length) {
    panels.push({
      title: 'Embedded broker vs ActiveMQ, persistent 200 B',
      unit: 'msg/s, median',
      bars: results.embedded
        .filter((f) => f.persistent && f.size === 200 && f.group === 'transport')
        .flatMap((f) => {
          const classic = results.throughput.find((g) => g.scenario === f.scenario && g.persistent && g.size === 200);
          return [
            ...(classic ? [{ label: `${f.scenario} (ActiveMQ)`, value: classic.median, kind: 'transport' as const }] : []),
            { label: `${f.scenario} (embedded)`, value: f.median, kind: 'embedded' as const },
          ];
        }),
    });
  }
  if (results.rtt) {
    panels.push({
      title: `Sending with ${ms(results.rtt.addedRttMs)} ms more round trip, persistent 200 B`,
      unit: 'msg/s, median',
      bars: results.rtt.figures.map((f) => ({ label: f.scenario, value: f.median, kind: f.scenario.startsWith('raw') ? 'raw' : 'transport' })),
    });
  }
  if (results.transform.length) {
    panels.push({
      title: 'Consume-transform-produce, persistent 200 B, two outputs per input',
      unit: 'inputs/s, median',
      bars: results.transform.flatMap((f) => {
        const kind = f.broker === 'ActiveMQ Classic' ? ('transport' as const) : ('embedded' as const);
        return [
          { label: `plain: confirmed emits, then ACK (${f.broker})`, value: f.plainMedian, kind },
          { label: `transactional: ACK + COMMIT (${f.broker})`, value: f.transactionalMedian, kind },
        ];
      }),
    });
  }
  return renderChart(`nestjs-activemq against ActiveMQ 5.17: ${machine}`, panels);
}

const sections = new Set((process.env['BENCH_ONLY'] ?? 'send,request-reply,embedded,consume,rtt,memory,transform,peers').split(','));

async function main(): Promise<void> {
  const { target, stop } = startBroker();
  try {
    const throughput = sections.has('send') ? await measure(target) : [];
    const requestReply = sections.has('request-reply') ? await measureRequestReply(target) : [];
    let embedded: Figure[] = [];
    let embeddedRequestReply: LatencyFigure[] = [];
    let transformFigures: TransformFigure[] = [];
    if (sections.has('embedded') || sections.has('transform')) {
      const broker = await startEmbedded(target.user, target.password, target.log4j);
      try {
        if (sections.has('embedded')) {
          embedded = await measure(broker.target, 'embedded: ');
          embeddedRequestReply = await measureRequestReply(broker.target, 'embedded: ');
        }
        if (sections.has('transform')) {
          transformFigures = [await measureTransform(target, 'ActiveMQ Classic'), await measureTransform(broker.target, 'embedded broker')];
        }
      } finally {
        await broker.stop();
      }
    }
    const results: Results = {
      throughput,
      requestReply,
      embedded,
      embeddedRequestReply,
      consumers: sections.has('consume') ? await measureConsumers(target) : [],
      rtt: sections.has('rtt') ? await measureRtt(target) : undefined,
      memory: sections.has('memory') ? await measureMemory(target) : undefined,
      transform: transformFigures,
    };
    // Nest's own transports on their brokers beside this one, each broker started for its rows.
    const peers = sections.has('peers') ? await measurePeers() : undefined;
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
    const peerTable = peers && peers.rows.length > 0 ? `\n\n${peersReport(peers)}` : '';
    const table = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, ActiveMQ 5.17 (Debian) with KahaDB on ${tmpdir()}; each figure is the median of ${runs} runs after a warm-up.\n${report(results)}${peerTable}`;
    console.log(table);
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify({ machine, runs, ...results, peers }, null, 2));
    writeFileSync(join(root, 'bench/results/latest.md'), table + '\n');
    writeFileSync(join(root, 'bench/results/latest.svg'), chart(results, machine));
    progress(`written: bench/results/latest.md, latest.json, latest.svg`);
  } finally {
    stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
