import * as net from 'node:net';

/**
 * The baseline: STOMP over a bare socket with frames written by hand and no library at all, so
 * the transport's figures can be read as a fraction of what the protocol itself allows.
 */
export class RawStomp {
  private receipts = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      // After CONNECTED, the broker only sends RECEIPTs here (and EOLs): count the NULs.
      let at = chunk.indexOf(0);
      while (at !== -1) {
        this.receipts++;
        at = chunk.indexOf(0, at + 1);
      }
      this.waiters = this.waiters.filter((w) => {
        if (this.receipts < w.count) return true;
        w.resolve();
        return false;
      });
    });
  }

  static async connect(port: number, login: string, passcode: string): Promise<RawStomp> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const raw = new RawStomp(socket);
    socket.write(`CONNECT\naccept-version:1.2\nhost:localhost\nlogin:${login}\npasscode:${passcode}\nheart-beat:0,0\n\n\0`);
    await raw.until(1); // CONNECTED
    return raw;
  }

  /** Resolves once `count` frames in all have come back. */
  until(count: number): Promise<void> {
    if (this.receipts >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  get received(): number {
    return this.receipts;
  }

  /** Writes and respects backpressure. */
  async write(data: string | Buffer): Promise<void> {
    if (!this.socket.write(data)) await new Promise((resolve) => this.socket.once('drain', resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A SEND frame as text; `extra` is pre-formatted header lines. */
export function rawSend(destination: string, body: Buffer, persistent: boolean, extra = ''): Buffer {
  const head = `SEND\ndestination:${destination}\npersistent:${persistent}\ncontent-length:${body.length}\n${extra}\n`;
  return Buffer.concat([Buffer.from(head), body, Buffer.from([0])]);
}

/** A frame as a raw peer reads it: command and headers; bodies here never contain a NUL. */
export interface RawFrame {
  readonly command: string;
  readonly headers: Map<string, string>;
}

/**
 * A bare socket that reads whole frames, split at the NUL and parsed by hand (no escaping, no
 * content-length: the bench's bodies are plain text), for the request/reply and consumer
 * baselines.
 */
export class RawPeer {
  private pending: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly socket: net.Socket,
    private onFrame: (frame: RawFrame) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      let start = 0;
      let end = this.pending.indexOf(0, start);
      while (end !== -1) {
        this.onFrame(parseRawFrame(this.pending.toString('latin1', start, end)));
        start = end + 1;
        end = this.pending.indexOf(0, start);
      }
      this.pending = this.pending.subarray(start);
    });
  }

  static async connect(port: number, login: string, passcode: string, host = '127.0.0.1'): Promise<RawPeer> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let connected!: () => void;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    const peer = new RawPeer(socket, () => connected());
    socket.write(`CONNECT\naccept-version:1.2\nhost:localhost\nlogin:${login}\npasscode:${passcode}\nheart-beat:0,0\n\n\0`);
    await ready;
    return peer;
  }

  /** Every later frame goes to `handler`. */
  onFrames(handler: (frame: RawFrame) => void): void {
    this.onFrame = handler;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  close(): void {
    this.socket.destroy();
  }
}

function parseRawFrame(text: string): RawFrame {
  const headEnd = text.indexOf('\n\n');
  const lines = text
    .slice(0, headEnd === -1 ? text.length : headEnd)
    .replace(/^\n+/, '')
    .split('\n');
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i]!.indexOf(':');
    if (colon > 0 && !headers.has(lines[i]!.slice(0, colon))) headers.set(lines[i]!.slice(0, colon), lines[i]!.slice(colon + 1));
  }
  return { command: lines[0]!, headers };
}
