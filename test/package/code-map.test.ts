/**
 * Proves that the README's "Code map" is the real import graph of src/: every arrow in the table is
 * an import that exists, every cross-folder import is in the table, the base modules import only
 * each other, the graph has no cycle (data flows one way), and each folder's index module opens
 * with the sentence that says what it owns.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'src');

/** Modules every layer may use, which use nothing but each other. */
const BASE_MODULES = ['constants.ts', 'errors.ts', 'filenames.ts', 'known-keys.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** The node a source file belongs to: its top folder under src/ ("store/"), or its own name at the top ("options.ts"). */
function nodeOf(file: string): string {
  const relative = path.relative(src, file).split(path.sep);
  return relative.length === 1 ? relative[0]! : `${relative[0]}/`;
}

/** Relative import and export specifiers of a module, type-only ones included: a type is a dependency too. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) found.push(match[1]!);
  for (const match of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) found.push(match[1]!);
  return found;
}

/** Cross-node edges of src/, each with one file that makes it (for the failure message). */
function actualGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(src)) {
    const from = nodeOf(file);
    for (const specifier of importsOf(file)) {
      const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
      const resolved = statSafe(target) ? target : path.join(target.replace(/\.ts$/, ''), 'index.ts');
      const to = nodeOf(resolved);
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      graph.get(from)!.set(to, path.relative(root, file));
    }
  }
  return graph;
}

function statSafe(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The README's code map: `| \`folder/\` | what it owns | \`a/\`, \`b/\` |` rows under "## Code map". */
function documentedGraph(): Map<string, Set<string>> {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Code map');
  expect(start, 'README has a "## Code map" section').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const graph = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 5 || !cells[1]!.startsWith('`')) continue;
    const node = cells[1]!.replaceAll('`', '');
    const targets = [...cells[3]!.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
    graph.set(node, new Set(targets));
  }
  return graph;
}

describe('code map', () => {
  const actual = actualGraph();
  const documented = documentedGraph();

  it('the base modules import only each other', () => {
    for (const base of BASE_MODULES) {
      const outside = [...(actual.get(base)?.keys() ?? [])].filter((to) => !BASE_MODULES.includes(to));
      expect(outside, `${base} imports`).toEqual([]);
    }
  });

  it('every node of src/ has a row, and every row is a node', () => {
    const nodes = new Set(sourceFiles(src).map(nodeOf).filter((node) => !BASE_MODULES.includes(node)));
    expect([...documented.keys()].sort()).toEqual([...nodes].sort());
  });

  it('the imports are exactly the arrows of the table', () => {
    const problems: string[] = [];
    for (const [from, targets] of actual) {
      if (BASE_MODULES.includes(from)) continue;
      for (const [to, file] of targets) {
        if (BASE_MODULES.includes(to)) continue;
        if (!documented.get(from)?.has(to)) problems.push(`${from} imports ${to} (${file}), which the code map does not show`);
      }
    }
    for (const [from, targets] of documented) {
      for (const to of targets) {
        if (!actual.get(from)?.has(to)) problems.push(`the code map says ${from} imports ${to}, but nothing in ${from} does`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('data flows one way: the graph has no cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' → '));
        return;
      }
      state.set(node, 'open');
      for (const to of actual.get(node)?.keys() ?? []) visit(to, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of actual.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it("each folder's index module opens with one sentence on what it owns", () => {
    for (const node of documented.keys()) {
      if (!node.endsWith('/')) continue;
      const index = path.join(src, node, 'index.ts');
      expect(statSafe(index), `${node}index.ts exists`).toBe(true);
      const opening = /^\/\*\*\s*\n?\s*\*?\s*([^\n]+)/.exec(readFileSync(index, 'utf8'));
      expect(opening?.[1], `${node}index.ts opens with a doc comment`).toMatch(/\w.*[.:]/);
    }
  });
});
