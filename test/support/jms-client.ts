// Plain JMS clients for the interoperability tests: scripts/jms/JmsTool.java run with `java`
// against the broker's own JMS client (Classic 5.17's and 6's over OpenWire, Artemis' over CORE),
// which scripts/jms/fetch-client.sh fetches and compiles once. Each command is one JVM, which
// prints what it sends and receives as JSON lines; this module reads them.
import { execFile, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseActiveMQUri } from '../../lib/config/parse-uri.js';
import { brokerKind, sharedBrokerUrl, TestBroker } from './broker.js';

const run = promisify(execFile);
const FETCH = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/jms/fetch-client.sh');

/** How long the first preparation may take: `mvn` fetches the client from Maven Central, `javac` compiles the helper. */
export const PREPARE_TIMEOUT = 280_000;

/** Each broker kind's own JMS client: its ConnectionFactory, whose constructor takes the URL. */
const FACTORIES: Record<ReturnType<typeof brokerKind>, string> = {
  activemq: 'org.apache.activemq.ActiveMQConnectionFactory',
  activemq6: 'org.apache.activemq.ActiveMQConnectionFactory',
  artemis: 'org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory',
};

/** A JMS property value as the helper prints it (a JSON value of the property's Java type). */
export type JmsPropertyValue = string | number | boolean | null;

/** A message as the JMS client received it. */
export interface JmsMessage {
  readonly event: 'message';
  readonly type: 'Text' | 'Bytes' | 'Message';
  /** The text of a TextMessage; a BytesMessage's bytes in base64. */
  readonly body: string | null;
  readonly properties: Readonly<Record<string, JmsPropertyValue>>;
  /** Each property's Java class (`String`, `Integer`, `Boolean`, …). */
  readonly propertyTypes: Readonly<Record<string, string | null>>;
  readonly correlationId: string | null;
  /** JMSReplyTo as `queue://…`, `topic://…`, `temp-queue://…`, `temp-topic://…`. */
  readonly replyTo: string | null;
  readonly messageId: string | null;
  readonly destination: string | null;
  readonly deliveryMode: 'persistent' | 'non-persistent';
}

/** What the JMS producer sends: a TextMessage (`text`) or a BytesMessage (`bytes`). */
export interface JmsOutgoing {
  readonly text?: string;
  readonly bytes?: Buffer;
  /** Properties: a string, an int (an integer number) or a boolean property each. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  readonly correlationId?: string;
  /** JMSReplyTo, `queue://NAME` or `topic://NAME`. */
  readonly replyTo?: string;
  readonly persistent?: boolean;
}

/** One helper process: its output lines as they come, and its end. */
export class JmsProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  /** Resolves once the helper's consumer is open (its `ready` line); rejects if it ends first. */
  readonly ready: Promise<void>;
  /** Resolves with every line when it exits 0; rejects with its stderr otherwise. */
  readonly done: Promise<Array<Record<string, unknown>>>;

  constructor(description: string, java: string[]) {
    const child = spawn('java', java, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let markReady!: () => void;
    let failReady!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (failReady = reject)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      let end;
      while ((end = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, end).trim();
        stdout = stdout.slice(end + 1);
        if (line === '') continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        this.lines.push(parsed);
        if (parsed['event'] === 'ready') markReady();
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    this.done = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === 0) resolve(this.lines);
        else reject(new Error(`JMS ${description} exited with ${code ?? signal}:\n${stderr.trim()}\noutput so far: ${JSON.stringify(this.lines)}`));
      });
    });
    this.done.catch((error: Error) => failReady(error));
    // Whoever awaits nothing but `done` must not see `ready`'s rejection reported as unhandled.
    this.ready.catch(() => undefined);
  }

  /** The lines of one event kind. */
  events<T = Record<string, unknown>>(event: string): T[] {
    return this.lines.filter((line) => line['event'] === event) as T[];
  }
}

/** The broker's own JMS client for this project's broker, through scripts/jms/JmsTool.java. */
export class JmsClient {
  private constructor(
    private readonly classpath: string,
    private readonly connection: string[],
  ) {}

  /**
   * Fetches and compiles what the helper needs for this project's broker (at most
   * {@link PREPARE_TIMEOUT} the first time; nothing afterwards), and finds the broker's JMS port:
   * ACTIVEMQ_OPENWIRE_URL when given (Classic's OpenWire, or Artemis' CORE acceptor:
   * `tcp://host:port`), otherwise the started broker's broker.env.
   */
  static async prepare(): Promise<JmsClient> {
    const kind = brokerKind();
    const { stdout } = await run('bash', [FETCH, kind], { timeout: PREPARE_TIMEOUT, maxBuffer: 1 << 20 });
    const classpath = stdout.trim().split('\n').pop()!;
    const { endpoints, login, passcode } = parseActiveMQUri(sharedBrokerUrl());
    const user = endpoints[0]!.login ?? login;
    const password = endpoints[0]!.passcode ?? passcode;
    return new JmsClient(classpath, ['--factory', FACTORIES[kind], '--url', jmsUrl(), ...(user ? ['--user', user] : []), ...(password ? ['--password', password] : [])]);
  }

