// The test environment of every jest project: Node's, with the output of test code held back.
// What a test file writes to process.stdout / process.stderr (NestJS' ConsoleLogger writes there)
// and through console goes to a buffer that holds the output since the current test started; a
// test that fails (or a hook that fails) has its buffer printed to stderr under its name, and a
// test that passes has it dropped. A green run is then only jest's own lines; a red one shows
// every log line of what failed. NESTJS_TEST_LOGS=all passes everything through as it comes.
// Figures a test measured go out through report() (test/support/report.ts) either way.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file: jest loads test environments with require() */
const { TestEnvironment } = require('jest-environment-node');
const { Console } = require('node:console');
const { Writable } = require('node:stream');

const PASS_THROUGH = process.env.NESTJS_TEST_LOGS === 'all';

class QuietEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    /** @type {string[]} */
    this.held = [];
    // test/support/report.ts: a measured figure goes out at once, green or red.
    this.global.__nestjsActivemqReport = (line) => process.stdout.write(`${line}\n`);
    if (PASS_THROUGH) return;
    const sink = (real) =>
      Object.assign(
        new Writable({
          decodeStrings: false,
          write: (chunk, encoding, callback) => {
            this.held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
            callback();
          },
        }),
        { isTTY: false, columns: real.columns ?? 120, fd: real.fd },
      );
    this.stdout = sink(process.stdout);
    this.stderr = sink(process.stderr);
    // The sandbox's own process object (a copy jest makes), not the runner's: jest's reporters
    // keep writing to the real streams.
    Object.defineProperty(this.global.process, 'stdout', { value: this.stdout, configurable: true, writable: true });
    Object.defineProperty(this.global.process, 'stderr', { value: this.stderr, configurable: true, writable: true });
  }

  async setup() {
    await super.setup();
    // jest sets its console on the sandbox after the constructor and before setup().
    if (!PASS_THROUGH) this.global.console = new Console({ stdout: this.stdout, stderr: this.stderr });
  }

  /** @param {import('jest-circus').Event} event */
  handleTestEvent(event) {
    if (PASS_THROUGH) return;
    if (event.name === 'test_start') this.held = [];
    else if (event.name === 'test_done' && event.test.errors.length > 0) this.flush(`test ${JSON.stringify(fullName(event.test))} failed`);
    else if (event.name === 'hook_failure') this.flush(`${event.hook.type} hook failed${event.test ? ` in ${JSON.stringify(fullName(event.test))}` : ''}`);
  }

  flush(what) {
    const text = this.held.join('');
    this.held = [];
    process.stderr.write(
      `\n── ${what}: its output (${text ? `${text.split('\n').length - (text.endsWith('\n') ? 1 : 0)} line(s)` : 'none'}) ──\n${text}${text && !text.endsWith('\n') ? '\n' : ''}── end of that output ──\n`,
    );
  }
}

/** "describe › nested › test", as jest names a test. */
function fullName(test) {
  const names = [];
  for (let block = test; block && block.name !== 'ROOT_DESCRIBE_BLOCK'; block = block.parent) names.unshift(block.name);
  return names.join(' › ');
}

module.exports = QuietEnvironment;
