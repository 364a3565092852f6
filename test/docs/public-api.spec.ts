import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as main from '../../lib/index.js';

const page = readFileSync(new URL('../../docs/public-api.md', import.meta.url), 'utf8');
/** The part of the page about the main entry (before the sub-paths). */
const mainSection = page.slice(page.indexOf('## `nestjs-activemq`'), page.indexOf('## `nestjs-activemq/stomp`'));
const named = (section: string) => new Set([...section.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]!));
const indexSource = readFileSync(new URL('../../lib/index.ts', import.meta.url), 'utf8');
/** Every name lib/index.ts exports, types included (read from its export lists). */
const exported = [...indexSource.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
  m[1]!
    .split(',')
    .map((n) => n.replace(/^\s*type\s+/, '').trim())
    .filter(Boolean),
);

describe('docs/public-api.md', () => {
  it('names every export of the main entry, types included', () => {
    const documented = named(mainSection);
    expect(exported.length).toBeGreaterThan(30);
    expect(exported.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('names nothing in the main entry that it does not export', () => {
    const runtime = new Set(Object.keys(main));
    const all = new Set(exported);
    const tableNames = [...mainSection.matchAll(/^\| `([A-Za-z]\w*)`(?:, `(\w+)`)*(?:, `(\w+)`)? \|/gm)].flatMap((m) => m.slice(1).filter((n): n is string => n !== undefined));
    expect(tableNames.length).toBeGreaterThan(20);
    expect(tableNames.filter((name) => !all.has(name) && !runtime.has(name))).toEqual([]);
  });

  it('gives each error class the code it has', () => {
    const rows = [...mainSection.matchAll(/^\| `(\w+Error)` \| `([A-Z_]+)` \|/gm)];
    expect(rows.length).toBeGreaterThan(8);
    const errors = main as unknown as Record<string, new (...args: never[]) => Error & { code: string }>;
    for (const [, name, code] of rows) {
      const ErrorClass = errors[name!]!;
      expect(ErrorClass.prototype).toBeInstanceOf(main.ActiveMQError);
      expect(codeOfClass(ErrorClass)).toBe(code);
    }
  });
});

/** The code an instance of `ErrorClass` gets, by building one through the base constructor's rule. */
function codeOfClass(ErrorClass: abstract new (...args: never[]) => Error): string {
  // ActiveMQError derives the code from `new.target.name`: construct through Reflect with the base's signature.
  const instance = Reflect.construct(main.ActiveMQError, ['probe'], ErrorClass) as { code: string };
  return instance.code;
}
