import { randomUUID } from 'node:crypto';

/** The header that carries a send's id, for acknowledgements and for consumers that deduplicate. */
export const MESSAGE_ID_HEADER = 'nestjsMessageId';

/**
 * Artemis' duplicate-detection header ("Duplicate Message Detection" in the Artemis documentation):
 * a re-send with the same value is dropped by the broker.
 */
export const ARTEMIS_DUPLICATE_ID_HEADER = '_AMQ_DUPL_ID';

/**
 * Stable ids for the sends of one producer: a random prefix and a counter, unique and cheaper
 * than a UUID per message. A message keeps its id across re-sends, which is what the consumers'
 * `dedupeWindow` and Artemis' duplicate detection rely on.
 */
export class MessageIds {
  private readonly prefix = randomUUID();
  private count = 0;

  /** @param duplicateDetection Also stamp `_AMQ_DUPL_ID`, for Artemis' duplicate detection. */
  constructor(readonly duplicateDetection: boolean) {}

  /** Gives `headers` its id unless it has one already (a re-send), and returns it. */
  stamp(headers: Record<string, string>): string {
    const id = (headers[MESSAGE_ID_HEADER] ??= `${this.prefix}:${++this.count}`);
    if (this.duplicateDetection) headers[ARTEMIS_DUPLICATE_ID_HEADER] = id;
    return id;
  }
}
