// The orchestrator's layout (orchestrator/README.md): folders are layers,
// value imports between them form no cycle, nothing below the commands
// imports a command or cli.ts, and every command file is registered.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/registry.ts';

const SRC = path.join(import.meta.dirname, '..', 'src');

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The files a source imports at run time (`import type` and `export type` left out), as paths relative to src/. */
export function valueImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?'(\.[^']+)';/gms)) {
    if (m[2] !== undefined) continue;
    out.push(path.relative(SRC, path.resolve(path.dirname(file), m[3] ?? '')));
  }
  return out;
}

/** A cycle in a graph, as its nodes in order, or undefined. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

const files = sources().map((f) => ({ rel: path.relative(SRC, f), imports: valueImports(f, readFileSync(f, 'utf8')) }));
const folder = (rel: string): string => (rel.includes('/') ? (rel.split('/')[0] ?? rel) : '(entry)');

describe('findCycle', () => {
  it('finds a cycle and accepts a DAG', () => {
    expect(
      findCycle(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set(['c'])],
          ['c', new Set(['a'])],
        ]),
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
    expect(
      findCycle(
        new Map([
          ['a', new Set(['b', 'c'])],
          ['b', new Set(['c'])],
          ['c', new Set<string>()],
        ]),
      ),
    ).toBeUndefined();
  });
  it('reads value imports, not type imports', () => {
    const f = path.join(SRC, 'commands', 'x.ts');
    expect(valueImports(f, "import { a } from '../core/errors.ts';\nimport type { B } from '../profile/profile.ts';\nimport {\n  c,\n  d,\n} from './y.ts';\n")).toEqual([
      'core/errors.ts',
      'commands/y.ts',
    ]);
  });
});

describe('orchestrator layers', () => {
  it('has no import cycle between files', () => {
    const g = new Map(files.map((f) => [f.rel, new Set(f.imports)]));
    expect(findCycle(g)).toBeUndefined();
  });

  it('has no import cycle between folders', () => {
    const g = new Map<string, Set<string>>();
    for (const f of files) for (const i of f.imports) if (folder(i) !== folder(f.rel)) g.set(folder(f.rel), (g.get(folder(f.rel)) ?? new Set()).add(folder(i)));
    expect(findCycle(g)).toBeUndefined();
  });

  it('imports commands and cli.ts only from commands and cli.ts', () => {
    const bad = files
      .filter((f) => !['commands', '(entry)'].includes(folder(f.rel)))
      .flatMap((f) => f.imports.filter((i) => folder(i) === 'commands' || i === 'cli.ts').map((i) => `${f.rel} -> ${i}`));
    expect(bad).toEqual([]);
  });

  it('registers every command file, one command per file', () => {
    const shared = ['command.ts', 'registry.ts'];
    const cmdFiles = readdirSync(path.join(SRC, 'commands')).filter((n) => n.endsWith('.ts') && !shared.includes(n));
    expect(cmdFiles.length).toBe(COMMANDS.length);
    for (const c of COMMANDS) expect(cmdFiles, `commands/${c.name}.ts`).toContain(`${c.name}.ts`);
  });
});
