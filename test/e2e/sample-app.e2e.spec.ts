import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { filter, firstValueFrom } from 'rxjs';
import { startSampleApp } from '../../sample/bootstrap.js';
import { OrdersStore, type PlacedOrder } from '../../sample/orders.store.js';
import { sharedBrokerUrl } from '../support/broker.js';
import { RecordingLogger } from '../support/nest.js';

describe('the sample hybrid app (HTTP + ActiveMQ)', () => {
  let app: INestApplication;
  let url: string;
  const logger = new RecordingLogger();
  beforeAll(async () => {
    app = await startSampleApp(sharedBrokerUrl(), 0, logger);
    url = await app.getUrl();
  });
  afterAll(async () => app?.close());

  it('prices an order over request/reply, records it from the event, and lists it over HTTP', async () => {
    const recorded = firstValueFrom(app.get(OrdersStore).recorded$.pipe(filter((o) => o.item === 'lamp')));
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'lamp', quantity: 3 }),
    });
    expect(response.status).toBe(201);
    const placed = (await response.json()) as PlacedOrder;
    expect(placed).toMatchObject({ item: 'lamp', quantity: 3, total: 90 });
    expect(await recorded).toEqual(placed);
    const listed = (await (await fetch(`${url}/orders`)).json()) as PlacedOrder[];
    expect(listed).toContainEqual(placed);
    expect(logger.lines.map((l) => l.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/'orders\.price' from \/queue\/orders\.price: 3 × lamp = 90/), expect.stringMatching(/'orders\.placed': recorded order/)]),
    );
  });

  it('answers a bad order with 400 and sends nothing', async () => {
    const before = app.get(OrdersStore).all().length;
    const response = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"item":"lamp"}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/needs an item .* and a quantity/);
    expect(app.get(OrdersStore).all().length).toBe(before);
  });
});

describe('`npm run sample` with nothing but Node', () => {
  it('runs the sample on the embedded broker (vm://localhost) and its demo order is answered', async () => {
    const { execFile } = await import('node:child_process');
    const output = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['scripts/sample.sh'], { env: { ...process.env, ACTIVEMQ_URL: '', SAMPLE_EXIT_AFTER_DEMO: '1', PORT: '0' }, timeout: 120_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout + stderr),
      );
    });
    expect(output).toMatch(/broker vm:\/\/localhost \(embedded, in this process\)/);
    expect(output).toMatch(/demo order answered 201/);
  }, 150_000);

  it('a taken PORT or one that is not a port is one clear line and a non-zero exit, not a stack trace', async () => {
    const { execFile } = await import('node:child_process');
    const { createServer } = await import('node:net');
    // The sample as scripts/sample.sh compiled it in the test above.
    const run = (port: string) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          'node',
          ['dist-sample/sample/main.js'],
          { env: { ...process.env, ACTIVEMQ_URL: '', SAMPLE_EXIT_AFTER_DEMO: '1', PORT: port }, timeout: 60_000 },
          (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: stdout + stderr }),
        );
      });
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = String((busy.address() as { port: number }).port);
    try {
      const inUse = await run(taken);
      expect(inUse.code).toBe(1);
      expect(inUse.output).toContain(`port ${taken} on 127.0.0.1 is in use by another program: run the sample on another one, e.g. PORT=0 npm run sample`);
      expect(inUse.output).not.toMatch(/^\s+at /m);
    } finally {
      busy.close();
    }
    const notAPort = await run('http');
    expect(notAPort.code).toBe(2);
    expect(notAPort.output).toContain("PORT 'http' is not a port number: give 0-65535 (0 picks a free one), e.g. PORT=3001 npm run sample");
  }, 120_000);
});
