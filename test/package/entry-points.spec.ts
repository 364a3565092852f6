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
  const names = 'ClientActiveMQ ServerActiveMQ MessagingModule ActiveMQRecordBuilder ActiveMQError DurableSend';
  /** What each sub-path must offer, and a name of the toolkit the main entry must not (it is not the public API). */
  const subPaths = { 'nestjs-activemq/stomp': 'StompConnection StompParser encodeFrame parseActiveMQUri connectToFirst', 'nestjs-activemq/broker': 'EmbeddedBroker vmBroker' };

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

  it.each(Object.entries(subPaths))('offers %s through import and require, apart from the main entry', (subPath, exported) => {
    const list = exported.split(' ');
    const expected = list.map(() => 'function').join(' ');
    expect(load(`import('${subPath}').then(m => console.log('${exported}'.split(' ').map(n => typeof m[n]).join(' ')))`, 'module')).toBe(expected);
    expect(load(`const m = require('${subPath}'); console.log('${exported}'.split(' ').map(n => typeof m[n]).join(' '))`, 'commonjs')).toBe(expected);
    expect(load(`import('nestjs-activemq').then(m => console.log('${exported}'.split(' ').map(n => typeof m[n]).join(' ')))`, 'module')).toBe(
      list.map(() => 'undefined').join(' '),
    );
  });

  it('keeps the main entry to the public API: its run-time names (types aside) fit on one page, none of the toolkit', async () => {
    const main = (await import('../../lib/index.js')) as Record<string, unknown>;
    const names = Object.keys(main).sort();
    for (const internal of ['ConfirmationWindow', 'resolveSendMode', 'connectToFirst', 'StompParser', 'PARAMETERS', 'vmBroker', 'EmbeddedBroker', 'StompConnection'])
      expect(names).not.toContain(internal);
    expect(names.length).toBeLessThanOrEqual(40);
  });
});
