import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');

/**
 * Runs jest with the project's test environment on a file with a passing and a failing test, each
 * writing through NestJS' Logger, console and process.stderr.
 */
function runFixture(env: Record<string, string> = {}): { status: number | null; output: string } {
  // Inside the repository, so that the fixture resolves @nestjs/common and jest-environment-node.
  const dir = mkdtempSync(join(root, 'test/tooling/.quiet-'));
  try {
    writeFileSync(
      join(dir, 'quiet.fixture.mjs'),
      [
        "import { Logger } from '@nestjs/common';",
        "import { expect, test } from '@jest/globals';",
        // Each line built at run time, so that jest's code frame of the failure does not show it.
        "const line = (...parts) => parts.join('-');",
        "test('passes', () => { new Logger('Quiet').error(line('PASSING', 'NEST', 'LOG')); console.log(line('PASSING', 'CONSOLE')); process.stderr.write(line('PASSING', 'STDERR') + '\\n'); expect(1).toBe(1); });",
        "test('fails', () => { new Logger('Quiet').warn(line('FAILING', 'NEST', 'LOG')); console.error(line('FAILING', 'CONSOLE')); process.stdout.write(line('FAILING', 'STDOUT') + '\\n'); expect(1).toBe(2); });",
      ].join('\n'),
    );
    const config = { rootDir: dir, testMatch: ['**/*.fixture.mjs'], transform: {}, testEnvironment: join(root, 'test/support/quiet-environment.cjs') };
    const run = spawnSync(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), '--config', JSON.stringify(config), '--runInBand'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', NESTJS_TEST_LOGS: '', ...env },
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('test output: quiet when green, complete when red (test/support/quiet-environment.cjs)', () => {
  it("prints a failing test's log lines under its name and drops a passing test's", () => {
    const { status, output } = runFixture();
    expect(status).toBe(1);
    expect(output).toMatch(/── test "fails" failed: its output \(3 line\(s\)\) ──/);
    for (const line of ['FAILING-NEST-LOG', 'FAILING-CONSOLE', 'FAILING-STDOUT']) expect(output).toContain(line);
    for (const line of ['PASSING-NEST-LOG', 'PASSING-CONSOLE', 'PASSING-STDERR']) expect(output).not.toContain(line);
    expect(output).toMatch(/Tests:\s+1 failed, 1 passed, 2 total/);
  }, 60_000);

  it('NESTJS_TEST_LOGS=all passes everything through', () => {
    const { output } = runFixture({ NESTJS_TEST_LOGS: 'all' });
    for (const line of ['PASSING-NEST-LOG', 'PASSING-CONSOLE', 'PASSING-STDERR', 'FAILING-NEST-LOG']) expect(output).toContain(line);
  }, 60_000);
});
