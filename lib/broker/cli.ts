/**
 * `npx nestjs-activemq broker [--port 61613] [--host 127.0.0.1] [--data ./data] [--user login:passcode]
 * [--stats 10]`: the embedded broker on a TCP port, for several processes on one machine.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DataDirError, EmbeddedBroker } from './embedded-broker.js';

const USAGE = `usage: nestjs-activemq broker [--port 61613] [--host 127.0.0.1] [--data DIR] [--user LOGIN:PASSCODE]... [--memory-limit MB]
       [--max-redeliveries N] [--redelivery-delay MS] [--tls-port PORT --tls-cert FILE --tls-key FILE] [--stats SECONDS]

  --port   TCP port for STOMP clients (default 61613; 0 picks a free one)
  --host   address to listen on (default 127.0.0.1)
  --data   journal directory: persistent messages survive restarts (default: memory only)
  --user   a login and its passcode; repeat for more (default: anyone may connect)
  --memory-limit  MiB of messages held in memory before producers are slowed (default 64)
  --max-redeliveries  redeliveries of a NACKed message before ActiveMQ.DLQ (default 6)
  --redelivery-delay  milliseconds before a NACKed message is delivered again (default 1000)
  --tls-port  a second port for stomp+ssl:// clients, with --tls-cert and --tls-key (PEM files)
  --stats  seconds between stats lines (default 10; 0 for none)`;

/** The usage text `--help` prints. */
export function brokerUsage(): string {
  return USAGE;
}

/**
 * Whether the command line asks for the usage: `--help` / `-h` / `help` alone, or `--help` / `-h`
 * after `broker`.
 * Asked for, the usage is the answer (stdout, exit 0), not an error.
 */
export function wantsHelp(argv: readonly string[]): boolean {
  const isFlag = (arg: string | undefined) => arg === '--help' || arg === '-h';
  return (argv.length === 1 && (isFlag(argv[0]) || argv[0] === 'help')) || (argv[0] === 'broker' && argv.slice(1).some(isFlag));
}

/** Reads the command line; throws with the usage on anything it does not understand. */
export function parseBrokerArgs(argv: readonly string[]): {
  port: number;
  host: string;
  dataDir?: string;
  users?: Record<string, string>;
  memoryLimitBytes?: number;
  maxRedeliveries?: number;
  redeliveryDelayMs?: number;
  tls?: { port: number; certFile: string; keyFile: string };
  statsSeconds: number;
} {
  const [command, ...rest] = argv;
  if (command !== 'broker') throw new Error(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`);
  const { values } = (() => {
    try {
      return parseArgs({
        args: rest,
        options: {
          port: { type: 'string' },
          host: { type: 'string' },
          data: { type: 'string' },
          user: { type: 'string', multiple: true },
          stats: { type: 'string' },
          'memory-limit': { type: 'string' },
          'max-redeliveries': { type: 'string' },
          'redelivery-delay': { type: 'string' },
          'tls-port': { type: 'string' },
          'tls-cert': { type: 'string' },
          'tls-key': { type: 'string' },
        },
        strict: true,
      });
    } catch (error) {
      // Unknown flags, a flag without its value, stray arguments: node:util's message, with the usage.
      throw new Error(`${(error as Error).message}\n${USAGE}`, { cause: error });
    }
  })();
  // Digits only: Number('') is 0, which would silently pick a random port.
  const port = values.port === undefined ? 61613 : /^\d+$/.test(values.port) ? Number(values.port) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port '${values.port}' is not a port number\n${USAGE}`);
  const statsSeconds = values.stats === undefined ? 10 : values.stats.trim() === '' ? NaN : Number(values.stats);
  if (!Number.isFinite(statsSeconds) || statsSeconds < 0) throw new Error(`--stats '${values.stats}' is not a number of seconds\n${USAGE}`);
  const memoryLimit = values['memory-limit'];
  if (memoryLimit !== undefined && !/^[1-9]\d*$/.test(memoryLimit)) throw new Error(`--memory-limit '${memoryLimit}' is not a whole number of MiB >= 1\n${USAGE}`);
  const whole = (flag: string): number | undefined => {
    const text = values[flag as 'max-redeliveries' | 'redelivery-delay'];
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) throw new Error(`--${flag} '${text}' is not a whole number >= 0\n${USAGE}`);
    return Number(text);
  };
  const maxRedeliveries = whole('max-redeliveries');
  const redeliveryDelayMs = whole('redelivery-delay');
  const tlsGiven = [values['tls-port'], values['tls-cert'], values['tls-key']].filter((v) => v !== undefined).length;
  if (tlsGiven !== 0 && tlsGiven !== 3) throw new Error(`--tls-port, --tls-cert and --tls-key go together\n${USAGE}`);
  const tlsPort = values['tls-port'] === undefined ? undefined : /^\d+$/.test(values['tls-port']) ? Number(values['tls-port']) : NaN;
  if (tlsPort !== undefined && !(Number.isInteger(tlsPort) && tlsPort <= 65535)) throw new Error(`--tls-port '${values['tls-port']}' is not a port number\n${USAGE}`);
  let users: Record<string, string> | undefined;
  for (const entry of values.user ?? []) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new Error(`--user '${entry}' is not LOGIN:PASSCODE\n${USAGE}`);
    (users ??= {})[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return {
    port,
    host: values.host ?? '127.0.0.1',
    statsSeconds,
    ...(values.data === undefined ? {} : { dataDir: values.data }),
    ...(users ? { users } : {}),
    ...(memoryLimit === undefined ? {} : { memoryLimitBytes: Number(memoryLimit) * 2 ** 20 }),
    ...(maxRedeliveries === undefined ? {} : { maxRedeliveries }),
    ...(redeliveryDelayMs === undefined ? {} : { redeliveryDelayMs }),
    ...(tlsPort === undefined ? {} : { tls: { port: tlsPort, certFile: values['tls-cert']!, keyFile: values['tls-key']! } }),
  };
}

