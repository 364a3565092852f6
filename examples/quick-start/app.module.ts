// app.module.ts
import { Module } from '@nestjs/common';
import { MessagingModule } from 'nestjs-activemq';
import { BROKER_URI } from './broker.js';
import { OrdersController } from './orders.controller.js';

@Module({
  imports: [MessagingModule.forRoot(BROKER_URI)], // provides ClientActiveMQ
  controllers: [OrdersController],
})
export class AppModule {}
