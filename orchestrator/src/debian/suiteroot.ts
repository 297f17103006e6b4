/**
 * A build root for kernels from a newer Debian release than the host's: a
 * minimal chroot of the kernel's own suite (debootstrap --variant=minbase)
 * with the compiler its headers name and what its kbuild programs link
 * against, kept under the cache directory and keyed by its package list.
 * The module build runs in it through `unshare --mount` + `chroot`, with the
 * checkout and the cache bind-mounted at their own paths, so the mounts
 * vanish with the process whatever way it ends (root only: debootstrap and
 * chroot need it).
 *
 * Why not the host's gcc-12: a Debian 13 kernel's headers are configured for
 * gcc-14 (CONFIG_CC_VERSION_TEXT, the -f options kbuild probes) and its
 * kbuild programs (fixdep, modpost, objtool) need glibc 2.38+.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AptState, PackageRef } from './apt.ts';
import type { AptSource } from './aptsources.ts';
import { ConfigError, FailureError } from '../core/errors.ts';
import { runChecked } from '../core/exec.ts';
import { allTriplets, buildHostTriplet } from './arch.ts';
import { FACTS, type DebianFacts } from './facts.ts';

const DONE = '.atemsys-root.json';

/** "gcc-14" from a Debian headers tree's .kernelvariables (`CC = … $(CROSS_COMPILE)gcc-14`), or undefined. */
export function kernelCompiler(kernelvariables: string): string | undefined {
  return /^CC\s*=.*\$\(CROSS_COMPILE\)(gcc-\d+)\s*$/m.exec(kernelvariables)?.[1];
}

/**
 * The Debian package of `compiler` for `triplet` on the build host (amd64):
 * the native one is `gcc-14`, a cross one `gcc-14-aarch64-linux-gnu`.
 */
export function compilerPackage(compiler: string, triplet: string, hostTriplet: string = buildHostTriplet()): string {
  return triplet === hostTriplet ? compiler : `${compiler}-${triplet}`;
}

/**
 * What a build root of a newer suite holds (debian/facts.ts
 * buildRootPackages): make, sparse and the like, `compiler` ("gcc-14", from
 * the kernel's .kernelvariables) for every board arch (one root serves them
 * all), and the dependencies of the kernel's kbuild. Sorted, each once.
 */
export function rootPackages(compiler: string, kbuildDeps: readonly string[], f: DebianFacts = FACTS): string[] {
  return [...new Set([...f.buildRootPackages, ...allTriplets(f).map((t) => compilerPackage(compiler, t, buildHostTriplet(f))), ...kbuildDeps])].sort();
}

/**
 * Package names from a Depends field: the first of each alternative, without
 * version constraints or arch qualifiers ("libc6 (>= 2.38), libelf1t64" ->
 * ["libc6", "libelf1t64"]).
 */
export function dependsNames(field: string): string[] {
  return field
    .split(',')
    .map((d) =>
      (d.split('|')[0] ?? '')
        .replace(/\(.*?\)/g, '')
        .replace(/:any$/, '')
        .trim(),
    )
    .map((d) => d.replace(/:any\b/, ''))
    .filter((d) => /^[a-z0-9][a-z0-9+.-]*$/.test(d));
}

/** The Depends field of one package version from the state's index. */
export async function packageDepends(state: AptState, pkg: PackageRef, signal?: AbortSignal): Promise<string[]> {
  const r = await runChecked(`apt-cache show ${pkg.name}`, 'apt-cache', [...state.options, 'show', `${pkg.name}=${pkg.version}`], { signal });
  const stanza = r.stdout.split(/\n\n/)[0] ?? '';
  const m = /^Depends:\s*(.*(?:\n\s.*)*)/m.exec(stanza);
  return m?.[1] ? dependsNames(m[1].replace(/\n\s*/g, ' ')) : [];
}

