/**
 * Typed reading of a YAML document with every problem collected as
 * line + field path + message (the board profiles' validation). Pure.
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node, type YAMLMap } from 'yaml';

export interface Issue {
  line: number;
  path: string;
  message: string;
}

export type Entries = Map<string, { key: Node; value: Node | null }>;

export function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'nothing';
    if (typeof v === 'string') return JSON.stringify(v);
    return String(v);
  }
  return 'an alias';
}

export function join(p: string, k: string): string {
  return p ? `${p}.${k}` : k;
}

export function formatIssues(file: string, issues: readonly Issue[]): string {
  return [...issues]
    .sort((a, b) => a.line - b.line)
    .map((i) => `${file}:${i.line}: ${i.path}: ${i.message}`)
    .join('\n');
}

export interface StrOptions {
  required?: boolean;
  oneOf?: readonly string[];
  pattern?: RegExp;
  hint?: string;
  allowEmpty?: boolean;
  maxLength?: number;
}

export const U32_MAX = 0xffffffff;

export class Checker {
  readonly issues: Issue[] = [];
  constructor(private readonly lc: LineCounter) {}

  line(node: Node | null | undefined, fallback = 1): number {
    const start = node?.range?.[0];
    return start === undefined ? fallback : this.lc.linePos(start).line;
  }

  add(node: Node | null | undefined, p: string, message: string, fallbackLine = 1): void {
    this.issues.push({ line: this.line(node, fallbackLine), path: p, message });
  }

  /** key -> [key node, value node] of a mapping (non-string keys are reported). */
  entries(map: YAMLMap, p: string): Entries {
    const out: Entries = new Map();
    for (const pair of map.items) {
      const key = pair.key as Node | null;
      const value = (pair.value ?? null) as Node | null;
      if (!isScalar(key) || typeof key.value !== 'string') {
        this.add(key, p || '(top level)', `keys must be strings, got ${describe(key)}`, this.line(map));
        continue;
      }
      out.set(key.value, { key, value });
    }
    return out;
  }

  checkKeys(map: YAMLMap, p: string, allowed: readonly string[]): Entries {
    const e = this.entries(map, p);
    for (const [k, { key }] of e) {
      if (!allowed.includes(k)) {
        this.add(key, join(p, k), `unknown key (allowed: ${allowed.join(', ')})`);
      }
    }
    return e;
  }

  /** The mapping under key `k`, or undefined (reported when present but not a mapping, or required and missing). */
  map(e: Entries, parent: Node, p: string, k: string, required = false): YAMLMap | undefined {
    const entry = e.get(k);
    const fp = join(p, k);
    if (!entry) {
      if (required) this.add(parent, fp, 'required field is missing');
      return undefined;
    }
    if (!isMap(entry.value)) {
      this.add(entry.value ?? entry.key, fp, `expected a mapping, got ${describe(entry.value)}`);
      return undefined;
    }
    return entry.value;
  }

  /** A string scalar checked against the options. */
  strValue(v: Node | null, at: Node, fp: string, opts: StrOptions = {}): string | undefined {
    if (!isScalar(v) || typeof v.value !== 'string') {
      const quoteHint = isScalar(v) && typeof v.value === 'number' ? ' (quote it)' : '';
      this.add(v ?? at, fp, `expected a string${quoteHint}, got ${describe(v)}`);
      return undefined;
    }
    const s = v.value;
    if (!opts.allowEmpty && s.trim() === '') {
      this.add(v, fp, 'expected a non-empty string');
      return undefined;
    }
    if (opts.maxLength !== undefined && s.length > opts.maxLength) {
      this.add(v, fp, `expected at most ${opts.maxLength} characters, got ${s.length} (${describe(v)})`);
      return undefined;
    }
    if (opts.oneOf && !opts.oneOf.includes(s)) {
      this.add(v, fp, `expected one of ${opts.oneOf.join(', ')}, got ${describe(v)}`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(s)) {
      this.add(v, fp, `expected ${opts.hint ?? `a string matching ${String(opts.pattern)}`}, got ${describe(v)}`);
      return undefined;
    }
    return s;
  }

  str(e: Entries, parent: Node, p: string, k: string, opts: StrOptions = {}): string | undefined {
    const entry = e.get(k);
    const fp = join(p, k);
    if (!entry) {
      if (opts.required) this.add(parent, fp, 'required field is missing');
      return undefined;
    }
    return this.strValue(entry.value, entry.key, fp, opts);
  }

  posInt(e: Entries, parent: Node, p: string, k: string, required: boolean): number | undefined {
    return this.int(e, parent, p, k, { required, min: 1, hint: 'a positive integer' });
  }

  /** An integer in [min, max] (defaults: 0 .. U32_MAX). */
  int(e: Entries, parent: Node, p: string, k: string, o: { required?: boolean; min?: number; max?: number; hint?: string } = {}): number | undefined {
    const entry = e.get(k);
    const fp = join(p, k);
    if (!entry) {
      if (o.required) this.add(parent, fp, 'required field is missing');
      return undefined;
    }
    return this.intValue(entry.value, entry.key, fp, o);
  }

  intValue(v: Node | null, at: Node, fp: string, o: { min?: number; max?: number; hint?: string } = {}): number | undefined {
    const min = o.min ?? 0;
    const max = o.max ?? U32_MAX;
    if (!isScalar(v) || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value < min || v.value > max) {
      this.add(v ?? at, fp, `expected ${o.hint ?? `an integer from ${min} to ${max === U32_MAX ? '0xffffffff' : max}`}, got ${describe(v)}`);
      return undefined;
    }
    return v.value;
  }

  bool(e: Entries, p: string, k: string): boolean | undefined {
    const entry = e.get(k);
    if (!entry) return undefined;
    const v = entry.value;
    if (!isScalar(v) || typeof v.value !== 'boolean') {
      this.add(v ?? entry.key, join(p, k), `expected true or false, got ${describe(v)}`);
      return undefined;
    }
    return v.value;
  }

  strList(e: Entries, p: string, k: string): string[] | undefined {
    const entry = e.get(k);
    const fp = join(p, k);
    if (!entry) return undefined;
    const v = entry.value;
    if (!isSeq(v)) {
      this.add(v ?? entry.key, fp, `expected a list of strings, got ${describe(v)}`);
      return undefined;
    }
    const out: string[] = [];
    let ok = true;
    v.items.forEach((item, i) => {
      const n = item as Node | null;
      if (!isScalar(n) || typeof n.value !== 'string' || n.value === '') {
        this.add(n ?? v, `${fp}[${i}]`, `expected a non-empty string, got ${describe(n)}`);
        ok = false;
      } else {
        out.push(n.value);
      }
    });
    return ok ? out : undefined;
  }
}
