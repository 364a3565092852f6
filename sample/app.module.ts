import { Module } from '@nestjs/common';
import { MessagingModule } from '../lib/index.js';
import { OrdersHttpController } from './orders.http.controller.js';
import { OrdersMicroserviceController } from './orders.microservice.controller.js';
import { OrdersStore } from './orders.store.js';

@Module({})
export class AppModule {
  static forBroker(uri: string) {
    return {
      module: AppModule,
      imports: [MessagingModule.forRoot(uri)],
      controllers: [OrdersHttpController, OrdersMicroserviceController],
      providers: [OrdersStore],
    };
  }
}
