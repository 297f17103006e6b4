/**
 * Kernel sources for the compile matrix (kernel/matrix.ts): Debian's
 * `linux-source-<series>` of several suites through one private apt state
 * (the host's Debian mirror, the matrix's suites, no change to /etc/apt),
 * unpacked once per package version and prepared once per architecture
 * (`modules_prepare`) under the cache directory, then the module built
 * against each with `W=1` and sparse. A kernel whose checker test
 * (scripts/checker-valid.sh) the host's sparse fails gets a sparse built
 * from sid's Debian source package. Everything is keyed by version and
 * recipe, so a second run only builds the module.
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { archInfo, buildHostDebianArch, defconfigOf, wordSizeFlag, type Arch, type DebianArch } from '../debian/arch.ts';
import { aptStateOptions, downloadDeb, extractDeb, madison, pkgnames, updateAptState, type AptState } from '../debian/apt.ts';
import { archiveSource, debianArchiveBase, readHostSources, renderDeb822 } from '../debian/aptsources.ts';
import { knownCodenames, newestSuite } from '../debian/suites.ts';
import { copySources, moduleWarnings } from './buildlog.ts';
import { markUsed, onceInCache, removeUnused } from '../core/cachelock.ts';
import { ConfigError, FailureError } from '../core/errors.ts';
import { run, runChecked } from '../core/exec.ts';
import { MATRIX_ENABLE, MATRIX_SUITES, MATRIX_UNPACK_EXCLUDE, missingObjects, newestSourceSeries, sourcePackage, versionInSuite, type MatrixCell, type MatrixSuite } from './matrix.ts';

type Log = (msg: string) => void;

const UPDATE_STAMP = '.atemsys-updated';
const DONE = '.atemsys-done';

/**
 * The private apt state of the matrix: the Debian archive URI of the
 * host's Debian archive entry (whatever release the host runs), with the matrix's suites, binary and source
 * packages (sparse is built from source). Updated when older than a day.
 */
export async function openSourceState(cacheDir: string, signal?: AbortSignal, log?: Log, etcApt?: string): Promise<AptState> {
  const dir = path.join(cacheDir, 'apt', 'sources');
  for (const d of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d', 'state', 'log']) {
    await mkdir(path.join(dir, d), { recursive: true });
  }
  const archive = debianArchiveBase(await readHostSources(etcApt), knownCodenames());
  if (!archive) {
    throw new ConfigError(`no Debian archive entry in ${etcApt ?? '/etc/apt'}: the compile matrix takes its mirror from there (add the Debian archive to the host apt sources)`);
  }
  const src = archiveSource(
    archive,
    MATRIX_SUITES.map((s) => s.suite),
    "the matrix's suites",
  );
  await writeFile(path.join(dir, 'sources.list'), '');
  await writeFile(path.join(dir, 'sources.list.d', 'debian.sources'), renderDeb822([src], ['deb', 'deb-src']));
  await writeFile(path.join(dir, 'status'), '');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const host: DebianArch = buildHostDebianArch();
  const state: AptState = { debArch: host, dir, options: aptStateOptions(dir, host, isRoot), updated: false, warnings: [] };
  const age = await stat(path.join(dir, 'lists', UPDATE_STAMP)).then(
    (s) => (Date.now() - s.mtimeMs) / 3_600_000,
    () => Infinity,
  );
  if (age > 24 || process.env.ATEMSYS_APT_REFRESH === '1') await updateAptState(state, signal, log);
  return state;
}

export interface ResolvedSource extends MatrixSuite {
  /** the series, "newest" resolved */
  series: string;
  package: string;
  version: string;
}