/**
 * Runs the command line: `--help` prints the usage on stdout (exit 0); a command line it cannot
 * read prints the error and the usage on stderr (exit 2); otherwise it starts the broker, prints its banner and its stats lines until
 * SIGINT/SIGTERM. A broker that cannot start (its data directory, its port) is one line on
 * stderr and exit code 1; what journal recovery reports goes to stderr too, so that the banner
 * stays the first line on stdout.
 */
export async function runBrokerCli(argv: readonly string[]): Promise<void> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return;
  }
  let args: ReturnType<typeof parseBrokerArgs>;
  try {
    args = parseBrokerArgs(argv);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  let broker: EmbeddedBroker;
  try {
    broker = await EmbeddedBroker.start({
      port: args.port,
      host: args.host,
      log: (line) => console.error(line),
      ...(args.dataDir ? { dataDir: args.dataDir } : {}),
      ...(args.users ? { users: args.users } : {}),
      ...(args.memoryLimitBytes ? { memoryLimitBytes: args.memoryLimitBytes } : {}),
      ...(args.maxRedeliveries === undefined ? {} : { maxRedeliveries: args.maxRedeliveries }),
      ...(args.redeliveryDelayMs === undefined ? {} : { redeliveryDelayMs: args.redeliveryDelayMs }),
      ...(args.tls ? { tls: { port: args.tls.port, cert: readFileSync(args.tls.certFile), key: readFileSync(args.tls.keyFile) } } : {}),
    });
  } catch (error) {
    console.error(startFailure(error));
    process.exitCode = 1;
    return;
  }
  const recovered = broker.stats();
  const skipped = broker.recovery?.recordsSkipped ? `, ${broker.recovery.recordsSkipped} damaged journal record(s) skipped (see stderr)` : '';
  console.log(
    `nestjs-activemq embedded broker listening on ${broker.url}${broker.tlsPort === undefined ? '' : ` and TLS port ${broker.tlsPort}`} ` +
      `(${args.dataDir ? `journal ${args.dataDir}, ${recovered.waiting} persistent messages recovered${skipped}` : 'memory only'}; ` +
      `${args.users ? `${Object.keys(args.users).length} login(s)` : 'no login required'}; started in ${Math.round(performance.now() - started)} ms). ` +
      'A development broker: production runs on ActiveMQ.',
  );
  if (args.statsSeconds > 0) {
    setInterval(() => {
      const s = broker.stats();
      const journal = s.journal ? ` journal ${(s.journal.bytesOnDisk / 2 ** 20).toFixed(1)} MB in ${s.journal.segments} segment(s), ${s.journal.fsyncs} fsyncs` : '';
      console.log(
        `connections ${s.connections}, queues ${s.queues}, waiting ${s.waiting}, enqueued ${s.enqueued}, dispatched ${s.dispatched}, memory ${(s.memoryBytes / 2 ** 20).toFixed(1)} MB${journal}`,
      );
    }, args.statsSeconds * 1000).unref();
  }
  const stop = () => {
    void broker.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** One line for a broker that could not start: what is wrong, without a stack trace. */
function startFailure(error: unknown): string {
  if (error instanceof DataDirError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `cannot start the broker: ${message.replace(/\s*\n\s*/g, ' ')}`;
}