export interface SuiteRootRequest {
  cacheDir: string;
  /** debootstrap's suite: "trixie", "sid" */
  codename: string;
  /** the archive (URI and keyring) to bootstrap from */
  archive: AptSource;
  packages: readonly string[];
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

/** The directory of a root: <cache>/roots/<codename>-<hash of the package list>. */
export function suiteRootDir(cacheDir: string, codename: string, packages: readonly string[]): string {
  const key = createHash('sha256')
    .update([codename, ...[...packages].sort()].join('\n'))
    .digest('hex')
    .slice(0, 12);
  return path.join(cacheDir, 'roots', `${codename}-${key}`);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * The root for `r`, bootstrapped once (about a minute and 900 MB) and reused
 * while the package list stays the same; older roots of the codename are
 * removed. ConfigError (exit 2) when not root; FailureError with the log's
 * tail when debootstrap fails.
 */
export async function ensureSuiteRoot(r: SuiteRootRequest): Promise<string> {
  const dir = suiteRootDir(r.cacheDir, r.codename, r.packages);
  const want = JSON.stringify({ codename: r.codename, packages: [...r.packages].sort() });
  if ((await readFile(path.join(dir, DONE), 'utf8').catch(() => '')) === want) return dir;
  if (!isRoot()) {
    throw new ConfigError(
      `a ${r.codename} kernel is built in a ${r.codename} chroot (its headers want ${r.packages.find((p) => p.startsWith('gcc-')) ?? 'a newer gcc'} and its kbuild a newer glibc than this host has); ` +
        'creating one (debootstrap) and entering it (chroot) needs root: run as root, or on a host of that release',
    );
  }
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const keyring = r.archive.signedBy !== undefined && r.archive.signedBy.startsWith('/') ? [`--keyring=${r.archive.signedBy}`] : [];
  r.log?.(`debootstrap ${r.codename} (${r.packages.length} packages) into ${dir}`);
  const logFile = path.join(parent, `${path.basename(dir)}.log`);
  try {
    await runChecked(
      `debootstrap of a ${r.codename} build root`,
      'debootstrap',
      ['--variant=minbase', '--components=main', ...keyring, `--include=${[...r.packages].sort().join(',')}`, r.codename, tmp, r.archive.uri],
      { signal: r.signal, logFile, tail: 20 },
    );
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await writeFile(path.join(tmp, DONE), want);
  for (const e of await readdir(parent)) {
    if (e.startsWith(`${r.codename}-`) && !e.endsWith('.log') && path.join(parent, e) !== tmp) await rm(path.join(parent, e), { recursive: true, force: true });
  }
  await rename(tmp, dir);
  return dir;
}

/**
 * `unshare` arguments that run `argv` chrooted in `root` with /proc mounted
 * (Linux 7's objtool reads it) and each of `binds` (absolute host
 * directories) bind-mounted at the same path inside. The mount namespace is
 * private: the mounts end with the process.
 */
export function chrootArgs(root: string, binds: readonly string[], argv: readonly string[]): string[] {
  const script = 'r=$1; shift; mount -t proc proc "$r/proc"; while [ "$1" != -- ]; do mkdir -p "$r$1"; mount --rbind "$1" "$r$1"; shift; done; shift; exec chroot "$r" "$@"';
  return ['--mount', '--propagation', 'private', '--', 'sh', '-euc', script, 'sh', root, ...binds, '--', ...argv];
}

/** The smallest set of directories covering `dirs` (a directory below another is dropped). */
export function bindSet(dirs: readonly string[]): string[] {
  const norm = [...new Set(dirs.map((d) => path.resolve(d)))].sort();
  return norm.filter((d) => !norm.some((o) => o !== d && d.startsWith(`${o}/`)));
}

/** `argv` in the root, failing (FailureError) with the log's tail. */
export async function runInRoot(
  what: string,
  root: string,
  binds: readonly string[],
  argv: readonly string[],
  o: { logFile: string; signal?: AbortSignal; tail?: number; env?: Record<string, string>; onLine?: (line: string) => void },
): Promise<{ all: string }> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) throw new FailureError(`${what}: empty command`);
  const r = await runChecked(what, 'unshare', chrootArgs(root, bindSet(binds), [cmd, ...rest]), o);
  return { all: r.all };
}