/** The linux-source package and version of each suite (sid: its newest series). */
export async function resolveSources(state: AptState, suites: readonly MatrixSuite[], signal?: AbortSignal): Promise<ResolvedSource[]> {
  const out: ResolvedSource[] = [];
  for (const s of suites) {
    let series = s.series;
    if (series === 'newest') {
      const names = await pkgnames(state, 'linux-source-', signal);
      const inSuite: string[] = [];
      for (const e of await madison(state, names, signal)) if (versionInSuite([e], e.name, s.suite)) inSuite.push(e.name);
      const newest = newestSourceSeries(inSuite);
      if (newest === undefined) throw new FailureError(`${s.suite} has no linux-source-X.Y package (apt state ${state.dir})`);
      series = newest;
    }
    const pkg = sourcePackage(series);
    const version = versionInSuite(await madison(state, [pkg], signal), pkg, s.suite);
    if (version === undefined) throw new FailureError(`${s.suite} has no ${pkg} (apt state ${state.dir}; run with ATEMSYS_APT_REFRESH=1 to update it)`);
    out.push({ ...s, series, package: pkg, version });
  }
  return out;
}

async function done(dir: string, recipe: string): Promise<boolean> {
  return readFile(path.join(dir, DONE), 'utf8').then(
    (t) => t === recipe,
    () => false,
  );
}

/** The unpacked source tree of `r` (downloaded and unpacked once per version). */
export async function sourceTree(state: AptState, cacheDir: string, r: ResolvedSource, signal?: AbortSignal, log?: Log): Promise<string> {
  const base = path.join(cacheDir, 'ksrc');
  const top = path.join(base, `${r.package}_${r.version}`);
  const tree = path.join(top, r.package);
  const recipe = `${r.version} ${MATRIX_UNPACK_EXCLUDE.join(' ')}`;
  await markUsed(path.join(top, DONE));
  await onceInCache(
    cacheDir,
    `ksrc-${r.package}`,
    `unpacking ${r.package} ${r.version}`,
    () => done(top, recipe),
    () => unpackSource(state, cacheDir, r, top, recipe, signal, log),
    { signal, ...(log ? { log } : {}) },
  );
  return tree;
}

async function unpackSource(state: AptState, cacheDir: string, r: ResolvedSource, top: string, recipe: string, signal?: AbortSignal, log?: Log): Promise<void> {
  const base = path.dirname(top);
  // older versions of the same series are not needed any more, once no run uses them
  const others = (await readdir(base).catch(() => [] as string[])).filter((e) => e.startsWith(`${r.package}_`)).map((e) => path.join(base, e));
  await removeUnused(
    others.filter((d) => d !== top),
    DONE,
  );
  await rm(top, { recursive: true, force: true });
  log?.(`download ${r.package} ${r.version}`);
  const { file } = await downloadDeb(state, { name: r.package, version: r.version }, path.join(cacheDir, 'debs', 'sources'), signal);
  const x = path.join(top, 'deb');
  await extractDeb(file, x, signal);
  const tarball = (await readdir(path.join(x, 'usr', 'src'))).find((f) => f.startsWith(`${r.package}.tar`));
  if (!tarball) throw new FailureError(`${path.basename(file)} has no usr/src/${r.package}.tar.*`);
  log?.(`unpack ${tarball}`);
  await runChecked(`unpacking ${tarball}`, 'tar', ['-xf', path.join(x, 'usr', 'src', tarball), '-C', top, '--wildcards', ...MATRIX_UNPACK_EXCLUDE.map((p) => `--exclude=${p}`)], {
    signal,
    tail: 10,
  });
  await rm(x, { recursive: true, force: true });
  await rm(file, { force: true });
  await writeFile(path.join(top, DONE), recipe);
}

/** kbuild's ARCH and CROSS_COMPILE for a matrix architecture. */
export function kbuildVars(arch: Arch): string[] {
  const a = archInfo(arch);
  return [`ARCH=${a.kernelArch}`, `CROSS_COMPILE=${a.crossCompile}`];
}

/** What a prepared tree was prepared with: a new recipe prepares again. */
export function prepareRecipe(arch: Arch, version: string): string {
  return [version, defconfigOf(arch), ...MATRIX_ENABLE, ...kbuildVars(arch), ...MATRIX_UNPACK_EXCLUDE].join(' ');
}

