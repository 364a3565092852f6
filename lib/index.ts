/**
 * nestjs-activemq: the NestJS microservice transport for Apache ActiveMQ over STOMP 1.2.
 *
 * This file is the public API for Nest applications, and nothing else: what is exported here is a
 * semver promise. The STOMP toolkit (codec, connection) is `nestjs-activemq/stomp` and the
 * embedded broker `nestjs-activemq/broker`; everything else is internal.
 */

// The transport: client, server, their options and the handler's context.
export { ClientActiveMQ, type ActiveMQClientOptions } from './client/client-activemq.js';
export { ServerActiveMQ, type ActiveMQServerOptions } from './server/server-activemq.js';
export type { RedeliveryOptions } from './server/resend-redelivery.js';
export type { ActiveMQHandlerOptions } from './server/handler-options.js';
export type { ActiveMQBrowseOptions, ActiveMQBrowsedMessage } from './client/browse.js';
export { ActiveMQContext, type ActiveMQMessage } from './server/activemq.context.js';
export type { ActiveMQConnectionSettings } from './config/resolve-settings.js';
export type { ActiveMQUriOptions } from './config/uri-options.js';
export type { ActiveMQSerializer, ActiveMQDeserializer, ActiveMQDeserializeContext } from './wire/serializers.js';
export { ActiveMQStatus, ActiveMQTransport, type ActiveMQEvents } from './events/activemq.events.js';

// Per-message settings, and how sends are made and confirmed.
export { ActiveMQRecord, ActiveMQRecordBuilder, type ActiveMQRecordOptions } from './record-builders/activemq.record-builder.js';
export { DurableSend, NonDurableSend, Transactional, type DurableSendOptions, type NonDurableSendOptions, type MethodOrClassDecorator } from './decorators/send-decorators.js';
export { ActiveMQTransaction } from './producer/transaction.js';
export type { ConfirmationStrategy } from './producer/acknowledged-sender.js';
export type { SendAcknowledgement, SendFailure, SendOutcome } from './producer/acknowledgements.js';
export { MESSAGE_ID_HEADER } from './wire/headers.js';

// The Nest module, health and metrics.
export { MessagingModule, InjectMessagingClient, getMessagingClientToken, type MessagingModuleOptions, type MessagingModuleAsyncOptions } from './module/messaging.module.js';
export { ActiveMQHandlers } from './module/provider-handlers.js';
export { ActiveMQHealthIndicator, type ActiveMQHealthOptions, type ActiveMQHealthResult } from './health/activemq.health.js';
export type { ActiveMQClientMetrics, ActiveMQHandlerTransactionMetrics, ActiveMQServerMetrics } from './observability/metrics.js';

// Errors: one base class, each with a stable `code`.
export { ActiveMQError, InvalidOptionError } from './errors/activemq-error.js';
export {
  ActiveMQRequestTimeoutError,
  ActiveMQConnectionLostError,
  ActiveMQClientClosedError,
  ActiveMQSerializationError,
  ActiveMQMessageTooLargeError,
} from './errors/client-errors.js';
export { SendInDoubtError, MessageTooLargeForWindowError, TransactionError } from './producer/errors.js';
export { BrokerUnreachableError } from './connection/connect-to-first.js';
export { StompBrokerError, StompConnectionClosedError } from './stomp/errors.js';
export { SubscriptionRefusedError } from './server/subscription-refused-error.js';
export { UnsupportedConsumerOptionError } from './wire/consumer-features.js';
export { SelectorSyntaxError } from './selector/index.js';
export { ActiveMQUriError, InvalidUriError, InvalidUriParameterError, UnknownUriParameterError, UnknownOptionError } from './config/errors.js';
