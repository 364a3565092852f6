/**
 * nestjs-activemq: the NestJS microservice transport for Apache ActiveMQ over STOMP 1.2.
 * This file is the public API, nothing else.
 */
export * from './stomp/index.js';
export * from './uri/index.js';
export { ActiveMQStatus, ActiveMQTransport, type ActiveMQEvents } from './events/activemq.events.js';
export { destinationOf, subscriptionOf } from './destination.js';
export { encodePayload, decodePayload, PayloadDecodeError, type EncodedPayload } from './serialization/payload-codec.js';
export type { ActiveMQSerializer, ActiveMQDeserializer, ActiveMQDeserializeContext } from './serialization/activemq-serializers.js';
export { ClientActiveMQ, type ActiveMQClientOptions } from './client/client-activemq.js';
export { ActiveMQRequestTimeoutError, ActiveMQConnectionLostError, ActiveMQClientClosedError, ActiveMQSerializationError } from './client/client-activemq.errors.js';
export { ActiveMQRecord, ActiveMQRecordBuilder, type ActiveMQRecordOptions } from './client/activemq.record-builder.js';
export { ServerActiveMQ, type ActiveMQServerOptions } from './server/server-activemq.js';
export { ActiveMQContext, type ActiveMQMessage } from './server/activemq.context.js';
export { MessagingModule, InjectMessagingClient, getMessagingClientToken, type MessagingModuleOptions, type MessagingModuleAsyncOptions } from './module/messaging.module.js';
export { BrokerUnreachableError, connectToFirst, type StartupPolicy } from './stomp/connector.js';
export { SendMode, resolveSendMode, type SendModeInputs, type ResolvedSend, type SendOverrides, type SendSettingsLayer } from './producer/send-mode.js';
export { MESSAGE_ID_HEADER, type SendAcknowledgement, type SendFailure, type SendOutcome } from './producer/acknowledgements.js';
export { ConfirmationWindow, type WindowEntry } from './producer/confirmation-window.js';
export type { ConfirmationStrategy } from './producer/acknowledged-sender.js';
export { SendInDoubtError, MessageTooLargeForWindowError, TransactionError } from './producer/errors.js';
export { ActiveMQTransaction } from './producer/transaction.js';
export { DurableSend, NonDurableSend, Transactional, type DurableSendOptions, type NonDurableSendOptions, type MethodOrClassDecorator } from './decorators/send-decorators.js';
export {
  EmbeddedBroker,
  vmBroker,
  stopVmBroker,
  DataDirError,
  type EmbeddedBrokerOptions,
  type BrokerStats,
  type JournalDamage,
  type JournalRecoveryReport,
} from './broker/embedded-broker.js';
export type { ActiveMQClientMetrics, ActiveMQServerMetrics } from './metrics.js';
export { ActiveMQHealthIndicator, type ActiveMQHealthOptions, type ActiveMQHealthResult } from './health/activemq.health.js';
