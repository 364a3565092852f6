import 'reflect-metadata';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { HttpException, InternalServerErrorException, Logger, Module, RequestTimeoutException, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import * as net from 'node:net';
import { inspect } from 'node:util';
import { catchError, firstValueFrom, throwError } from 'rxjs';
import { stopVmBroker } from '../../../lib/broker/embedded-broker.js';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { MessagingModule } from '../../../lib/module/messaging.module.js';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { StompConnection } from '../../../lib/connection/stomp-connection.js';
import { BrokerUnreachableError } from '../../../lib/connection/connect-to-first.js';
import { StompConnectionClosedError } from '../../../lib/stomp/errors.js';
import { InvalidUriError, UnknownOptionError, UnknownUriParameterError } from '../../../lib/config/errors.js';
import { KNOWN_PARAMETERS } from '../../../lib/config/parameters.js';
import { sharedBrokerUrl } from '../../support/broker.js';
import { RecordingLogger } from '../../support/nest.js';
import { thrown } from '../../support/thrown.js';
import { closedPort } from '../../support/ports.js';

/** Configuration and start-up failures (issue 12, items 9, 14, 15, 19): each one clear, early and logged. */

// Nest's logger is global: a later test's lines must not land in an earlier test's RecordingLogger.
afterEach(() => {
  Logger.overrideLogger(['log', 'error', 'warn']);
});
afterAll(() => stopVmBroker('localhost'));

function moduleWith(imported: DynamicModule): DynamicModule {
  @Module({})
  class AppModule {}
  return { module: AppModule, imports: [imported] };
}

const UNSET = /probably an unset environment variable; give a broker URI \(e\.g\. stomp:\/\/host:61613\), or .* to use the in-process embedded broker vm:\/\/localhost$/;

describe('#9 a missing URI is refused; no URI at all is said in the log', () => {
  it('#9 an explicit uri: undefined is refused, naming the unset variable case', async () => {
    const env: Record<string, string | undefined> = {};
    for (const [where, build] of [
      ['ServerActiveMQ', () => new ServerActiveMQ({ uri: env['NO_SUCH_ACTIVEMQ_URL'] })],
      ['ClientActiveMQ', () => new ClientActiveMQ({ uri: env['NO_SUCH_ACTIVEMQ_URL'] })],
      ['MessagingModule.forRoot', () => MessagingModule.forRoot({ uri: env['NO_SUCH_ACTIVEMQ_URL'] })],
    ] as const) {
      const error = thrown(build);
      expect(error).toBeInstanceOf(InvalidUriError);
      expect(error.message).toMatch(new RegExp(`^${where}: the key 'uri' is present but undefined, `));
      expect(error.message).toMatch(UNSET);
      expect(error.message).toContain(`leave the 'uri' key out`);
    }
    const argument = thrown(() => MessagingModule.forRoot(env['NO_SUCH_ACTIVEMQ_URL']));
    expect(argument).toBeInstanceOf(InvalidUriError);
    expect(argument.message).toMatch(/^MessagingModule\.forRoot: the URI argument is undefined, .*call forRoot\(\) with no argument to use the in-process embedded broker/);
    const async = Test.createTestingModule({ imports: [MessagingModule.forRootAsync({ useFactory: () => ({ uri: env['NO_SUCH_ACTIVEMQ_URL'] }) })] });
    await expect(async.compile()).rejects.toThrow(/^MessagingModule\.forRootAsync: the key 'uri' is present but undefined, probably an unset environment variable/);
  });

  it('#9 an empty uri, null, and a forRootAsync factory returning undefined or an empty string are refused', async () => {
    expect(() => new ServerActiveMQ({ uri: '' })).toThrow(/^ServerActiveMQ: the key 'uri' is present but an empty string, probably an unset environment variable/);
    expect(() => new ClientActiveMQ({ uri: '  ' })).toThrow(/^ClientActiveMQ: the key 'uri' is present but an empty string/);
    expect(() => new ClientActiveMQ({ uri: null } as never)).toThrow(/^ClientActiveMQ: the key 'uri' is present but null/);
    expect(() => new ClientActiveMQ({ uri: 61613 } as never)).toThrow(/^ClientActiveMQ: the option 'uri' must be a string, got number$/);
    expect(() => MessagingModule.forRoot('')).toThrow(/^MessagingModule\.forRoot: the URI argument is an empty string/);
    for (const [returned, said] of [
      [undefined, 'undefined'],
      [null, 'null'],
      ['', 'an empty string'],
    ] as const) {
      const compiling = Test.createTestingModule({ imports: [MessagingModule.forRootAsync({ useFactory: () => returned as never })] }).compile();
      const error: unknown = await compiling.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidUriError);
      expect((error as Error).message).toMatch(new RegExp(`^MessagingModule\\.forRootAsync: useFactory returned ${said}, `));
      expect((error as Error).message).toMatch(UNSET);
    }
  });

  it('#9 no uri key: the embedded broker is announced once per client or server, at its first connection; an explicit vm:// URI is not', async () => {
    const logger = new RecordingLogger();
    const server = new ServerActiveMQ({});
    const app = await NestFactory.createMicroservice(moduleWith(MessagingModule.forRoot()), { strategy: server, logger });
    const notices = () => logger.lines.filter((l) => /no uri given/.test(l.message));
    try {
      expect(notices()).toEqual([]);
      await app.listen();
      expect(notices()).toEqual([
        { level: 'warn', message: 'no uri given: using the in-process embedded broker vm://localhost; messages do not leave this process (give a uri to reach ActiveMQ)' },
      ]);
      const client = app.get(ClientActiveMQ);
      await client.connect();
      await client.close();
      await client.connect();
      const explicit = new ClientActiveMQ({ uri: 'vm://localhost' });
      await explicit.connect();
      await explicit.close();
      // One for the server, one for the module's client however often it connects, none for the explicit URI.
      expect(notices()).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});

describe('#14 unknown parameters and options: one short, named message', () => {
  it('#14 an unknown URI parameter is one short line with the suggestion and where the list is, not 80 names', () => {
    const error = thrown(() => new ClientActiveMQ({ uri: 'stomp://127.0.0.1:61613?jms.useAsyncSnd=true' })) as UnknownUriParameterError;
    expect(error).toBeInstanceOf(UnknownUriParameterError);
    expect(error).not.toBeInstanceOf(UnknownOptionError);
    expect(error.message).toBe(
      `'jms.useAsyncSnd' is not a known URI parameter; did you mean 'jms.useAsyncSend'? Every accepted name is on the error's \`known\` list and in the table of docs/configuration.md.`,
    );
    // The list is still there for code, but printing the error (as Node does for an uncaught one) does not print it.
    expect(error.known).toEqual(KNOWN_PARAMETERS);
    expect(Object.keys(error)).not.toContain('known');
    const printed = inspect(error);
    expect(printed).not.toContain('nms.AsyncSend');
    expect(printed).toContain(`suggestion: 'jms.useAsyncSend'`);
  });

  it('#14 an unknown key of an options object is an unknown option of ClientActiveMQ or ServerActiveMQ, not a URI parameter', () => {
    const client = thrown(() => new ClientActiveMQ({ uri: sharedBrokerUrl(), requestTimout: 5 } as never)) as UnknownOptionError;
    expect(client).toBeInstanceOf(UnknownOptionError);
    expect(client.message).toBe(`unknown option 'requestTimout' of ClientActiveMQ options; did you mean 'requestTimeout'?`);
    expect([client.parameter, client.suggestion, client.where]).toEqual(['requestTimout', 'requestTimeout', 'ClientActiveMQ']);
    expect(inspect(client)).not.toContain('confirmationWindowSize');
    expect(() => new ServerActiveMQ({ prefech: 10 } as never)).toThrow(/^unknown option 'prefech' of ServerActiveMQ options; did you mean 'prefetch'\?$/);
    // A URI spelling written in code is told the option's name in code.
    expect(() => new ClientActiveMQ({ 'jms.useAsyncSend': true } as never)).toThrow(
      `unknown option 'jms.useAsyncSend' of ClientActiveMQ options; did you mean 'useAsyncSend'? ('jms.useAsyncSend' is how a URI spells it; in code its name is 'useAsyncSend')`,
    );
    expect(() => new ClientActiveMQ({ zzzzzzzzzzzz: 1 } as never)).toThrow(/^unknown option 'zzzzzzzzzzzz' of ClientActiveMQ options\. Its options are in docs\/client\.md/);
    // Code that caught UnknownUriParameterError for these still does.
    expect(client).toBeInstanceOf(UnknownUriParameterError);
  });

  it('#14 MessagingModule.forRoot(uri), thrown while the app module is defined, is one clear message naming the registration', async () => {
    const define = () => {
      @Module({ imports: [MessagingModule.forRoot('stomp://localhost:61613?jms.useAsyncSnd=true')] })
      class AppModule {}
      return AppModule;
    };
    const error = thrown(define) as UnknownUriParameterError;
    expect(error).toBeInstanceOf(UnknownUriParameterError);
    expect(error.name).toBe('UnknownUriParameterError');
    expect(error.message).toMatch(/^MessagingModule\.forRoot: 'jms\.useAsyncSnd' is not a known URI parameter; did you mean 'jms\.useAsyncSend'\? Every accepted name/);
    // What Node prints for an uncaught error: the name and the one-line message first, no list of names.
    const printed = inspect(error);
    expect(printed.split('\n')[0]).toBe(`UnknownUriParameterError: ${error.message}`);
    expect(printed).not.toContain('confirmationWindowSize');
    expect(() => MessagingModule.forRoot({ uri: sharedBrokerUrl(), requestTimout: 5 } as never)).toThrow(
      /^MessagingModule\.forRoot: unknown option 'requestTimout' of ClientActiveMQ options; did you mean 'requestTimeout'\?$/,
    );
    const async = Test.createTestingModule({ imports: [MessagingModule.forRootAsync({ useFactory: () => `${sharedBrokerUrl()}?retryIntervl=5` })] });
    await expect(async.compile()).rejects.toThrow(/^MessagingModule\.forRootAsync: 'retryIntervl' is not a known URI parameter; did you mean 'retryInterval'\?/);
  });
});

describe('#15 start-up retries: 100 ms doubling, as docs/reliability.md says, and logged', () => {
  it('#15 a server waits 100, 200, 400 ms between start-up attempts and logs each retry (the first as a warning)', async () => {
    const port = await closedPort();
    const logger = new RecordingLogger();
    const app = await NestFactory.createMicroservice(class {}, {
      strategy: new ServerActiveMQ({ uri: `stomp://127.0.0.1:${port}?startupMaxReconnectAttempts=3` }),
      logger,
    });
    const started = Date.now();
    const error: unknown = await app.listen().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    await app.close();
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect(logger.lines.filter((l) => /start-up/.test(l.message))).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(new RegExp(`^could not connect to 127\\.0\\.0\\.1:${port} at start-up \\(.*ECONNREFUSED.*\\); retrying in 100 ms \\(retry 1 of 3\\)$`)),
      },
      { level: 'debug', message: expect.stringMatching(/^start-up retry 2 of 3 in 200 ms \(.*ECONNREFUSED.*\)$/) },
      { level: 'debug', message: expect.stringMatching(/^start-up retry 3 of 3 in 400 ms \(.*ECONNREFUSED.*\)$/) },
    ]);
    // 700 ms of waiting in all; the old default (1000 ms doubling) waited 7 s.
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(7000);
  });

  it('#15 a client from MessagingModule logs its start-up retries too, naming every broker of a failover list', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const logger = new RecordingLogger();
    const uri = `failover:(stomp://127.0.0.1:${a},stomp://127.0.0.1:${b})?startupMaxReconnectAttempts=1`;
    const context = await NestFactory.createApplicationContext(moduleWith(MessagingModule.forRoot(uri)), { logger });
    const client = context.get(ClientActiveMQ);
    await expect(client.connect()).rejects.toBeInstanceOf(BrokerUnreachableError);
    await context.close();
    expect(logger.lines.filter((l) => /start-up/.test(l.message))).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(
          new RegExp(`^could not connect to 127\\.0\\.0\\.1:${a}, 127\\.0\\.0\\.1:${b} at start-up \\(.*ECONNREFUSED.*\\); retrying in 100 ms \\(retry 1 of 1\\)$`),
        ),
      },
    ]);
  });
});

