import { readdirSync } from 'node:fs';
import type { IViolation } from 'dependency-cruiser';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CruisedSources, cruiseSources, type Violation } from './cruise-sources.js';
import { folderFlowchart } from './folder-picture.js';

const named = ({ rule, from, to, cycle }: { rule: string; from: string; to: string; cycle?: string[] }) =>
  `${rule}: ${cycle ? `circle ${cycle.join(' → ')}` : `${from} → ${to}`}`;

/** The same import (or the same circle, wherever it is entered) under the same rule, as dependency-cruiser matches a baseline. */
function isException(exception: IViolation, violation: Violation): boolean {
  if (exception.rule.name !== violation.rule) return false;
  if (exception.cycle && violation.cycle) {
    return exception.cycle.length === violation.cycle.length && exception.cycle.every(({ name }) => violation.cycle!.includes(name));
  }
  return exception.from === violation.from && exception.to === violation.to;
}

const architectureDocument = (flowchart: string) => `# Imports between the folders of src/

Generated from the imports of \`src/\` by \`test/unit/architecture/layering.test.ts\`, which fails when this
file no longer matches the code: after moving an import across folders, regenerate it with
\`npx vitest run test/unit/architecture -u\`. The rules are in \`.dependency-cruiser.cjs\`; the README's
Architecture section explains the floors.

An arrow points from the importer to what it imports. A dotted arrow carries at least one import that
breaks a rule today (a temporary exception in \`.dependency-cruiser.cjs\`, removed as the issue-9 lanes land).

\`\`\`mermaid
${flowchart}
\`\`\`
`;

describe('Layering of src/ (issue 9): the rules of .dependency-cruiser.cjs', () => {
  let cruised: CruisedSources;
  beforeAll(async () => {
    cruised = await cruiseSources();
  }, 60_000);

  it('reads every module of src/, type-only imports included', () => {
    const sources = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    expect(cruised.modules.toSorted()).toEqual(sources.map((file) => `src/${file}`).toSorted());
    // `import type { … }` is the only import of this module from console-state.ts.
    expect(cruised.imports).toContainEqual({ from: 'src/console/console-state.ts', to: 'src/console/console-state-port.ts' });
  });

  it('no import breaks a rule, apart from the temporary exceptions', () => {
    const broken = cruised.violations.filter((violation) => !violation.known);
    expect(broken.map((violation) => `${named(violation)}\n    (${violation.comment})`)).toEqual([]);
  });

  it('every temporary exception still happens: remove the ones that do not from .dependency-cruiser.cjs', () => {
    const gone = cruised.exceptions.filter((exception) => !cruised.violations.some((violation) => isException(exception, violation)));
    const listed = gone.map(({ rule, from, to, cycle, comment }) => `${named({ rule: rule.name, from, to, cycle: cycle?.map(({ name }) => name) })} (${comment})`);
    expect(listed).toEqual([]);
  });

  it('docs/architecture.md draws the folders as src/ imports them', async () => {
    const document = architectureDocument(folderFlowchart(cruised.imports, cruised.violations));
    await expect(document).toMatchFileSnapshot('../../../docs/architecture.md', 'regenerate with: npx vitest run test/unit/architecture -u');
  });
});