/** `<defconfig>` + MATRIX_ENABLE + `modules_prepare` in its own output directory (once per recipe). */
export async function prepareTree(tree: string, cacheDir: string, r: ResolvedSource, arch: Arch, signal?: AbortSignal, log?: Log): Promise<string> {
  const out = path.join(cacheDir, 'kprep', `${r.package}_${r.version}-${arch}`);
  // the O= tree names its source and itself by absolute path: a moved cache prepares again
  const recipe = `${prepareRecipe(arch, r.version)} ${tree} ${out}`;
  const prepare = (): Promise<void> => prepareInto(out, tree, r, arch, recipe, signal, log);
  await onceInCache(cacheDir, `kprep-${r.package}-${arch}`, `preparing ${r.package} ${r.version} for ${arch}`, () => done(out, recipe), prepare, { signal, ...(log ? { log } : {}) });
  return out;
}

async function prepareInto(out: string, tree: string, r: ResolvedSource, arch: Arch, recipe: string, signal?: AbortSignal, log?: Log): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const logFile = path.join(out, 'prepare.log');
  const make = (what: string, ...args: string[]): Promise<unknown> => runChecked(what, 'make', ['-C', tree, `O=${out}`, ...kbuildVars(arch), ...args], { signal, logFile, append: true, tail: 30 });
  const defconfig = defconfigOf(arch);
  log?.(`${defconfig} + ${MATRIX_ENABLE.join(', ')}`);
  await make(defconfig, defconfig);
  await runChecked('scripts/config', path.join(tree, 'scripts', 'config'), ['--file', path.join(out, '.config'), ...MATRIX_ENABLE.flatMap((o) => ['--enable', o])], { signal, logFile, append: true });
  await make('olddefconfig', 'olddefconfig');
  const config = await readFile(path.join(out, '.config'), 'utf8');
  const off = MATRIX_ENABLE.filter((o) => !new RegExp(`^CONFIG_${o}=[ym]$`, 'm').test(config));
  if (off.length > 0) throw new FailureError(`${r.package} ${arch}: olddefconfig turned ${off.map((o) => `CONFIG_${o}`).join(', ')} off again (log: ${logFile})`);
  log?.('modules_prepare');
  await make('modules_prepare', `-j${os.availableParallelism()}`, 'modules_prepare');
  await writeFile(path.join(out, DONE), recipe);
}

/** sparse's flags as the kernel's Makefile gives them (for scripts/checker-valid.sh). */
export function checkFlags(arch: Arch): string[] {
  const a = archInfo(arch);
  return [`--arch=${a.kernelArch}`, '-mlittle-endian', wordSizeFlag(arch)];
}

/** Does the kernel take this sparse? Trees without scripts/checker-valid.sh take any. */
async function checkerValid(tree: string, sparse: string, arch: Arch, signal?: AbortSignal): Promise<boolean> {
  const script = path.join(tree, 'scripts', 'checker-valid.sh');
  if (
    !(await stat(script).then(
      () => true,
      () => false,
    ))
  )
    return true;
  const r = await run('sh', [script, sparse, ...checkFlags(arch)], { signal });
  return r.stdout.trim() === '1';
}

/** The newest suite's (sid's) sparse, built from its Debian source package once (C frontend only). */
export async function buildSparse(state: AptState, cacheDir: string, signal?: AbortSignal, log?: Log): Promise<string> {
  const newest = newestSuite().name;
  const version = versionInSuite(await madison(state, ['sparse'], signal), 'sparse', newest);
  if (version === undefined) throw new FailureError(`${newest} has no sparse source package (apt state ${state.dir})`);
  const dir = path.join(cacheDir, 'tools', `sparse_${version}`);
  const bin = path.join(dir, 'sparse');
  await onceInCache(
    cacheDir,
    'sparse',
    `building sparse ${version}`,
    () => done(dir, version),
    () => makeSparse(state, dir, version, signal, log),
    { signal, ...(log ? { log } : {}) },
  );
  return bin;
}

