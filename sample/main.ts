import { Logger } from '@nestjs/common';
import { redactCredentials } from '../lib/index.js';
import { startSampleApp } from './bootstrap.js';

/**
 * The sample hybrid app. `npm run sample` starts ActiveMQ and runs this; it places one demo
 * order through its own HTTP endpoint, then keeps serving until Ctrl-C
 * (SAMPLE_EXIT_AFTER_DEMO=1 stops it after the demo).
 */
async function main(): Promise<void> {
  const uri = process.env['ACTIVEMQ_URL'] ?? 'stomp://app:app-secret@127.0.0.1:61613';
  const port = Number(process.env['PORT'] ?? 3000);
  const logger = new Logger('Sample');
  const app = await startSampleApp(uri, port);
  const url = await app.getUrl();
  logger.log(`HTTP on ${url}, ActiveMQ at ${redactCredentials(uri)}`);

  const response = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'book', quantity: 2 }),
  });
  logger.log(`demo order answered ${response.status}: ${await response.text()}`);
  logger.log(`try: curl -s -X POST ${url}/orders -H 'content-type: application/json' -d '{"item":"lamp","quantity":1}'`);
  logger.log(`     curl -s ${url}/orders`);

  if (process.env['SAMPLE_EXIT_AFTER_DEMO'] === '1') await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
