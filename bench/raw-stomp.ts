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
