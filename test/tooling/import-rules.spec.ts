import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const depcruise = join(root, 'node_modules/.bin/depcruise');
const config = join(root, '.dependency-cruiser.cjs');

/** Runs the project's import rules (the same command as `npm run lint:deps`) on `dir`'s lib/. */
function cruise(dir: string): { status: number | null; output: string } {
  const run = spawnSync(depcruise, ['lib', '--config', config], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the import rules (npm run lint:deps, in CI through npm run lint)', () => {
  it('hold for lib/', () => {
    const { status, output } = cruise(root);
    expect(output).toMatch(/no dependency violations found/);
    expect(status).toBe(0);
  }, 60_000);

  it('fail on an upward import, a cycle and a file outside the known folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-rules-'));
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }));
      for (const folder of ['stomp', 'client', 'misc']) mkdirSync(join(dir, 'lib', folder), { recursive: true });
      // The codec reaching up into the Nest glue, which imports it back: upward, and a cycle.
      writeFileSync(join(dir, 'lib/stomp/codec.ts'), "import { glue } from '../client/glue.js';\nexport const codec = () => glue;\n");
      writeFileSync(join(dir, 'lib/client/glue.ts'), "import { codec } from '../stomp/codec.js';\nexport const glue = () => codec;\n");
      writeFileSync(join(dir, 'lib/misc/stray.ts'), "import { codec } from '../stomp/codec.js';\nexport const stray = codec;\n");
      const { status, output } = cruise(dir);
      expect(status).not.toBe(0);
      expect(output).toMatch(/stomp-imports-only-below: lib\/stomp\/codec\.ts → lib\/client\/glue\.ts/);
      expect(output).toMatch(/no-circular/);
      expect(output).toMatch(/known-folders-only: lib\/misc\/stray\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
