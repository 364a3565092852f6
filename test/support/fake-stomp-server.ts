import * as net from 'node:net';

/** What a fake broker does on each chunk from one client, given everything received so far on that connection. */
export type FakeBehaviour = (socket: net.Socket, received: string, chunk: number) => void;

/**
 * A hostile or broken STOMP "broker" on loopback, for testing how the client copes with what a
 * real broker never sends: garbage, malformed and oversize frames, silence, ERROR then close.
 */
export class FakeStompServer {
  private readonly sockets = new Set<net.Socket>();
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  connections = 0;

  private constructor(private readonly server: net.Server) {}

  static async start(behaviour: FakeBehaviour): Promise<FakeStompServer> {
    const server = net.createServer();
    const fake = new FakeStompServer(server);
    server.on('connection', (socket) => {
      fake.connections++;
      fake.sockets.add(socket);
      for (const waiter of fake.waiters.filter((w) => fake.connections >= w.count)) {
        fake.waiters.splice(fake.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      socket.on('error', () => {});
      let text = '';
      let chunks = 0;
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        behaviour(socket, text, chunks++);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Resolves once `count` clients have connected in all. */
  connected(count: number): Promise<void> {
    if (this.connections >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A CONNECTED frame; `heartBeat` as the server's `sx,sy`. */
export const connected = (heartBeat = '0,0') => `CONNECTED\nversion:1.2\nserver:fake\nheart-beat:${heartBeat}\n\n\0`;
