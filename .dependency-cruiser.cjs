/**
 * The layering of issue 9 as dependency-cruiser rules, checked by `npm test`
 * (test/unit/architecture/layering.test.ts). Only `src/` is checked; tests and benchmarks may reach anywhere.
 *
 * Floors, bottom up: kernel → domain → features (each with the port it owns) → scim (the protocol)
 * → http/auth/console (the edge) → main.ts (the one composition root) → server.ts (the process entry).
 * The persistence adapters implement the features' ports and are named by main.ts alone.
 *
 * Sources are matched as `.[jt]s`: dependency-cruiser 18 reads TypeScript only through the compiler API
 * of TypeScript < 7, so the test hands it the sources with their types stripped by Node (as `.js`).
 */

/** Node built-ins that reach the file system, the network, processes or threads. */
const IO_BUILTINS = '^(fs|net|tls|http|https|http2|dgram|dns|child_process|cluster|worker_threads|readline|repl|inspector|os|sqlite)(/|$)';
/** Packages that tie code to a transport, a database or a log sink. */
const FRAMEWORKS = 'node_modules/(@types/)?(express|passport[^/]*|mongoose|mongodb|better-sqlite3|winston)/';
/** Feature folders: each a service plus the port it owns. Their routers are edge code living beside them. */
const FEATURE_SERVICES = { path: '^src/(directory|portal|reconcile|registrations|import|writeback|jobs|audit)/', pathNot: '-(router|routes)\\.[jt]s$' };
const MAIN = '^src/main\\.[jt]s$';
/** What scim/ (the protocol as functions) may not import, and the adapter-neutral query tree it compiles filters to. */
const SCIM_FORBIDDEN = [IO_BUILTINS, FRAMEWORKS, '^src/(persistence|http|log)/'];
const SCIM_MAY_USE = '^src/persistence/query\\.[jt]s$';
/** The one scim/ module allowed to read files: the schema descriptions, at load. */
const SCHEMA_FILES_READER = '^src/scim/schemas\\.[jt]s$';

const adapterRules = ['sqlite', 'mongo'].flatMap((adapter) => [
  {
    name: `${adapter}-adapter-named-only-by-main`,
    comment: `Only main.ts picks an adapter: the rest of the service sees the ports, so persistence/${adapter}/ can change alone.`,
    severity: 'error',
    from: { pathNot: [MAIN, `^src/persistence/${adapter}/`] },
    to: { path: `^src/persistence/${adapter}/` },
  },
]);

const driverRules = [
  { name: 'better-sqlite3-only-in-sqlite-adapter', adapter: 'sqlite', drivers: 'better-sqlite3' },
  { name: 'mongoose-only-in-mongo-adapter', adapter: 'mongo', drivers: 'mongoose|mongodb' },
].map(({ name, adapter, drivers }) => ({
  name,
  comment: `Driver types and driver errors stay inside persistence/${adapter}/, which translates them.`,
  severity: 'error',
  from: { pathNot: `^src/persistence/${adapter}/` },
  to: { path: `node_modules/(@types/)?(${drivers})/` },
}));

/**
 * Imports that break a rule today, each a temporary exception owned by the issue-9 lane that removes it.
 * A lane empties its list when it lands; the layering test fails on an exception that no longer happens,
 * so the list only shrinks. Never add to it: fix the import, or change the rule with a reason.
 * Entries: [rule, from, to] for one import; [rule, [modules of the cycle]] for a circle.
 */
const TEMPORARY_EXCEPTIONS = {
  edge: [],
  reconcile: [],
  audit: [],
  /** Not in a lane of this wave. */
  unowned: [],
};

