import { execFile } from 'node:child_process';
import { lastValueFrom } from 'rxjs';
import { promisify } from 'node:util';
import { ClientActiveMQ } from '../lib/client/client-activemq.js';
import { StompConnection } from '../lib/connection/stomp-connection.js';
import { RawStomp, rawSend } from './raw-stomp.js';
import { DurableSend, NonDurableSend } from '../lib/decorators/send-decorators.js';

const run = promisify(execFile);

/** Where the bench sends, and with what. */
export interface BenchTarget {
  readonly stompUrl: string;
  readonly stompPort: number;
  readonly openwireUrl: string;
  readonly user: string;
  readonly password: string;
  readonly log4j: string;
}

/** One scenario: sends `count` messages of `size` bytes and returns the seconds it took. */
export interface Scenario {
  readonly name: string;
  readonly group: 'raw' | 'java' | 'transport';
  readonly persistent: boolean;
  /** Messages per run (fewer for modes bounded by one fsync per message). */
  readonly count: number;
  /** Messages a run leaves besides its `count` (a closing receipted frame). */
  readonly extra?: number;
  run(target: BenchTarget, destination: string, size: number, count: number): Promise<number>;
}

let queueSeq = 0;
export function freshQueue(scenario: string): string {
  return `bench.${scenario.replace(/[^a-z0-9]+/gi, '-')}.${process.pid}.${queueSeq++}`;
}

/** ActiveMQ's own Java producer, timed by itself (its JVM start-up is not counted). */
async function javaProducer(t: BenchTarget, query: string, dest: string, size: number, n: number, persistent: boolean): Promise<number> {
  const { stdout } = await run(
    'java',
    [
      '-Dactivemq.home=/usr/share/activemq',
      `-Dlog4j.configuration=file:${t.log4j}`,
      '-jar',
      '/usr/share/activemq/bin/activemq.jar',
      'producer',
      '--brokerUrl',
      `${t.openwireUrl}?${query}`,
      '--user',
      t.user,
      '--password',
      t.password,
      '--destination',
      `queue://${dest}`,
      '--messageCount',
      String(n),
      '--messageSize',
      String(size),
      '--persistent',
      String(persistent),
    ],
    { timeout: 300_000 },
  );
  const ms = /Elapsed time in milli second : (\d+)/.exec(stdout);
  if (!ms) throw new Error(`the Java producer printed no timing:\n${stdout}`);
  return Number(ms[1]) / 1000;
}

