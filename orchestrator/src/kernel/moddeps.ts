/**
 * Kernel module dependencies, for a busybox initramfs whose insmod resolves
 * nothing: names, the image's module index, and the load order. Pure.
 */
import path from 'node:path';

export const MODULE_SUFFIXES = ['.ko', '.ko.xz', '.ko.zst', '.ko.gz'] as const;
export type Compression = 'none' | 'xz' | 'zst' | 'gz';

/** Module name as the kernel and `depends` spell it: no directory, no .ko suffix, `-` → `_`. */
export function moduleName(fileOrName: string): string {
  let base = path.posix.basename(fileOrName);
  for (const s of MODULE_SUFFIXES) {
    if (base.endsWith(s)) {
      base = base.slice(0, -s.length);
      break;
    }
  }
  return base.replace(/-/g, '_');
}

export function compressionOf(file: string): Compression | undefined {
  if (file.endsWith('.ko')) return 'none';
  if (file.endsWith('.ko.xz')) return 'xz';
  if (file.endsWith('.ko.zst')) return 'zst';
  if (file.endsWith('.ko.gz')) return 'gz';
  return undefined;
}

/** `modinfo -F depends` output → names. */
export function parseDepends(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(moduleName);
}

/** name → file (relative to lib/modules/<release>/) of every module file; the first one wins. */
export function indexModules(files: readonly string[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const f of files) {
    if (compressionOf(f) === undefined) continue;
    const n = moduleName(f);
    if (!index.has(n)) index.set(n, f);
  }
  return index;
}

/** modules.builtin (`kernel/drivers/gpio/gpio-mxc.ko` per line) → names. */
export function parseBuiltin(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map(moduleName),
  );
}

/**
 * Load order for `roots`: every module after all of its dependencies, each
 * once, roots in their given order otherwise. `deps` must hold every module
 * reached. Throws on a cycle or a module missing from `deps`.
 */
export function loadOrder(roots: readonly string[], deps: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const active: string[] = [];
  const visit = (name: string): void => {
    if (done.has(name)) return;
    const at = active.indexOf(name);
    if (at >= 0) throw new Error(`module dependency cycle: ${[...active.slice(at), name].join(' -> ')}`);
    const ds = deps.get(name);
    if (ds === undefined) throw new Error(`module ${name}: dependencies unknown${active.length > 0 ? ` (needed by ${active[active.length - 1] ?? '?'})` : ''}`);
    active.push(name);
    for (const d of ds) visit(d);
    active.pop();
    done.add(name);
    order.push(name);
  };
  for (const r of roots) visit(r);
  return order;
}

/** One line of modules.ondemand: a module the guest may load, and how. */
export interface OnDemandEntry {
  /** the module's name (underscores) */
  name: string;
  /** load order: dependencies first, the module itself last; empty when built into the kernel */
  load: string[];
}

/** The guest's copy of the on-demand modules' load orders. */
export const ONDEMAND_FILE = 'modules.ondemand';

/**
 * /lib/modules/modules.ondemand: one line per requested module,
 * `<name>: <m1> <m2> … <name>` (the full load order, built-in modules left
 * out), or `<name>:` when the module is built into the kernel. Pure.
 */
export function onDemandFile(entries: readonly OnDemandEntry[]): string {
  return entries.map((e) => (e.load.length === 0 ? `${e.name}:` : `${e.name}: ${e.load.join(' ')}`)).join('\n') + (entries.length > 0 ? '\n' : '');
}
