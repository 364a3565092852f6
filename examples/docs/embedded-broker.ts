import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagingModule, ServerActiveMQ } from 'nestjs-activemq';

// #region vm
@Module({
  imports: [MessagingModule.forRoot()], // no URI: vm://localhost, started on first use
})
export class AppModule {}

export async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice({ strategy: new ServerActiveMQ({ uri: 'vm://localhost' }) }); // the same broker, by name
  await app.startAllMicroservices();
  await app.listen(3000);
}
// #endregion vm
