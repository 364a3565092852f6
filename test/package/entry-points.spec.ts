import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Builds the package as users get it and loads both entry points in a fresh Node process. */
describe('package entry points', () => {
  beforeAll(() => {
    execFileSync('node', ['scripts/build.mjs'], { stdio: 'pipe' });
  }, 120_000);

  const load = (code: string, type: 'module' | 'commonjs') =>
    execFileSync('node', [`--input-type=${type}`, '-e', code], { encoding: 'utf8' }).trim();

  it('exports map: ESM for import, CommonJS for require', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, Record<string, { default: string }>> };
    expect(pkg.exports['.']!['import']!.default).toBe('./dist/esm/index.js');
    expect(pkg.exports['.']!['require']!.default).toBe('./dist/cjs/index.js');
  });

  it('loads through import (ESM)', () => {
    expect(load(`import('nestjs-activemq').then(m => console.log(typeof m.StompConnection, typeof m.parseActiveMQUri))`, 'module')).toBe('function function');
  });

  it('loads through require (CommonJS)', () => {
    expect(load(`const m = require('nestjs-activemq'); console.log(typeof m.StompConnection, typeof m.parseActiveMQUri)`, 'commonjs')).toBe('function function');
  });
});
