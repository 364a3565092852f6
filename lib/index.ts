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
export { ActiveMQRequestTimeoutError, ActiveMQConnectionLostError } from './client/client-activemq.errors.js';
export { ActiveMQRecord, ActiveMQRecordBuilder, type ActiveMQRecordOptions } from './client/activemq.record-builder.js';
export { ServerActiveMQ, type ActiveMQServerOptions } from './server/server-activemq.js';
export { ActiveMQContext, type ActiveMQMessage } from './server/activemq.context.js';
export { MessagingModule, InjectMessagingClient, getMessagingClientToken, type MessagingModuleOptions, type MessagingModuleAsyncOptions } from './module/messaging.module.js';
export { BrokerUnreachableError, connectToFirst, type StartupPolicy } from './stomp/connector.js';
