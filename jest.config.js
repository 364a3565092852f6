// jest runs in ESM mode (NODE_OPTIONS=--experimental-vm-modules): NestJS 12 is ESM-only and
// loads on Node 20 only that way; NestJS 11 loads the same way.
const base = {
  // Node's environment, quiet when a test passes and complete when it fails (see the file).
  testEnvironment: '<rootDir>/test/support/quiet-environment.cjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

/**
 * The brokers besides Classic 5.17 and the embedded one whose projects run: ActiveMQ Classic 6 and
 * Artemis by default; NESTJS_ACTIVEMQ_MATRIX=activemq6 (or artemis, or empty) runs fewer.
 */
const DEFAULT_MATRIX = 'activemq6,artemis';
/** Suites of one broker only (an Artemis replicated pair): their name says which. */
const ARTEMIS_ONLY = '<rootDir>/test/integration/reliability/artemis-';
const MATRIX = (process.env.NESTJS_ACTIVEMQ_MATRIX ?? DEFAULT_MATRIX).split(',').filter((name) => name === 'activemq6' || name === 'artemis');

export default {
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/project-counts-reporter.cjs'],
  projects: [
    // Everything, against the real ActiveMQ the global setup starts.
    { ...base, displayName: 'activemq', testMatch: ['<rootDir>/test/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', ARTEMIS_ONLY] },
    // The integration suites again, against ActiveMQ Classic 6 and Apache ActiveMQ Artemis
    // (NESTJS_ACTIVEMQ_MATRIX names which; test/support/global-setup.mjs starts each broker).
    ...MATRIX.map((name) => ({
      ...base,
      displayName: name,
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts', '<rootDir>/test/e2e/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/embedded/', ...(name === 'artemis' ? [] : [ARTEMIS_ONLY])],
      setupFilesAfterEnv: [`<rootDir>/test/support/${name}-setup.ts`],
    })),
    // The integration suites again, against the embedded broker: in this process on a free port
    // (test/support/embedded-broker-setup.ts), or as a process of its own for the suites that
    // crash, pause or restart a broker (scripts/embedded.sh). Not there: the embedded broker's own
    // suites (run above, each with its brokers), and JMS interoperability, which needs OpenWire or
    // Artemis' CORE protocol; the embedded broker speaks STOMP only.
    {
      ...base,
      displayName: 'embedded',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts', '<rootDir>/test/e2e/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/embedded/', ARTEMIS_ONLY, '<rootDir>/test/integration/transport/jms-interop.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/embedded-broker-setup.ts'],
    },
  ],
};
