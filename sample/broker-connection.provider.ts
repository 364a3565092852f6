import { Logger, type FactoryProvider, type OnApplicationShutdown } from '@nestjs/common';
import { parseActiveMQUri, redactCredentials, StompConnection, stompConnectionOptions } from '../lib/index.js';

/** The ActiveMQ URL the sample talks to. `npm run sample` starts a broker and sets it. */
export function brokerUrl(): string {
  return process.env['ACTIVEMQ_URL'] ?? 'stomp://app:app-secret@127.0.0.1:61613';
}

/** One STOMP connection for the whole app, closed with it. */
export class BrokerConnection implements OnApplicationShutdown {
  constructor(readonly connection: StompConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.disconnect();
  }
}

export const brokerConnectionProvider: FactoryProvider<BrokerConnection> = {
  provide: BrokerConnection,
  useFactory: async () => {
    const url = brokerUrl();
    const parsed = parseActiveMQUri(url);
    const connection = await StompConnection.connect(stompConnectionOptions(parsed, parsed.endpoints[0]!));
    new Logger('BrokerConnection').log(`connected to ${connection.server} at ${redactCredentials(url)}`);
    return new BrokerConnection(connection);
  },
};
