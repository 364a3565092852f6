/**
 * The peer rows of `npm run bench` (section `peers`; alone: `npm run bench:peers`): this transport
 * beside what a Nest user would otherwise pick, with one harness for all. Each row runs a Nest
 * microservice in one process, a Nest client in another and the broker in a third (started here:
 * scripts/rabbitmq.sh, scripts/nats.sh, scripts/activemq.sh, the embedded broker's command), and
 * reads each process's CPU time from /proc. Figures are medians of BENCH_RUNS runs with min–max.
 *
 * BENCH_PEER_EVENTS (default 20,000), BENCH_PEER_REQUESTS (2,000 sequential) and
 * BENCH_PEER_CONCURRENT (20,000 at concurrency 64) set the counts; BENCH_PEER_ROWS picks rows by
 * a part of their name (several separated by |, since names hold commas); BENCH_PEER_PROFILE=DIR writes V8 CPU profiles of the client
 * and server processes into DIR.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROWS, type PeerBroker, type Row } from './peer-rows.js';
import { startEmbeddedProcess } from './embedded-process.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const peerScript = join(root, 'dist-bench/bench/peer.js');
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const EVENTS = Number(process.env['BENCH_PEER_EVENTS'] ?? 20_000);
const REQUESTS = Number(process.env['BENCH_PEER_REQUESTS'] ?? 2_000);
const CONCURRENT = Number(process.env['BENCH_PEER_CONCURRENT'] ?? 20_000);
/** Emits in flight at once in the pipelined events scenario. */
const PIPELINED = 256;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const progress = (line: string) => process.stderr.write(line + '\n');

/** Seconds of CPU (user + system) a process has used so far, from /proc/PID/stat. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
  } catch {
    return 0;
  }
}

interface Broker {
  readonly url: string;
  readonly pid: number | undefined;
  /** The scripts' broker directory (its broker.env), for the brokers they start. */
  readonly dir?: string;
  stop(): Promise<void>;
}

function script(name: string, verb: string, dir: string, env: Record<string, string> = {}): string {
  return execFileSync('bash', [join(root, 'scripts', name), verb, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } }).trim();
}

/** A KEY=value of a broker's DIR/broker.env, as the scripts write it. */
function brokerEnv(dir: string, key: string): string {
  const found = new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(join(dir, 'broker.env'), 'utf8'));
  if (!found) throw new Error(`${key} is not in ${dir}/broker.env`);
  return found[1]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function startBroker(kind: PeerBroker): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), `nestjs-activemq-peer-${kind}-`));
  const scripted = (name: string, pidOf: () => number, env: Record<string, string> = {}): Broker => {
    script(name, 'start', dir, env);
    return { url: script(name, 'url', dir), pid: pidOf(), dir, stop: async () => void script(name, 'clean', dir) };
  };
  switch (kind) {
    case 'none':
      return { url: `tcp://127.0.0.1:${await freePort()}`, pid: undefined, stop: async () => rmSync(dir, { recursive: true, force: true }) };
    case 'nats':
      return scripted('nats.sh', () => Number(script('nats.sh', 'pid', dir)));
    case 'rabbitmq':
      return scripted('rabbitmq.sh', () => Number(script('rabbitmq.sh', 'pid', dir)));
    case 'activemq':
      return scripted('activemq.sh', () => Number(brokerEnv(dir, 'PID')));
    case 'activemq6':
      return scripted('activemq.sh', () => Number(brokerEnv(dir, 'PID')), { ACTIVEMQ_VERSION: '6' });
    case 'artemis':
      return scripted('artemis.sh', () => Number(brokerEnv(dir, 'PID')));
    case 'embedded': {
      rmSync(dir, { recursive: true, force: true });
      const embedded = await startEmbeddedProcess('app', 'app-secret');
      return { url: `stomp://app:app-secret@127.0.0.1:${embedded.port}`, pid: embedded.pid, stop: () => embedded.stop() };
    }
  }
}

