/**
 * One Debian kernel, unpacked into a prefix in the cache: image, arch
 * headers, common headers and the host's kbuild, with the headers tree made
 * usable from there (its Makefile and absolute symlinks point into the prefix).
 */
import type { Dirent } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { downloadDeb, extractDeb, madison, pkgnames, updateAptState, type AptState, type PackageRef } from '../debian/apt.ts';
import { newestVersion } from '../debian/debversion.ts';
import { FailureError } from '../core/errors.ts';
import { publishDir } from '../core/publishdir.ts';
import { inSuite, suiteByName } from '../debian/suites.ts';
import { candidateNames, resolveKernel, type ResolvedKernel } from '../debian/kernelpkgs.ts';
import type { KernelSpec } from '../profile/profile.ts';

export interface DebPackage extends PackageRef {
  /** the .deb in the cache */
  file: string;
  /** Debian architecture from the file name (amd64, arm64, armhf, all) */
  arch: string;
}

export interface KernelTree {
  resolved: ResolvedKernel;
  release: string;
  prefix: string;
  vmlinuz: string;
  /** KERNELDIR */
  headersDir: string;
  modulesDir: string;
  /** the image's DTBs: usr/lib/linux-image-<release>/ */
  dtbDir: string;
  packages: DebPackage[];
}

export interface FetchStats {
  downloaded: string[];
  cached: string[];
  /** cached files that did not match the index's sha256 (deleted and fetched again): why */
  corrupt: string[];
}

/**
 * The arch headers tree's Makefile includes the common tree by absolute
 * /usr/src path (and, from Linux 7.x, sets KBUILD_OUTPUT to its own): point
 * them into the prefix.
 */
export function rewriteHeadersMakefile(text: string, prefix: string): string {
  const p = prefix.replace(/\/+$/, '');
  return text
    .replace(/^(\s*-?include\s+)(\/usr\/src\/)/gm, (_m, inc: string, usr: string) => `${inc}${p}${usr}`)
    .replace(/^(\s*KBUILD_OUTPUT\s*:?=\s*)(\/usr\/src\/)/gm, (_m, set: string, usr: string) => `${set}${p}${usr}`);
}

/** Where an absolute link target inside the package tree lives under the prefix, as a relative link from `linkPath`. */
export function relinkTarget(prefix: string, linkPath: string, absTarget: string): string {
  return path.relative(path.dirname(linkPath), path.join(prefix, absTarget));
}

export function archFromDebFile(file: string): string {
  const m = /_([a-z0-9]+)\.deb$/.exec(path.basename(file));
  return m?.[1] ?? 'unknown';
}

async function* walkLinks(dir: string, maxDepth: number): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) yield p;
    else if (e.isDirectory() && maxDepth > 0) yield* walkLinks(p, maxDepth - 1);
  }
}

/** Rewrite every absolute symlink under `roots` to a relative one into the prefix. Returns how many. */
export async function fixAbsoluteSymlinks(prefix: string, roots: { dir: string; depth: number }[]): Promise<number> {
  let n = 0;
  for (const r of roots) {
    for await (const link of walkLinks(r.dir, r.depth)) {
      const target = await readlink(link);
      if (!target.startsWith('/')) continue;
      const rel = relinkTarget(prefix, link, target);
      await unlink(link);
      await symlink(rel, link);
      n++;
    }
  }
  return n;
}