/** The exceptions in dependency-cruiser's own format (a baseline), each naming its lane. */
const knownViolations = Object.entries(TEMPORARY_EXCEPTIONS).flatMap(([lane, exceptions]) =>
  exceptions.map(([rule, from, to]) => {
    const comment = `temporary exception: ${lane}`;
    if (!Array.isArray(from)) return { type: 'dependency', rule: { name: rule, severity: 'error' }, from, to, comment };
    const cycle = from.map((name) => ({ name, dependencyTypes: [] }));
    return { type: 'cycle', rule: { name: rule, severity: 'error' }, from: from[0], to: from[1], cycle, comment };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...adapterRules,
    ...driverRules,
    {
      name: 'store-aggregate-only-in-main-and-adapters',
      comment: 'persistence.ts (the aggregate Store) is how main.ts receives an adapter; a feature takes the port it owns instead.',
      severity: 'error',
      from: { pathNot: [MAIN, '^src/persistence/(sqlite|mongo)/'] },
      to: { path: '^src/persistence/persistence\\.[jt]s$' },
    },
    {
      name: 'main-imported-only-by-server',
      comment: 'main.ts is the composition root; server.ts loads it after tracing has patched http, Express and the driver.',
      severity: 'error',
      from: { pathNot: '^src/server\\.[jt]s$' },
      to: { path: [MAIN, '^src/server\\.[jt]s$'] },
    },
    {
      name: 'kernel-imports-only-kernel',
      comment: 'The kernel (json, the one error type, request context, clock) is the ground floor: it depends on nothing of ours.',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/', pathNot: '^src/kernel/' },
    },
    {
      name: 'domain-imports-only-domain-and-kernel',
      comment: 'The domain is pure rules over plain data; services bring it data and carry out its outcomes.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/(domain|kernel)/' },
    },
    {
      name: 'inner-ring-does-no-io',
      comment: 'domain/ and kernel/ do no I/O, so they are tested as plain functions and run the same everywhere.',
      severity: 'error',
      from: { path: '^src/(domain|kernel)/' },
      to: { dependencyTypes: ['core'], path: IO_BUILTINS },
    },
    {
      name: 'inner-ring-uses-no-frameworks',
      comment: 'domain/ and kernel/ know no HTTP framework, database driver or logger.',
      severity: 'error',
      from: { path: '^src/(domain|kernel)/' },
      to: { path: FRAMEWORKS },
    },
    {
      name: 'feature-services-speak-no-protocol',
      comment: 'Services take typed commands and throw the one AppError; scim/ and http/ translate to and from the wire, so a CSV import or a Graph write-back can call them.',
      severity: 'error',
      from: FEATURE_SERVICES,
      to: { path: ['^src/(scim|http)/', 'node_modules/(@types/)?(express|passport[^/]*)/'] },
    },
    {
      name: 'feature-services-sit-below-auth-and-console',
      comment: 'http → auth → registrations: authentication and the console call features, never the other way round.',
      severity: 'error',
      from: FEATURE_SERVICES,
      to: { path: '^src/(auth|console|cli)/' },
    },
    {
      name: 'scim-does-no-io',
      comment: 'scim/ is the protocol as functions (bodies → commands, filters → the query tree, render); the edge does the I/O. The query tree (persistence/query.ts) is adapter-neutral and is what filters compile to.',
      severity: 'error',
      from: { path: '^src/scim/', pathNot: SCHEMA_FILES_READER },
      to: { path: SCIM_FORBIDDEN, pathNot: SCIM_MAY_USE },
    },
    {
      name: 'scim-reads-only-its-schema-files',
      comment:
        'scim/schemas.ts reads the published schema descriptions (schemas/*.json) once, when it loads: static data read as an import would be, never on a request. It may use fs for that and nothing else of the I/O kind.',
      severity: 'error',
      from: { path: SCHEMA_FILES_READER },
      to: { path: SCIM_FORBIDDEN, pathNot: [SCIM_MAY_USE, '^fs$'] },
    },
    {
      name: 'no-circular',
      comment: 'A picture of the imports drawn floor by floor has no circle.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the resolver cannot follow would escape every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|bench)/' },
    knownViolations,
  },
};
