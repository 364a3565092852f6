/**
 * Every TypeScript example in the README and docs/ is a real file under examples/, shown verbatim:
 * the line before each ```ts fence names it, `<!-- example: examples/x.ts -->` for the whole file or
 * `<!-- example: examples/x.ts#name -->` for the lines between `// #region name` and
 * `// #endregion name` (dedented, other region markers left out). `npm test` type-checks
 * examples/ with the repository's tsconfig (NestJS 12, and 11 in CI's second pass), and
 * scripts/pack-test.sh compiles them in a fresh NestJS 11 CommonJS and 12 ESM app against the
 * packed tarball and runs the quick start there. `npm run docs:examples` (UPDATE_EXAMPLES=1)
 * rewrites each marked block from its file first.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MARKER = /^<!-- example: (examples\/[\w./-]+\.ts)(?:#([\w-]+))? -->$/;
const REGION_LINE = /^\s*\/\/ #(?:end)?region\b/;

interface Block {
  readonly doc: string;
  readonly line: number;
  /** The index of the closing fence's line. */
  readonly end: number;
  readonly code: string;
  readonly marker?: { path: string; region?: string };
}

/** The ```ts blocks of a Markdown file, each with the example marker on the line before it. */
function blocks(doc: string): Block[] {
  const lines = readFileSync(doc, 'utf8').split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${doc}:${i + 1}: a code block that is never closed`);
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const match = before >= 0 ? MARKER.exec(lines[before]!.trim()) : null;
    found.push({
      doc,
      line: i + 1,
      end,
      code: lines.slice(i + 1, end).join('\n'),
      ...(match ? { marker: { path: match[1]!, ...(match[2] ? { region: match[2] } : {}) } } : {}),
    });
    i = end;
  }
  return found;
}

/** A file, or one region of it, as the docs show it. */
export function extract(source: string, region?: string): string {
  let lines = source.replace(/\n$/, '').split('\n');
  if (region !== undefined) {
    const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
    const end = lines.findIndex((l) => l.trim() === `// #endregion ${region}`);
    if (start < 0 || end < start) throw new Error(`no region '${region}' (// #region ${region} … // #endregion ${region})`);
    lines = lines.slice(start + 1, end);
  }
  lines = lines.filter((l) => !REGION_LINE.test(l));
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

// docs/ and its folders (docs/consumer-features/), but not docs/api/, the generated API reference.
const docs = [
  'README.md',
  ...readdirSync('docs', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md') && !f.startsWith('api/'))
    .sort()
    .map((f) => join('docs', f)),
];

if (process.env['UPDATE_EXAMPLES'] === '1') {
  for (const doc of docs) {
    const lines = readFileSync(doc, 'utf8').split('\n');
    // From the last block up, so that the line numbers of the blocks above stay right.
    for (const block of blocks(doc).reverse()) {
      if (!block.marker || !existsSync(block.marker.path)) continue;
      lines.splice(block.line, block.end - block.line, ...extract(readFileSync(block.marker.path, 'utf8'), block.marker.region).split('\n'));
    }
    writeFileSync(doc, lines.join('\n'));
  }
}

const all = docs.flatMap(blocks);

describe('examples in the docs', () => {
  it('finds the quick start among them, and the pages in the folders of docs/', () => {
    expect(all.filter((b) => b.doc === 'README.md' && b.marker?.path.startsWith('examples/quick-start/')).length).toBeGreaterThanOrEqual(5);
    expect(all.filter((b) => b.doc.startsWith('docs/consumer-features/')).length).toBeGreaterThanOrEqual(9);
  });

  it('every ```ts block names the file under examples/ it shows', () => {
    const unnamed = all.filter((b) => !b.marker).map((b) => `${b.doc}:${b.line}`);
    expect(unnamed).toEqual([]);
  });

  it.each(all.filter((b) => b.marker).map((b) => [`${b.doc}:${b.line} ${b.marker!.path}${b.marker!.region ? `#${b.marker!.region}` : ''}`, b] as const))(
    '%s is the file, verbatim',
    (_, block) => {
      const { path, region } = block.marker!;
      expect(existsSync(path)).toBe(true);
      expect(block.code).toBe(extract(readFileSync(path, 'utf8'), region));
    },
  );

  it('extract: a whole file, a region dedented, nested markers left out, a missing region an error', () => {
    const source = ['a', '  // #region outer', '  b', '    // #region inner', '    c', '    // #endregion inner', '  // #endregion outer', ''].join('\n');
    expect(extract(source)).toBe('a\n  b\n    c');
    expect(extract(source, 'outer')).toBe('b\n  c');
    expect(extract(source, 'inner')).toBe('c');
    expect(() => extract(source, 'nope')).toThrow("no region 'nope'");
  });
});