export interface KernelContext {
  cacheDir: string;
  /** state of the kernel's arch */
  target: AptState;
  /** state of the host arch (kbuild runs on the host) */
  host: AptState;
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

export async function resolveFromIndex(spec: KernelSpec, ctx: KernelContext): Promise<ResolvedKernel> {
  const prefix = spec.series === 'newest' ? '' : `${spec.series}.`;
  const names: string[] = [];
  for (const kind of ['image', 'headers', 'binary', 'modules', 'base']) names.push(...(await pkgnames(ctx.target, `linux-${kind}-${prefix}`, ctx.signal)));
  const c = candidateNames(spec, names);
  const target = await madison(ctx.target, c.target, ctx.signal);
  const host = await madison(ctx.host, c.kbuild, ctx.signal);
  return resolveKernel(spec, target, host);
}

async function download(ctx: KernelContext, state: AptState, pkg: PackageRef, stats: FetchStats): Promise<DebPackage> {
  const dir = path.join(ctx.cacheDir, 'debs', state.debArch);
  const r = await downloadDeb(state, pkg, dir, ctx.signal);
  (r.downloaded ? stats.downloaded : stats.cached).push(path.basename(r.file));
  if (r.corrupt) stats.corrupt.push(r.corrupt);
  return { ...pkg, file: r.file, arch: archFromDebFile(r.file) };
}

/**
 * Resolve and download the four packages. If a download fails with an index
 * that was not refreshed in this run (the archive dropped that version),
 * refresh both indexes once and resolve again.
 */
export async function fetchKernel(spec: KernelSpec, ctx: KernelContext, stats: FetchStats): Promise<{ resolved: ResolvedKernel; debs: DebPackage[] }> {
  const attempt = async (): Promise<{ resolved: ResolvedKernel; debs: DebPackage[] }> => {
    const resolved = await resolveFromIndex(spec, ctx);
    const debs = [
      await download(ctx, ctx.target, resolved.image, stats),
      await download(ctx, ctx.target, resolved.headers, stats),
      await download(ctx, ctx.target, resolved.common, stats),
      await download(ctx, ctx.host, resolved.kbuild, stats),
    ];
    for (const part of resolved.parts) debs.push(await download(ctx, ctx.target, part, stats));
    return { resolved, debs };
  };
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof FailureError) || (ctx.target.updated && ctx.host.updated)) throw err;
    ctx.log?.(`${err.message.split('\n')[0] ?? ''}; refreshing the package indexes and trying again`);
    if (!ctx.target.updated) await updateAptState(ctx.target, ctx.signal, ctx.log);
    if (!ctx.host.updated) await updateAptState(ctx.host, ctx.signal, ctx.log);
    return attempt();
  }
}

/** Bumped when the unpacked layout changes (2: lib/modules links to a merged-/usr usr/lib/modules; 3: KBUILD_OUTPUT rewritten). */
const TREE_LAYOUT = 3;

interface TreeStamp {
  layout: number;
  release: string;
  packages: string[];
  /** where it was unpacked: the headers' Makefile names it, so a moved cache unpacks again */
  prefix: string;
}

/** dpkg -x the packages into cache/kernels/<release>_<version>/ (once) and fix the headers tree. */
/** Where a resolved kernel's packages are unpacked in the cache. */
export function kernelPrefix(cacheDir: string, resolved: Pick<ResolvedKernel, 'release' | 'version'>): string {
  return path.join(cacheDir, 'kernels', `${resolved.release}_${resolved.version}`);
}

