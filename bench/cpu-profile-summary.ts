/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and says where the time went: the
 * functions with the most self time, the share of each place code comes from (each folder of our
 * `src/`, each `node_modules` package, Node's own `node:` modules, V8 builtins and native code, and
 * V8's `(garbage collector)`, `(program)` and `(idle)`), and our functions with the most total
 * time (self time plus that of everything they called synchronously). Frames of compiled `dist/`
 * files are mapped back to their `src/*.ts` line through the source maps `npm run build` writes.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, as are the columns. */
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of the `.cpuprofile` JSON read here; times are in microseconds of the monotonic clock. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  /** Node id of each sample, and the time since the previous sample. */
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code comes from. */
interface Place {
  group: string;
  /** Relative to the repository, `node_modules/<package>/…`, a `node:` module, or empty. */
  file: string;
  /** 1-based; undefined for frames without a script. */
  line?: number;
}

export interface SelfTimeEntry extends Place {
  functionName: string;
  selfMs: number;
  /** The nearest calling frame with a script that most of the self time was spent under, with its share. */
  caller: string;
}

export interface TotalTimeEntry extends Place {
  functionName: string;
  totalMs: number;
}

export interface ProfileSummary {
  /** The sampled window (the load), and the part of it not idle: percentages are of the busy time. */
  windowMs: number;
  busyMs: number;
  idleMs: number;
  entries: SelfTimeEntry[];
  groups: { group: string; selfMs: number }[];
  /** Our functions (`src/`) by total time, each sample counted once per function however deep it recurses. */
  ours: TotalTimeEntry[];
}

const IDLE = '(idle)';
const NATIVE = 'V8 builtins and native code (no script)';

/** Self time per function and per group, counting only the samples taken between `from` and `to` (µs). */
export function summariseProfile(profile: CpuProfile, window: { from: number; to: number }, repositoryRoot: string): ProfileSummary {
  if (window.to < profile.startTime || window.from > profile.endTime) throw new Error('the load window lies outside the profile: the profile and this process do not share a clock');
  const selfMicros = selfTimeByNode(profile, window);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map(profile.nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node] as const)));
  const placeOf = placeFinder(repositoryRoot);
  const functionOf = (node: ProfileNode) => {
    const place = placeOf(node.callFrame);
    const functionName = node.callFrame.functionName || '(anonymous)';
    return { key: `${place.group}|${place.file}|${place.line}|${functionName}`, functionName, ...place };
  };
  const entries = new Map<string, SelfTimeEntry & { callers: Map<string, number> }>();
  const ours = new Map<string, TotalTimeEntry>();
  for (const [id, micros] of selfMicros) {
    const node = nodes.get(id)!;
    const { key, ...place } = functionOf(node);
    const entry = entries.get(key) ?? { ...place, selfMs: 0, caller: '', callers: new Map() };
    entry.selfMs += micros / 1000;
    const caller = nearestScriptCaller(parents, node, functionOf);
    entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + micros);
    entries.set(key, entry);
    for (const [onStack, { key: _, ...caller }] of functionsOnStack(parents, node, functionOf)) {
      if (!caller.group.startsWith('src/')) continue;
      const total = ours.get(onStack) ?? { ...caller, totalMs: 0 };
      total.totalMs += micros / 1000;
      ours.set(onStack, total);
    }
  }
  const ranked = [...entries.values()].map(({ callers, ...entry }) => ({ ...entry, caller: largest(callers, entry.selfMs * 1000) })).sort((a, b) => b.selfMs - a.selfMs);
  const windowMs = ranked.reduce((sum, entry) => sum + entry.selfMs, 0);
  const idleMs = ranked.filter((entry) => entry.group === IDLE).reduce((sum, entry) => sum + entry.selfMs, 0);
  return {
    windowMs,
    idleMs,
    busyMs: windowMs - idleMs,
    entries: ranked.filter((entry) => entry.group !== IDLE),
    groups: totalsByGroup(ranked),
    ours: [...ours.values()].sort((a, b) => b.totalMs - a.totalMs),
  };
}

type FunctionOf = (node: ProfileNode) => Place & { key: string; functionName: string };

/** Each function on the sample's stack once (by key), however often it recurses. */
function functionsOnStack(parents: Map<number, ProfileNode>, leaf: ProfileNode, functionOf: FunctionOf): Map<string, ReturnType<FunctionOf>> {
  const seen = new Map<string, ReturnType<FunctionOf>>();
  for (let node: ProfileNode | undefined = leaf; node; node = parents.get(node.id)) {
    const frame = functionOf(node);
    seen.set(frame.key, frame);
  }
  return seen;
}

/** Microseconds per node id: a sample lasts until the next one (the last until the profile's end). */
function selfTimeByNode(profile: CpuProfile, window: { from: number; to: number }): Map<number, number> {
  const self = new Map<number, number>();
  let at = profile.startTime;
  const times = profile.timeDeltas.map((delta) => (at += delta));
  profile.samples.forEach((id, i) => {
    const start = times[i]!;
    if (start < window.from || start > window.to) return;
    self.set(id, (self.get(id) ?? 0) + ((times[i + 1] ?? profile.endTime) - start));
  });
  return self;
}

