/**
 * nestjs-activemq/stomp: the STOMP 1.2 toolkit under the transport, for tools and tests that
 * speak STOMP themselves: the frame codec (encoder, chunked parser, heart-beat negotiation), a
 * client connection, connect-to-first over a broker list, and the URI parser. Not needed by Nest
 * applications; its API may change in a minor release.
 */
export * from './stomp/index.js';
export {
  StompConnection,
  brokerAddress,
  type StompConnectionOptions,
  type DestinationRouting,
  type RoutedSubscription,
  type StompAckMode,
  type StompSubscribeOptions,
  type StompSubscription,
  type StompMessageHandler,
} from './connection/stomp-connection.js';
export { connectToFirst, brokerList, type StartupPolicy } from './connection/connect-to-first.js';
export { parseActiveMQUri, redactCredentials } from './config/parse-uri.js';
export type { ParsedActiveMQUri, BrokerEndpoint } from './config/uri-options.js';
