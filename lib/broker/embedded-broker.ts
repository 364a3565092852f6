import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { MAX_HEARTBEAT_MS } from '../stomp/heartbeat.js';
import { BrokerConnection, DEFAULT_CONNECTION_LIMITS, type ConnectionEvents, type ConnectionLimits } from './session/broker-connection.js';
import { BrokerCore, type BrokerPolicy, type BrokerStats } from './core/broker-core.js';
import { Journal, type JournalRecoveryReport } from './store/journal.js';
import { duplexPair } from './session/pipe.js';
import { ActiveMQError, InvalidOptionError } from '../errors/activemq-error.js';
import { check } from '../internal/validation.js';

/** Options of {@link EmbeddedBroker}. */
export interface EmbeddedBrokerOptions extends Partial<BrokerPolicy>, Partial<ConnectionLimits> {
  /** TCP port for STOMP clients of other processes; 0 picks a free one; omitted: in-process (`vm://`) only. */
  readonly port?: number;
  /** Address the port listens on. Default 127.0.0.1. */
  readonly host?: string;
  /**
   * Directory of the journal: persistent messages survive a restart. Omitted: nothing is written
   * to disk. One that cannot be used makes {@link EmbeddedBroker.start} reject with a {@link DataDirError}.
   */
  readonly dataDir?: string;
  /** Where the broker writes what it has to tell (what journal recovery skipped or cut off), one line per call. Default `console.warn`. */
  readonly log?: (line: string) => void;
  /**
   * Connections (TCP and `vm://`) that may wait for their CONNECT at once; a new one past this
   * closes the one that has waited longest, with an ERROR, so that sockets left idle cannot keep
   * a real client out. Default 100.
   */
  readonly maxPendingConnections?: number;
  /**
   * A second port that speaks STOMP over TLS (`stomp+ssl://` URIs), with this certificate and
   * private key (PEM); `port` 0 picks a free one. Clients check the certificate as they would a
   * real broker's (give them the CA with `caFile`).
   */
  readonly tls?: EmbeddedBrokerTlsOptions;
}

/** The TLS port of {@link EmbeddedBrokerOptions.tls}. */
export interface EmbeddedBrokerTlsOptions {
  /** The TLS port; 0 picks a free one. */
  readonly port: number;
  /** The broker's certificate chain, PEM. */
  readonly cert: string | Buffer;
  /** Its private key, PEM. */
  readonly key: string | Buffer;
}

export type { BrokerStats } from './core/broker-core.js';
export { DataDirError, type JournalDamage, type JournalRecoveryReport } from './store/journal.js';

const DEFAULT_POLICY: BrokerPolicy = {
  memoryLimitBytes: 64 * 1024 * 1024,
  storeLimitBytes: 1024 * 1024 * 1024,
  maxRedeliveries: 6,
  redeliveryDelayMs: 1000,
  deadLetterQueue: 'ActiveMQ.DLQ',
};

/**
 * A STOMP broker (1.0, 1.1 and 1.2) in this process, for development and tests: queues, topics,
 * virtual topics, temporary reply queues, acknowledgements, transactions, redelivery and a
 * dead-letter queue, and, with `dataDir`, a journal that keeps persistent messages across restarts (a receipt is
 * given only once the message is on disk). Production runs on ActiveMQ.
 *
 * Consumers get what ActiveMQ Classic gives them over STOMP: `selector`, `activemq.exclusive`,
 * `activemq.priority`, message groups (`JMSXGroupID`), `activemq.noLocal`, durable topic
 * subscriptions (CONNECT `client-id` and `activemq.subscriptionName`, journaled with `dataDir`),
 * `activemq.retroactive` (a topic's retained message, Classic's default), `browser:true`,
 * wildcards (`*`, `>`) and composite destinations; a SUBSCRIBE header of `activemq.*` it does
 * not implement is refused with an ERROR rather than ignored.
 *
 * Reach it in-process with `vm://<name>` URIs (no socket), or over TCP with `port`
 * (`npx nestjs-activemq broker`).
 */
export class EmbeddedBroker {
  private readonly sockets = new Set<net.Socket>();
  /** How new connections are taken; set from the options by {@link start} and {@link inMemory}. */
  private accepting: Accepting = acceptingOf({});
  /** Connections waiting for their CONNECT, the longest waiting first. */
  private readonly pending = new Set<BrokerConnection>();
  /** The kinds of limit already logged: each is logged the first time only, so that a flood of hostile sockets is not a flood of log lines. */
  private readonly logged = new Set<string>();
  private readonly connectionEvents: ConnectionEvents = {
    settled: (connection) => this.pending.delete(connection),
    limit: (kind, message) => this.logOnce(kind, message),
  };
  private sequence = 0;
  private stopped = false;

