import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { BrokerConnection } from './broker-connection.js';
import { BrokerCore, type BrokerPolicy, type BrokerStats } from './broker-core.js';
import { Journal } from './journal.js';
import { duplexPair } from './pipe.js';

/** Options of {@link EmbeddedBroker}. */
export interface EmbeddedBrokerOptions extends Partial<BrokerPolicy> {
  /** TCP port for STOMP clients of other processes; 0 picks a free one; omitted: in-process (`vm://`) only. */
  readonly port?: number;
  /** Address the port listens on. Default 127.0.0.1. */
  readonly host?: string;
  /** Directory of the journal: persistent messages survive a restart. Omitted: nothing is written to disk. */
  readonly dataDir?: string;
}

export type { BrokerStats } from './broker-core.js';

const DEFAULT_POLICY: BrokerPolicy = {
  memoryLimitBytes: 64 * 1024 * 1024,
  storeLimitBytes: 1024 * 1024 * 1024,
  maxRedeliveries: 6,
  redeliveryDelayMs: 1000,
  deadLetterQueue: 'ActiveMQ.DLQ',
};

/**
 * A STOMP 1.2 broker in this process, for development and tests: queues, topics, virtual topics,
 * temporary reply queues, acknowledgements, transactions, redelivery and a dead-letter queue,
 * and, with `dataDir`, a journal that keeps persistent messages across restarts (a receipt is
 * given only once the message is on disk). Production runs on ActiveMQ.
 *
 * Reach it in-process with `vm://<name>` URIs (no socket), or over TCP with `port`
 * (`npx nestjs-activemq broker`).
 */
export class EmbeddedBroker {
  private readonly sockets = new Set<net.Socket>();
  private sequence = 0;
  private stopped = false;

  private constructor(
    private readonly core: BrokerCore,
    private readonly journal: Journal | undefined,
    private readonly server: net.Server | undefined,
  ) {}

  /** Starts a broker: recovers its journal (with `dataDir`), then listens (with `port`). */
  static async start(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const policy = policyOf(options);
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
      throw new RangeError(`port must be a whole number from 0 to 65535, got ${String(options.port)}`);
    }
    let journal: Journal | undefined;
    let core: BrokerCore;
    if (options.dataDir !== undefined) {
      const opened = await Journal.open(options.dataDir);
      journal = opened.journal;
      core = new BrokerCore(policy, {}, journal, opened.nextId);
      core.restore(opened.recovered);
    } else {
      core = new BrokerCore(policy, {}, undefined, 1);
    }
    let server: net.Server | undefined;
    if (options.port !== undefined) {
      server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(options.port, options.host ?? '127.0.0.1', () => {
          server!.off('error', reject);
          resolve();
        });
      });
    }
    const broker = new EmbeddedBroker(core, journal, server);
    server?.on('connection', (socket) => broker.accept(socket));
    return broker;
  }

  /** A broker in memory only, reached through {@link connect}: no port, no journal. */
  static inMemory(options: Omit<EmbeddedBrokerOptions, 'port' | 'host' | 'dataDir'> = {}): EmbeddedBroker {
    return new EmbeddedBroker(new BrokerCore(policyOf(options), {}, undefined, 1), undefined, undefined);
  }

  /** The TCP port, when it listens. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** A STOMP URI of its TCP port (`stomp://127.0.0.1:<port>`), when it listens. */
  get url(): string | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? `stomp://${address.address}:${address.port}` : undefined;
  }

  /** A new in-process connection: the client's end of an in-memory pipe. */
  connect(): Duplex {
    if (this.stopped) throw new Error('the embedded broker is stopped');
    const [client, broker] = duplexPair();
    this.attach(broker, 'vm');
    return client;
  }

  /** Counters of connections, queues, messages, memory and the journal, as of now. */
  stats(): BrokerStats {
    return this.core.stats();
  }

  /** True once {@link stop} has been called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Closes every connection and the port, then the journal. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.core.stop();
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    await this.journal?.close();
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.attach(socket, `${socket.remoteAddress}:${socket.remotePort}`);
  }

  private attach(stream: Duplex, remote: string): void {
    this.core.addConnection(new BrokerConnection(this.core, stream, ++this.sequence, remote));
  }
}

/** The defaults with what `options` sets, each value checked: a bad one throws naming it. */
function policyOf(options: Partial<BrokerPolicy>): BrokerPolicy {
  const policy: BrokerPolicy = {
    ...DEFAULT_POLICY,
    ...Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && (key in DEFAULT_POLICY || key === 'users'))),
  };
  const whole = (name: keyof BrokerPolicy, min: number) => {
    const value = policy[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new RangeError(`${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  };
  whole('memoryLimitBytes', 1);
  whole('storeLimitBytes', 1);
  whole('maxRedeliveries', 0);
  whole('redeliveryDelayMs', 0);
  if (typeof policy.deadLetterQueue !== 'string' || policy.deadLetterQueue === '')
    throw new TypeError(`deadLetterQueue must be a queue name, got ${String(policy.deadLetterQueue)}`);
  for (const [login, passcode] of Object.entries(policy.users ?? {})) {
    if (typeof passcode !== 'string') throw new TypeError(`the passcode of user '${login}' must be a string`);
  }
  return policy;
}

const inProcess = new Map<string, EmbeddedBroker>();

/**
 * The in-process broker `vm://<name>` names: started on first use and shared by every client and
 * server of this process that names it (in memory, nothing on disk), stopped by
 * {@link stopVmBroker}.
 */
export function vmBroker(name: string): EmbeddedBroker {
  let broker = inProcess.get(name);
  if (!broker || broker.isStopped) {
    broker = EmbeddedBroker.inMemory();
    inProcess.set(name, broker);
  }
  return broker;
}

/** Stops the in-process broker of `name`, if one runs. */
export async function stopVmBroker(name: string): Promise<void> {
  const broker = inProcess.get(name);
  inProcess.delete(name);
  await broker?.stop();
}
