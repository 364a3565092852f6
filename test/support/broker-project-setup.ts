// The "activemq6" and "artemis" jest projects run the transport's integration suites against
// ActiveMQ Classic 6 and Apache ActiveMQ Artemis, started by the global setup with the project's
// scripts: for the files of those projects, the shared broker (ACTIVEMQ_URL and the started
// broker's directory) is that one, and TestBroker starts brokers of the same kind. Put back after
// each file: with --runInBand every project's files share one process.
import { afterAll } from '@jest/globals';

/** The brokers of the matrix besides Classic 5.17 (the `activemq` project's, the default). */
export type ProjectBroker = 'activemq6' | 'artemis';

const SOURCES: Record<ProjectBroker, { url: string; dir: string }> = {
  activemq6: { url: 'ACTIVEMQ6_URL', dir: 'NESTJS_ACTIVEMQ6_STARTED_BROKER' },
  artemis: { url: 'ARTEMIS_URL', dir: 'NESTJS_ARTEMIS_STARTED_BROKER' },
};

/** Makes `kind` the shared broker of this test file. */
export function useProjectBroker(kind: ProjectBroker): void {
  const source = SOURCES[kind];
  const url = process.env[source.url];
  if (!url) throw new Error(`${source.url} is not set: run the ${kind} project through npm test, whose global setup starts that broker`);
  const saved = { url: process.env['ACTIVEMQ_URL'], dir: process.env['NESTJS_ACTIVEMQ_STARTED_BROKER'], broker: process.env['NESTJS_ACTIVEMQ_BROKER'] };
  process.env['ACTIVEMQ_URL'] = url;
  restore('NESTJS_ACTIVEMQ_STARTED_BROKER', process.env[source.dir]);
  process.env['NESTJS_ACTIVEMQ_BROKER'] = kind;
  afterAll(() => {
    restore('ACTIVEMQ_URL', saved.url);
    restore('NESTJS_ACTIVEMQ_STARTED_BROKER', saved.dir);
    restore('NESTJS_ACTIVEMQ_BROKER', saved.broker);
  });
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