  private constructor(
    private readonly core: BrokerCore,
    private readonly journal: Journal | undefined,
    private readonly server: net.Server | undefined,
    /** What recovering the journal found; undefined without `dataDir`. */
    readonly recovery?: JournalRecoveryReport,
    private readonly tlsServer?: tls.Server,
  ) {}

  /**
   * Starts a broker: recovers its journal (with `dataDir`; what recovery skipped or cut off goes
   * to `log` and {@link recovery}), then listens (with `port`). Rejects with a {@link DataDirError}
   * when the data directory cannot be used.
   */
  static async start(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const policy = policyOf(options);
    const accepting = acceptingOf(options);
    if (options.port !== undefined) check.wholeNumber('port', options.port, { min: 0, max: 65535 });
    if (options.tls !== undefined) {
      check.wholeNumber('tls.port', options.tls.port, { min: 0, max: 65535 });
      if (!options.tls.cert || !options.tls.key) throw new InvalidOptionError('tls', 'tls needs both cert and key (PEM)');
    }
    let journal: Journal | undefined;
    let recovery: JournalRecoveryReport | undefined;
    let core: BrokerCore;
    if (options.dataDir !== undefined) {
      const opened = await Journal.open(options.dataDir);
      journal = opened.journal;
      recovery = opened.report;
      for (const line of describeRecovery(options.dataDir, recovery)) accepting.log(line);
      core = new BrokerCore(policy, journal, opened.nextId);
      core.log = accepting.log;
      core.restore(opened.recovered);
    } else {
      core = new BrokerCore(policy, undefined, 1);
      core.log = accepting.log;
    }
    let server: net.Server | undefined;
    let tlsServer: tls.Server | undefined;
    try {
      if (options.port !== undefined) {
        server = net.createServer();
        await listen(server, options.port, options.host ?? '127.0.0.1');
      }
      if (options.tls !== undefined) {
        tlsServer = tls.createServer({ cert: options.tls.cert, key: options.tls.key });
        await listen(tlsServer, options.tls.port, options.host ?? '127.0.0.1');
      }
    } catch (error) {
      // Nothing will use the journal or the port opened first: let go of them (a retry on the same directory opens it again).
      for (const opened of [server, tlsServer]) if (opened?.listening) await new Promise((resolve) => opened.close(resolve));
      await journal?.close();
      throw error;
    }
    const broker = new EmbeddedBroker(core, journal, server, recovery, tlsServer);
    broker.accepting = accepting;
    server?.on('connection', (socket) => broker.accept(socket));
    // A handshake that fails (an untrusted client, plain text on the TLS port) ends that socket only.
    tlsServer?.on('secureConnection', (socket) => broker.accept(socket));
    tlsServer?.on('tlsClientError', (_error, socket) => socket.destroy());
    return broker;
  }

  /** A broker in memory only, reached through {@link connect}: no port, no journal. */
  static inMemory(options: Omit<EmbeddedBrokerOptions, 'port' | 'host' | 'dataDir'> = {}): EmbeddedBroker {
    const accepting = acceptingOf(options);
    const core = new BrokerCore(policyOf(options), undefined, 1);
    core.log = accepting.log;
    const broker = new EmbeddedBroker(core, undefined, undefined);
    broker.accepting = accepting;
    return broker;
  }

  /** The TCP port, when it listens. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** The TLS port, when {@link EmbeddedBrokerOptions.tls} was given. */
  get tlsPort(): number | undefined {
    const address = this.tlsServer?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** A STOMP URI of its TCP port (`stomp://127.0.0.1:<port>`), when it listens. */
  get url(): string | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? `stomp://${address.address}:${address.port}` : undefined;
  }

  /** A new in-process connection: the client's end of an in-memory pipe. */
  connect(): Duplex {
    if (this.stopped) throw new ActiveMQError('the embedded broker is stopped', { code: 'BROKER_STOPPED' });
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
    for (const server of [this.server, this.tlsServer]) if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.journal?.close();
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    // The heart-beat check rests while flow control pauses a connection: TCP keep-alive still finds a peer that vanished.
    socket.setKeepAlive(true, KEEPALIVE_MS);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.attach(socket, `${socket.remoteAddress}:${socket.remotePort}`);
  }

  private attach(stream: Duplex, remote: string): void {
    const { limits, maxPendingConnections } = this.accepting;
    if (this.pending.size >= maxPendingConnections) {
      // The longest waiting makes room: a real client sends its CONNECT at once, an idle socket never does.
      const oldest = this.pending.values().next().value!;
      this.pending.delete(oldest);
      oldest.refuse(
        'maxPendingConnections',
        `${maxPendingConnections} connections were waiting for their CONNECT (maxPendingConnections): the one waiting longest (${oldest.remote}) is closed to make room`,
      );
    }
    const connection = new BrokerConnection(this.core, stream, ++this.sequence, remote, limits, this.connectionEvents);
    this.pending.add(connection);
    this.core.addConnection(connection);
  }

