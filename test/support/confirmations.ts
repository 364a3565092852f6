import type { ClientActiveMQ } from '../../lib/client/client-activemq.js';
import type { SendOutcome } from '../../lib/producer/acknowledgements.js';

/** What a client's `acknowledgements()` reported: ids confirmed, sends failed, and a way to wait for a count. */
export interface Confirmations {
  readonly confirmed: Set<string>;
  readonly failed: SendOutcome[];
  /** Resolves once `count` sends are confirmed. */
  readonly reached: (count: number) => Promise<void>;
}

export function watchConfirmations(client: ClientActiveMQ): Confirmations {
  const confirmed = new Set<string>();
  const failed: SendOutcome[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  client.acknowledgements().subscribe((o) => {
    if (o.status === 'confirmed') confirmed.add(o.messageId);
    else failed.push(o);
    while (waiting.length > 0 && confirmed.size >= waiting[0]!.count) waiting.shift()!.resolve();
  });
  return {
    confirmed,
    failed,
    reached: (count) => (confirmed.size >= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ count, resolve }))),
  };
}
