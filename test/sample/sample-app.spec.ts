import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../sample/app.module.js';
import { OrdersService } from '../../sample/orders.service.js';
import { uniqueQueue } from '../support/connect.js';

describe('the sample app', () => {
  it('boots in Nest, places orders on ActiveMQ and receives them back', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await moduleRef.init();
    try {
      const orders = moduleRef.get(OrdersService);
      const queue = uniqueQueue('sample');
      await orders.place(queue, { id: 'T-1', item: 'book', quantity: 1 });
      await orders.place(queue, { id: 'T-2', item: 'pen', quantity: 3 });
      expect(await orders.receive(queue, 2)).toEqual([
        { id: 'T-1', item: 'book', quantity: 1 },
        { id: 'T-2', item: 'pen', quantity: 3 },
      ]);
    } finally {
      await moduleRef.close();
    }
  });
});