describe('#19 the network error code is on the error, as Nest transports have it', () => {
  it('#19 BrokerUnreachableError and the closed-connection error it wraps carry ECONNREFUSED, so Nest-style code answers 408', async () => {
    const port = await closedPort();
    const client = new ClientActiveMQ({ uri: `stomp://127.0.0.1:${port}` });
    const error: unknown = await firstValueFrom(client.send('config.code', 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect((error as BrokerUnreachableError).code).toBe('ECONNREFUSED');
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(StompConnectionClosedError);
    expect((cause as StompConnectionClosedError).code).toBe('ECONNREFUSED');
    // What Nest's own integration tests do with a client error: ECONNREFUSED becomes 408, anything else 500.
    const status = await firstValueFrom(
      client
        .send('config.code', 1)
        .pipe(
          catchError(({ code }: { code?: string }) =>
            throwError(() => (code === 'ECONNREFUSED' ? new RequestTimeoutException('ECONNREFUSED') : new InternalServerErrorException())),
          ),
        ),
    ).catch((e: HttpException) => e.getStatus());
    expect(status).toBe(408);
    await client.close();
  });

  it('#19 a server that cannot start, and a bare STOMP connection, carry the code too', async () => {
    const port = await closedPort();
    const app = await NestFactory.createMicroservice(class {}, {
      strategy: new ServerActiveMQ({ uri: `stomp://127.0.0.1:${port}` }),
      logger: new RecordingLogger(),
    });
    const error: unknown = await app.listen().catch((e: unknown) => e);
    await app.close();
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect((error as BrokerUnreachableError).code).toBe('ECONNREFUSED');
    const direct: unknown = await StompConnection.connect({ host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(StompConnectionClosedError);
    expect((direct as StompConnectionClosedError).code).toBe('ECONNREFUSED');
    // A host that does not resolve (.invalid is reserved): the resolver's code.
    const unknownHost: unknown = await new ClientActiveMQ({ uri: 'stomp://no-such-broker.invalid:61613' }).connect().catch((e: unknown) => e);
    expect(unknownHost).toBeInstanceOf(BrokerUnreachableError);
    expect((unknownHost as BrokerUnreachableError).code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });

  it("#19 no network code is made up when the failure is not a network error: a peer that closes during CONNECT gives the class's own code", async () => {
    // Ends the connection cleanly once CONNECT is in, so that no socket error (ECONNRESET) comes first.
    const peer = net.createServer((socket) => socket.once('data', () => socket.end()));
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    try {
      const port = (peer.address() as net.AddressInfo).port;
      const error: unknown = await new ClientActiveMQ({ uri: `stomp://127.0.0.1:${port}` }).connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerUnreachableError);
      expect((error as Error).message).toMatch(/127\.0\.0\.1:\d+ closed the connection/);
      // The error's own code (every error of the package has one), not an E… network code.
      expect((error as BrokerUnreachableError).code).toBe('BROKER_UNREACHABLE');
    } finally {
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    }
  });
});
