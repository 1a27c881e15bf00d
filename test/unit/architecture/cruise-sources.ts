import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseOptions, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CONFIG_FILE = path.join(ROOT, '.dependency-cruiser.cjs');

/** `import type … from` and `export type {…} from` become plain imports, so type-only dependencies count too. */
const TYPE_ONLY_IMPORT = /\bimport\s+type\s+(?=[{*]|[\w$]+\s+from\b)/g;
const TYPE_ONLY_REEXPORT = /\bexport\s+type\s+(?=\*|\{[^}]*\}\s*from\b)/g;

/**
 * dependency-cruiser 18 parses TypeScript only through the compiler API of TypeScript < 7, and this project
 * compiles with TypeScript 7, which has none. So `src/` is copied as JavaScript (Node's own type stripping)
 * into a scratch directory beside a link to node_modules, every import specifier kept as written (`./x.js`
 * finds the copied `x.js`), and cruised there.
 */
function copySourcesAsJavaScript(): string {
  const scratch = mkdtempSync(path.join(tmpdir(), 'layering-'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
  symlinkSync(path.join(ROOT, 'package.json'), path.join(scratch, 'package.json'));
  for (const entry of readdirSync(path.join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const source = path.join(entry.parentPath, entry.name);
    const target = path.join(scratch, asJavaScript(path.relative(ROOT, source)));
    const typescript = readFileSync(source, 'utf8').replace(TYPE_ONLY_IMPORT, 'import ').replace(TYPE_ONLY_REEXPORT, 'export ');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, stripTypeScriptTypes(typescript, { mode: 'transform' }));
  }
  return scratch;
}

const asJavaScript = (module: string) => module.replace(/^(src\/.*)\.ts$/, '$1.js');
const asTypeScript = (module: string) => module.replace(/^(src\/.*)\.js$/, '$1.ts');

/** The options of the config, pointed at the scratch copy (whose modules end in .js). */
function inScratch(options: ICruiseOptions, scratch: string): ICruiseOptions {
  const knownViolations = (options.knownViolations ?? []).map((known) => ({
    ...known,
    from: asJavaScript(known.from),
    to: asJavaScript(known.to),
    cycle: known.cycle?.map((step) => ({ ...step, name: asJavaScript(step.name) })),
  }));
  // The link to node_modules stays a link, so packages resolve to node_modules/… wherever the checkout is.
  return { ...options, baseDir: scratch, preserveSymlinks: true, knownViolations };
}

/** A broken rule, with the sources named as they are in src/. */
export interface Violation {
  rule: string;
  comment: string;
  from: string;
  to: string;
  /** The modules of a circle, in order. */
  cycle?: string[];
  /** Listed as a temporary exception in .dependency-cruiser.cjs. */
  known: boolean;
}

export interface Import {
  from: string;
  to: string;
}

export interface CruisedSources {
  /** Every module of src/ the cruise read. */
  modules: string[];
  violations: Violation[];
  /** The temporary exceptions as the config lists them. */
  exceptions: IViolation[];
  /** Every import from one module of src/ to another. */
  imports: Import[];
}

/** Cruises src/ with the rules and temporary exceptions of .dependency-cruiser.cjs. */
export async function cruiseSources(): Promise<CruisedSources> {
  const options = await extractDepcruiseOptions(CONFIG_FILE);
  const scratch = copySourcesAsJavaScript();
  try {
    const { output } = await cruise(['src'], inScratch(options, scratch));
    const result = output as ICruiseResult;
    return {
      modules: result.modules.map((module) => asTypeScript(module.source)).filter((module) => module.startsWith('src/')),
      violations: violationsOf(result),
      exceptions: options.knownViolations ?? [],
      imports: importsOf(result),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function violationsOf(result: ICruiseResult): Violation[] {
  const comments = new Map(result.summary.ruleSetUsed?.forbidden?.map((rule) => [rule.name, rule.comment ?? '']));
  return result.summary.violations.map((violation) => ({
    rule: violation.rule.name,
    comment: comments.get(violation.rule.name) ?? '',
    from: asTypeScript(violation.from),
    to: asTypeScript(violation.to),
    cycle: violation.cycle?.map((step) => asTypeScript(step.name)),
    known: violation.rule.severity === 'ignore',
  }));
}

function importsOf(result: ICruiseResult): Import[] {
  return result.modules
    .filter((module) => module.source.startsWith('src/'))
    .flatMap((module) =>
      module.dependencies
        .filter((dependency) => dependency.resolved.startsWith('src/'))
        .map((dependency) => ({ from: asTypeScript(module.source), to: asTypeScript(dependency.resolved) })),
    );
}
