/**
 * The kernel modules the guest loads before atemsys: atemsys.ko's
 * dependencies (`modinfo -F depends`, recursively, from the image's
 * lib/modules/<release>/) and the profile's extra modules, in load order.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { FailureError } from './errors.ts';
import { run } from './exec.ts';
import { compressionOf, indexModules, loadOrder, moduleName, parseBuiltin, parseDepends, type Compression } from './moddeps.ts';

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

export async function resolveGuestModules(o: { modulesDir: string; atemsysKo: string; extra: readonly string[]; signal?: AbortSignal }): Promise<GuestModules> {
  const index = indexModules(await walk(o.modulesDir));
  const builtin = parseBuiltin(await readFile(path.join(o.modulesDir, 'modules.builtin'), 'utf8').catch(() => ''));
  const release = path.basename(o.modulesDir);
  const deps = new Map<string, string[]>();
  const extraBuiltin: string[] = [];
  const roots: string[] = [];
  for (const m of o.extra) {
    const n = moduleName(m);
    if (builtin.has(n)) extraBuiltin.push(n);
    else if (!index.has(n)) throw new FailureError(`module ${m} (profile modules) is neither in lib/modules/${release}/ nor built into ${release}`);
    else roots.push(n);
  }
  roots.push(...(await depends(o.atemsysKo, o.signal)).filter((d) => !builtin.has(d)));
  const queue = [...roots];
  const neededBy = new Map<string, string>(roots.map((r) => [r, o.extra.map(moduleName).includes(r) ? 'the profile' : 'atemsys']));
  while (queue.length > 0) {
    const n = queue.shift() ?? '';
    if (deps.has(n)) continue;
    const rel = index.get(n);
    if (rel === undefined) throw new FailureError(`module ${n}, needed by ${neededBy.get(n) ?? '?'}, is not in lib/modules/${release}/`);
    const ds = (await depends(path.join(o.modulesDir, rel), o.signal)).filter((d) => !builtin.has(d));
    deps.set(n, ds);
    for (const d of ds) {
      if (!neededBy.has(d)) neededBy.set(d, n);
      queue.push(d);
    }
  }
  let names: string[];
  try {
    names = loadOrder(roots, deps);
  } catch (err) {
    throw new FailureError(err instanceof Error ? err.message : String(err));
  }
  const order = names.map((name): GuestModule => {
    const rel = index.get(name) ?? '';
    return { name, rel, file: path.join(o.modulesDir, rel), compression: compressionOf(rel) ?? 'none' };
  });
  return { order, builtin: extraBuiltin };
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
