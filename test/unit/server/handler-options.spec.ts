import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import type { ActiveMQHandlerOptions } from '../../../lib/index.js';
import { handlerSettingsOf } from '../../../lib/server/handler-options.js';
import { thrown } from '../../support/thrown.js';

// Handler options as a Nest app writes them: typed with `satisfies`, checked again when the server starts.

describe('handler options, typed', () => {
  it('an object that satisfies ActiveMQHandlerOptions is what the server takes', () => {
    const options = { selector: "region = 'EU'", concurrency: 4, prefetch: 8, onError: 'dead-letter' } satisfies ActiveMQHandlerOptions;
    const settings = handlerSettingsOf('orders', '/queue/orders', options, { clientId: undefined });
    expect(settings).toMatchObject({ concurrency: 4, prefetch: 8, onError: 'dead-letter' });
    const durable = { durable: 'billing-prices', noLocal: true } satisfies ActiveMQHandlerOptions;
    expect(handlerSettingsOf('topic://prices', '/topic/prices', durable, { clientId: 'billing' })).toMatchObject({ durable: 'billing-prices', noLocal: true });
  });

  it('a misspelt option or a wrong type fails to compile with satisfies, and fails the start without it', () => {
    // @ts-expect-error 'selecter' is not a handler option
    const misspelt = { selecter: "region = 'EU'" } satisfies ActiveMQHandlerOptions;
    const error = thrown(() => handlerSettingsOf('orders', '/queue/orders', misspelt, { clientId: undefined }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toMatch(/^unknown handler option 'selecter' on the handler of 'orders'; known: selector, durable, exclusive, /);
    // @ts-expect-error onError takes 'nack', 'ack' or 'dead-letter'
    const wrongValue = { onError: 'retry' } satisfies ActiveMQHandlerOptions;
    expect(thrown(() => handlerSettingsOf('orders', '/queue/orders', wrongValue, { clientId: undefined }))).toBeInstanceOf(InvalidOptionError);
  });
});
