import { Module } from '@nestjs/common';
import { brokerConnectionProvider } from './broker-connection.provider.js';
import { OrdersService } from './orders.service.js';

@Module({
  providers: [brokerConnectionProvider, OrdersService],
  exports: [OrdersService],
})
export class AppModule {}
