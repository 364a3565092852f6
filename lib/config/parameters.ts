import type { ActiveMQUriOptionName } from './uri-options.js';

/**
 * How a parameter's text becomes a value: `boolean` (`true`/`false`), `integer` or `number` (at
 * least `min`), `string` (as written), or `heartbeat` (`outgoing,incoming` in ms).
 */
export type ParameterType =
  | {
      /** `true` or `false`. */
      readonly kind: 'boolean';
    }
  | {
      /** A whole number. */
      readonly kind: 'integer';
      /** Smallest value accepted. */
      readonly min: number;
    }
  | {
      /** A number, fractions allowed. */
      readonly kind: 'number';
      /** Smallest value accepted. */
      readonly min: number;
    }
  | {
      /** The text as written. */
      readonly kind: 'string';
    }
  | {
      /** Two millisecond counts, `outgoing,incoming`. */
      readonly kind: 'heartbeat';
    };

/** Where a parameter's value goes: an option, or the credentials. */
export type ParameterTarget = ActiveMQUriOptionName | 'login' | 'passcode';

/** What one spelling of a URI parameter sets, and how its text is read. */
export interface ParameterSpec {
  /** The canonical option (or `login`/`passcode`) the value goes to. */
  readonly target: ParameterTarget;
  /** How the text is checked and converted. */
  readonly type: ParameterType;
}

const bool = { kind: 'boolean' } as const;
const text = { kind: 'string' } as const;
const heartbeat = { kind: 'heartbeat' } as const;
/** Milliseconds or counts where 0 and up are meaningful. */
const count = { kind: 'integer', min: 0 } as const;
/** Counts and durations where -1 means "unbounded" or "off", as on the brokers. */
const countOrUnbounded = { kind: 'integer', min: -1 } as const;
const positive = { kind: 'integer', min: 1 } as const;
const factor = { kind: 'number', min: 1 } as const;

/**
 * Every accepted spelling, ActiveMQ Classic (`jms.*`, failover options), NMS (`nms.*`,
 * `connection.*`) and Artemis (plain names), mapped to one canonical option. This table is the
 * only place where spellings are known.
 */
const SPELLINGS: ReadonlyArray<readonly [readonly string[], ParameterTarget, ParameterType]> = [
  // Send semantics
  [['jms.useAsyncSend', 'nms.AsyncSend', 'connection.AsyncSend', 'useAsyncSend'], 'useAsyncSend', bool],
  [['jms.alwaysSyncSend', 'nms.AlwaysSyncSend', 'connection.AlwaysSyncSend', 'alwaysSyncSend'], 'alwaysSyncSend', bool],
  [['blockOnDurableSend'], 'blockOnDurableSend', bool],
  [['blockOnNonDurableSend'], 'blockOnNonDurableSend', bool],
  [['blockOnAcknowledge'], 'blockOnAcknowledge', bool],
  [['confirmationWindowSize'], 'confirmationWindowSize', countOrUnbounded],
  [['callTimeout', 'nms.RequestTimeout', 'connection.RequestTimeout'], 'callTimeout', count],
  [['jms.sendTimeout', 'sendTimeout'], 'sendTimeout', count],
  // Consumers
  [['jms.prefetchPolicy.all', 'jms.prefetchPolicy.queuePrefetch', 'nms.PrefetchPolicy.QueuePrefetch', 'prefetchSize', 'activemq.prefetchSize'], 'prefetchSize', count],
  // Connection
  [['jms.clientID', 'nms.ClientId', 'connection.ClientId', 'clientID', 'clientId'], 'clientId', text],
  [['virtualHost'], 'virtualHost', text],
  [['heartBeat', 'transport.heartBeat', 'heart-beat'], 'heartBeat', heartbeat],
  [['heartBeatGraceMultiplier', 'transport.hbGracePeriodMultiplier'], 'heartBeatGraceMultiplier', factor],
  [['connectTimeout', 'connectionTimeout', 'transport.connectionTimeout', 'connectTimeoutMillis'], 'connectTimeout', positive],
  [['maxBodyBytes', 'wireFormat.maxDataLength'], 'maxBodyBytes', positive],
  [['maxHeaders'], 'maxHeaders', positive],
  [['maxHeaderLineBytes'], 'maxHeaderLineBytes', positive],
  // Credentials
  [['login', 'user', 'username', 'jms.userName', 'nms.UserName', 'connection.UserName'], 'login', text],
  [['passcode', 'password', 'jms.password', 'nms.Password', 'connection.Password'], 'passcode', text],
  // TLS
  [['rejectUnauthorized'], 'rejectUnauthorized', bool],
  [['caFile'], 'caFile', text],
  [['servername', 'sniHost'], 'servername', text],
  // Reconnection: Classic's failover names first, then Artemis' ("Client Reconnection and Session
  // Reattachment" in the Artemis documentation) for the same setting.
  [['initialReconnectDelay', 'retryInterval'], 'initialReconnectDelay', count],
  [['maxReconnectDelay', 'maxRetryInterval'], 'maxReconnectDelay', count],
  [['useExponentialBackOff'], 'useExponentialBackOff', bool],
  [['reconnectDelayExponent', 'backOffMultiplier', 'retryIntervalMultiplier'], 'reconnectDelayExponent', factor],
  [['maxReconnectAttempts', 'reconnectAttempts'], 'maxReconnectAttempts', countOrUnbounded],
  [['startupMaxReconnectAttempts', 'initialConnectAttempts'], 'startupMaxReconnectAttempts', countOrUnbounded],
  [['randomize'], 'randomize', bool],
  [['timeout'], 'timeout', countOrUnbounded],
  [['priorityBackup'], 'priorityBackup', bool],
  [['trackMessages'], 'trackMessages', bool],
  [['maxCacheSize'], 'maxCacheSize', count],
  [['duplicateDetection'], 'duplicateDetection', bool],
];

/** Spelling → what it sets. */
export const PARAMETERS: ReadonlyMap<string, ParameterSpec> = new Map(
  SPELLINGS.flatMap(([spellings, target, type]) => spellings.map((spelling) => [spelling, { target, type }] as const)),
);

/**
 * Spellings of settings this transport cannot honour, refused with the reason instead of being
 * taken and ignored. Classic's `jms.producerWindowSize` waits for OpenWire's ProducerAck, which
 * the broker does not send to STOMP producers (ActiveMQ's "Producer Flow Control" page).
 */
export const REFUSED_PARAMETERS: ReadonlyMap<string, string> = new Map(
  ['jms.producerWindowSize', 'nms.ProducerWindowSize', 'connection.ProducerWindowSize', 'producerWindowSize'].map((spelling) => [
    spelling,
    `'${spelling}' is not supported: ActiveMQ Classic sends the producer acknowledgements it counts only to OpenWire clients, never over STOMP; use 'confirmationWindowSize' (bytes of sends awaiting the broker's confirmation) for a window of confirmed async sends`,
  ]),
);

/** Every accepted spelling, for error messages. */
export const KNOWN_PARAMETERS: readonly string[] = [...PARAMETERS.keys()];
