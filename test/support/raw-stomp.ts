import * as net from 'node:net';
import type { Duplex } from 'node:stream';

/** A frame as it came over the wire: header values raw (not unescaped), first of a repeated header kept. */
export interface RawFrame {
  readonly command: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A STOMP peer that writes exactly the bytes a test gives it and reads what the broker answers
 * without interpreting it: no escaping, no version, heart-beats counted with their arrival times.
 * For what the project's client cannot produce (other versions, broken or hostile input).
 */
export class RawStomp {
  readonly frames: RawFrame[] = [];
  /** Arrival time (ms, `performance.now()`) of each heart-beat EOL between frames. */
  readonly heartbeats: number[] = [];
  /** Called as each frame is parsed, in the turn its bytes arrived (before any wait resolves). */
  onFrame: ((frame: RawFrame) => void) | undefined;
  /** Resolves when the broker closed the connection (or it failed). */
  readonly closed: Promise<void>;
  private open = true;
  private text = '';
  /** Frames handed out by {@link next}. */
  private taken = 0;
  /** Pending waits: each returns true once it is settled. */
  private waiters: Array<() => boolean> = [];

  private constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.open = false;
        resolve();
        this.wake();
      }),
    );
  }

  /** A TCP connection to `port` on 127.0.0.1, once it is established. */
  static open(port: number): Promise<RawStomp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawStomp(socket)));
      socket.once('error', reject);
    });
  }

  /** A peer over an in-process stream (an embedded broker's `connect()`): no kernel buffers, so back-pressure is exact. */
  static attach(stream: Duplex): RawStomp {
    return new RawStomp(stream);
  }

  /** A connection that has sent `connect` and got CONNECTED (or threw with what came instead). */
  static async connected(port: number, connect: string): Promise<{ raw: RawStomp; connected: RawFrame }> {
    const raw = await RawStomp.open(port);
    raw.write(connect);
    const connected = await raw.frame();
    if (connected.command !== 'CONNECTED') throw new Error(`expected CONNECTED, got ${connected.command}: ${JSON.stringify(connected.headers)}`);
    return { raw, connected };
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Stops reading what the broker sends (it stays buffered, then pushes back on the broker) until {@link resume}. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The `index`-th frame the broker sent (0 = the first), once it has arrived. */
  async frame(index = this.taken): Promise<RawFrame> {
    await this.until(() => this.frames.length > index, `frame #${index}`);
    this.taken = Math.max(this.taken, index + 1);
    return this.frames[index]!;
  }

  /** The next frame not yet taken with {@link frame} or {@link next}. */
  next(command?: string): Promise<RawFrame> {
    return this.frame().then((frame) => {
      if (command !== undefined && frame.command !== command) throw new Error(`expected ${command}, got ${frame.command}: ${JSON.stringify(frame.headers)} ${frame.body}`);
      return frame;
    });
  }

  /** Resolves once `count` heart-beats have arrived in all. */
  heartbeatsUntil(count: number): Promise<number[]> {
    return this.until(() => this.heartbeats.length >= count, `${count} heart-beats`).then(() => this.heartbeats.slice(0, count));
  }

  private until(done: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (done()) resolve();
        else if (!this.open) reject(new Error(`the connection closed before ${what}; got ${JSON.stringify(this.frames)}`));
        else return false;
        return true;
      };
      if (!check()) this.waiters.push(check);
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((settled) => !settled());
  }

  private onData(chunk: Buffer): void {
    this.text += chunk.toString('latin1');
    for (;;) {
      const beat = /^\r?\n/.exec(this.text);
      if (beat) {
        this.heartbeats.push(performance.now());
        this.text = this.text.slice(beat[0].length);
        continue;
      }
      const nul = this.text.indexOf('\0');
      if (nul === -1) break;
      const frame = parse(this.text.slice(0, nul));
      this.frames.push(frame);
      this.onFrame?.(frame);
      this.text = this.text.slice(nul + 1);
    }
    this.wake();
  }
}

function parse(text: string): RawFrame {
  const blank = text.search(/\r?\n\r?\n/);
  const head = blank === -1 ? text : text.slice(0, blank);
  const body = blank === -1 ? '' : text.slice(blank).replace(/^\r?\n\r?\n/, '');
  const [command = '', ...lines] = head.split(/\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (!(name in headers)) headers[name] = line.slice(colon + 1);
  }
  return { command, headers, body: Buffer.from(body, 'latin1').toString('utf8') };
}
