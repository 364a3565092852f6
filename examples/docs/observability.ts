import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { ActiveMQHealthIndicator, ClientActiveMQ, MessagingModule } from 'nestjs-activemq';

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly activemq: ActiveMQHealthIndicator,
    private readonly client: ClientActiveMQ,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.activemq.isHealthy('activemq', this.client, { maxWindowFill: 0.9 })]);
  }
}

@Module({
  imports: [TerminusModule, MessagingModule.forRoot('stomp://app:secret@localhost:61613')],
  providers: [ActiveMQHealthIndicator],
  controllers: [HealthController],
})
export class HealthModule {}
// GET /health → { status: 'ok', info: { activemq: { status: 'up', connection: 'connected', broker: 'mq1:61613', windowFill: 0.02, ... } } }
