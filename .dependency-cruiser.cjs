// The import rules of lib/ (`npm run lint:deps`, run in CI by `npm run lint`): no cycles, and each
// folder imports only the folders below it. Bottom to top: errors and internal; stomp (the
// codec); events (the status and event types); connection (the client end of the wire);
// config and wire; observability;
// record-builders; producer; client and server (Nest glue); decorators, module, health. The
// embedded broker stands beside them and imports only the codec and the bottom folders. Entry
// files at the top of lib/ (index.ts, bin.ts, the sub-path entries) may import anything.
const lower = {
  errors: [],
  internal: ['errors'],
  // JMS message selectors: parsed, evaluated (the embedded broker) and rewritten for Artemis (the transport).
  selector: ['errors', 'internal'],
  stomp: ['errors', 'internal'],
  connection: ['events', 'stomp', 'errors', 'internal'],
  config: ['connection', 'stomp', 'errors', 'internal'],
  wire: ['selector', 'stomp', 'errors', 'internal'],
  events: ['stomp', 'errors', 'internal'],
  observability: ['events', 'wire', 'stomp', 'errors', 'internal'],
  'record-builders': ['wire', 'stomp', 'errors', 'internal'],
  producer: ['record-builders', 'observability', 'events', 'wire', 'config', 'connection', 'stomp', 'errors', 'internal'],
  // Both glue folders start the in-process broker for vm:// URIs.
  client: ['selector', 'producer', 'record-builders', 'observability', 'events', 'wire', 'config', 'connection', 'stomp', 'errors', 'internal', 'broker'],
  server: ['selector', 'producer', 'observability', 'events', 'wire', 'config', 'connection', 'stomp', 'errors', 'internal', 'broker'],
  decorators: ['producer', 'errors', 'internal'],
  module: ['client', 'server', 'config', 'errors', 'internal'],
  health: ['client', 'server', 'events', 'errors', 'internal'],
  broker: ['selector', 'stomp', 'errors', 'internal'],
};

const layerRules = Object.entries(lower).map(([folder, allowed]) => ({
  name: `${folder}-imports-only-below`,
  comment: `lib/${folder}/ may import only ${allowed.length ? allowed.map((f) => `lib/${f}/`).join(', ') : 'nothing else of lib/'}`,
  severity: 'error',
  from: { path: `^lib/${folder}/` },
  to: { path: '^lib/', pathNot: [`^lib/${folder}/`, ...allowed.map((f) => `^lib/${f}/`)] },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'an import cycle', from: { path: '^lib/' }, to: { circular: true } },
    {
      name: 'known-folders-only',
      severity: 'error',
      comment: 'every file of lib/ sits in a folder of the layering (or is an entry file at the top); a new folder needs its place in .dependency-cruiser.cjs',
      from: { path: '^lib/', pathNot: [`^lib/(${Object.keys(lower).join('|')})/`, '^lib/[^/]+\\.ts$'] },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
  },
};
