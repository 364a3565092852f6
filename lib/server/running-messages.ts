import type { SettlementOutcome } from './settlement.js';

/** How a run of a message ended: acknowledged, rejected, or not settled by the server (manual acknowledgement). */
export type RunOutcome = SettlementOutcome | undefined;

/**
 * The messages whose handler runs now, by `message-id` and, with `dedupeWindow`, by
 * `nestjsMessageId`, per pattern: a delivery of one of them that arrives meanwhile (the broker
 * redelivering after a lost connection) waits for that run instead of starting a second one.
 * Keys are per pattern because a topic message can reach two patterns' handlers (wildcards)
 * under one `message-id`, and each must run.
 */
export class RunningMessages {
  private readonly running = new Map<string, Promise<RunOutcome>>();

  /** The outcome a run of the same message for `pattern` will have, if one runs. */
  runOf(pattern: string, messageId: string | undefined, dedupeId: string | undefined): Promise<RunOutcome> | undefined {
    for (const key of keysOf(pattern, messageId, dedupeId)) {
      const run = this.running.get(key);
      if (run) return run;
    }
    return undefined;
  }

  /** Registers a run; the function returned ends it with its outcome (and wakes the deliveries waiting for it). */
  start(pattern: string, messageId: string | undefined, dedupeId: string | undefined): (outcome: RunOutcome) => void {
    let resolve!: (outcome: RunOutcome) => void;
    const promise = new Promise<RunOutcome>((r) => (resolve = r));
    const keys = keysOf(pattern, messageId, dedupeId);
    for (const key of keys) this.running.set(key, promise);
    return (outcome) => {
      for (const key of keys) if (this.running.get(key) === promise) this.running.delete(key);
      resolve(outcome);
    };
  }

  /** Runs registered now. */
  get size(): number {
    return new Set(this.running.values()).size;
  }
}

function keysOf(pattern: string, messageId: string | undefined, dedupeId: string | undefined): string[] {
  const keys: string[] = [];
  if (messageId !== undefined) keys.push(`${pattern}\0id:${messageId}`);
  if (dedupeId !== undefined) keys.push(`${pattern}\0dedupe:${dedupeId}`);
  return keys;
}
