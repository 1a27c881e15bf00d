import type { Import, Violation } from './cruise-sources.js';

/** The folder a module of src/ is drawn in: the two adapters apart from the rest of persistence/; main.ts and server.ts alone. */
function folderOf(module: string): string {
  const inside = module.slice('src/'.length);
  return inside.match(/^persistence\/(?:sqlite|mongo)\/|^[^/]+\//)?.[0] ?? inside;
}

const nodeId = (folder: string) => folder.replace(/\/$/, '').replace(/[^a-z0-9]/gi, '_');

/**
 * Mermaid flowchart of the folders of src/ and the imports between them, importer above what it imports,
 * so the floors read top (main.ts) to bottom (kernel/). A dotted arrow carries an import that breaks a rule
 * today (a temporary exception).
 */
export function folderFlowchart(imports: Import[], violations: Violation[]): string {
  const arrows = new Map<string, { from: string; to: string; breaksRule: boolean }>();
  const draw = (from: string, to: string, breaksRule: boolean) => {
    const [fromFolder, toFolder] = [folderOf(from), folderOf(to)];
    if (fromFolder === toFolder) return;
    const key = `${fromFolder} ${toFolder}`;
    const arrow = arrows.get(key) ?? { from: fromFolder, to: toFolder, breaksRule: false };
    arrows.set(key, { ...arrow, breaksRule: arrow.breaksRule || breaksRule });
  };
  for (const { from, to } of imports) draw(from, to, false);
  for (const { from, to } of violations) if (to.startsWith('src/')) draw(from, to, true);

  const folders = [...new Set([...arrows.values()].flatMap(({ from, to }) => [from, to]))].sort();
  const sorted = [...arrows.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return [
    'flowchart TB',
    ...folders.map((folder) => `  ${nodeId(folder)}["${folder}"]`),
    ...sorted.map(({ from, to, breaksRule }) => `  ${nodeId(from)} ${breaksRule ? '-.->' : '-->'} ${nodeId(to)}`),
  ].join('\n');
}
