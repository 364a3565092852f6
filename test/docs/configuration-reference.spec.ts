import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { uriParameterTable, withTable } from '../support/config-reference.js';

const PAGE = new URL('../../docs/configuration.md', import.meta.url);

describe('docs/configuration.md', () => {
  it('lists every URI parameter as the spelling table and ActiveMQUriOptions define them (npm run docs:config rewrites it)', () => {
    const page = readFileSync(PAGE, 'utf8');
    const expected = withTable(page, uriParameterTable());
    if (process.env['UPDATE_CONFIG_REFERENCE'] === '1') writeFileSync(PAGE, expected);
    expect(page).toBe(expected);
  });

  it('fails when an option has no spelling or a spelling no documented option', () => {
    // The table is complete: every spelling of the code appears in it.
    const table = uriParameterTable();
    for (const spelling of ['jms.useAsyncSend', 'retryInterval', 'transport.heartBeat', 'jms.producerWindowSize', 'nms.PrefetchPolicy.QueuePrefetch']) expect(table).toContain(`\`${spelling}\``);
  });
});
