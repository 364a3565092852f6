// billing.module.ts: MessagingModule finds the marked providers of the app
import { Module } from '@nestjs/common';
import { MessagingModule } from 'nestjs-activemq';
import { BillingService } from './billing.service.js';

@Module({
  imports: [MessagingModule.forRoot('vm://localhost')],
  providers: [BillingService],
})
export class BillingModule {}
