import { randomBytes } from 'node:crypto';
import type { StompHeaders } from '../stomp/frame.js';

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
 *
 * The prefix is 96 random bits in base64url (16 characters) and the separator a dot, so the id
 * needs no STOMP escaping: every header byte of a SEND is read one at a time by ActiveMQ Classic's
 * STOMP codec (its StompWireFormat was 21 % of the broker's CPU in a profile of durable events, see
 * docs/benchmarks.md), and the id travels twice, in the SEND and in the MESSAGE.
 */
export class MessageIds {
  private readonly prefix = randomBytes(12).toString('base64url');
  private count = 0;

  /** @param duplicateDetection Also stamp `_AMQ_DUPL_ID`, for Artemis' duplicate detection. */
  constructor(readonly duplicateDetection: boolean) {}

  /** Gives `headers` its id unless it has one already (a re-send), and returns it. */
  stamp(headers: Record<string, string>): string {
    const id = (headers[MESSAGE_ID_HEADER] ??= `${this.prefix}.${++this.count}`);
    if (this.duplicateDetection) headers[ARTEMIS_DUPLICATE_ID_HEADER] = id;
    return id;
  }
}

/**
 * A message's group: `_AMQ_GROUP_ID` on Artemis, its own name for it (the Artemis documentation,
 * "Message Grouping"), which a JMS producer's `JMSXGroupID` becomes there; `JMSXGroupID` where a
 * broker passes it on (the embedded broker); else the copy this transport's senders add
 * (`nestjs-group`), since ActiveMQ Classic groups by `JMSXGroupID` but does not write it on the
 * MESSAGE frames of STOMP consumers (measured on 5.17).
 */
export function groupOf(headers: StompHeaders): string | undefined {
  return headers[ARTEMIS_GROUP_ID_HEADER] ?? headers['JMSXGroupID'] ?? headers[GROUP_HEADER];
}

/** The group as this transport's senders write it besides `JMSXGroupID`, for the STOMP consumers of Classic. */
export const GROUP_HEADER = 'nestjs-group';

/** Artemis' message group property (`JMSXGroupID` of its JMS client). */
export const ARTEMIS_GROUP_ID_HEADER = '_AMQ_GROUP_ID';
