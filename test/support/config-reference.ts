import { readFileSync } from 'node:fs';
import { PARAMETERS, REFUSED_PARAMETERS, type ParameterType } from '../../lib/config/parameters.js';

/**
 * The URI parameter table of docs/configuration.md, made from the code: the spellings and value
 * types from the spelling table (lib/config/parameters.ts), the sections and meanings from the
 * TSDoc of `ActiveMQUriOptions` (lib/config/uri-options.ts). `npm run docs:config` writes it;
 * test/docs/configuration-reference.spec.ts fails when the page and the code disagree.
 */
export function uriParameterTable(): string {
  const documented = optionDocs();
  const spellings = new Map<string, { names: string[]; type: ParameterType }>();
  for (const [spelling, spec] of PARAMETERS) {
    const entry = spellings.get(spec.target) ?? { names: [], type: spec.type };
    entry.names.push(spelling);
    spellings.set(spec.target, entry);
  }
  const rows: string[] = ['| option (in code) | URI spellings | value | what it does |', '| --- | --- | --- | --- |'];
  let section = '';
  for (const option of documented) {
    const entry = spellings.get(option.name);
    if (!entry) throw new Error(`ActiveMQUriOptions.${option.name} has no spelling in lib/config/parameters.ts`);
    if (option.section !== section) {
      section = option.section;
      rows.push(`| **${section}** | | | |`);
    }
    rows.push(`| \`${option.name}\` | ${entry.names.map((n) => `\`${n}\``).join(', ')} | ${valueOf(entry.type)} | ${cell(option.doc)} |`);
    spellings.delete(option.name);
  }
  for (const credential of ['login', 'passcode'] as const) {
    const entry = spellings.get(credential);
    if (!entry) throw new Error(`no spelling of ${credential}`);
    rows.push(
      `| \`${credential}\` | ${entry.names.map((n) => `\`${n}\``).join(', ')} | ${valueOf(entry.type)} | the CONNECT \`${credential}\` header; code options and credentials in the address win |`,
    );
    spellings.delete(credential);
  }
  if (spellings.size > 0) throw new Error(`spellings of undocumented options: ${[...spellings.keys()].join(', ')}`);
  const refused = [...REFUSED_PARAMETERS.entries()];
  const reasons = [...new Set(refused.map(([, reason]) => reason.replace(/^'[^']+' is /, '')))];
  const lines = [...rows, '', 'Refused, with the reason, rather than taken and ignored:', ''];
  for (const reason of reasons) {
    const names = refused.filter(([, r]) => r.replace(/^'[^']+' is /, '') === reason).map(([n]) => `\`${n}\``);
    lines.push(`- ${names.join(', ')}: ${reason}.`);
  }
  return lines.join('\n');
}

/** The page with the table between its markers replaced by `table`. */
export function withTable(page: string, table: string): string {
  const start = '<!-- uri-parameters:start -->';
  const end = '<!-- uri-parameters:end -->';
  const from = page.indexOf(start);
  const to = page.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/configuration.md lacks the markers ${start} … ${end}`);
  return `${page.slice(0, from + start.length)}\n\n${table}\n\n${page.slice(to)}`;
}

interface OptionDoc {
  readonly section: string;
  readonly name: string;
  readonly doc: string;
}

/** Each `readonly name?:` of the interface with its TSDoc and the `// Section` comment above it, in order. */
function optionDocs(): OptionDoc[] {
  const source = readFileSync(new URL('../../lib/config/uri-options.ts', import.meta.url), 'utf8');
  const body = source.slice(source.indexOf('export interface ActiveMQUriOptions'), source.indexOf('\n}\n', source.indexOf('export interface ActiveMQUriOptions')));
  const docs: OptionDoc[] = [];
  let section = '';
  const pattern = /\/\/ ([^\n]+)|\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)\?/g;
  for (let match = pattern.exec(body); match; match = pattern.exec(body)) {
    if (match[1] !== undefined) section = match[1].replace(/\s*\(.*$/, '');
    else
      docs.push({
        section,
        name: match[3]!,
        doc: match[2]!
          .replace(/^\s*\*\s?/gm, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      });
  }
  return docs;
}

function valueOf(type: ParameterType): string {
  switch (type.kind) {
    case 'boolean':
      return '`true` / `false`';
    case 'integer':
      return type.min === -1 ? 'integer ≥ -1 (-1: unbounded or off)' : `integer ≥ ${type.min}`;
    case 'number':
      return `number ≥ ${type.min}`;
    case 'string':
      return 'text';
    case 'heartbeat':
      return '`outgoing,incoming` ms';
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\{@link (\w+)\}/g, '`$1`');
}
