import { Injectable, Module } from '@nestjs/common';
import { ClientActiveMQ, InjectMessagingClient, MessagingModule } from 'nestjs-activemq';
import { lastValueFrom } from 'rxjs';

// The app's configuration, read at start-up (a stand-in for @nestjs/config's ConfigService).
@Injectable()
export class AppConfig {
  get(key: string): string | undefined {
    return process.env[key];
  }
}

@Module({ providers: [AppConfig], exports: [AppConfig] })
export class AppConfigModule {}

@Injectable()
export class Orders {
  constructor(
    private readonly client: ClientActiveMQ, // the unnamed client
    @InjectMessagingClient('audit') private readonly audit: ClientActiveMQ,
  ) {}

  async place(order: { readonly id: string }): Promise<void> {
    await lastValueFrom(this.client.emit('orders.placed', order));
    await lastValueFrom(this.audit.emit('audit.orders', order));
  }
}

@Module({
  imports: [
    MessagingModule.forRootAsync({
      imports: [AppConfigModule],
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ uri: config.get('ACTIVEMQ_URL') }), // unset: refused at start-up
    }),
    MessagingModule.forRoot({ name: 'audit', uri: 'stomp://audit:secret@mq2:61613' }),
  ],
  providers: [Orders],
})
export class AppModule {}
