import * as net from 'node:net';

/**
 * A TCP relay on loopback that holds everything the broker sends for `delayMs` before passing it
 * on, so every round trip through it costs `delayMs` more (Node's timers fire at the earliest
 * after `delayMs`, so a little more in practice: the bench measures and prints the real figure).
 */
export class DelayRelay {
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server) {}

  static async start(targetPort: number, delayMs: number): Promise<DelayRelay> {
    const server = net.createServer();
    const relay = new DelayRelay(server);
    server.on('connection', (client) => {
      const broker = net.connect(targetPort, '127.0.0.1');
      relay.sockets.add(client).add(broker);
      client.setNoDelay(true);
      broker.setNoDelay(true);
      client.on('data', (chunk: Buffer) => broker.write(chunk));
      broker.on('data', (chunk: Buffer) => setTimeout(() => client.write(chunk), delayMs));
      const end = () => {
        client.destroy();
        broker.destroy();
        relay.sockets.delete(client);
        relay.sockets.delete(broker);
      };
      client.on('close', end).on('error', end);
      broker.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `url` with its port replaced by the relay's. */
  urlFor(url: string): string {
    return url.replace(/:(\d+)(?=[/?]|$)/, `:${this.port}`);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
