/** A send the broker confirmed (Artemis' `SendAcknowledgementHandler.sendAcknowledged`). */
export interface SendAcknowledgement {
  /** Tells a confirmation from a {@link SendFailure}. */
  readonly status: 'confirmed';
  /** The `nestjsMessageId` header the message carried. */
  readonly messageId: string;
  /** The destination it was sent to (e.g. `/queue/orders.placed`). */
  readonly destination: string;
  /** Bytes it took in the confirmation window. */
  readonly bytes: number;
  /** It was sent persistent. */
  readonly durable: boolean;
  /** Milliseconds from `emit()` to the confirmation. */
  readonly latencyMs: number;
}

/** A send that will not be confirmed: the broker refused it, or the connection ended first (in doubt). */
export interface SendFailure {
  /** Tells a failure from a {@link SendAcknowledgement}. */
  readonly status: 'failed';
  /** The `nestjsMessageId` header the message carried. */
  readonly messageId: string;
  /** The destination it was sent to (e.g. `/queue/orders.placed`). */
  readonly destination: string;
  /** Bytes it took in the confirmation window. */
  readonly bytes: number;
  /** It was sent persistent. */
  readonly durable: boolean;
  /** Milliseconds from `emit()` to the failure. */
  readonly latencyMs: number;
  /** Why: the broker's refusal, or the end of the connection (then the send is in doubt). */
  readonly error: Error;
}

/** How one acknowledged async send ended, as reported on `acknowledgements()`: `status` tells which. */
export type SendOutcome = SendAcknowledgement | SendFailure;