async function seconds(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

const emitted = (client: ClientActiveMQ, pattern: string, data: unknown) => lastValueFrom(client.emit(pattern, data), { defaultValue: undefined });

/** Runs `sends` on a windowed client, then flushes, and fails unless all `n` were confirmed. */
async function everyConfirmed(client: ClientActiveMQ, n: number, sends: () => Promise<void>): Promise<void> {
  let confirmed = 0;
  const subscription = client.acknowledgements().subscribe((o) => {
    if (o.status === 'confirmed') confirmed++;
  });
  try {
    await sends();
    await client.flush();
  } finally {
    subscription.unsubscribe();
  }
  if (confirmed !== n) throw new Error(`${confirmed} of ${n} confirmed`);
}

/** An order as users send one: an object whose JSON is `size` bytes. */
function order(i: number, size: number): { id: number; customer: string; lines: Array<{ sku: string; qty: number }>; note: string } {
  const base = { id: i, customer: 'c-1042', lines: [{ sku: 'A-17', qty: 2 }], note: '' };
  return { ...base, note: 'x'.repeat(Math.max(0, size - JSON.stringify(base).length)) };
}

/**
 * The scenario users write: a provider whose methods carry the send decorators and emit an object,
 * each call awaited by its caller (`await lastValueFrom(client.emit(...))` inside).
 */
class OrdersPublisher {
  constructor(
    private readonly client: ClientActiveMQ,
    private readonly destination: string,
  ) {}

  @DurableSend({ block: false })
  async placed(data: object): Promise<void> {
    await emitted(this.client, this.destination, data);
  }

  @NonDurableSend()
  async viewed(data: object): Promise<void> {
    await emitted(this.client, this.destination, data);
  }
}

async function withRaw(target: BenchTarget, fn: (raw: RawStomp) => Promise<void>): Promise<number> {
  const raw = await RawStomp.connect(target.stompPort, target.user, target.password);
  try {
    return await seconds(() => fn(raw));
  } finally {
    raw.close();
  }
}

async function withClient(
  target: BenchTarget,
  query: string,
  fn: (client: ClientActiveMQ) => Promise<void>,
  options: ConstructorParameters<typeof ClientActiveMQ>[0] = {},
): Promise<number> {
  const client = new ClientActiveMQ({ uri: target.stompUrl + query, ...options });
  await client.connect();
  try {
    return await seconds(() => fn(client));
  } finally {
    await client.close();
  }
}

export function scenarios(persistent: boolean): Scenario[] {
  const fsyncBound = persistent ? 1500 : 5000;
  const fast = persistent ? 10000 : 20000;
  return [
    {
      name: 'raw STOMP, receipt per message, waited',
      group: 'raw',
      persistent,
      count: fsyncBound,
      run: (t, dest, size, n) =>
        withRaw(t, async (raw) => {
          const body = Buffer.alloc(size, 'x');
          for (let i = 0; i < n; i++) {
            await raw.write(rawSend(`/queue/${dest}`, body, persistent, `receipt:${i}\n`));
            await raw.until(i + 2);
          }
        }),
    },
    {
      name: 'raw STOMP, receipt per message, pipelined',
      group: 'raw',
      persistent,
      count: fsyncBound,
      run: (t, dest, size, n) =>
        withRaw(t, async (raw) => {
          const body = Buffer.alloc(size, 'x');
          for (let i = 0; i < n; i++) await raw.write(rawSend(`/queue/${dest}`, body, persistent, `receipt:${i}\n`));
          await raw.until(n + 1);
        }),
    },
    {
      name: 'raw STOMP, transactions of 100, COMMIT receipt',
      group: 'raw',
      persistent,
      count: fast,
      run: (t, dest, size, n) =>
        withRaw(t, async (raw) => {
          const body = Buffer.alloc(size, 'x');
          for (let batch = 0; batch * 100 < n; batch++) {
            const tx = `t${batch}`;
            const frames: Buffer[] = [Buffer.from(`BEGIN\ntransaction:${tx}\n\n\0`)];
            for (let i = 0; i < 100; i++) frames.push(rawSend(`/queue/${dest}`, body, persistent, `transaction:${tx}\n`));
            frames.push(Buffer.from(`COMMIT\ntransaction:${tx}\nreceipt:c${batch}\n\n\0`));
            await raw.write(Buffer.concat(frames));
            await raw.until(batch + 2);
          }
        }),
    },
    {
      name: 'raw STOMP, unconfirmed',
      group: 'raw',
      persistent,
      count: fast,
      extra: 1,
      run: (t, dest, size, n) =>
        withRaw(t, async (raw) => {
          const body = Buffer.alloc(size, 'x');
          for (let i = 0; i < n; i++) await raw.write(rawSend(`/queue/${dest}`, body, persistent));
          await raw.write(rawSend(`/queue/${dest}`, body, persistent, 'receipt:end\n'));
          await raw.until(2);
        }),
    },
    {
      name: 'Java producer (OpenWire), jms.useAsyncSend=true',
      group: 'java',
      persistent,
      count: fast * 2,
      run: (t, dest, size, n) => javaProducer(t, 'jms.useAsyncSend=true', dest, size, n, persistent),
    },
    {
      name: 'Java producer (OpenWire), sync',
      group: 'java',
      persistent,
      count: fsyncBound,
      run: (t, dest, size, n) => javaProducer(t, 'jms.alwaysSyncSend=true', dest, size, n, persistent),
    },
    {
      name: 'ClientActiveMQ, blocking',
      group: 'transport',
      persistent,
      count: fsyncBound,
      run: (t, dest, size, n) =>
        withClient(
          t,
          persistent ? '' : '?blockOnNonDurableSend=true',
          async (client) => {
            const body = Buffer.alloc(size, 'x');
            for (let i = 0; i < n; i++) await emitted(client, dest, body);
          },
          { durable: persistent },
        ),
    },
    {
      name: 'ClientActiveMQ, async (unconfirmed)',
      group: 'transport',
      persistent,
      count: fast,
      extra: 1,
      run: (t, dest, size, n) =>
        withClient(
          t,
          '?jms.useAsyncSend=true',
          async (client) => {
            const body = Buffer.alloc(size, 'x');
            for (let i = 0; i < n; i++) await emitted(client, dest, body);
            // One receipted frame on the same connection: the clock stops when the broker has taken everything.
            await client.unwrap<StompConnection>().send(`/queue/${dest}`, {}, 'fence', { receipt: true });
          },
          { durable: persistent },
        ),
    },
    {
      name: 'ClientActiveMQ, acknowledged async (window 1 MiB, every message confirmed)',
      group: 'transport',
      persistent,
      count: fast,
      run: (t, dest, size, n) =>
        withClient(
          t,
          '?jms.useAsyncSend=true&confirmationWindowSize=1048576',
          async (client) => {
            const body = Buffer.alloc(size, 'x');
            await everyConfirmed(client, n, async () => {
              for (let i = 0; i < n; i++) await emitted(client, dest, body);
            });
          },
          { durable: persistent },
        ),
    },
    {
      name: 'ClientActiveMQ, acknowledged async, receipt per message',
      group: 'transport',
      persistent,
      count: fsyncBound,
      run: (t, dest, size, n) =>
        withClient(
          t,
          '?jms.useAsyncSend=true&confirmationWindowSize=1048576',
          async (client) => {
            const body = Buffer.alloc(size, 'x');
            for (let i = 0; i < n; i++) await emitted(client, dest, body);
            await client.flush();
          },
          { durable: persistent, confirmationStrategy: 'receipt' },
        ),
    },
    persistent
      ? {
          name: 'user-written: @DurableSend({ block: false }) provider method, object payload, window 1 MiB, every message confirmed',
          group: 'transport',
          persistent,
          count: fast,
          run: (t, dest, size, n) =>
            withClient(t, '?confirmationWindowSize=1048576', async (client) => {
              const publisher = new OrdersPublisher(client, dest);
              await everyConfirmed(client, n, async () => {
                for (let i = 0; i < n; i++) await publisher.placed(order(i, size));
              });
            }),
        }
      : {
          name: 'user-written: @NonDurableSend() provider method, object payload',
          group: 'transport',
          persistent,
          count: fast,
          extra: 1,
          run: (t, dest, size, n) =>
            withClient(t, '', async (client) => {
              const publisher = new OrdersPublisher(client, dest);
              for (let i = 0; i < n; i++) await publisher.viewed(order(i, size));
              await client.unwrap<StompConnection>().send(`/queue/${dest}`, {}, 'fence', { receipt: true });
            }),
        },
    {
      name: 'ClientActiveMQ, transactions of 100',
      group: 'transport',
      persistent,
      count: fast,
      run: (t, dest, size, n) =>
        withClient(
          t,
          '',
          async (client) => {
            const body = Buffer.alloc(size, 'x');
            for (let batch = 0; batch * 100 < n; batch++) {
              await client.transaction(async (tx) => {
                for (let i = 0; i < 100; i++) await tx.emit(dest, body);
              });
            }
          },
          { durable: persistent },
        ),
    },
  ];
}

/**
 * Consumes and acknowledges everything a run left in `destination`, outside the measured time, so
 * that later runs meet an empty broker and never its producer flow control.
 */
export async function drain(target: BenchTarget, destination: string, count: number): Promise<void> {
  const connection = await StompConnection.connect({ host: '127.0.0.1', port: target.stompPort, login: target.user, passcode: target.password });
  let received = 0;
  await new Promise<void>((resolve) => {
    void connection.subscribe(
      `/queue/${destination}`,
      () => {
        if (++received === count) resolve();
      },
      { ack: 'auto', headers: { 'activemq.prefetchSize': '5000' } },
    );
  });
  await connection.disconnect();
}
