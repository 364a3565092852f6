import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const nestMajor = Number((JSON.parse(readFileSync('node_modules/@nestjs/core/package.json', 'utf8')) as { version: string }).version.split('.')[0]);

/** Builds the package as users get it and loads both entry points in a fresh Node process. */
describe('package entry points', () => {
  beforeAll(() => {
    execFileSync('node', ['scripts/build.mjs'], { stdio: 'pipe' });
  }, 120_000);

  const load = (code: string, type: 'module' | 'commonjs') =>
    execFileSync('node', [`--input-type=${type}`, '-e', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const names = 'ClientActiveMQ ServerActiveMQ MessagingModule ActiveMQRecordBuilder parseActiveMQUri StompConnection';

  it('exports map: ESM for import, CommonJS for require', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, Record<string, { default: string }>> };
    expect(pkg.exports['.']!['import']!.default).toBe('./dist/esm/index.js');
    expect(pkg.exports['.']!['require']!.default).toBe('./dist/cjs/index.js');
  });

  it(`loads through import (ESM) with NestJS ${nestMajor}`, () => {
    const code = `import('nestjs-activemq').then(m => console.log('${names}'.split(' ').map(n => typeof m[n]).join(' ')))`;
    expect(load(code, 'module')).toBe(
      names
        .split(' ')
        .map(() => 'function')
        .join(' '),
    );
  });

  // Node >= 20.19 can require() ES modules, so the CommonJS build loads NestJS 12 (ESM-only) too.
  it(`loads through require (CommonJS) with NestJS ${nestMajor}`, () => {
    const code = `const m = require('nestjs-activemq'); console.log('${names}'.split(' ').map(n => typeof m[n]).join(' '))`;
    expect(load(code, 'commonjs')).toBe(
      names
        .split(' ')
        .map(() => 'function')
        .join(' '),
    );
  });
});
