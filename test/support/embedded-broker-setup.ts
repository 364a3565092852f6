// The "embedded" jest project runs the transport's integration suite against the project's own
// embedded broker: each test file gets a fresh one on a free TCP port, configured like the test
// ActiveMQ (login app/app-secret, two redeliveries 1.1 s apart, then ActiveMQ.DLQ).
import { afterAll } from '@jest/globals';
import { EmbeddedBroker } from '../../lib/broker/embedded-broker.js';

const previous = process.env['ACTIVEMQ_URL'];
const broker = await EmbeddedBroker.start({ port: 0, users: { app: 'app-secret' }, maxRedeliveries: 2, redeliveryDelayMs: 1100 });
process.env['ACTIVEMQ_URL'] = `stomp://app:app-secret@127.0.0.1:${broker.port}`;
process.env['NESTJS_ACTIVEMQ_EMBEDDED'] = '1';

afterAll(async () => {
  await broker.stop();
  delete process.env['NESTJS_ACTIVEMQ_EMBEDDED'];
  if (previous === undefined) delete process.env['ACTIVEMQ_URL'];
  else process.env['ACTIVEMQ_URL'] = previous;
});
