/**
 * The runnable examples of docs/consumer-features/ (examples/consumer-features/*.ts), each run here
 * in-process on its own embedded broker (`vm://<example>-example`) as `node` would run it: its
 * `main()` does the feature, prints what happened and returns what it observed, which is asserted
 * (the delivered set, order and counts). No external broker is needed.
 *
 * The examples import the package by its name, as users do; here that name is the source (the
 * tsconfig's `paths` say the same to tsc). test/docs/examples.spec.ts checks that each page shows
 * its example verbatim.
 */
import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

jest.unstable_mockModule('nestjs-activemq', () => import('../../lib/index.js'), { virtual: true });
jest.unstable_mockModule('nestjs-activemq/broker', () => import('../../lib/broker/index.js'), { virtual: true });
// Loaded once before the examples, which then share these modules (jest's ESM loader fails on a
// CommonJS module, reflect-metadata here, first required by two modules of one graph at once).
await import('../../lib/index.js');

/** What the example printed with console.log while it ran, one entry per call. */
let printed: string[] = [];
beforeEach(() => {
  printed = [];
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
});
afterEach(() => {
  jest.restoreAllMocks();
});

describe('the runnable examples of docs/consumer-features/', () => {
  it('selectors: only the selected orders are handled; the others stay on the queue', async () => {
    const { main } = await import('../../examples/consumer-features/selectors.js');
    const result = await main();
    expect([...result.handled].sort()).toEqual(['o-1', 'o-5']);
    expect([...result.leftOnQueue].sort()).toEqual(['o-2', 'o-3', 'o-4']);
    expect(printed.filter((line) => line.startsWith('handled ')).sort()).toEqual(['handled o-1', 'handled o-5']);
  });

  it('durable subscriptions: the events published while the server was down arrive when it is back, in order', async () => {
    const { main } = await import('../../examples/consumer-features/durable-subscriptions.js');
    const result = await main();
    expect(result.received).toEqual(['ACME=10', 'ACME=11', 'ACME=12']);
    expect(printed).toEqual(['price of ACME: 10', 'billing is down', 'billing starts again', 'price of ACME: 11', 'price of ACME: 12']);
  });

  it('exclusive and consumer priority: one server gets every job until it leaves; the higher priority gets every report', async () => {
    const { main } = await import('../../examples/consumer-features/exclusive-and-priority.js');
    const result = await main();
    expect(result.exclusive).toEqual(['first:job=4']);
    expect(result.afterFirstLeft).toEqual(['second:job=2']);
    expect(result.priority).toEqual(['first:report=4']);
  });

  it("handler policy: a failing invoice is tried once and lands on ActiveMQ.DLQ naming its queue (onError 'dead-letter')", async () => {
    const { main } = await import('../../examples/consumer-features/handler-policy.js');
    const result = await main();
    expect(result.paid).toEqual(['i-1', 'i-3']);
    expect(result.deadLetters).toEqual([{ id: 'i-2', from: '/queue/invoices' }]);
    expect(result.attempts).toEqual(['i-1', 'i-2', 'i-3']); // no redelivery of i-2
    expect(printed).toContain('dead letter i-2, from /queue/invoices');
  });

  it('message groups: each group in order and one at a time, groups side by side, at concurrency 16', async () => {
    const { main } = await import('../../examples/consumer-features/message-groups.js');
    const result = await main();
    expect(result.orderOf).toEqual({ alice: [0, 1, 2, 3, 4], bob: [0, 1, 2, 3, 4], carol: [0, 1, 2, 3, 4] });
    expect(result.most.inOneGroup).toBe(1);
    expect(result.most.inAll).toBeGreaterThan(1);
  });

  it('wildcards and composites: prices.> gets prices.eu.fr and prices.us (not quotes.eu); one send reaches both queues', async () => {
    const { main } = await import('../../examples/consumer-features/wildcards-and-composites.js');
    const result = await main();
    expect(result.prices).toEqual(['/topic/prices.eu.fr=12.5', '/topic/prices.us=14']);
    expect(result.copies).toEqual(['audit:o-1', 'billing:o-1']);
    expect(printed).toContain('/topic/prices.eu.fr: 12.5');
  });

  it('scheduled delivery: the undelayed message first, then the one delayed 200 ms, then the one due at +300 ms', async () => {
    const { main } = await import('../../examples/consumer-features/scheduled-delivery.js');
    const result = await main();
    expect(result.arrived.map((a) => a.text)).toEqual(['now', 'after 200 ms', 'at a time']);
    const [now, delayed, timed] = result.arrived;
    expect(now!.afterMs).toBeLessThan(200);
    // A timer may fire a millisecond early; the delay is counted from the broker's receipt, after sentAt.
    expect(delayed!.afterMs).toBeGreaterThanOrEqual(199);
    expect(timed!.afterMs).toBeGreaterThanOrEqual(299);
  });

  it('message type and headers: the JMSType selector picks OrderPlaced; setHeaders refuses the reserved headers', async () => {
    const { main } = await import('../../examples/consumer-features/message-type-and-headers.js');
    const result = await main();
    expect(result.placed).toEqual(['OrderPlaced:o-2:acme']);
    expect(result.refused).toEqual(['type', 'JMSXGroupID', 'nestjsReply', 'content-type']);
    expect(printed).toContain("refused: header 'JMSXGroupID' is written by setGroup(), not setHeaders()");
  });

  it('browsing: what is waiting, by selector and limit, and none of it consumed', async () => {
    const { main } = await import('../../examples/consumer-features/browsing.js');
    const result = await main();
    expect(result.all).toEqual(['o-1', 'o-2', 'o-3']);
    expect(result.eu).toEqual(['o-1', 'o-3']);
    expect(result.firstTwo).toEqual(['o-1', 'o-2']);
    expect([...result.consumed].sort()).toEqual(['o-1', 'o-2', 'o-3']);
  });
});

describe('the pages of docs/consumer-features/', () => {
  it('there is a page per example, and each page shows its example (test/docs/examples.spec.ts checks that each block is its file, verbatim)', () => {
    const dir = 'docs/consumer-features';
    const pages = readdirSync(dir).filter((f) => f.endsWith('.md'));
    const examples = readdirSync('examples/consumer-features').filter((f) => f.endsWith('.ts') && f !== 'support.ts');
    expect(pages.map((p) => p.replace(/\.md$/, '.ts')).sort()).toEqual([...examples].sort());
    for (const page of pages) expect(readFileSync(join(dir, page), 'utf8')).toContain(`<!-- example: examples/consumer-features/${page.replace(/\.md$/, '.ts')} -->`);
  });
});