/** A peer process and its IPC messages, awaited one at a time by what they contain. */
class Peer {
  private readonly inbox: Array<Record<string, unknown>> = [];
  private waiter: { test: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void } | undefined;
  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: Record<string, unknown>) => {
      if (this.waiter?.test(m)) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(m);
      } else this.inbox.push(m);
    });
  }

  static async start(side: 'server' | 'client', row: Row, url: string): Promise<Peer> {
    // BENCH_PEER_PROFILE=DIR: V8 CPU profiles of every client and server process, written into DIR.
    const profile = process.env['BENCH_PEER_PROFILE'];
    const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${side}-${row.name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.cpuprofile`] : [];
    const child = fork(peerScript, [side, row.name, url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    const peer = new Peer(child);
    await peer.next((m) => m['ready'] === true);
    return peer;
  }

  next(test: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const found = this.inbox.findIndex(test);
    if (found >= 0) return Promise.resolve(this.inbox.splice(found, 1)[0]!);
    const exited = new Promise<never>((_, reject) => this.child.once('exit', (code) => reject(new Error(`a peer process exited with ${code}`))));
    return Promise.race([new Promise<Record<string, unknown>>((resolveNext) => (this.waiter = { test, resolve: resolveNext })), exited]);
  }

  send(message: object): void {
    this.child.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.send({ stop: true });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** One run of a row: its figures and the CPU seconds of client, server and broker per scenario. */
interface RowRun {
  readonly eventsEndToEnd: number;
  readonly eventsConfirmed: number;
  readonly pipelinedEndToEnd: number;
  readonly pipelinedConfirmed: number;
  readonly requestP50Ms: number;
  readonly requestsConcurrent: number;
  readonly eventCpu: readonly [number, number, number];
  readonly requestCpu: readonly [number, number, number];
}

async function runRow(row: Row, broker: Broker): Promise<RowRun> {
  const server = await Peer.start('server', row, broker.url);
  const client = await Peer.start('client', row, broker.url);
  const cpu = () => [cpuSeconds(client.child.pid), cpuSeconds(server.child.pid), cpuSeconds(broker.pid)] as const;
  const minus = (a: readonly number[], b: readonly number[]) => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!] as const;
  try {
    // A warm-up in the fresh processes, unmeasured: 1,000 events and 500 requests.
    server.send({ expect: 1000 });
    await server.next((m) => m['expecting'] === 1000);
    client.send({ scenario: 'events', count: 1000 });
    await client.next((m) => m['started'] !== undefined);
    await server.next((m) => m['handled'] === 1000);
    client.send({ scenario: 'requests-concurrent', count: 500, concurrency: 64 });
    await client.next((m) => m['seconds'] !== undefined);
    server.send({ expect: EVENTS });
    await server.next((m) => m['expecting'] === EVENTS);
    const beforeEvents = cpu();
    client.send({ scenario: 'events', count: EVENTS });
    const sent = await client.next((m) => m['started'] !== undefined);
    const handled = await server.next((m) => m['handled'] === EVENTS);
    const eventCpu = minus(cpu(), beforeEvents);
    const started = sent['started'] as number;
    server.send({ expect: EVENTS });
    await server.next((m) => m['expecting'] === EVENTS);
    client.send({ scenario: 'events', count: EVENTS, inFlight: PIPELINED });
    const pipelinedSent = await client.next((m) => m['started'] !== undefined);
    const pipelinedHandled = await server.next((m) => m['handled'] === EVENTS);
    const pipelinedStarted = pipelinedSent['started'] as number;
    server.send({ expect: Infinity });
    await server.next((m) => m['expecting'] !== undefined);
    client.send({ scenario: 'requests-sequential', count: REQUESTS });
    const sequential = await client.next((m) => m['p50Ms'] !== undefined);
    const beforeRequests = cpu();
    client.send({ scenario: 'requests-concurrent', count: CONCURRENT, concurrency: 64 });
    const concurrent = await client.next((m) => m['seconds'] !== undefined);
    const requestCpu = minus(cpu(), beforeRequests);
    return {
      eventsEndToEnd: EVENTS / (((handled['at'] as number) - started) / 1000),
      eventsConfirmed: EVENTS / (((sent['confirmedAt'] as number) - started) / 1000),
      pipelinedEndToEnd: EVENTS / (((pipelinedHandled['at'] as number) - pipelinedStarted) / 1000),
      pipelinedConfirmed: EVENTS / (((pipelinedSent['confirmedAt'] as number) - pipelinedStarted) / 1000),
      requestP50Ms: sequential['p50Ms'] as number,
      requestsConcurrent: CONCURRENT / (concurrent['seconds'] as number),
      eventCpu,
      requestCpu,
    };
  } finally {
    await client.stop();
    await server.stop();
  }
}

/** Median with min–max over the runs. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}
const spread = (values: number[]): Spread => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return { median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, min: sorted[0]!, max: sorted[sorted.length - 1]! };
};

export interface PeerFigure {
  readonly row: string;
  readonly eventsEndToEnd: Spread;
  readonly eventsConfirmed: Spread;
  readonly pipelinedEndToEnd: Spread;
  readonly pipelinedConfirmed: Spread;
  readonly requestP50Ms: Spread;
  readonly requestsConcurrent: Spread;
  /** Median CPU seconds of client, server and broker for the events, then for the concurrent requests. */
  readonly eventCpu: readonly number[];
  readonly requestCpu: readonly number[];
}

/**
 * Artemis' own ceiling on this machine: its `artemis perf client` (Java, CORE protocol, producer and
 * consumer in one JVM, 200-byte persistent messages) against the same broker, with one send in
 * flight (`--max-pending 1`, as an awaited emit) and with as many as the pipelined scenario.
 * Its figures are the per-second rates the tool reports, median over the seconds after its warm-up.
 */
export interface ArtemisCeiling {
  readonly maxPending: number;
  /** Sends completed (confirmed by the broker) per second. */
  readonly completed: Spread;
  /** Messages received by its consumer per second. */
  readonly received: Spread;
}

const PERF_WARMUP_SECONDS = 5;
const PERF_SECONDS = 15;

function artemisPerf(dir: string, maxPending: number): { completed: number; received: number } {
  const report = join(dir, `perf-${maxPending}-${Date.now()}.json`);
  const user = brokerEnv(dir, 'ARTEMIS_USER');
  const password = brokerEnv(dir, 'ARTEMIS_PASSWORD');
  execFileSync(
    join(dir, 'instance/bin/artemis'),
    [
      'perf',
      'client',
      `--url=tcp://127.0.0.1:${brokerEnv(dir, 'CORE_PORT')}`,
      `--user=${user}`,
      `--password=${password}`,
      '--persistent',
      '--message-size=200',
      `--max-pending=${maxPending}`,
      `--warmup=${PERF_WARMUP_SECONDS}`,
      `--duration=${PERF_SECONDS}`,
      `--json=${report}`,
      `queue://bench.perf.${maxPending}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const samples = JSON.parse(readFileSync(report, 'utf8')) as Array<{ sampleType: string; warmup?: boolean; completed?: number; received?: number }>;
  // The measured seconds, without the last one (cut short when the duration ends).
  const measured = samples.filter((x) => x.sampleType === 'interval' && x.warmup === false).slice(0, -1);
  if (measured.length === 0) throw new Error(`artemis perf client reported no measured interval (${report})`);
  return { completed: spread(measured.map((x) => x.completed ?? 0)).median, received: spread(measured.map((x) => x.received ?? 0)).median };
}

async function measureArtemisCeiling(broker: Broker): Promise<ArtemisCeiling[]> {
  const ceilings: ArtemisCeiling[] = [];
  for (const maxPending of [1, PIPELINED]) {
    const results: Array<{ completed: number; received: number }> = [];
    for (let r = 0; r < runs; r++) {
      const result = artemisPerf(broker.dir!, maxPending);
      results.push(result);
      progress(
        `peers artemis perf client, max-pending ${maxPending}, run ${r + 1}/${runs}: ${Math.round(result.completed)} completed/s, ${Math.round(result.received)} received/s`,
      );
    }
    ceilings.push({ maxPending, completed: spread(results.map((r) => r.completed)), received: spread(results.map((r) => r.received)) });
  }
  return ceilings;
}

/** What the peer section measured: this transport and the peers, row by row, and Artemis' own ceiling. */
export interface PeerResults {
  readonly rows: PeerFigure[];
  readonly artemisCeiling: ArtemisCeiling[];
}

/** Every row (or those BENCH_PEER_ROWS names), each broker started once for its rows. */
export async function measurePeers(): Promise<PeerResults> {
  const wanted = process.env['BENCH_PEER_ROWS']?.split('|').map((s) => s.trim().toLowerCase());
  const rows = ROWS.filter((r) => !wanted || wanted.some((w) => r.name.toLowerCase().includes(w)));
  const figures: PeerFigure[] = [];
  let artemisCeiling: ArtemisCeiling[] = [];
  for (const kind of [...new Set(rows.map((r) => r.broker))]) {
    const broker = await startBroker(kind);
    try {
      for (const row of rows.filter((r) => r.broker === kind)) {
        const results: RowRun[] = [];
        for (let r = 0; r < runs; r++) {
          const result = await runRow(row, broker);
          results.push(result);
          progress(
            `peers ${row.name} run ${r + 1}/${runs}: events ${Math.round(result.eventsEndToEnd)}/s end-to-end, ${Math.round(result.eventsConfirmed)}/s confirmed, pipelined ${Math.round(result.pipelinedEndToEnd)}/s / ${Math.round(result.pipelinedConfirmed)}/s; request p50 ${result.requestP50Ms.toFixed(3)} ms; ${Math.round(result.requestsConcurrent)} req/s at c=64`,
          );
        }
        const cpuMedian = (pick: (r: RowRun) => readonly number[]) => [0, 1, 2].map((i) => spread(results.map((r) => pick(r)[i]!)).median);
        figures.push({
          row: row.name,
          eventsEndToEnd: spread(results.map((r) => r.eventsEndToEnd)),
          eventsConfirmed: spread(results.map((r) => r.eventsConfirmed)),
          pipelinedEndToEnd: spread(results.map((r) => r.pipelinedEndToEnd)),
          pipelinedConfirmed: spread(results.map((r) => r.pipelinedConfirmed)),
          requestP50Ms: spread(results.map((r) => r.requestP50Ms)),
          requestsConcurrent: spread(results.map((r) => r.requestsConcurrent)),
          eventCpu: cpuMedian((r) => r.eventCpu),
          requestCpu: cpuMedian((r) => r.requestCpu),
        });
      }
      if (kind === 'artemis') artemisCeiling = await measureArtemisCeiling(broker);
    } finally {
      await broker.stop();
    }
  }
  return { rows: figures, artemisCeiling };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const cell = (s: Spread, format: (n: number) => string) => `${format(s.median)} (${format(s.min)}–${format(s.max)})`;

/** The peer table and the ratios the performance targets are written in. */
export function peersReport(results: PeerResults): string {
  const figures = results.rows;
  const lines = [
    `### Peers: ${fmt(EVENTS)} events of 200 B JSON (each emit awaited), ${fmt(REQUESTS)} sequential requests, ${fmt(CONCURRENT)} requests at concurrency 64`,
    '',
    'Client, Nest server and broker each in a process of its own; median (min–max) of the runs; CPU seconds per process (client / server / broker).',
    '',
    `Events twice: each emit awaited before the next (what users write), then pipelined (${PIPELINED} emits awaited at once). CPU for the awaited events and the c=64 requests.`,
    '',
    '| transport | events end-to-end /s | events confirmed /s | pipelined end-to-end /s | pipelined confirmed /s | request c=1 p50 ms | requests /s at c=64 | CPU, events | CPU, requests |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...figures.map(
      (f) =>
        `| ${f.row} | ${cell(f.eventsEndToEnd, fmt)} | ${cell(f.eventsConfirmed, fmt)} | ${cell(f.pipelinedEndToEnd, fmt)} | ${cell(f.pipelinedConfirmed, fmt)} | ${cell(f.requestP50Ms, (n) => n.toFixed(3))} | ${cell(f.requestsConcurrent, fmt)} | ${f.eventCpu.map((c) => c.toFixed(2)).join(' / ')} | ${f.requestCpu.map((c) => c.toFixed(2)).join(' / ')} |`,
    ),
  ];
  if (results.artemisCeiling.length > 0) {
    lines.push(
      '',
      "Artemis' own ceiling on the same broker: `artemis perf client` (Java, CORE protocol, producer and consumer in one JVM, 200-byte persistent messages), per-second rates after its warm-up:",
      '',
      '| sends in flight | completed (confirmed) /s | received /s |',
      '|---:|---:|---:|',
      ...results.artemisCeiling.map((c) => `| ${c.maxPending} | ${cell(c.completed, fmt)} | ${cell(c.received, fmt)} |`),
    );
  }
  const find = (part: string) => figures.find((f) => f.row.includes(part));
  const ratio = (label: string, ours: number | undefined, theirs: number | undefined, target: number, lowerIsBetter = false) => {
    if (ours === undefined || theirs === undefined) return `- ${label}: not measured`;
    const value = lowerIsBetter ? theirs / ours : ours / theirs;
    return `- ${label}: ${value.toFixed(2)}× (target ≥ ${target}×): ${value >= target ? 'met' : 'not met'}`;
  };
  const rmqConfirms = find('publisher confirms, noAck');
  const rmqManual = find('manual ack');
  const embeddedWindow = find('embedded broker, durable, window');
  lines.push('', '#### Against Nest RMQ', '');
  // Each ratio against Nest RMQ at its best: pipelined, since its emit waits for the confirmation.
  for (const broker of ['ActiveMQ Classic', 'ActiveMQ Classic 6', 'Artemis']) {
    const window = find(`${broker}, durable, window`);
    const blocking = find(`${broker}, durable, blocking`);
    if (!window && !blocking) continue;
    lines.push(
      `${broker}:`,
      '',
      ratio(
        'confirmed durable events (window, each emit awaited, until all confirmed) vs Nest RMQ confirmed persistent emit, pipelined',
        window?.eventsConfirmed.median,
        rmqConfirms?.pipelinedConfirmed.median,
        1.0,
      ),
      ratio('durable events end-to-end (acked after the handler) vs Nest RMQ manual ack, pipelined', window?.eventsEndToEnd.median, rmqManual?.pipelinedEndToEnd.median, 1.0),
      ratio('the same, each emit awaited on both sides: confirmed durable events vs Nest RMQ', window?.eventsConfirmed.median, rmqConfirms?.eventsConfirmed.median, 1.0),
      ratio('requests at c=64 vs Nest RMQ (blocking row)', blocking?.requestsConcurrent.median, rmqConfirms?.requestsConcurrent.median, 1.0),
      ratio('request c=1 p50 vs Nest RMQ (lower is better; ratio RMQ / ours)', blocking?.requestP50Ms.median, rmqConfirms?.requestP50Ms.median, 1.0, true),
      '',
    );
  }
  lines.push(
    'Embedded broker:',
    '',
    ratio('durable events end-to-end vs Nest RMQ noAck, pipelined', embeddedWindow?.eventsEndToEnd.median, rmqConfirms?.pipelinedEndToEnd.median, 1.0),
    ratio('requests at c=64 vs Nest RMQ', embeddedWindow?.requestsConcurrent.median, rmqConfirms?.requestsConcurrent.median, 1.5),
  );
  const artemisWindow = find('Artemis, durable, window');
  const ceiling = results.artemisCeiling.find((c) => c.maxPending === PIPELINED);
  if (artemisWindow && ceiling) {
    lines.push(
      '',
      "Against Artemis' own `perf client` (its ceiling on this machine; a ratio, no target):",
      '',
      `- confirmed durable events, each emit awaited (window) vs perf client, ${PIPELINED} sends in flight: ${(artemisWindow.eventsConfirmed.median / ceiling.completed.median).toFixed(2)}×`,
      `- durable events end-to-end (window) vs perf client received, ${PIPELINED} sends in flight: ${(artemisWindow.eventsEndToEnd.median / ceiling.received.median).toFixed(2)}×`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(peersReport(await measurePeers()));
}
