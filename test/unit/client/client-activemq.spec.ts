import { describe, expect, it } from '@jest/globals';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { InvalidUriError, InvalidUriParameterError, UnknownUriParameterError } from '../../../lib/config/errors.js';

/** Options are checked when a client is built, before anything connects. */
describe('ClientActiveMQ options', () => {
  it.each([
    [{ requestTimeout: 0 }, /requestTimeout must be a positive whole number/],
    [{ confirmationWindowSize: 1000, confirmationStrategy: 'sometimes' as never }, /confirmationStrategy must be 'transaction' or 'receipt'/],
    [{ confirmationWindowSize: 1000, confirmationBatchSize: 0 }, /confirmationBatchSize must be a whole number >= 1/],
    [{ confirmationWindowSiz: 1000 } as never, /unknown option 'confirmationWindowSiz' of ClientActiveMQ options; did you mean 'confirmationWindowSize'\?/],
    [{ tracing: 'on' } as never, /tracing must be true or false, got "on"/],
  ])('ClientActiveMQ refuses %j', (options, message) => {
    expect(() => new ClientActiveMQ(options)).toThrow(message);
  });

  it.each([
    ['stomp://h:1?duplicateDetection=maybe', InvalidUriParameterError],
    ['stomp://h:1?trackMessages=1', InvalidUriParameterError],
    ['stomp://h:1?priorityBackup=yes', InvalidUriParameterError],
    ['stomp://h:1?maxReconnectAttempts=-2', InvalidUriParameterError],
    ['stomp://h:1?priorityBackp=true', UnknownUriParameterError],
    ['failover:(vm://a,stomp://b:1)', InvalidUriError],
  ])('ClientActiveMQ refuses the URI %s', (uri, type) => {
    expect(() => new ClientActiveMQ({ uri })).toThrow(type);
  });
});
