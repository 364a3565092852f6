/** How a send completes (docs/send-modes.md; ActiveMQ's "Async Sends", Artemis' "Guarantees of sends and commits"). */
export enum SendMode {
  /** SEND with a receipt: completes once the broker has the message (on disk, if durable). */
  Blocking = 'blocking',
  /** SEND without a receipt: completes once written to the connection. */
  Async = 'async',
  /** Async, and confirmed later on `acknowledgements()`, with at most `confirmationWindowSize` bytes unconfirmed. */
  AsyncAcknowledged = 'async-acknowledged',
  /** Inside a transaction: completes at once; the COMMIT blocks. */
  Transacted = 'transacted',
}

/** What one layer (client options, or the URI) says about blocking. Field names as in the URI. */
export interface SendSettingsLayer {
  /** Durable sends do not block (Classic `jms.useAsyncSend`). */
  readonly useAsyncSend?: boolean;
  /** Every send blocks, non-durable ones too (Classic `jms.alwaysSyncSend`). */
  readonly alwaysSyncSend?: boolean;
  /** Durable sends block (Artemis; default true). */
  readonly blockOnDurableSend?: boolean;
  /** Non-durable sends block (Artemis; default false). */
  readonly blockOnNonDurableSend?: boolean;
  /** Bytes of async sends unconfirmed at once; > 0 makes async sends acknowledged. */
  readonly confirmationWindowSize?: number;
  /** Classic `jms.sendTimeout`: when > 0 every send blocks, for at most this long. */
  readonly sendTimeout?: number;
}

/** What a record builder or a decorator says for one send. */
export interface SendOverrides {
  /** Send persistent (`true`) or not (`false`). */
  readonly durable?: boolean;
  /** Wait for the broker's receipt (`true`) or not (`false`). */
  readonly block?: boolean;
}

/** Everything that has a say in one send's mode, layer by layer; see {@link resolveSendMode}. */
export interface SendModeInputs {
  /** From `ActiveMQRecordBuilder` (strongest). */
  readonly record?: SendOverrides;
  /** From `@DurableSend` / `@NonDurableSend` around the call. */
  readonly decorator?: SendOverrides;
  /** From the client's options object. */
  readonly client?: SendSettingsLayer & {
    /** The client's default durability. */
    readonly durable?: boolean;
  };
  /** From the connection URI. */
  readonly uri?: SendSettingsLayer;
  /** A transaction (`client.transaction()`, `@Transactional()`) is open around the call. */
  readonly inTransaction?: boolean;
}

/** The outcome of {@link resolveSendMode}. */
export interface ResolvedSend {
  /** How the send completes. */
  readonly mode: SendMode;
  /** The message is sent persistent. */
  readonly durable: boolean;
}

/**
 * The one place where a send's mode is decided. Precedence: record builder > decorator > client
 * options > URI > defaults, which are the brokers' own:
 * - durable unless told otherwise (JMS parity; the `persistent` header is always written);
 * - durable sends block, non-durable ones do not (Classic's rule, Artemis' `blockOnDurableSend=true`,
 *   `blockOnNonDurableSend=false`);
 * - `jms.useAsyncSend` / `nms.AsyncSend` / `blockOnDurableSend=false` make durable sends async;
 *   `jms.alwaysSyncSend` / `blockOnNonDurableSend=true` make non-durable sends block
 *   (`alwaysSyncSend`, and a `jms.sendTimeout` > 0, make every send block and win within their layer);
 * - inside a transaction nothing blocks but the commit;
 * - an async send is acknowledged later when `confirmationWindowSize` > 0.
 */
export function resolveSendMode(inputs: SendModeInputs): ResolvedSend {
  const durable = inputs.record?.durable ?? inputs.decorator?.durable ?? inputs.client?.durable ?? true;
  if (inputs.inTransaction) return { mode: SendMode.Transacted, durable };
  const block = inputs.record?.block ?? inputs.decorator?.block ?? layerBlocks(inputs.client, durable) ?? layerBlocks(inputs.uri, durable) ?? durable;
  if (block) return { mode: SendMode.Blocking, durable };
  const window = inputs.client?.confirmationWindowSize ?? inputs.uri?.confirmationWindowSize ?? -1;
  return { mode: window > 0 ? SendMode.AsyncAcknowledged : SendMode.Async, durable };
}

/** What a layer says about blocking a send of this durability, or undefined if it says nothing. */
function layerBlocks(layer: SendSettingsLayer | undefined, durable: boolean): boolean | undefined {
  if (!layer) return undefined;
  if (layer.alwaysSyncSend === true || (layer.sendTimeout ?? 0) > 0) return true;
  if (durable) {
    if (layer.blockOnDurableSend !== undefined) return layer.blockOnDurableSend;
    if (layer.useAsyncSend !== undefined) return !layer.useAsyncSend;
    return undefined;
  }
  return layer.blockOnNonDurableSend;
}
