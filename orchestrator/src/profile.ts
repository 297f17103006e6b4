/**
 * Board profiles: boards/<name>.yaml, loaded and validated. Every error names
 * the file, the line and the field: `boards/x.yaml:7: qemu.memory: expected a
 * positive integer, got "lots"`.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from 'yaml';
import { ARCHES, isArch, type Arch } from './arch.ts';
import { ConfigError } from './errors.ts';

export interface KernelSpec {
  /** Debian series, "6.1" or "6.12". */
  series: string;
  /** Debian flavour: amd64, arm64, armmp, rt-amd64, ... */
  flavour: string;
  /** Optional ABI pin, e.g. "6.1.0-56" or "6.12.48+deb12". */
  version?: string;
}

export interface QemuSpec {
  binary: string;
  machine: string;
  cpu: string;
  /** MiB */
  memory: number;
  smp: number;
  console: string;
  append: string;
  devices: string[];
  /** Extra raw QEMU arguments, appended last. */
  args: string[];
  /** Seconds for one boot, whole run. */
  timeout: number;
}

export interface Profile {
  name: string;
  description: string;
  arch: Arch;
  kernels: KernelSpec[];
  qemu?: QemuSpec;
  selftest: { args: string[] };
  /** Absolute path of the YAML file. */
  file: string;
}

export interface Issue {
  line: number;
  path: string;
  message: string;
}

const TOP_KEYS = ['name', 'description', 'arch', 'kernels', 'qemu', 'selftest'];
const KERNEL_KEYS = ['series', 'flavour', 'version'];
const QEMU_KEYS = ['binary', 'machine', 'cpu', 'memory', 'smp', 'console', 'append', 'devices', 'args', 'timeout'];
const SELFTEST_KEYS = ['args'];

const SERIES_RE = /^\d+\.\d+$/;
const FLAVOUR_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ABI_RE = /^\d+\.\d+\.\d+(-\d+|\+deb\d+)$/;
const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;

