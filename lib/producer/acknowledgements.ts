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
