import { describe, expect, it } from '@jest/globals';
import { BrokerDialect } from '../../../lib/wire/broker-dialect.js';
import { refuseQueueWildcardOnArtemis, UnsupportedConsumerOptionError } from '../../../lib/wire/consumer-features.js';

const ARTEMIS = BrokerDialect.of('ActiveMQ-Artemis/2.40.0 ActiveMQ Artemis Messaging Engine');
const CLASSIC = BrokerDialect.of('ActiveMQ/6.3.1');

describe('refuseQueueWildcardOnArtemis', () => {
  it.each(['/queue/jobs.*.eu', '/queue/jobs.>', '/queue/*'])('%s is refused on Artemis, naming the handler', (destination) => {
    expect(() => refuseQueueWildcardOnArtemis(ARTEMIS, destination, "@Pattern('x')")).toThrow(UnsupportedConsumerOptionError);
    expect(() => refuseQueueWildcardOnArtemis(ARTEMIS, destination, "@Pattern('x')")).toThrow(/^@Pattern\('x'\): a queue wildcard cannot be given by ActiveMQ Artemis/);
  });

  it.each([
    [ARTEMIS, '/topic/prices.>'],
    [ARTEMIS, '/queue/jobs.a*.eu'],
    [ARTEMIS, '/queue/jobs'],
    [CLASSIC, '/queue/jobs.*.eu'],
  ])('%#: a topic wildcard, a name holding * in an element, a plain queue, or Classic: taken', (dialect, destination) => {
    expect(() => refuseQueueWildcardOnArtemis(dialect, destination, "@Pattern('x')")).not.toThrow();
  });
});
