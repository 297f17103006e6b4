/**
 * The kernel modules the guest loads before atemsys: atemsys.ko's
 * dependencies (`modinfo -F depends`, recursively, from the image's
 * lib/modules/<release>/) and the profile's extra modules, in load order;
 * and the profile's on-demand modules (`modules-available`) with the load
 * order of each.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { FailureError } from '../core/errors.ts';
import { run } from '../core/exec.ts';
import { compressionOf, indexModules, loadOrder, moduleName, parseBuiltin, parseDepends, type Compression, type OnDemandEntry } from './moddeps.ts';

export interface GuestModule {
  name: string;
  /** absolute path in the unpacked image */
  file: string;
  /** relative to lib/modules/<release>/ */
  rel: string;
  compression: Compression;
}

export interface GuestModules {
  /** to insmod in this order, atemsys last (not listed) */
  order: GuestModule[];
  /** extra modules the profile asked for that are built into this kernel */
  builtin: string[];
}

async function walk(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    // build/ and source/ are symlinks into the headers: not followed
    if (e.isDirectory()) out.push(...(await walk(root, r)));
    else if (e.isFile() && compressionOf(e.name) !== undefined) out.push(r);
  }
  return out;
}

async function depends(file: string, signal?: AbortSignal): Promise<string[]> {
  const r = await run('modinfo', ['-F', 'depends', file], { signal });
  if (r.exitCode !== 0) throw new FailureError(`modinfo -F depends ${file} failed: ${r.all.trim()}`);
  return parseDepends(r.stdout);
}

/** The image's modules: name → file, and the built-in ones. */
interface ModuleIndex {
  modulesDir: string;
  release: string;
  index: Map<string, string>;
  builtin: Set<string>;
}

async function readModuleIndex(modulesDir: string): Promise<ModuleIndex> {
  return {
    modulesDir,
    release: path.basename(modulesDir),
    index: indexModules(await walk(modulesDir)),
    builtin: parseBuiltin(await readFile(path.join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '')),
  };
}

/**
 * The dependencies (built-in ones left out) of every module reachable from
 * `roots`, which must be modules with a file. `neededBy` says who wanted each
 * root (for messages). Throws FailureError when a module has no file.
 */
async function dependencyGraph(mi: ModuleIndex, roots: readonly string[], neededBy: Map<string, string>, signal?: AbortSignal): Promise<Map<string, string[]>> {
  const deps = new Map<string, string[]>();
  const queue = [...roots];
  while (queue.length > 0) {
    const n = queue.shift() ?? '';
    if (deps.has(n)) continue;
    const rel = mi.index.get(n);
    if (rel === undefined) throw new FailureError(`module ${n}, needed by ${neededBy.get(n) ?? '?'}, is not in lib/modules/${mi.release}/`);
    const ds = (await depends(path.join(mi.modulesDir, rel), signal)).filter((d) => !mi.builtin.has(d));
    deps.set(n, ds);
    for (const d of ds) {
      if (!neededBy.has(d)) neededBy.set(d, n);
      queue.push(d);
    }
  }
  return deps;
}

function order(roots: readonly string[], deps: ReadonlyMap<string, readonly string[]>): string[] {
  try {
    return loadOrder(roots, deps);
  } catch (err) {
    throw new FailureError(err instanceof Error ? err.message : String(err));
  }
}

function guestModule(mi: ModuleIndex, name: string): GuestModule {
  const rel = mi.index.get(name) ?? '';
  return { name, rel, file: path.join(mi.modulesDir, rel), compression: compressionOf(rel) ?? 'none' };
}

export async function resolveGuestModules(o: { modulesDir: string; atemsysKo: string; extra: readonly string[]; signal?: AbortSignal }): Promise<GuestModules> {
  const mi = await readModuleIndex(o.modulesDir);
  const extraBuiltin: string[] = [];
  const roots: string[] = [];
  for (const m of o.extra) {
    const n = moduleName(m);
    if (mi.builtin.has(n)) extraBuiltin.push(n);
    else if (!mi.index.has(n)) throw new FailureError(`module ${m} (profile modules) is neither in lib/modules/${mi.release}/ nor built into ${mi.release}`);
    else roots.push(n);
  }
  roots.push(...(await depends(o.atemsysKo, o.signal)).filter((d) => !mi.builtin.has(d)));
  const neededBy = new Map<string, string>(roots.map((r) => [r, o.extra.map(moduleName).includes(r) ? 'the profile' : 'atemsys']));
  const deps = await dependencyGraph(mi, roots, neededBy, o.signal);
  return { order: order(roots, deps).map((name) => guestModule(mi, name)), builtin: extraBuiltin };
}

export interface OnDemandModules {
  /** per requested module (in the profile's order), its load order */
  entries: OnDemandEntry[];
  /** every module file those load orders name, each once */
  files: GuestModule[];
}

/**
 * The profile's `modules-available`: for each, the load order (dependencies
 * first, itself last; built-in modules need no file and are left out).
 * Throws FailureError when a module is neither a file nor built in.
 */
export async function resolveOnDemandModules(o: { modulesDir: string; names: readonly string[]; signal?: AbortSignal }): Promise<OnDemandModules> {
  const mi = await readModuleIndex(o.modulesDir);
  const entries: OnDemandEntry[] = [];
  const files = new Map<string, GuestModule>();
  for (const m of o.names) {
    const name = moduleName(m);
    if (mi.builtin.has(name)) {
      entries.push({ name, load: [] });
      continue;
    }
    if (!mi.index.has(name)) throw new FailureError(`module ${m} (profile modules-available) is neither in lib/modules/${mi.release}/ nor built into ${mi.release}`);
    const deps = await dependencyGraph(mi, [name], new Map([[name, 'the profile (modules-available)']]), o.signal);
    const load = order([name], deps);
    entries.push({ name, load });
    for (const n of load) if (!files.has(n)) files.set(n, guestModule(mi, n));
  }
  return { entries, files: [...files.values()] };
}

/** The module as a plain .ko (busybox insmod is not trusted with compressed ones). */
export async function readGuestModule(m: GuestModule, signal?: AbortSignal): Promise<Buffer> {
  switch (m.compression) {
    case 'none':
      return readFile(m.file);
    case 'gz':
      return gunzipSync(await readFile(m.file));
    case 'xz':
    case 'zst': {
      const tool = m.compression === 'xz' ? 'xz' : 'zstd';
      const r = await execa(tool, ['-dc', m.file], { encoding: 'buffer', reject: false, stdin: 'ignore', cancelSignal: signal });
      if (r.exitCode !== 0) throw new FailureError(`${tool} -dc ${m.file} failed (exit ${String(r.exitCode)})`);
      return Buffer.from(r.stdout);
    }
  }
}
