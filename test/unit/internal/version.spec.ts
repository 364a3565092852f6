import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { PACKAGE_VERSION } from '../../../lib/internal/version.js';

describe('PACKAGE_VERSION', () => {
  it("is package.json's version", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).toBe(manifest.version);
  });
});
