/** A send the broker confirmed (Artemis' `SendAcknowledgementHandler.sendAcknowledged`). */
export interface SendAcknowledgement {
  readonly status: 'confirmed';
  /** The `nestjsMessageId` header the message carried. */
  readonly messageId: string;
  readonly destination: string;
  /** Bytes it took in the confirmation window. */
  readonly bytes: number;
  readonly durable: boolean;
  /** From `emit()` to the confirmation. */
  readonly latencyMs: number;
}

/** A send that will not be confirmed: the broker refused it, or the connection ended first (in doubt). */
export interface SendFailure {
  readonly status: 'failed';
  readonly messageId: string;
  readonly destination: string;
  readonly bytes: number;
  readonly durable: boolean;
  readonly latencyMs: number;
  readonly error: Error;
}

export type SendOutcome = SendAcknowledgement | SendFailure;

/** The header that carries a send's id, for acknowledgements and for consumers that deduplicate. */
export const MESSAGE_ID_HEADER = 'nestjsMessageId';

/** Artemis' duplicate-detection header (semantics §6): a re-send with the same value is dropped by the broker. */
export const ARTEMIS_DUPLICATE_ID_HEADER = '_AMQ_DUPL_ID';

/** Gives a tracked send its stable id (also as `_AMQ_DUPL_ID` with `duplicateDetection`); returns the id. */
export function stampMessageId(headers: Record<string, string>, next: () => string, duplicateDetection: boolean): string {
  const id = (headers[MESSAGE_ID_HEADER] ??= next());
  if (duplicateDetection) headers[ARTEMIS_DUPLICATE_ID_HEADER] = id;
  return id;
}
