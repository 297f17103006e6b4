/**
 * A YAML document checked with a zod schema, every problem reported as
 * line + field path + message (the board profiles' validation): the
 * document's nodes become a plain value for zod, and each zod issue's path
 * is walked back through the nodes to the line it is about. Pure.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { describeValue, type IssueAt } from './schema.ts';

export interface Issue {
  line: number;
  path: string;
  message: string;
}

type Path = readonly (string | number)[];

export function formatIssues(file: string, issues: readonly Issue[]): string {
  return [...issues]
    .sort((a, b) => a.line - b.line)
    .map((i) => `${file}:${i.line}: ${i.path}: ${i.message}`)
    .join('\n');
}

/** `qemu.devices[1]`, `dt.nodes[0].properties.status`; the empty path is `(top level)`. */
export function fieldPath(p: Path): string {
  let s = '';
  for (const k of p) s = typeof k === 'number' ? `${s}[${k}]` : s === '' ? k : `${s}.${k}`;
  return s === '' ? '(top level)' : s;
}

function same(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

export class YamlChecker {
  readonly issues: Issue[] = [];
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {}

  line(node: Node | null | undefined, fallback = 1): number {
    const start = node?.range?.[0];
    return start === undefined ? fallback : this.lc.linePos(start).line;
  }

  private add(node: Node | null | undefined, p: Path, message: string): void {
    this.issues.push({ line: this.line(node, this.line(this.doc.contents as Node | null)), path: fieldPath(p), message });
  }

  /**
   * The plain value zod checks: scalars, lists and mappings, aliases
   * resolved. Mapping keys must be strings (a non-string key is reported and
   * left out), except in the mappings at `numericKeysAt` (e.g. kernel series
   * written unquoted: 6.12).
   */
  value(numericKeysAt: readonly Path[] = []): unknown {
    const walk = (node: unknown, p: (string | number)[]): unknown => {
      if (isAlias(node)) return walk(node.resolve(this.doc), p);
      if (isScalar(node)) return node.value;
      if (isSeq(node)) return node.items.map((it, i) => walk(it, [...p, i]));
      if (isMap(node)) {
        const anyKey = numericKeysAt.some((q) => same(q, p));
        const entries: [string, unknown][] = [];
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          if (!isScalar(key) || (typeof key.value !== 'string' && !(anyKey && typeof key.value === 'number'))) {
            this.add(key ?? node, p, `keys must be strings, got ${describeKey(key)}`);
            continue;
          }
          // a number key as written: 6.10 is not 6.1
          const k = typeof key.value === 'number' && typeof key.source === 'string' ? key.source : String(key.value);
          entries.push([k, walk(pair.value ?? null, [...p, k])]);
        }
        return Object.fromEntries(entries);
      }
      return null;
    };
    return walk(this.doc.contents, []);
  }

  /** The key and value node at `p`, or the deepest node of `p` that exists (a missing field: its mapping). */
  private locate(p: Path): { key?: Node; value: Node | null; complete: boolean } {
    let cur: Node | null = this.doc.contents as Node | null;
    let key: Node | undefined;
    for (const seg of p) {
      if (isAlias(cur)) cur = cur.resolve(this.doc) ?? null;
      if (isMap(cur)) {
        const pair = cur.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) return { key, value: cur, complete: false };
        key = pair.key as Node;
        cur = (pair.value ?? null) as Node | null;
      } else if (isSeq(cur) && typeof seg === 'number' && seg < cur.items.length) {
        key = undefined;
        cur = cur.items[seg] as Node | null;
      } else {
        return { key, value: cur, complete: false };
      }
    }
    return { key, value: cur, complete: true };
  }

  /** The line an issue is about: the value at its path (its key when the value is empty), a missing field's mapping, or what `at` says. */
  private lineOf(p: Path, at: IssueAt = {}): number {
    const loc = this.locate(at.node ?? p);
    if (at.at === 'key' && loc.complete) return this.line(loc.key ?? loc.value);
    return this.line(loc.complete ? (loc.value ?? loc.key) : loc.value);
  }

  /** Add zod's issues of `value` (from value()). */
  addZodIssues(issues: readonly z.core.$ZodIssue[], value: unknown): void {
    // unknown keys first: on a line shared with another issue (a misspelt key, and its field missing) the cause comes first
    const flat = issues.flatMap((i) => flatten(i, value)).sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
    const pathOf = (i: z.core.$ZodIssue): (string | number)[] => i.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
    // a key that is wrong: its value is not checked too
    const badKeys = flat.filter((i) => i.code === 'invalid_key').map(pathOf);
    // a value's first failing check only (empty, then too long, then the pattern): refinements' issues (params) are all kept
    const first = new Set<string>();
    for (const i of flat) {
      const p = pathOf(i);
      if (i.code !== 'invalid_key' && badKeys.some((k) => k.length <= p.length && same(k, p.slice(0, k.length)))) continue;
      if (i.code !== 'unrecognized_keys' && i.code !== 'invalid_key' && (i.code !== 'custom' || i.params === undefined)) {
        const key = JSON.stringify(p);
        if (first.has(key)) continue;
        first.add(key);
      }
      if (i.code === 'unrecognized_keys') {
        for (const k of i.keys) this.issues.push({ line: this.lineOf([...p, k], { at: 'key' }), path: fieldPath([...p, k]), message: i.message });
      } else if (i.code === 'invalid_key') {
        this.issues.push({ line: this.lineOf(p, { at: 'key' }), path: fieldPath(p), message: i.issues[0]?.message ?? i.message });
      } else {
        const at = i.code === 'custom' ? (i.params as IssueAt | undefined) : undefined;
        this.issues.push({ line: this.lineOf(p, at), path: fieldPath(p), message: i.message });
      }
    }
  }
}

function describeKey(key: Node | null): string {
  if (key === null) return 'nothing';
  if (isScalar(key)) return describeValue(key.value);
  return describeValue(isSeq(key) ? [] : {});
}

function valueAt(v: unknown, p: readonly PropertyKey[]): unknown {
  let cur = v;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Whether a branch's first issue says the value is of another kind than the branch takes. */
function otherKind(i: z.core.$ZodIssue, input: unknown): boolean {
  if (i.path.length > 0) return false;
  if (i.code === 'invalid_type') {
    const e: string = i.expected;
    if (e === 'string' || e === 'boolean') return typeof input !== e;
    if (e === 'number' || e === 'int') return typeof input !== 'number';
    if (e === 'array') return !Array.isArray(input);
    if (e === 'object' || e === 'record') return input === null || typeof input !== 'object' || Array.isArray(input);
    return true;
  }
  if (i.code === 'invalid_value') return !i.values.some((x) => typeof x === typeof input);
  return false;
}

/**
 * A union's issue: the issues of the one branch that takes this kind of
 * value (a string, a list, ...), so that the message is that branch's;
 * the union's own message when none or several do.
 */
function flatten(i: z.core.$ZodIssue, root: unknown): z.core.$ZodIssue[] {
  if (i.code !== 'invalid_union') return [i];
  const input = valueAt(root, i.path);
  const fits = i.errors.filter((errs) => errs.length > 0 && !otherKind(errs[0] as z.core.$ZodIssue, input));
  const only = fits.length === 1 ? fits[0] : undefined;
  if (!only) return [i];
  return only.flatMap((e) => flatten({ ...e, path: [...i.path, ...e.path] } as z.core.$ZodIssue, root));
}