  /** Sends `message` to `destination` (`queue://NAME`) with a JMS MessageProducer. */
  async produce(destination: string, message: JmsOutgoing): Promise<void> {
    const done = await this.start('produce', ['--destination', destination, ...outgoing(message)]).done;
    if (done.filter((line) => line['event'] === 'sent').length !== 1) throw new Error(`the JMS producer did not report its send: ${JSON.stringify(done)}`);
  }

  /** A JMS consumer of `destination` that receives `count` messages within `timeout` ms; await its `ready` before sending. */
  consumer(destination: string, count: number, timeout = 15_000): JmsProcess {
    return this.start('consume', ['--destination', destination, '--count', String(count), '--timeout', String(timeout)]);
  }

  /** A JMS request: JMSReplyTo a TemporaryQueue, a JMSCorrelationID; resolves with what was sent and the reply. */
  async request(destination: string, message: JmsOutgoing, timeout = 15_000): Promise<{ sent: { replyTo: string; correlationId: string }; reply: JmsMessage }> {
    const done = await this.start('request', ['--destination', destination, '--timeout', String(timeout), ...outgoing(message)]).done;
    const sent = done.find((line) => line['event'] === 'sent') as { replyTo: string; correlationId: string };
    const reply = done.find((line) => line['event'] === 'message') as JmsMessage | undefined;
    if (!reply) throw new Error(`the JMS requester printed no reply: ${JSON.stringify(done)}`);
    return { sent, reply };
  }

  /**
   * A JMS replier serving `count` requests of `destination` within `timeout` ms: each is answered
   * at its JMSReplyTo with its JMSCorrelationID, its body type, body and properties, plus `properties`.
   */
  replier(destination: string, count: number, properties: JmsOutgoing['properties'] = {}, timeout = 15_000): JmsProcess {
    return this.start('reply', ['--destination', destination, '--count', String(count), '--timeout', String(timeout), ...propertyArgs(properties)]);
  }

  private start(command: string, args: string[]): JmsProcess {
    return new JmsProcess(`${command} ${args.slice(0, 2).join(' ')}`, [
      '-cp',
      this.classpath,
      // The clients log through SLF4J's simple provider: warnings and errors only, on stderr.
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      'JmsTool',
      command,
      ...this.connection,
      ...args,
    ]);
  }
}

/** The shared broker's JMS URL: ACTIVEMQ_OPENWIRE_URL, or the OpenWire (Classic) or CORE (Artemis) port of its broker.env. */
function jmsUrl(): string {
  const given = process.env['ACTIVEMQ_OPENWIRE_URL'];
  if (given) return given;
  const dir = process.env['NESTJS_ACTIVEMQ_STARTED_BROKER'];
  if (!dir) throw new Error('ACTIVEMQ_URL names an outside broker: set ACTIVEMQ_OPENWIRE_URL (tcp://host:port of its OpenWire or CORE acceptor) for the JMS interop tests');
  const port = TestBroker.at(dir).env.openwirePort;
  if (!port) throw new Error(`${join(dir, 'broker.env')} names no OPENWIRE_PORT or CORE_PORT`);
  return `tcp://127.0.0.1:${port}`;
}

function outgoing(message: JmsOutgoing): string[] {
  if ((message.text === undefined) === (message.bytes === undefined)) throw new Error('a JMS message has text or bytes');
  const body =
    message.bytes !== undefined
      ? ['--type', 'bytes', '--body-base64', message.bytes.toString('base64')]
      : ['--type', 'text', '--body-base64', Buffer.from(message.text!).toString('base64')];
  return [
    ...body,
    ...propertyArgs(message.properties ?? {}),
    ...(message.correlationId !== undefined ? ['--correlation-id', message.correlationId] : []),
    ...(message.replyTo !== undefined ? ['--reply-to', message.replyTo] : []),
    ...(message.persistent !== undefined ? ['--persistent', String(message.persistent)] : []),
  ];
}

function propertyArgs(properties: Readonly<Record<string, string | number | boolean>>): string[] {
  return Object.entries(properties).flatMap(([name, value]) => {
    if (typeof value === 'boolean') return ['--boolean', `${name}=${value}`];
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) throw new Error(`property ${name}: only int numbers are sent, got ${value}`);
      return ['--int', `${name}=${value}`];
    }
    return ['--string', `${name}=${value}`];
  });
}