function describe(node: Node | null | undefined): string {
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

class Checker {
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
  entries(map: YAMLMap, p: string): Map<string, { key: Node; value: Node | null }> {
    const out = new Map<string, { key: Node; value: Node | null }>();
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

  checkKeys(map: YAMLMap, p: string, allowed: string[]): Map<string, { key: Node; value: Node | null }> {
    const e = this.entries(map, p);
    for (const [k, { key }] of e) {
      if (!allowed.includes(k)) {
        this.add(key, join(p, k), `unknown key (allowed: ${allowed.join(', ')})`);
      }
    }
    return e;
  }

  str(
    e: Map<string, { key: Node; value: Node | null }>,
    parent: Node,
    p: string,
    k: string,
    opts: { required?: boolean; oneOf?: readonly string[]; pattern?: RegExp; hint?: string; allowEmpty?: boolean } = {},
  ): string | undefined {
    const entry = e.get(k);
    const fp = join(p, k);
    if (!entry) {
      if (opts.required) this.add(parent, fp, 'required field is missing');
      return undefined;
    }
    const v = entry.value;
    if (!isScalar(v) || typeof v.value !== 'string') {
      const quoteHint = isScalar(v) && typeof v.value === 'number' ? ' (quote it)' : '';
      this.add(v ?? entry.key, fp, `expected a string${quoteHint}, got ${describe(v)}`);
      return undefined;
    }
    const s = v.value;
    if (!opts.allowEmpty && s.trim() === '') {
      this.add(v, fp, 'expected a non-empty string');
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

  posInt(e: Map<string, { key: Node; value: Node | null }>, parent: Node, p: string, k: string, required: boolean): number | undefined {
    const entry = e.get(k);
    const fp = join(p, k);
    if (!entry) {
      if (required) this.add(parent, fp, 'required field is missing');
      return undefined;
    }
    const v = entry.value;
    if (!isScalar(v) || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value <= 0) {
      this.add(v ?? entry.key, fp, `expected a positive integer, got ${describe(v)}`);
      return undefined;
    }
    return v.value;
  }

  strList(e: Map<string, { key: Node; value: Node | null }>, p: string, k: string): string[] | undefined {
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

function join(p: string, k: string): string {
  return p ? `${p}.${k}` : k;
}

export function formatIssues(file: string, issues: Issue[]): string {
  return [...issues]
    .sort((a, b) => a.line - b.line)
    .map((i) => `${file}:${i.line}: ${i.path}: ${i.message}`)
    .join('\n');
}

/**
 * Parse and validate one profile. `displayFile` is used in messages, `expectedName`
 * is the file name without `.yaml`. Throws ConfigError listing every issue.
 */
export function parseProfile(text: string, displayFile: string, expectedName: string, absFile = displayFile): Profile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((err) => {
      const line = lc.linePos(err.pos[0]).line;
      return `${displayFile}:${line}: YAML syntax error: ${err.message.split('\n')[0] ?? err.code}`;
    });
    throw new ConfigError(msgs.join('\n'));
  }
  const c = new Checker(lc);
  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    throw new ConfigError(`${displayFile}:${c.line(root)}: (top level): expected a mapping, got ${describe(root)}`);
  }
  const top = c.checkKeys(root, '', TOP_KEYS);

  const name = c.str(top, root, '', 'name', { required: true, pattern: NAME_RE, hint: 'a lower-case board name' });
  if (name !== undefined && name !== expectedName) {
    c.add(top.get('name')?.value, 'name', `must equal the file name "${expectedName}", got ${JSON.stringify(name)}`);
  }
  const description = c.str(top, root, '', 'description', { required: true });
  const arch = c.str(top, root, '', 'arch', { required: true, oneOf: ARCHES });

  // kernels
  const kernels: KernelSpec[] = [];
  const kEntry = top.get('kernels');
  if (!kEntry) {
    c.add(root, 'kernels', 'required field is missing');
  } else if (!isSeq(kEntry.value) || kEntry.value.items.length === 0) {
    c.add(kEntry.value ?? kEntry.key, 'kernels', `expected a non-empty list of kernels, got ${describe(kEntry.value)}`);
  } else {
    const seen = new Map<string, number>();
    kEntry.value.items.forEach((item, i) => {
      const kp = `kernels[${i}]`;
      const n = item as Node | null;
      if (!isMap(n)) {
        c.add(n ?? kEntry.value, kp, `expected a mapping with series and flavour, got ${describe(n)}`);
        return;
      }
      const ke = c.checkKeys(n, kp, KERNEL_KEYS);
      const series = c.str(ke, n, kp, 'series', { required: true, pattern: SERIES_RE, hint: 'a Debian kernel series like "6.1"' });
      const flavour = c.str(ke, n, kp, 'flavour', { required: true, pattern: FLAVOUR_RE, hint: 'a Debian kernel flavour like "amd64"' });
      const version = c.str(ke, n, kp, 'version', { pattern: ABI_RE, hint: 'a kernel ABI like "6.1.0-56" or "6.12.48+deb12"' });
      if (series !== undefined && flavour !== undefined) {
        if (version !== undefined && !version.startsWith(`${series}.`)) {
          c.add(ke.get('version')?.value, `${kp}.version`, `ABI ${JSON.stringify(version)} is not of series ${series}`);
        }
        const key = `${series}/${flavour}`;
        if (seen.has(key)) {
          c.add(n, kp, `duplicate kernel ${series} ${flavour} (also kernels[${seen.get(key) ?? 0}])`);
        }
        seen.set(key, i);
        kernels.push(version === undefined ? { series, flavour } : { series, flavour, version });
      }
    });
  }

  // qemu (optional: a board without it can be built but not booted)
  let qemu: QemuSpec | undefined;
  const qEntry = top.get('qemu');
  if (qEntry) {
    const q = qEntry.value;
    if (!isMap(q)) {
      c.add(q ?? qEntry.key, 'qemu', `expected a mapping, got ${describe(q)}`);
    } else {
      const qe = c.checkKeys(q, 'qemu', QEMU_KEYS);
      const binary = c.str(qe, q, 'qemu', 'binary', { required: true, pattern: /^qemu-system-[a-z0-9_]+$/, hint: 'a qemu-system-* binary name' });
      const machine = c.str(qe, q, 'qemu', 'machine', { required: true });
      const cpu = c.str(qe, q, 'qemu', 'cpu', { required: true });
      const memory = c.posInt(qe, q, 'qemu', 'memory', true);
      const smp = c.posInt(qe, q, 'qemu', 'smp', false) ?? 1;
      const console = c.str(qe, q, 'qemu', 'console', { required: true, pattern: /^[A-Za-z0-9]+$/, hint: 'a console device like "ttyS0"' });
      const append = c.str(qe, q, 'qemu', 'append', { allowEmpty: true }) ?? '';
      const devices = c.strList(qe, 'qemu', 'devices') ?? [];
      const args = c.strList(qe, 'qemu', 'args') ?? [];
      const timeout = c.posInt(qe, q, 'qemu', 'timeout', true);
      if (binary && machine && cpu && memory && console && timeout) {
        qemu = { binary, machine, cpu, memory, smp, console, append, devices, args, timeout };
      }
    }
  }

  // selftest (optional)
  let selftestArgs: string[] = [];
  const sEntry = top.get('selftest');
  if (sEntry) {
    const s = sEntry.value;
    if (!isMap(s)) {
      c.add(s ?? sEntry.key, 'selftest', `expected a mapping, got ${describe(s)}`);
    } else {
      const se = c.checkKeys(s, 'selftest', SELFTEST_KEYS);
      selftestArgs = c.strList(se, 'selftest', 'args') ?? [];
    }
  }

  if (c.issues.length > 0 || name === undefined || description === undefined || arch === undefined || !isArch(arch)) {
    throw new ConfigError(formatIssues(displayFile, c.issues));
  }
  const profile: Profile = { name, description, arch, kernels, selftest: { args: selftestArgs }, file: absFile };
  if (qemu) profile.qemu = qemu;
  return profile;
}

export async function loadProfile(file: string, repoRoot: string): Promise<Profile> {
  const abs = path.resolve(file);
  const display = path.relative(repoRoot, abs) || abs;
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(`${display}: cannot read board profile (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseProfile(text, display, path.basename(abs).replace(/\.ya?ml$/, ''), abs);
}

/** All profiles in the boards directory, sorted by name. All issues of all files are reported together. */
export async function loadAllProfiles(boardsDir: string, repoRoot: string): Promise<Profile[]> {
  const names = (await readdir(boardsDir)).filter((f) => f.endsWith('.yaml')).sort();
  const profiles: Profile[] = [];
  const errors: string[] = [];
  for (const f of names) {
    try {
      profiles.push(await loadProfile(path.join(boardsDir, f), repoRoot));
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err.message);
      else throw err;
    }
  }
  if (errors.length > 0) throw new ConfigError(errors.join('\n'));
  return profiles;
}

export async function findProfile(boardsDir: string, repoRoot: string, name: string): Promise<Profile> {
  if (!NAME_RE.test(name)) throw new ConfigError(`invalid board name ${JSON.stringify(name)}`);
  const file = path.join(boardsDir, `${name}.yaml`);
  try {
    await readFile(file);
  } catch {
    const known = (await readdir(boardsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
    throw new ConfigError(`unknown board "${name}" (known: ${known.join(', ') || 'none'}; profiles live in boards/<name>.yaml)`);
  }
  return loadProfile(file, repoRoot);
}