export async function unpackKernel(resolved: ResolvedKernel, debs: DebPackage[], ctx: KernelContext): Promise<KernelTree> {
  const prefix = kernelPrefix(ctx.cacheDir, resolved);
  const stampFile = path.join(prefix, '.atemsys-tree.json');
  const want: TreeStamp = { layout: TREE_LAYOUT, release: resolved.release, packages: debs.map((d) => path.basename(d.file)).sort(), prefix };
  const tree = async (): Promise<KernelTree> => ({
    resolved,
    release: resolved.release,
    prefix,
    vmlinuz: await firstExisting(prefix, vmlinuzPaths(resolved.release)),
    headersDir: path.join(prefix, 'usr', 'src', `linux-headers-${resolved.release}`),
    modulesDir: path.join(prefix, 'lib', 'modules', resolved.release),
    dtbDir: await firstExisting(prefix, dtbDirs(resolved.release)),
    packages: debs,
  });
  const have = await readFile(stampFile, 'utf8').then(
    (t) => JSON.parse(t) as TreeStamp,
    () => undefined,
  );
  if (have && JSON.stringify(have) === JSON.stringify(want)) return tree();

  const tmp = `${prefix}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const d of debs) await extractDeb(d.file, tmp, ctx.signal);
  // Debian 13 and later ship modules in /usr/lib/modules (the /usr merge): one path for both
  const merged = await lstat(path.join(tmp, 'usr', 'lib', 'modules')).then(
    () => true,
    () => false,
  );
  const legacy = await lstat(path.join(tmp, 'lib', 'modules')).then(
    () => true,
    () => false,
  );
  if (merged && !legacy) {
    await mkdir(path.join(tmp, 'lib'), { recursive: true });
    await symlink(path.join('..', 'usr', 'lib', 'modules'), path.join(tmp, 'lib', 'modules'));
  }
  // everything below is rewritten for the final location
  const headersTmp = path.join(tmp, 'usr', 'src', `linux-headers-${resolved.release}`);
  const makefile = path.join(headersTmp, 'Makefile');
  const mk = await readFile(makefile, 'utf8').catch(() => {
    throw new FailureError(`${debs[1]?.name ?? 'headers'}: no Makefile in ${headersTmp}`);
  });
  await writeFile(makefile, rewriteHeadersMakefile(mk, prefix));
  await fixAbsoluteSymlinks(tmp, [
    { dir: path.join(tmp, 'usr', 'src'), depth: 2 },
    { dir: path.join(tmp, 'lib', 'modules', resolved.release), depth: 0 },
  ]);
  for (const need of [await firstExisting(tmp, vmlinuzPaths(resolved.release)), path.join(headersTmp, 'scripts', 'Makefile.build')]) {
    await lstat(need).catch(() => {
      throw new FailureError(`unpacked kernel ${resolved.release} lacks ${path.relative(tmp, need)}`);
    });
  }
  await writeFile(path.join(tmp, '.atemsys-tree.json'), JSON.stringify(want));
  // another process may have unpacked the same packages meanwhile: its tree is kept
  await publishDir(tmp, prefix, async (d) =>
    readFile(path.join(d, '.atemsys-tree.json'), 'utf8').then(
      (t) => t === JSON.stringify(want),
      () => false,
    ),
  );
  return tree();
}

/** Where a Debian image puts vmlinuz: /boot until Debian 13, /usr/lib/modules/<release>/ in Debian 14's split image. */
export function vmlinuzPaths(release: string): string[] {
  return [path.join('boot', `vmlinuz-${release}`), path.join('usr', 'lib', 'modules', release, 'vmlinuz')];
}

/** Where a Debian image puts its DTBs, in the same order. */
export function dtbDirs(release: string): string[] {
  return [path.join('usr', 'lib', `linux-image-${release}`), path.join('usr', 'lib', 'modules', release, 'dtb'), path.join('usr', 'lib', 'modules', release, 'dtbs')];
}

/** The first of `rels` under `root` that exists, else the first (for the error that follows). */
async function firstExisting(root: string, rels: readonly string[]): Promise<string> {
  for (const r of rels) {
    const p = path.join(root, r);
    if (
      await lstat(p).then(
        () => true,
        () => false,
      )
    )
      return p;
  }
  return path.join(root, rels[0] ?? '');
}

export interface Busybox {
  binary: string;
  package: DebPackage;
}

/** The newest busybox-static of the state's arch in `suite` (a backports suite: its release's). */
export async function busyboxVersion(ctx: Pick<KernelContext, 'target' | 'signal'>, suite: string): Promise<string> {
  // a backports suite has no busybox of its own: its release's
  const base = suiteByName(suite)?.codename ?? suite;
  const entries = (await madison(ctx.target, ['busybox-static'], ctx.signal)).filter((e) => inSuite(e.origin, base));
  const version = newestVersion(entries.map((e) => e.version));
  if (!version) throw new FailureError(`busybox-static is not in the ${ctx.target.debArch} package index of ${suite}`);
  return version;
}

/** busybox-static of the state's arch, the newest in `suite`, unpacked once (bin/busybox, or usr/bin/busybox after the /usr merge). */
export async function fetchBusybox(ctx: KernelContext, stats: FetchStats, suite: string): Promise<Busybox> {
  const version = await busyboxVersion(ctx, suite);
  const pkg = await download(ctx, ctx.target, { name: 'busybox-static', version }, stats);
  const dir = path.join(ctx.cacheDir, 'busybox', ctx.target.debArch, version);
  const found = async (root: string): Promise<string | undefined> => {
    for (const rel of ['bin/busybox', 'usr/bin/busybox']) {
      const p = path.join(root, rel);
      if (
        await lstat(p).then(
          (st) => st.isFile(),
          () => false,
        )
      )
        return p;
    }
    return undefined;
  };
  let binary = await found(dir);
  if (!binary) {
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await extractDeb(pkg.file, tmp, ctx.signal);
    if (!(await found(tmp))) throw new FailureError(`${path.basename(pkg.file)} has neither bin/busybox nor usr/bin/busybox`);
    await mkdir(path.dirname(dir), { recursive: true });
    await publishDir(tmp, dir, async (d) => (await found(d)) !== undefined);
    binary = await found(dir);
    if (!binary) throw new FailureError(`busybox vanished from ${dir}`);
  }
  return { binary, package: pkg };
}