async function makeSparse(state: AptState, dir: string, version: string, signal?: AbortSignal, log?: Log): Promise<void> {
  const bin = path.join(dir, 'sparse');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const logFile = path.join(dir, 'build.log');
  log?.(`building sparse ${version} from Debian's source (the host's is too old for this kernel)`);
  await runChecked('apt-get source sparse', 'apt-get', [...state.options, '-q', 'source', '--download-only', `sparse=${version}`], { cwd: dir, signal, logFile, append: true, tail: 15 });
  const dsc = (await readdir(dir)).find((f) => f.endsWith('.dsc'));
  if (!dsc) throw new FailureError(`apt-get source sparse=${version} gave no .dsc in ${dir}`);
  await runChecked('dpkg-source -x', 'dpkg-source', ['-x', dsc, 'src'], { cwd: dir, signal, logFile, append: true, tail: 15 });
  await runChecked('make sparse', 'make', [`-j${os.availableParallelism()}`, 'CC=gcc', 'HAVE_LIBXML=no', 'HAVE_GTK=no', 'HAVE_LLVM=no', 'HAVE_SQLITE=no', 'sparse'], {
    cwd: path.join(dir, 'src'),
    signal,
    logFile,
    append: true,
    tail: 20,
  });
  await runChecked('install sparse', 'cp', [path.join(dir, 'src', 'sparse'), bin], { signal });
  await writeFile(path.join(dir, DONE), version);
}

/** The sparse to check this tree with: the host's, or sid's when the kernel refuses the host's. */
export async function checkerFor(tree: string, arch: Arch, state: AptState, cacheDir: string, signal?: AbortSignal, log?: Log): Promise<{ check: string; label: string }> {
  if (await checkerValid(tree, 'sparse', arch, signal)) return { check: 'sparse', label: 'sparse (host)' };
  const built = await buildSparse(state, cacheDir, signal, log);
  if (!(await checkerValid(tree, built, arch, signal))) throw new FailureError(`${tree}: neither the host's sparse nor ${built} passes the kernel's scripts/checker-valid.sh`);
  return { check: built, label: `sparse (${path.basename(path.dirname(built))})` };
}

/** The module built W=1 + sparse against a prepared tree: its warnings, every object there. */
export async function buildCell(o: { srcKernel: string; prepared: string; arch: Arch; check: string; work: string; signal?: AbortSignal }): Promise<{ warnings: string[]; error?: string }> {
  const src = path.join(o.work, 'src-kernel');
  await copySources(o.srcKernel, src);
  const logFile = path.join(o.work, 'build.log');
  const r = await run('make', ['-C', o.prepared, `M=${src}`, ...kbuildVars(o.arch), 'W=1', 'C=2', `CHECK=${o.check}`, 'KBUILD_MODPOST_WARN=1', `-j${os.availableParallelism()}`, 'modules'], {
    signal: o.signal,
    logFile,
  });
  const warnings = moduleWarnings(r.all, src);
  if (r.exitCode !== 0) return { warnings, error: `make exited ${r.exitCode} (log: ${logFile})` };
  const missing = missingObjects(await readdir(src));
  if (missing.length > 0) return { warnings, error: `not built: ${missing.join(', ')} (a config option the matrix enables is off? log: ${logFile})` };
  return { warnings };
}

/** A cell's record from a build result. Pure. */
export function cellOf(r: ResolvedSource, arch: Arch, result: { warnings: string[]; error?: string }, checker: string, durationMs: number): MatrixCell {
  const c: MatrixCell = {
    suite: r.suite,
    label: r.label,
    series: r.series,
    version: r.version,
    arch,
    status: result.error !== undefined ? 'failed' : result.warnings.length > 0 ? 'warnings' : 'clean',
    warnings: result.warnings,
    checker,
    durationMs,
  };
  if (result.error !== undefined) c.error = result.error;
  return c;
}
