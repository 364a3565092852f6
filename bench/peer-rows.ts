import { Transport } from '@nestjs/microservices';

/** Which broker a row needs; the runner starts each one (scripts/*.sh, or the embedded broker's command). */
export type PeerBroker = 'none' | 'nats' | 'rabbitmq' | 'activemq' | 'activemq6' | 'artemis' | 'embedded';

/** One transport setting of the peer benchmark: how its Nest server and client are made. */
export interface Row {
  readonly name: string;
  readonly broker: PeerBroker;
  readonly kind: 'nest' | 'activemq';
  /** Nest's own transports: the microservice options for the broker at `url`. */
  readonly serverOptions?: (url: string) => unknown;
  /** Nest's own transports: `ClientProxyFactory.create()` options. */
  readonly clientOptions?: (url: string) => unknown;
  /** This transport: URI parameters of the client (`?…`). */
  readonly clientQuery?: string;
  /** This transport: client options in code. */
  readonly clientSettings?: { readonly durable?: boolean };
  /** Nest RMQ with `noAck: false`: the handlers acknowledge. */
  readonly rmqManualAck?: boolean;
}

const tcp = (url: string) => ({ transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(new URL(url).port) } });
const nats = (url: string) => ({ transport: Transport.NATS, options: { servers: [url] } });
// The client's noAck concerns its replies (RabbitMQ's direct reply-to refuses acknowledging consumers);
// the server's is the at-least-once choice the rows compare.
const rmq = (noAck: boolean) => (url: string) => ({
  transport: Transport.RMQ,
  options: { urls: [url], queue: 'bench', queueOptions: { durable: true }, persistent: true, noAck, prefetchCount: 16, socketOptions: { connectionOptions: { noDelay: true } } },
});

/** The rows, in the order they are printed: the floor, Nest's brokers, then this transport. */
export const ROWS: readonly Row[] = [
  { name: 'Nest TCP (no broker)', broker: 'none', kind: 'nest', serverOptions: tcp, clientOptions: tcp },
  { name: 'Nest NATS core (nothing persisted)', broker: 'nats', kind: 'nest', serverOptions: nats, clientOptions: nats },
  { name: 'Nest RMQ, persistent, publisher confirms, noAck', broker: 'rabbitmq', kind: 'nest', serverOptions: rmq(true), clientOptions: rmq(true) },
  { name: 'Nest RMQ, persistent, publisher confirms, manual ack', broker: 'rabbitmq', kind: 'nest', serverOptions: rmq(false), clientOptions: rmq(true), rmqManualAck: true },
  { name: 'this transport, ActiveMQ Classic, durable, blocking', broker: 'activemq', kind: 'activemq' },
  { name: 'this transport, ActiveMQ Classic, durable, window 1 MiB', broker: 'activemq', kind: 'activemq', clientQuery: '?jms.useAsyncSend=true&confirmationWindowSize=1048576' },
  { name: 'this transport, ActiveMQ Classic, non-durable', broker: 'activemq', kind: 'activemq', clientSettings: { durable: false } },
  { name: 'this transport, ActiveMQ Classic 6, durable, blocking', broker: 'activemq6', kind: 'activemq' },
  {
    name: 'this transport, ActiveMQ Classic 6, durable, window 1 MiB',
    broker: 'activemq6',
    kind: 'activemq',
    clientQuery: '?jms.useAsyncSend=true&confirmationWindowSize=1048576',
  },
  { name: 'this transport, Artemis, durable, blocking', broker: 'artemis', kind: 'activemq' },
  { name: 'this transport, Artemis, durable, window 1 MiB', broker: 'artemis', kind: 'activemq', clientQuery: '?confirmationWindowSize=1048576&blockOnDurableSend=false' },
  { name: 'this transport, embedded broker, durable, window 1 MiB', broker: 'embedded', kind: 'activemq', clientQuery: '?jms.useAsyncSend=true&confirmationWindowSize=1048576' },
  { name: 'this transport, embedded broker, non-durable', broker: 'embedded', kind: 'activemq', clientSettings: { durable: false } },
];
