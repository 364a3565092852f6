import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts');

/** The broker kind of this test file's project: Classic 5.17 unless its setup says otherwise. */
export function brokerKind(): 'activemq' | 'activemq6' | 'artemis' {
  const kind = process.env['NESTJS_ACTIVEMQ_BROKER'];
  return kind === 'activemq6' || kind === 'artemis' ? kind : 'activemq';
}

/** Whether this test file runs against the embedded broker (the "embedded" jest project). */
export function isEmbeddedBroker(): boolean {
  return process.env['NESTJS_ACTIVEMQ_EMBEDDED'] === '1';
}

/** Which broker this test file runs against: one of the four jest projects. */
export function projectBroker(): 'activemq' | 'activemq6' | 'artemis' | 'embedded' {
  return isEmbeddedBroker() ? 'embedded' : brokerKind();
}

/** What the CONNECTED frame's `server` header of this project's broker reads. */
export function serverHeaderPattern(): RegExp {
  return { activemq: /^ActiveMQ\/5\./, activemq6: /^ActiveMQ\/6\./, artemis: /^ActiveMQ-Artemis\/2\./, embedded: /^nestjs-activemq-embedded\// }[projectBroker()];
}

/** The script that starts brokers of this project's kind, and the environment it wants. */
function scriptOf(): { script: string; env: Record<string, string> } {
  const kind = brokerKind();
  // The embedded project's brokers of their own run as processes of the CLI (a crash is a kill -9 of one).
  if (isEmbeddedBroker()) return { script: join(SCRIPTS, 'embedded.sh'), env: {} };
  if (kind === 'artemis') return { script: join(SCRIPTS, 'artemis.sh'), env: {} };
  return { script: join(SCRIPTS, 'activemq.sh'), env: kind === 'activemq6' ? { ACTIVEMQ_VERSION: '6' } : {} };
}

/** What `scripts/activemq.sh start` wrote into DIR/broker.env. */
export interface BrokerEnv {
  readonly stompPort: number;
  readonly openwirePort: number;
  readonly sslPort: number | undefined;
  readonly user: string;
  readonly password: string;
  readonly caFile: string | undefined;
  readonly pid: number;
}

/** A real broker of the project's kind (the embedded one as a process of its own), started by the project's script in its own directory. */
export class TestBroker {
  private constructor(readonly dir: string) {}

  /** Starts a new broker of the project's kind in a new temp directory. `env` passes ACTIVEMQ_SSL, ACTIVEMQ_AUTH and the like. */
  static async start(env: Record<string, string> = {}): Promise<TestBroker> {
    const broker = new TestBroker(mkdtempSync(join(tmpdir(), 'nestjs-activemq-')));
    await broker.script('start', env);
    return broker;
  }

  /** A broker already started in `dir`. */
  static at(dir: string): TestBroker {
    return new TestBroker(dir);
  }

  get env(): BrokerEnv {
    const text = readFileSync(join(this.dir, 'broker.env'), 'utf8');
    const v = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1] ?? '';
    return {
      stompPort: Number(v('STOMP_PORT')),
      // Artemis' CORE acceptor takes the JMS clients where Classic's OpenWire connector does.
      openwirePort: Number(v('OPENWIRE_PORT') || v('CORE_PORT')),
      sslPort: v('SSL_PORT') ? Number(v('SSL_PORT')) : undefined,
      user: v('ACTIVEMQ_USER') || v('ARTEMIS_USER'),
      password: v('ACTIVEMQ_PASSWORD') || v('ARTEMIS_PASSWORD'),
      caFile: v('CA_FILE') || undefined,
      pid: Number(v('PID')),
    };
  }

  /** `stomp://user:password@127.0.0.1:port`. */
  get url(): string {
    return execFileSync('bash', [scriptOf().script, 'url', this.dir], { encoding: 'utf8' }).trim();
  }

  /** kill -9: a crash. */
  kill(): Promise<void> {
    return this.script('kill');
  }

  /** SIGSTOP: the broker keeps its sockets open but says nothing. */
  pause(): void {
    process.kill(this.env.pid, 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.env.pid, 'SIGCONT');
  }

  /** Starts again on the same ports and store. */
  restart(): Promise<void> {
    return this.script('restart');
  }

  stop(): Promise<void> {
    return this.script('stop');
  }

  /** Stops the broker and removes its directory. */
  clean(): Promise<void> {
    return this.script('clean');
  }

  private async script(command: string, env: Record<string, string> = {}): Promise<void> {
    const { script, env: kindEnv } = scriptOf();
    // scripts/artemis.sh reads the same options under ARTEMIS_ names (ARTEMIS_SSL, ARTEMIS_AUTH, …).
    const given = brokerKind() === 'artemis' ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k.replace(/^ACTIVEMQ_/, 'ARTEMIS_'), v])) : env;
    await run('bash', [script, command, this.dir], { env: { ...process.env, ...kindEnv, ...given }, timeout: 300_000 });
  }
}

/** The URL of the broker shared by the integration tests (started by global setup, or ACTIVEMQ_URL). */
export function sharedBrokerUrl(): string {
  const url = process.env['ACTIVEMQ_URL'];
  if (!url) throw new Error('ACTIVEMQ_URL is not set: run the tests with `npm test`, whose global setup starts ActiveMQ');
  return url;
}

/** The dead-letter queue of this project's broker: `ActiveMQ.DLQ` on Classic, `DLQ` on Artemis. */
export function deadLetterQueue(): string {
  return brokerKind() === 'artemis' ? '/queue/DLQ' : '/queue/ActiveMQ.DLQ';
}

/**
 * Server options that let the broker push `messages` ahead of acknowledgements: `prefetch` on
 * Classic and the embedded broker; on Artemis, which counts a STOMP subscriber's window in bytes
 * and refuses a message count above 1, a window without limit.
 */
export function aheadOf(messages: number): { prefetch: number } | { consumerWindowSize: number } {
  return brokerKind() === 'artemis' && messages > 1 ? { consumerWindowSize: -1 } : { prefetch: messages };
}

/** A message id in a log line, as a regular expression's source: `ID:…` on Classic, digits (`6386,6400`) on Artemis. */
export function messageIdSource(): string {
  return brokerKind() === 'artemis' ? '\\d+(?:,\\d+)?' : 'ID:\\S+';
}
