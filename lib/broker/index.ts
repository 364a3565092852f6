/**
 * nestjs-activemq/broker: the embedded STOMP 1.2 broker, for development and tests (`vm://` URIs
 * start it in-process; `npx nestjs-activemq broker` runs it standalone).
 */
export {
  EmbeddedBroker,
  vmBroker,
  stopVmBroker,
  DataDirError,
  type EmbeddedBrokerOptions,
  type EmbeddedBrokerTlsOptions,
  type BrokerStats,
  type JournalDamage,
  type JournalRecoveryReport,
  connectInProcess,
} from './embedded-broker.js';
