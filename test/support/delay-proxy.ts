import * as net from 'node:net';
import type { StompFrame } from '../../lib/stomp/frame.js';
import { StompParser } from '../../lib/stomp/parser.js';

/** A client frame as the broker will see it, with when it left the client. */
export interface LoggedFrame {
  readonly command: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly at: number;
  /** Which client connection through the proxy sent it: 1 for the first. */
  readonly connection: number;
  /** Its place among every frame the proxy saw, both ways (client frames when read, broker frames when handed to the client). */
  readonly seq: number;
}

/**
 * A TCP proxy between a client and a broker on loopback that delays every chunk by `delayMs`
 * each way (so a round trip costs at least 2 × delayMs) and logs the frames the client sends.
 * `holdReplies()` stops forwarding what the broker says, to simulate a broker that went quiet;
 * `pauseReplies()` keeps it until `resumeReplies()`. `replies` logs the broker's frames as they are
 * handed to the client.
 */
export class DelayProxy {
  readonly frames: LoggedFrame[] = [];
  /** The broker's frames, as the client gets them (heart-beats left out). */
  readonly replies: LoggedFrame[] = [];
  private seq = 0;
  private paused: Array<() => void> | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly waiters: Array<{ matches: (f: LoggedFrame) => boolean; resolve: (f: LoggedFrame) => void }> = [];
  private holding = false;
  private holdingRequests = false;
  private connections = 0;

  private constructor(
    private readonly server: net.Server,
    readonly delayMs: number,
  ) {}

  static async start(targetPort: number, delayMs: number): Promise<DelayProxy> {
    const server = net.createServer();
    const proxy = new DelayProxy(server, delayMs);
    server.on('connection', (client) => proxy.pipe(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `url` with its port replaced by the proxy's. */
  urlFor(url: string): string {
    return url.replace(/:(\d+)(?=[/?]|$)/, `:${this.port}`);
  }

  /** Frames of `command` (optionally to `destination`) seen so far. */
  sent(command: string, destination?: string): LoggedFrame[] {
    return this.frames.filter((f) => f.command === command && (destination === undefined || f.headers['destination'] === destination));
  }

  /** Resolves with the first frame of `command` to `destination`, seen already or when it comes. */
  seen(command: string, destination: string): Promise<LoggedFrame> {
    const matches = (f: LoggedFrame) => f.command === command && f.headers['destination'] === destination;
    const found = this.frames.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ matches, resolve }));
  }

  holdReplies(): void {
    this.holding = true;
  }

  /** Forwards what the broker says again (after `holdReplies()`); what was held is dropped. */
  releaseReplies(): void {
    this.holding = false;
  }

  /** Keeps what the broker says from the client, without dropping it, until `resumeReplies()`. */
  pauseReplies(): void {
    this.paused ??= [];
  }

  /** Hands the client what the broker said while paused, in order, then forwards again. */
  resumeReplies(): void {
    const kept = this.paused ?? [];
    this.paused = undefined;
    for (const write of kept) write();
  }

  /** Resolves with the first frame (seen already or when it comes) that `matches`. */
  frame(matches: (f: LoggedFrame) => boolean): Promise<LoggedFrame> {
    const found = this.frames.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ matches, resolve }));
  }

  /** Stops forwarding what clients send (it is logged, then dropped), until `cut()`. */
  holdRequests(): void {
    this.holdingRequests = true;
  }

  /** Cuts every connection through the proxy, as a network failure would; new ones are forwarded normally. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.holdingRequests = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: net.Socket, targetPort: number): void {
    const connection = ++this.connections;
    const broker = net.connect(targetPort, '127.0.0.1');
    this.sockets.add(client).add(broker);
    client.setNoDelay(true);
    broker.setNoDelay(true);
    const replyParser = new StompParser({
      frame: (frame: StompFrame) => {
        this.replies.push({ command: frame.command, headers: { ...frame.headers }, at: performance.now(), connection, seq: ++this.seq });
      },
      heartbeat: () => {},
    });
    const parser = new StompParser({
      frame: (frame: StompFrame) => {
        const logged = { command: frame.command, headers: { ...frame.headers }, at: performance.now(), connection, seq: ++this.seq };
        this.frames.push(logged);
        for (const waiter of [...this.waiters]) {
          if (waiter.matches(logged)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(logged);
          }
        }
      },
      heartbeat: () => {},
    });
    client.on('data', (chunk: Buffer) => {
      parser.push(chunk);
      if (this.holdingRequests) return;
      setTimeout(() => broker.write(chunk), this.delayMs);
    });
    let logReplies = true;
    const toClient = (chunk: Buffer) => {
      if (client.destroyed) return;
      try {
        if (logReplies) replyParser.push(chunk);
      } catch {
        logReplies = false; // a frame past the parser's limits: forwarded, no longer logged
      }
      client.write(chunk);
    };
    broker.on('data', (chunk: Buffer) => {
      if (this.holding) return;
      setTimeout(() => {
        if (this.paused) this.paused.push(() => toClient(chunk));
        else toClient(chunk);
      }, this.delayMs);
    });
    const end = () => {
      setTimeout(() => {
        client.destroy();
        broker.destroy();
      }, this.delayMs);
    };
    client.on('close', end);
    broker.on('close', end);
    client.on('error', () => {});
    broker.on('error', () => {});
  }
}
