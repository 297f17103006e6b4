/**
 * A private apt state per Debian architecture under the cache directory:
 * the host's Debian archive sources, its own lists/cache/status, never
 * touching /etc/apt or /var/lib/apt. Used to resolve, download and unpack
 * kernels, headers and busybox for any architecture.
 */
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DebianArch } from './arch.ts';
import { createHash } from 'node:crypto';
import { privateSources, readHostSources, renderDeb822 } from './aptsources.ts';
import { bootPockets, knownCodenames } from './suites.ts';
import { ConfigError, FailureError } from '../core/errors.ts';
import { run, runChecked, tailLines } from '../core/exec.ts';
import { sha256File } from '../core/manifest.ts';

export interface AptState {
  debArch: DebianArch;
  dir: string;
  options: string[];
  /** true once `apt-get update` ran in this process */
  updated: boolean;
  /** warnings from the last update (a failed index, ...) */
  warnings: string[];
  /** hash of the sources, written into the freshness stamp */
  sourcesHash?: string;
}

export interface MadisonEntry {
  name: string;
  version: string;
  /** "http://… bookworm-security/main arm64 Packages" */
  origin: string;
}

export interface PackageRef {
  name: string;
  version: string;
}

export function aptStateOptions(dir: string, debArch: string, isRoot: boolean): string[] {
  const o = (k: string, v: string): string[] => ['-o', `${k}=${v}`];
  return [
    ...o('Dir::Etc::sourcelist', path.join(dir, 'sources.list')),
    ...o('Dir::Etc::sourceparts', path.join(dir, 'sources.list.d')),
    ...o('Dir::Etc::preferences', path.join(dir, 'preferences')),
    ...o('Dir::Etc::preferencesparts', path.join(dir, 'preferences.d')),
    ...o('Dir::State', path.join(dir, 'state')),
    ...o('Dir::State::lists', path.join(dir, 'lists')),
    ...o('Dir::State::status', path.join(dir, 'status')),
    ...o('Dir::State::extended_states', path.join(dir, 'state', 'extended_states')),
    ...o('Dir::Cache', path.join(dir, 'cache')),
    ...o('Dir::Cache::archives', path.join(dir, 'cache', 'archives')),
    // the parsed-index caches, named: a host config may turn them off (Docker
    // images' docker-clean sets them to ""), and then every apt-cache call
    // parses all four suites' indexes again (about 4 s instead of 0.04 s)
    ...o('Dir::Cache::pkgcache', path.join(dir, 'cache', 'pkgcache.bin')),
    ...o('Dir::Cache::srcpkgcache', path.join(dir, 'cache', 'srcpkgcache.bin')),
    ...o('Dir::Log', path.join(dir, 'log')),
    ...o('APT::Architecture', debArch),
    ...o('APT::Architectures::', debArch),
    ...o('Acquire::Languages', 'none'),
    ...o('Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled', 'false'),
    ...o('APT::Get::List-Cleanup', 'true'),
    ...(isRoot ? o('APT::Sandbox::User', 'root') : []),
  ];
}

