/**
 * Everything a connection URI can set, under one canonical name per setting. Which spellings map
 * to which name is decided in `parameters.ts`, and only there.
 */
export interface ActiveMQUriOptions {
  // Send semantics (ActiveMQ's "Async Sends" docs, Artemis' "Guarantees of sends and commits")
  /** Durable sends do not wait for the broker (Classic `jms.useAsyncSend`, NMS `nms.AsyncSend`). */
  readonly useAsyncSend?: boolean;
  /** Every send waits for the broker, non-durable ones too (Classic `jms.alwaysSyncSend`). */
  readonly alwaysSyncSend?: boolean;
  /** Artemis: durable sends wait for the broker (default true). */
  readonly blockOnDurableSend?: boolean;
  /** Artemis: non-durable sends wait for the broker (default false). */
  readonly blockOnNonDurableSend?: boolean;
  /** Artemis: acknowledgements wait for the broker (default false). */
  readonly blockOnAcknowledge?: boolean;
  /** Bytes of async sends that may be unconfirmed at once; -1 turns the window off (Artemis' unit and default). */
  readonly confirmationWindowSize?: number;
  /** Milliseconds a blocking send or a commit may wait before it fails as in doubt (Artemis `callTimeout`). */
  readonly callTimeout?: number;
  /** Classic `jms.sendTimeout`: when > 0, every send waits for the broker at most this long. */
  readonly sendTimeout?: number;

  // Consumers
  /** Messages the broker may push to a consumer before acks (`activemq.prefetchSize`). */
  readonly prefetchSize?: number;

  // Connection
  /** CONNECT `client-id`. */
  readonly clientId?: string;
  /** CONNECT `host` (virtual host). */
  readonly virtualHost?: string;
  /** `[outgoing, incoming]` heart-beat in ms. */
  readonly heartBeat?: readonly [number, number];
  /** Silence allowed from the broker, in heart-beat intervals, before it is declared dead. */
  readonly heartBeatGraceMultiplier?: number;
  /** Milliseconds from opening the socket to CONNECTED. */
  readonly connectTimeout?: number;
  /** Bytes of one body the client accepts from the broker. */
  readonly maxBodyBytes?: number;
  /** Headers per frame the client accepts from the broker. */
  readonly maxHeaders?: number;
  /** Bytes of one header line the client accepts from the broker. */
  readonly maxHeaderLineBytes?: number;

  // TLS (stomp+ssl://)
  /** Verify the broker's certificate. Only an explicit `false` turns verification off. */
  readonly rejectUnauthorized?: boolean;
  /** PEM file of the certificate authorities to trust instead of Node's defaults. */
  readonly caFile?: string;
  /** TLS server name to verify, when it differs from the host. */
  readonly servername?: string;

  // Reconnection (ActiveMQ's "Failover Transport Reference"; the Artemis spellings map here too)
  /** Milliseconds before the first reconnection attempt, and before the first start-up retry (default 100 for both). */
  readonly initialReconnectDelay?: number;
  /** Longest delay between reconnection attempts, in ms (default 30000). */
  readonly maxReconnectDelay?: number;
  /** Grow the delay after each attempt (default true); `false` keeps it constant. */
  readonly useExponentialBackOff?: boolean;
  /** Delay multiplier per attempt (default 2; also spelt `backOffMultiplier`). */
  readonly reconnectDelayExponent?: number;
  /** Reconnection rounds over the brokers before giving up: -1 for ever (default), 0 turns reconnection off. */
  readonly maxReconnectAttempts?: number;
  /** Rounds over the brokers retried at start-up after the first one: -1 for ever, default 0 (fail at once). */
  readonly startupMaxReconnectAttempts?: number;
  /** Try the brokers in random order instead of the order written (default false). */
  readonly randomize?: boolean;
  /** Milliseconds a send waits for a reconnection before failing; -1 (the default) waits `callTimeout` (default 30000). */
  readonly timeout?: number;
  /** While on a backup broker, move back to the first broker of the list once it answers (default false). */
  readonly priorityBackup?: boolean;
  /** Re-send the latest fire-and-forget sends, up to `maxCacheSize` bytes, after a reconnection (default false). */
  readonly trackMessages?: boolean;
  /** Bytes of fire-and-forget sends kept for re-sending with `trackMessages` (default 131072), the oldest dropped first. */
  readonly maxCacheSize?: number;
  /** Tracked sends also carry `_AMQ_DUPL_ID` (their id), so that Artemis drops re-sent duplicates itself. */
  readonly duplicateDetection?: boolean;
}

/** The canonical name of one URI option. */
export type ActiveMQUriOptionName = keyof ActiveMQUriOptions;

/** One broker address of a URI. */
export interface BrokerEndpoint {
  /** `stomp`, `stomp+ssl` (TLS), or `vm` (the embedded broker, named by `host`). */
  readonly scheme: 'stomp' | 'stomp+ssl' | 'vm';
  /** Host name or IP address; for `vm`, the embedded broker's name. */
  readonly host: string;
  /** 0 for `vm`. */
  readonly port: number;
  /** Credentials written in this address (`stomp://user:pass@host`). */
  readonly login?: string;
  /** Password written in this address. */
  readonly passcode?: string;
}

/** A connection URI, parsed and checked. */
export interface ParsedActiveMQUri {
  /** The brokers, in the order written; more than one only with `failover:`. */
  readonly endpoints: readonly BrokerEndpoint[];
  /** The URI was a `failover:` URI. */
  readonly failover: boolean;
  /** Credentials given as parameters (they apply to every endpoint without its own). */
  readonly login?: string;
  /** Password given as a parameter (it applies to every endpoint without its own). */
  readonly passcode?: string;
  /** The URI's parameters, under their canonical names. */
  readonly options: ActiveMQUriOptions;
}
