import { EmbeddedBroker } from 'nestjs-activemq/broker';

// A broker for one test: on a free port, with a journal in ./data.
export async function withBroker(test: (uri: string) => Promise<void>): Promise<void> {
  const broker = await EmbeddedBroker.start({ port: 0, dataDir: './data' });
  try {
    await test(`stomp://127.0.0.1:${broker.port}`);
  } finally {
    await broker.stop();
  }
}
