import { Logger } from '@nestjs/common';
import { redactCredentials } from '../lib/stomp-toolkit.js';
import { startSampleApp } from './bootstrap.js';

/**
 * The sample hybrid app. `npm run sample` runs it on the embedded broker in this process
 * (`vm://localhost`), or on the broker ACTIVEMQ_URL names; it places one demo order through its own
 * HTTP endpoint, then keeps serving until Ctrl-C (SAMPLE_EXIT_AFTER_DEMO=1 stops it after the demo).
 */
async function main(): Promise<void> {
  const uri = process.env['ACTIVEMQ_URL'] || 'vm://localhost';
  const port = Number(process.env['PORT'] ?? 3000);
  const logger = new Logger('Sample');
  const app = await startSampleApp(uri, port);
  const url = await app.getUrl();
  logger.log(`HTTP on ${url}, broker ${uri.startsWith('vm://') ? `${uri} (embedded, in this process)` : redactCredentials(uri)}`);

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
