import 'reflect-metadata';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { stopVmBroker, vmBroker } from '../../../lib/broker/embedded-broker.js';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { MessagingModule } from '../../../lib/module/messaging.module.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { deferred } from '../../support/nest.js';

/** vm:// URIs: the embedded broker in this process, over an in-memory pipe. */
afterAll(async () => {
  await stopVmBroker('localhost');
  await stopVmBroker('isolated');
});

describe('vm://', () => {
  it('a microservice-only app listening on vm:// keeps Node running until it is closed (an in-process pipe holds no socket open)', async () => {
    const root = new URL('../../..', import.meta.url).pathname;
    const build = await new Promise<string>((resolve, reject) =>
      execFile('bash', [join(root, 'scripts/embedded.sh'), 'build'], { timeout: 300_000 }, (error, stdout) =>
        error ? reject(new Error(`scripts/embedded.sh build failed: ${error.message}`)) : resolve(stdout.trim()),
      ),
    );
    // Only an unref'd timer closes the server: without the server's own hold, Node would end the
    // process as soon as listen() had called back, and 'closed' would never be printed.
    const program = join(build, 'keep-alive-probe.mjs');
    writeFileSync(
      program,
      [
        "import 'reflect-metadata';",
        `import { ServerActiveMQ } from '${join(build, 'index.js')}';`,
        "const server = new ServerActiveMQ({ uri: 'vm://keep-alive-probe' });",
        'server.listen((error) => {',
        '  if (error) { console.error(error); process.exitCode = 1; return; }',
        "  console.log('listening');",
        "  setTimeout(() => server.close().then(() => console.log('closed')), 500).unref();",
        '});',
      ].join('\n'),
    );
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(process.execPath, [program], { timeout: 60_000 }, (_error, out) => resolve({ stdout: out, code: child.exitCode }));
    });
    expect(stdout.split('\n').filter(Boolean)).toEqual(['listening', 'closed']);
    expect(code).toBe(0);
  }, 120_000);

  it('MessagingModule.forRoot() with no URI and ServerActiveMQ({}) meet on vm://localhost: request/reply and events', async () => {
    const placed = deferred<string>();
    @Controller()
    class Orders {
      @MessagePattern('vm.price')
      price(@Payload() order: { quantity: number }): { total: number } {
        return { total: order.quantity * 2.5 };
      }
      @EventPattern('vm.placed')
      placed(@Payload() id: string): void {
        placed.resolve(id);
      }
    }
    @Module({ imports: [MessagingModule.forRoot()], controllers: [Orders] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    app.connectMicroservice({ strategy: new ServerActiveMQ({}) });
    await app.startAllMicroservices();
    await app.init();
    const client = app.get(ClientActiveMQ);
    expect(await firstValueFrom(client.send('vm.price', { quantity: 4 }))).toEqual({ total: 10 });
    await lastValueFrom(client.emit('vm.placed', 'order-7'), { defaultValue: undefined });
    expect(await placed.promise).toBe('order-7');
    expect(client.unwrap<{ server: string }>().server).toMatch(/^nestjs-activemq-embedded\//);
    expect(vmBroker('localhost').stats().connections).toBeGreaterThanOrEqual(2);
    await app.close();
  });

  it('each name is a broker of its own, and the URI names it', async () => {
    const a = new ClientActiveMQ({ uri: 'vm://isolated' });
    const b = new ClientActiveMQ({ uri: 'vm://localhost' });
    await a.connect();
    await b.connect();
    await lastValueFrom(a.emit('vm.only-here', 'x'), { defaultValue: undefined });
    expect(vmBroker('isolated').stats().waiting).toBe(1);
    expect(vmBroker('localhost').stats().waiting).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
});
