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
  const logger = new Logger('Sample');
  const portText = process.env['PORT'] || '3000';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port <= 65535)) {
    logger.error(`PORT '${portText}' is not a port number: give 0-65535 (0 picks a free one), e.g. PORT=3001 npm run sample`);
    process.exitCode = 2;
    return;
  }
  const app = await startSampleApp(uri, port).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    logger.error(`port ${port} on 127.0.0.1 is in use by another program: run the sample on another one, e.g. PORT=${port === 3000 ? 3001 : 0} npm run sample`);
    process.exitCode = 1;
    return undefined;
  });
  if (!app) return;
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