function nearestScriptCaller(parents: Map<number, ProfileNode>, leaf: ProfileNode, functionOf: FunctionOf): string {
  for (let node = parents.get(leaf.id); node; node = parents.get(node.id)) {
    if (!node.callFrame.url) continue;
    const { functionName, file, line } = functionOf(node);
    return `${functionName} ${file}:${line}`;
  }
  return '';
}

/** The caller under which most of `total` was spent, and its share when it is not all of it. */
function largest(callers: Map<string, number>, total: number): string {
  const [caller, micros] = [...callers].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  return !caller || micros >= total * 0.995 ? caller : `${caller} (${Math.round((100 * micros) / total)} % of it)`;
}

function totalsByGroup(entries: SelfTimeEntry[]): { group: string; selfMs: number }[] {
  const totals = new Map<string, number>();
  for (const entry of entries) totals.set(entry.group, (totals.get(entry.group) ?? 0) + entry.selfMs);
  return [...totals].map(([group, selfMs]) => ({ group, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
}

/** Resolves frames to places, reading each `dist/` source map once. */
function placeFinder(repositoryRoot: string): (frame: CallFrame) => Place {
  const maps = new Map<string, SourceMap | undefined>();
  const sourceMapOf = (file: string) => {
    if (!maps.has(file)) maps.set(file, readSourceMap(`${file}.map`));
    return maps.get(file);
  };
  return ({ functionName, url, lineNumber, columnNumber }) => {
    // V8's pseudo-frames: (root), (program) (native work outside JavaScript), (garbage collector), (idle).
    if (!url) return /^\(.*\)$/.test(functionName) ? { group: functionName, file: '' } : { group: NATIVE, file: '(native)' };
    if (url.startsWith('node:')) return { group: 'node internals', file: url, line: lineNumber + 1 };
    if (!url.startsWith('file:')) return { group: 'other', file: url, line: lineNumber + 1 };
    const file = fileURLToPath(url);
    // The last node_modules/ names the package (node_modules is a symlink here, so compare no prefix).
    const packagePath = file.split('/node_modules/').at(-1)!;
    if (packagePath !== file) return { group: `node_modules/${packageName(packagePath)}`, file: `node_modules/${packagePath}`, line: lineNumber + 1 };
    const original = sourceMapOf(file)?.findEntry(lineNumber, columnNumber);
    const mapped = original && 'originalSource' in original ? { file: path.resolve(path.dirname(file), original.originalSource), line: original.originalLine + 1 } : { file, line: lineNumber + 1 };
    const relative = path.relative(repositoryRoot, mapped.file);
    // Our code by its folder under src/ (src/persistence, src/http, src/audit…), each a package of its own in effect.
    const group = relative.startsWith('src/') ? relative.split('/').slice(0, 2).join('/') : `other: ${relative.split('/')[0]}`;
    return { group, file: relative, line: mapped.line };
  };
}

function readSourceMap(file: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined; // not compiled by us (no map beside it): the frame keeps its own file and line
  }
}

function packageName(packagePath: string): string {
  const [first, second] = packagePath.split('/');
  return first!.startsWith('@') ? `${first}/${second}` : first!;
}

/** Markdown: the top `top` functions by self time, the share of each group, then our top functions by total time. */
export function renderSummary(summary: ProfileSummary, top: number): string {
  const share = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)} %`;
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const where = ({ file, line }: Place) => (line === undefined ? file : `${file}:${line}`);
  const groups = summary.groups.filter(({ group }) => group !== IDLE);
  const oursMs = groups.filter(({ group }) => group.startsWith('src/')).reduce((sum, { selfMs }) => sum + selfMs, 0);
  return [
    `Samples over ${(summary.windowMs / 1000).toFixed(1)} s of load: busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s (percentages are of the busy time).`,
    'Native code run through a C++ binding (SQLite inside better-sqlite3, much of OpenSSL) mostly counts as self time of the JavaScript function that called it, e.g. `prepare` in better-sqlite3 is SQLite compiling a statement, a `src/persistence/sqlite` arrow function includes its `get()`/`run()`.',
    '',
    `Top ${top} by self time:`,
    '',
    '| # | function | file:line | self ms | % | nearest calling script frame |',
    '|---:|---|---|---:|---:|---|',
    ...summary.entries.slice(0, top).map((entry, i) => `| ${i + 1} | ${cell(entry.functionName)} | ${where(entry)} | ${entry.selfMs.toFixed(0)} | ${share(entry.selfMs)} | ${cell(entry.caller)} |`),
    '',
    'Self time by package:',
    '',
    '| group | self ms | % |',
    '|---|---:|---:|',
    `| **all of src/ (ours)** | ${oursMs.toFixed(0)} | ${share(oursMs)} |`,
    ...groups.map(({ group, selfMs }) => `| ${group} | ${selfMs.toFixed(0)} | ${share(selfMs)} |`),
    '',
    `Our top ${top} by total time (self plus everything called from it while it was on the stack; work an awaited call resumes later counts for that call, not for its caller):`,
    '',
    '| # | function | file:line | total ms | % |',
    '|---:|---|---|---:|---:|',
    ...summary.ours.slice(0, top).map((entry, i) => `| ${i + 1} | ${cell(entry.functionName)} | ${where(entry)} | ${entry.totalMs.toFixed(0)} | ${share(entry.totalMs)} |`),
  ].join('\n');
}