  private logOnce(kind: string, message: string): void {
    if (this.logged.has(kind)) return;
    this.logged.add(kind);
    this.accepting.log(`embedded broker: ${message} (logged the first time only)`);
  }
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** At most this many damaged stretches are listed one per line; the summary line counts them all. */
const DAMAGE_LINES = 10;

/** The lines a recovery report is logged as: none when the journal was intact. */
function describeRecovery(dataDir: string, report: JournalRecoveryReport): string[] {
  const lines: string[] = [];
  if (report.tornTail) {
    const { segment, offset, bytes } = report.tornTail;
    lines.push(`journal ${dataDir}: cut off ${bytes} byte(s) of an incomplete last write at offset ${offset} of ${segment} (normal after a crash)`);
  }
  if (report.damaged.length === 0) return lines;
  const segments = new Set(report.damaged.map((d) => d.segment)).size;
  lines.push(
    `journal ${dataDir}: DAMAGED: skipped ${report.recordsSkipped} damaged record(s) (at least) in ${report.damaged.length} stretch(es) of ${segments} segment(s): ` +
      `the messages, acknowledgements and delivery counts in them are lost; ${report.records} intact record(s) read`,
  );
  for (const d of report.damaged.slice(0, DAMAGE_LINES)) lines.push(`journal ${dataDir}: ${d.segment} bytes ${d.start}-${d.end} skipped: ${d.reason} (${d.records} record(s))`);
  if (report.damaged.length > DAMAGE_LINES) lines.push(`journal ${dataDir}: ... and ${report.damaged.length - DAMAGE_LINES} more damaged stretch(es)`);
  return lines;
}

const KEEPALIVE_MS = 60_000;

/** How an {@link EmbeddedBroker} takes new connections. */
interface Accepting {
  readonly limits: ConnectionLimits;
  readonly maxPendingConnections: number;
  readonly log: (line: string) => void;
}

/** The connection limits of `options` over the defaults, each checked: a bad one throws naming it. */
function acceptingOf(options: EmbeddedBrokerOptions): Accepting {
  const whole = (name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number =>
    value === undefined ? fallback : check.wholeNumber(name, value, { min, max });
  const log = options.log ?? console.warn;
  if (typeof log !== 'function') throw new InvalidOptionError('log', `log must be a function, got ${typeof log}`);
  return {
    limits: {
      // Timers: a delay past 2^31 - 1 ms would fire at once.
      connectTimeoutMs: whole('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECTION_LIMITS.connectTimeoutMs, 1, MAX_HEARTBEAT_MS),
      maxConnectFrameBytes: whole('maxConnectFrameBytes', options.maxConnectFrameBytes, DEFAULT_CONNECTION_LIMITS.maxConnectFrameBytes, 64),
      minHeartbeatMs: whole('minHeartbeatMs', options.minHeartbeatMs, DEFAULT_CONNECTION_LIMITS.minHeartbeatMs, 1, MAX_HEARTBEAT_MS),
    },
    maxPendingConnections: whole('maxPendingConnections', options.maxPendingConnections, DEFAULT_MAX_PENDING_CONNECTIONS, 1),
    log,
  };
}

const DEFAULT_MAX_PENDING_CONNECTIONS = 100;

/** The defaults with what `options` sets, each value checked: a bad one throws naming it. */
function policyOf(options: Partial<BrokerPolicy>): BrokerPolicy {
  const policy: BrokerPolicy = {
    ...DEFAULT_POLICY,
    ...Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && (key in DEFAULT_POLICY || key === 'users'))),
  };
  const whole = (name: keyof BrokerPolicy, min: number) => check.wholeNumber(name, policy[name], { min });
  whole('memoryLimitBytes', 1);
  whole('storeLimitBytes', 1);
  whole('maxRedeliveries', 0);
  whole('redeliveryDelayMs', 0);
  check.name('deadLetterQueue', policy.deadLetterQueue, 'a queue name');
  for (const [login, passcode] of Object.entries(policy.users ?? {})) {
    if (typeof passcode !== 'string') throw new InvalidOptionError('users', `the passcode of user '${login}' must be a string`);
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

/** A stream to the in-process broker `name`, started on first use: what a `vm://name` URI connects to. */
export function connectInProcess(name: string): Duplex {
  return vmBroker(name).connect();
}

/** Stops the in-process broker of `name`, if one runs. */
export async function stopVmBroker(name: string): Promise<void> {
  const broker = inProcess.get(name);
  inProcess.delete(name);
  await broker?.stop();
}
