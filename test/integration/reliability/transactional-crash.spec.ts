import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { TestBroker, brokerKind } from '../../support/broker.js';
import { startService } from '../../support/nest.js';
import { rejectionOf } from '../../support/thrown.js';
import { transformUnderCrashes } from '../../support/transform-chaos.js';
import { report as reportFigure } from '../../support/report.js';

/** These tests crash their broker, so they have one of their own. */
let broker: TestBroker;
beforeAll(async () => {
  broker = await TestBroker.start();
}, 120_000);
afterAll(async () => broker?.clean());

const P = `txcrash.${process.pid}.${Date.now().toString(36)}`;

if (brokerKind() === 'artemis') {
  describe('consume-transform-produce under kill -9, on Artemis', () => {
    it('cannot be run: transactional handlers are refused at start-up (transactional-handlers.spec shows why)', async () => {
      @Controller()
      class Transform {
        @EventPattern<string>(`${P}.artemis`, { transactional: true })
        handle(): void {}
      }
      expect(await rejectionOf(startService([Transform], { uri: broker.url }))).toBeInstanceOf(InvalidOptionError);
    });
  });
} else {
  describe('consume-transform-produce under kill -9 (10,000 inputs, two outputs each, 3 crashes)', () => {
    it('leaves every input handled with both outputs exactly once, or still waiting with none', async () => {
      const report = await transformUnderCrashes({
        url: () => broker.url,
        crash: async () => {
          await broker.kill();
          await broker.restart();
        },
        total: 10_000,
        crashes: 3,
        queue: `${P}.inputs`,
      });
      reportFigure(`consume-transform-produce under kill -9 (${brokerKind()}): ${JSON.stringify({ ...report, broken: report.broken.length })}`);
      expect(report.crashes).toBe(3);
      expect(report.broken).toEqual([]);
      expect(report.duplicates).toBe(0);
      expect(report.complete + report.waiting).toBe(10_000);
    }, 300_000);
  });
}
