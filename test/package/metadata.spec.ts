import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

interface PackageJson {
  name: string;
  version: string;
  license: string;
  files: string[];
  keywords?: string[];
  homepage?: string;
  repository?: { type: string; url: string };
  bugs?: { url: string };
  scripts: Record<string, string>;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;

describe('package metadata', () => {
  it('names where the project lives: repository, homepage, bugs, keywords', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/.+\.git$/) });
    const home = pkg.repository!.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(pkg.homepage).toBe(`${home}#readme`);
    expect(pkg.bugs).toEqual({ url: `${home}/issues` });
    expect(pkg.keywords).toEqual(expect.arrayContaining(['nestjs', 'activemq', 'artemis', 'stomp', 'microservice']));
  });

  it('builds before packing, so that a tarball from a clean checkout has dist/ (scripts/pack-test.sh packs without dist/)', () => {
    expect(pkg.scripts['prepack']).toBe('npm run build');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE', 'CHANGELOG.md']));
  });

  it('ships a LICENSE whose text is the license package.json names', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync('LICENSE', 'utf8');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toMatch(/^Copyright \(c\) \d{4} /m);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });

  it('keeps a changelog in the Keep a Changelog form: Unreleased first, then the version package.json carries, each linked', () => {
    const changelog = readFileSync('CHANGELOG.md', 'utf8');
    const versions = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$/gm)].map((m) => m[1]);
    expect(versions[0]).toBe('Unreleased');
    expect(versions).toContain(pkg.version);
    for (const version of versions) expect(changelog).toMatch(new RegExp(`^\\[${version!.replace(/\./g, '\\.')}\\]: https://`, 'm'));
    const sections = [...changelog.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    for (const section of sections) expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(section);
  });

  it("runs where package.json says: each of its own dependencies accepts Node 20.19 (npm's EBADENGINE warnings on Node 20 come from development packages only)", () => {
    const deps = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    expect(deps.length).toBeGreaterThan(0);
    for (const dep of deps) {
      const engines = (JSON.parse(readFileSync(`node_modules/${dep}/package.json`, 'utf8')) as { engines?: { node?: string } }).engines?.node;
      // The forms these packages use: none, or '>=N' (optionally '>=N.M').
      const least = engines === undefined ? 0 : Number(/^>=\s*(\d+)/.exec(engines)?.[1] ?? NaN);
      expect([dep, least <= 20]).toEqual([dep, true]);
    }
  });
});
