import type { StompConnection } from '../../lib/connection/stomp-connection.js';
import type { StompFrame } from '../../lib/stomp/frame.js';
import { deadLetterQueue } from './broker.js';
import { connect } from './connect.js';

/** Messages arriving on ActiveMQ.DLQ, by their `probe` header. */
export class DeadLetters {
  private readonly seen = new Map<string, StompFrame>();
  private readonly waiting = new Map<string, (m: StompFrame) => void>();
  private constructor(readonly connection: StompConnection) {}

  static async watch(): Promise<DeadLetters> {
    const watcher = new DeadLetters(await connect());
    await watcher.connection.subscribe(deadLetterQueue(), (m) => {
      const probe = m.headers['probe'] ?? '';
      const waiter = watcher.waiting.get(probe);
      if (waiter) waiter(m);
      else watcher.seen.set(probe, m);
    });
    return watcher;
  }

  next(probe: string): Promise<StompFrame> {
    const seen = this.seen.get(probe);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiting.set(probe, resolve));
  }
}