/** `apt-cache madison` lines: " name | version | origin". */
export function parseMadison(text: string): MadisonEntry[] {
  const out: MadisonEntry[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const parts = line.split('|').map((p) => p.trim());
    if (parts.length < 3) continue;
    const [name, version, origin] = parts as [string, string, string];
    if (!/^[a-z0-9][a-z0-9+.-]*$/.test(name) || !/^[0-9]/.test(version)) continue;
    const key = `${name} ${version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name, version, origin });
  }
  return out;
}

/** Debian's .deb file name: name_version_arch.deb, with the epoch colon escaped as %3a. */
export function debFilePrefix(name: string, version: string): string {
  return `${name}_${version.replace(/:/g, '%3a')}_`;
}

/** Warnings worth showing from `apt-get update` output. */
export function updateProblems(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(E|W|Err):/.test(l) && !/unsandboxed/.test(l));
}

const UPDATE_STAMP = '.atemsys-updated';

export interface OpenOptions {
  cacheDir: string;
  debArch: DebianArch;
  etcApt?: string;
  /** re-run apt-get update when the last one is older than this (hours) */
  maxAgeHours?: number;
  force?: boolean;
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

export async function openAptState(o: OpenOptions): Promise<AptState> {
  const dir = path.join(o.cacheDir, 'apt', o.debArch);
  for (const d of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d', 'state', 'log']) {
    await mkdir(path.join(dir, d), { recursive: true });
  }
  const sources = privateSources(await readHostSources(o.etcApt), knownCodenames(), bootPockets(), "the boot kernels' suites");
  if (!sources) {
    throw new ConfigError(
      `no Debian archive entry (${knownCodenames().join(', ')}) in ${o.etcApt ?? '/etc/apt'}/sources.list{,.d/*.list,.d/*.sources}: ` +
        'the private apt state takes the archive URI from there (add the Debian archive to the host apt sources)',
    );
  }
  const text = renderDeb822(sources);
  await writeFile(path.join(dir, 'sources.list'), '');
  await writeFile(path.join(dir, 'sources.list.d', 'debian.sources'), text);
  await writeFile(path.join(dir, 'status'), '');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const state: AptState = { debArch: o.debArch, dir, options: aptStateOptions(dir, o.debArch, isRoot), updated: false, warnings: [] };

  // the stamp holds the hash of the sources it was made with: new suites mean a new update
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const stamp = path.join(dir, 'lists', UPDATE_STAMP);
  const stampAge = await readFile(stamp, 'utf8').then(
    async (t) => (t.includes(hash) ? (Date.now() - (await stat(stamp)).mtimeMs) / 3_600_000 : Infinity),
    () => Infinity,
  );
  state.sourcesHash = hash;
  const maxAge = o.maxAgeHours ?? 24;
  if (o.force || stampAge > maxAge) await updateAptState(state, o.signal, o.log);
  return state;
}

/**
 * apt-get update on the private state. A failing index (exit 100, e.g. a
 * foreign-arch index mid-sync on the mirror) is a warning: resolution later
 * fails with a clear message if the packages really are missing.
 */
export async function updateAptState(state: AptState, signal?: AbortSignal, log?: (msg: string) => void): Promise<void> {
  const logFile = path.join(state.dir, 'log', 'update.log');
  const r = await run('apt-get', [...state.options, '-q', 'update'], { signal, logFile });
  state.updated = true;
  state.warnings = updateProblems(r.all);
  if (r.exitCode !== 0) {
    const haveLists = (await readdir(path.join(state.dir, 'lists'))).some((f) => f.endsWith('Packages') || f.includes('Packages.'));
    if (!haveLists) {
      throw new FailureError(`apt-get update (${state.debArch}) failed with exit ${r.exitCode} and no package index is available:\n` + `${tailLines(r.all, 20).join('\n')}\n(full log: ${logFile})`);
    }
    const msg = `apt-get update (${state.debArch}) exited ${r.exitCode}; continuing with the indexes that did download. ${state.warnings.slice(0, 4).join(' | ')}`;
    log?.(msg);
    state.warnings.unshift(msg);
    // no freshness stamp: the next run tries again instead of keeping a partial index for a day
    await rm(path.join(state.dir, 'lists', UPDATE_STAMP), { force: true });
    return;
  }
  for (const w of state.warnings) log?.(`apt (${state.debArch}): ${w}`);
  const stamp = path.join(state.dir, 'lists', UPDATE_STAMP);
  await writeFile(stamp, `${new Date().toISOString()} ${state.sourcesHash ?? ''}\n`);
  const now = new Date();
  await utimes(stamp, now, now);
}

/** Names known to the state that start with `prefix`. */
export async function pkgnames(state: AptState, prefix: string, signal?: AbortSignal): Promise<string[]> {
  const r = await runChecked('apt-cache pkgnames', 'apt-cache', [...state.options, 'pkgnames', prefix], { signal });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

export async function madison(state: AptState, names: readonly string[], signal?: AbortSignal): Promise<MadisonEntry[]> {
  if (names.length === 0) return [];
  // madison exits 0 even when some names are unknown
  const r = await run('apt-cache', [...state.options, 'madison', ...names], { signal });
  if (r.exitCode !== 0) throw new FailureError(`apt-cache madison failed: ${tailLines(r.all, 10).join('\n')}`);
  return parseMadison(r.stdout);
}

export async function findCachedDeb(dir: string, pkg: PackageRef): Promise<string | undefined> {
  const prefix = debFilePrefix(pkg.name, pkg.version);
  const files = await readdir(dir).catch(() => [] as string[]);
  const hit = files.find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
  return hit === undefined ? undefined : path.join(dir, hit);
}

/** The SHA256 fields of `apt-cache show` output (one per stanza). */
export function parseShowSha256(text: string): string[] {
  return [...text.matchAll(/^SHA256:\s*([0-9a-f]{64})\s*$/gm)].map((m) => m[1] as string);
}

/** The sha256 the index gives for name=version, or undefined when the index no longer has it. */
export async function indexSha256(state: AptState, pkg: PackageRef, signal?: AbortSignal): Promise<string | undefined> {
  const r = await run('apt-cache', [...state.options, 'show', `${pkg.name}=${pkg.version}`], { signal });
  return r.exitCode === 0 ? parseShowSha256(r.stdout)[0] : undefined;
}

/** `<deb>.verified`: size and mtime of a .deb whose sha256 matched the index. */
function verifiedStamp(deb: string): string {
  return `${deb}.verified`;
}

async function stampOf(deb: string): Promise<string | undefined> {
  const s = await stat(deb).catch(() => undefined);
  return s ? `${s.size} ${Math.trunc(s.mtimeMs)}\n` : undefined;
}

/** Was this file verified as it is now (same size and mtime)? */
async function stillVerified(deb: string): Promise<boolean> {
  const want = await stampOf(deb);
  return want !== undefined && (await readFile(verifiedStamp(deb), 'utf8').catch(() => '')) === want;
}

async function markVerified(deb: string): Promise<void> {
  const s = await stampOf(deb);
  if (s) await writeFile(verifiedStamp(deb), s);
}

/**
 * `apt-get download name=version` into `destDir`, unless a file of that
 * name and version is already there whose sha256 is the index's (a cached
 * file the index no longer lists is trusted). A corrupt cached file is
 * deleted and fetched again: `corrupt` says why. apt-get download checks
 * what it fetches against the index itself. A file checked once is not
 * hashed again while its size and mtime stay (`<deb>.verified`): a torn
 * or replaced file is caught, silent bit rot in place is not.
 */
export async function downloadDeb(state: AptState, pkg: PackageRef, destDir: string, signal?: AbortSignal): Promise<{ file: string; downloaded: boolean; corrupt?: string }> {
  await mkdir(destDir, { recursive: true });
  const cached = await findCachedDeb(destDir, pkg);
  let corrupt: string | undefined;
  if (cached) {
    if (await stillVerified(cached)) return { file: cached, downloaded: false };
    const want = await indexSha256(state, pkg, signal);
    const got = want === undefined ? undefined : await sha256File(cached);
    if (want === undefined || got === want) {
      if (want !== undefined) await markVerified(cached);
      return { file: cached, downloaded: false };
    }
    corrupt = `${path.basename(cached)}: sha256 ${got?.slice(0, 12) ?? '?'}…, the index says ${want.slice(0, 12)}…`;
    await rm(cached, { force: true });
    await rm(verifiedStamp(cached), { force: true });
  }
  const tmp = path.join(destDir, `.tmp-${process.pid}-${pkg.name}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await runChecked(`download of ${pkg.name}=${pkg.version} (${state.debArch})`, 'apt-get', [...state.options, '-q', 'download', `${pkg.name}=${pkg.version}`], {
      cwd: tmp,
      signal,
      logFile: path.join(state.dir, 'log', 'download.log'),
      append: true,
      tail: 15,
    });
    const got = await findCachedDeb(tmp, pkg);
    if (!got) throw new FailureError(`apt-get download ${pkg.name}=${pkg.version} produced no .deb in ${tmp}`);
    const final = path.join(destDir, path.basename(got));
    await rename(got, final);
    await markVerified(final);
    return { file: final, downloaded: true, ...(corrupt ? { corrupt } : {}) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function extractDeb(deb: string, dir: string, signal?: AbortSignal): Promise<void> {
  await mkdir(dir, { recursive: true });
  await runChecked(`dpkg -x ${path.basename(deb)}`, 'dpkg', ['-x', deb, dir], { signal, tail: 15 });
}
