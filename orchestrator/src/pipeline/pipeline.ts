/**
 * The steps for one board × kernel — resolve, fetch, build, package, boot —
 * as listr2 tasks sharing a job object.
 */
import { appendFile, copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ListrTask } from 'listr2';
import { archInfo, buildHostTriplet, type ArchInfo, type DebianArch } from '../debian/arch.ts';
import { downloadDeb, extractDeb, madison, openAptState, type AptState } from '../debian/apt.ts';
import { newestVersion } from '../debian/debversion.ts';
import { debianArchiveBase, readHostSources } from '../debian/aptsources.ts';
import { buildHostSim, buildModule, type BuildRoot, buildSelftests, buildUserTools, copySources, newestMtime, refuseModuleWarnings } from '../kernel/buildlog.ts';
import { COMPAT32_SELFTEST, MANIFEST, artifactNames, bundleName, missingArtifacts, oldestArtifactMtime, outputDir, writeBundle } from '../packaging/bundle.ts';
import { ConfigError, FailureError, InterruptedError } from '../core/errors.ts';
import { STOCK_DTB, buildDeviceTree, profileOverlays, type DtBuild } from '../devicetree/devicetree.ts';
import { formatCommand, run } from '../core/exec.ts';
import { readGuestModule, resolveGuestModules, resolveOnDemandModules, type GuestModules } from '../kernel/guestmods.ts';
import { initScript, writeInitramfs } from '../guest/initramfs.ts';
import { busyboxVersion, fetchBusybox, fetchKernel, resolveFromIndex, unpackKernel, type Busybox, type FetchStats, type KernelContext, type KernelTree } from '../kernel/kernel.ts';
import type { ResolvedKernel } from '../debian/kernelpkgs.ts';
import { parseKtap } from '../report/ktap.ts';
import { artifactInfo, buildManifest, gitInfo, renderManifest, sha256File, toolVersion, writeFileAtomic, type Manifest, type ManifestDt } from '../core/manifest.ts';
import { bootDtb, dtArtifactNames, dtArtifacts, type DtArtifacts } from '../devicetree/overlay.ts';
import { displayPath, type Paths } from '../core/paths.ts';
import { overlayLines, qemuOverlayFor, selftestArgsFor, slowdownOf, type KernelSpec, type Profile } from '../profile/profile.ts';
import { onDemandFile } from '../kernel/moddeps.ts';
import { hotplugSlots } from '../guest/hotplug.ts';
import { HostSim, freeUdpPorts, type DgramPorts, type HostSimResult } from '../guest/hostsim.ts';
import { parseQemuOpts } from '../guest/netdev.ts';
import { HotplugHost, makeQmpDir } from '../guest/qmp.ts';
import { pcapFile, qemuArgs } from '../guest/qemu.ts';
import { summarizeRun, type RunSummary } from '../report/results.ts';
import { GUEST_STALL, RCU_SELF_STALL, emulatorAssertion, runGuest, spawnProcess, type GuestRun } from '../guest/runner.ts';
import { defaultSuite, hostSuite, inSuite, knownCodenames, needsBuildRoot, suiteByName, type DebianSuite } from '../debian/suites.ts';
import { ensureSuiteRoot, kernelCompiler, packageDepends, rootPackages } from '../debian/suiteroot.ts';
import { resolveOwnKernel, type OwnKernel, type OwnKernelInput } from '../kernel/ownkernel.ts';
import { junitXml } from '../report/junit.ts';
import {
  aptListsIdentity,
  cachedJson,
  damagedSteps,
  dropRecord,
  fileStamps,
  planSteps,
  readRecord,
  recordTime,
  stepKeys,
  touchRecord,
  writeRecord,
  changedInputs,
  type BuildRecord,
  type Fingerprints,
  type Step,
  type StepKeys,
} from './incremental.ts';
import { buildFingerprints } from './buildinputs.ts';
import { wireConformanceTest } from '../report/tshark.ts';

export interface Env {
  paths: Paths;
  signal: AbortSignal;
  host: DebianArch;
  apt: AptStates;
  orchestratorVersion: string;
  /** build every step even when its inputs did not change (--rebuild) */
  rebuild?: boolean;
}

/** One private apt state per Debian arch, opened (and updated if stale) once per process. */
export class AptStates {
  private readonly states = new Map<DebianArch, Promise<AptState>>();
  constructor(
    private readonly cacheDir: string,
    private readonly signal: AbortSignal,
  ) {}

  get(debArch: DebianArch, log?: (msg: string) => void): Promise<AptState> {
    let p = this.states.get(debArch);
    if (!p) {
      const opts = { cacheDir: this.cacheDir, debArch, signal: this.signal, force: process.env.ATEMSYS_APT_REFRESH === '1' };
      p = openAptState(log ? { ...opts, log } : opts);
      p.catch(() => this.states.delete(debArch));
      this.states.set(debArch, p);
    }
    return p;
  }
}

export interface Timings {
  resolveMs?: number;
  fetchMs?: number;
  buildMs?: number;
  packageMs?: number;
  bootMs?: number;
}

export interface KernelJob {
  profile: Profile;
  spec: KernelSpec;
  arch: ArchInfo;
  resolved?: ResolvedKernel;
  /** out/<board>/<release> */
  dir?: string;
  upToDate?: boolean;
  tree?: KernelTree;
  busybox?: Busybox;
  stats: FetchStats;
  ko?: string;
  vermagic?: string;
  selftest?: string;
  selftest32?: string;
  /** the static userspace tools (src-kernel/tools) */
  ecat?: string;
  bench?: string;
  /** device-tree boards: the overlay and patched DTB */
  dt?: DtBuild;
  /** the chroot the module was built in (kernels newer than the host) */
  buildRoot?: BuildRoot;
  /** modules loaded before atemsys in the guest */
  guestModules?: GuestModules;
  manifest?: Manifest;
  bundle?: string;
  timings: Timings;
  summary?: RunSummary;
  guest?: GuestRun;
  /** the steps this build runs (pipeline/incremental.ts); undefined: all */
  plan?: Step[];
  /** the input keys of this build's steps, recorded when it completes */
  keys?: StepKeys;
  /** the input digests the keys were made from */
  inputs?: Fingerprints;
  /** what the last complete build of job.dir recorded */
  record?: BuildRecord;
  /** busybox-static's version, from the resolution */
  busyboxVersion?: string;
}

export function newJob(profile: Profile, spec: KernelSpec, host: DebianArch): KernelJob {
  return { profile, spec, arch: archInfo(profile.arch, host), stats: { downloaded: [], cached: [], corrupt: [] }, timings: {} };
}

export function kernelLabel(spec: KernelSpec): string {
  if (spec.own) return `your kernel (${displayPath(spec.own.build)})`;
  return `${spec.suite} ${spec.series} ${spec.flavour}${spec.version ? ` (${spec.version})` : ''}`;
}

/** The part of a listr2 task wrapper the steps use. */
interface TaskOutput {
  output: string;
}
export type JobTask = ListrTask<KernelJob>;

function checkAbort(env: Env): void {
  if (env.signal.aborted) throw new InterruptedError();
}

async function timed<T>(job: KernelJob, key: keyof Timings, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    job.timings[key] = (job.timings[key] ?? 0) + (Date.now() - t0);
  }
}

async function kernelContext(job: KernelJob, env: Env, task?: TaskOutput): Promise<KernelContext> {
  const log = (msg: string): void => {
    if (task) task.output = msg;
  };
  const target = await env.apt.get(job.arch.debian, log);
  const host = await env.apt.get(env.host, log);
  return { cacheDir: env.paths.cache, target, host, signal: env.signal, log };
}

let hostSuitePromise: Promise<DebianSuite | undefined> | undefined;

/** The host's Debian release, from /etc/os-release (read once). */
export function hostDebianSuite(): Promise<DebianSuite | undefined> {
  hostSuitePromise ??= readFile('/etc/os-release', 'utf8').then(hostSuite, () => undefined);
  return hostSuitePromise;
}

/**
 * Where the module for this kernel is built: undefined for the host, or a
 * chroot of the kernel's suite when it is newer than the host's release
 * (debian/suiteroot.ts), with the compiler its headers name and its kbuild's
 * libraries.
 */
export async function buildRootFor(job: KernelJob, env: Env, log?: (msg: string) => void): Promise<BuildRoot | undefined> {
  const tree = need(job.tree, 'kernel tree');
  // a kernel the user built is built against on the host it was built on
  if (job.spec.own || !needsBuildRoot(job.spec.suite, await hostDebianSuite())) return undefined;
  const suite = suiteByName(job.spec.suite);
  if (!suite) throw new ConfigError(`unknown Debian suite ${job.spec.suite}`);
  const kv = path.join(tree.headersDir, '.kernelvariables');
  const compiler = kernelCompiler(await readFile(kv, 'utf8').catch(() => ''));
  if (!compiler) throw new FailureError(`${kv}: no "CC = … $(CROSS_COMPILE)gcc-N" line: cannot tell which compiler ${tree.release} wants`);
  const host = await env.apt.get(env.host, log);
  const kbuildDeps = await packageDepends(host, tree.resolved.kbuild, env.signal);
  const packages = rootPackages(compiler, kbuildDeps);
  const archive = debianArchiveBase(await readHostSources(), knownCodenames());
  if (!archive) throw new ConfigError('no Debian archive entry in /etc/apt: cannot bootstrap a build root');
  const dir = await ensureSuiteRoot({ cacheDir: env.paths.cache, codename: suite.codename, archive, packages, signal: env.signal, ...(log ? { log } : {}) });
  return { dir, binds: [env.paths.repo, env.paths.cache, env.paths.out] };
}

/**
 * make's environment for a kernel: for 32-bit ARM, LINUX_SOURCE (the
 * kernel's own linux-source-<series> tarball, from its suite) that
 * src-kernel/scripts/cross-modpost.sh builds a target modpost from.
 */
export async function moduleEnv(job: KernelJob, env: Env): Promise<{ env?: Record<string, string> }> {
  // a kernel built for the target has the right modpost (only Debian's headers lack one)
  if (job.arch.kernelArch !== 'arm' || job.spec.own) return {};
  const tree = need(job.tree, 'kernel tree');
  const state = await env.apt.get(job.arch.debian);
  const name = `linux-source-${tree.resolved.series}`;
  const entries = (await madison(state, [name], env.signal)).filter((e) => inSuite(e.origin, job.spec.suite));
  const version = newestVersion(entries.map((e) => e.version));
  if (!version) throw new FailureError(`${job.spec.suite} has no ${name}: the 32-bit ARM modpost is built from it (src-kernel/scripts/cross-modpost.sh)`);
  const dir = path.join(env.paths.cache, 'linux-source-tarballs', `${name}_${version}`);
  const src = path.join(dir, 'usr', 'src');
  let tarball = (await readdir(src).catch(() => [] as string[])).find((f) => f.startsWith(`${name}.tar`));
  if (!tarball) {
    const { file } = await downloadDeb(state, { name, version }, path.join(env.paths.cache, 'debs', 'sources'), env.signal);
    // unpacked beside, renamed into place whole: a run cut short leaves
    // nothing a later run would take for the tarball
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await extractDeb(file, tmp, env.signal);
    if (!(await readdir(path.join(tmp, 'usr', 'src')).catch(() => [] as string[])).some((f) => f.startsWith(`${name}.tar`))) {
      await rm(tmp, { recursive: true, force: true });
      throw new FailureError(`${path.basename(file)} has no usr/src/${name}.tar.*`);
    }
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    tarball = (await readdir(src).catch(() => [] as string[])).find((f) => f.startsWith(`${name}.tar`));
    if (!tarball) throw new FailureError(`${dir}: the unpacked ${name} vanished`);
  }
  return { env: { LINUX_SOURCE: path.join(src, tarball) } };
}

/** A DT board's overlay and DTB file names, undefined for other boards. */
export function profileDtArtifacts(profile: Profile): DtArtifacts | undefined {
  return profile.dt ? dtArtifacts(profile.dt, profile.qemu?.dtOverlay !== undefined) : undefined;
}

/** Artifacts beyond the common ones (manifest, bundle, freshness). */
export function extraArtifacts(profile: Profile): string[] {
  return dtArtifactNames(profileDtArtifacts(profile));
}

/** Sources whose change makes the artifacts stale. */
export function sourceInputs(paths: Paths, profile: Profile): string[] {
  return [paths.srcKernel, profile.file, paths.orchestratorSrc];
}

/** The atemsys-selftest arguments of one job: the board's, its kernel's extra groups and --only, the slowdown's --timeout. */
function jobSelftestArgs(job: KernelJob): string[] {
  return selftestArgsFor(job.profile.selftest.args, job.spec.extraGroups, slowdownOf(job.profile.qemu, job.spec), job.spec.only);
}

/**
 * Whether the sources (module, profile, orchestrator) changed after the
 * build in dir was made or last found up to date (an incremental build that
 * skipped every step renews build/inputs.json), or it has no artifacts.
 */
async function sourcesNewerThan(env: Env, job: KernelJob, dir: string): Promise<boolean> {
  const oldest = await oldestArtifactMtime(dir, job.arch.compat32 !== undefined, extraArtifacts(job.profile));
  return oldest <= 0 || (await newestMtime(sourceInputs(env.paths, job.profile))) > Math.max(oldest, await recordTime(dir));
}

/** The artifacts of a build dir that build/inputs.json stamps: every artifact, the manifest and the bundle. */
function recordedArtifacts(job: KernelJob, release: string): string[] {
  return [...artifactNames(job.arch.compat32 !== undefined, extraArtifacts(job.profile)), MANIFEST, bundleName(job.profile.name, release)];
}

/** The input digests and step keys of a job (pipeline/buildinputs.ts). */
async function jobKeys(job: KernelJob, env: Env): Promise<{ inputs: Fingerprints; keys: StepKeys }> {
  const resolved = need(job.resolved, 'resolved kernel');
  const fp = await buildFingerprints({
    paths: env.paths,
    profile: job.profile,
    spec: job.spec,
    arch: job.arch,
    resolved,
    busybox: need(job.busyboxVersion, 'busybox version'),
    selftestArgs: jobSelftestArgs(job),
    hostSuite: await hostDebianSuite(),
    orchestratorVersion: env.orchestratorVersion,
  });
  return { inputs: fp, keys: stepKeys(fp, job.profile.dt !== undefined) };
}

/** The steps a build must run: those whose inputs changed since the recorded build, or whose artifacts were touched (pipeline/incremental.ts). */
async function planJob(job: KernelJob, env: Env): Promise<void> {
  const dir = need(job.dir, 'output dir');
  const release = need(job.resolved, 'resolved kernel').release;
  const { inputs, keys } = await jobKeys(job, env);
  job.keys = keys;
  job.inputs = inputs;
  const record = await readRecord(dir);
  if (record) job.record = record;
  const names = recordedArtifacts(job, release);
  const damaged = record ? damagedSteps(record, await fileStamps(dir, names), names, extraArtifacts(job.profile)) : undefined;
  job.plan = planSteps(job.keys, record, { rebuild: env.rebuild === true, hasDt: job.profile.dt !== undefined, ...(damaged ? { damaged } : {}) });
}

/** Whether this build runs `step` (all steps without a plan). */
function runs(job: KernelJob, step: Step): boolean {
  return job.plan === undefined || job.plan.includes(step);
}

/**
 * The kernel packages and busybox version a spec resolves to, reused while
 * the private apt lists are the same (their stamp: debian/apt.ts renews
 * them after 24 hours, or with ATEMSYS_APT_REFRESH=1): the same lists give
 * the same answer, and a no-op build need not ask apt-cache again.
 */
async function resolveCached(job: KernelJob, env: Env, ctx: KernelContext): Promise<{ resolved: ResolvedKernel; busybox: string }> {
  const key = JSON.stringify({
    v: 1,
    spec: { suite: job.spec.suite, series: job.spec.series, flavour: job.spec.flavour, version: job.spec.version ?? null },
    target: [ctx.target.debArch, await aptListsIdentity(ctx.target.dir, ctx.target.sourcesHash)],
    host: [ctx.host.debArch, await aptListsIdentity(ctx.host.dir, ctx.host.sourcesHash)],
  });
  return cachedJson(path.join(env.paths.cache, 'resolved'), key, async () => ({ resolved: await resolveFromIndex(job.spec, ctx), busybox: await busyboxVersion(ctx, job.spec.suite) }));
}

/** A resolved-kernel record for a kernel the user built (no Debian packages behind it). */
export function ownResolved(release: string): ResolvedKernel {
  const none = { name: 'own', version: '' };
  return {
    suite: 'own',
    series: /^(\d+\.\d+)/.exec(release)?.[1] ?? release,
    flavour: 'own',
    abi: release,
    release,
    version: 'own build',
    image: none,
    headers: none,
    common: none,
    kbuild: none,
    parts: [],
  };
}

async function resolveOwn(job: KernelJob, env: Env, own: OwnKernelInput): Promise<OwnKernel> {
  return resolveOwnKernel(own, job.arch, job.profile.dt?.base, (release) => path.join(outputDir(env.paths.out, job.profile.name, release), 'own'), env.signal);
}

export function resolveTask(env: Env, opts: { checkFresh: boolean }): JobTask {
  return {
    title: 'resolve the kernel',
    task: async (job, task) => {
      checkAbort(env);
      const own = job.spec.own;
      if (own) {
        const k = await resolveOwn(job, env, own);
        job.resolved = ownResolved(k.release);
        job.dir = outputDir(env.paths.out, job.profile.name, k.release);
        task.title = `your kernel ${k.release} (${displayPath(k.build)})`;
        return;
      }
      await timed(job, 'resolveMs', async () => {
        const ctx = await kernelContext(job, env, task);
        if (opts.checkFresh) {
          const r = await resolveCached(job, env, ctx);
          job.resolved = r.resolved;
          job.busyboxVersion = r.busybox;
        } else {
          job.resolved = await resolveFromIndex(job.spec, ctx);
        }
      });
      const r = job.resolved;
      if (!r) throw new FailureError('kernel resolution produced nothing');
      job.dir = outputDir(env.paths.out, job.profile.name, r.release);
      if (opts.checkFresh) {
        await planJob(job, env);
        job.upToDate = job.plan?.length === 0;
        if (job.upToDate) await touchRecord(job.dir);
      }
      const changed = job.record?.inputs && job.inputs ? changedInputs(job.inputs, job.record.inputs) : [];
      const plan = job.upToDate
        ? ', artifacts up to date'
        : job.plan && job.record
          ? `, to build: ${job.plan.join(', ')}${env.rebuild ? ' (--rebuild)' : changed.length > 0 ? ` (changed: ${changed.join(', ')})` : job.record.inputs ? ' (artifacts changed since the build)' : ''}`
          : '';
      task.title = `kernel ${r.release} (Debian ${r.version})${plan}`;
    },
  };
}

export function fetchTask(env: Env): JobTask {
  return {
    title: 'fetch kernel, headers, kbuild and busybox',
    skip: (job) => (job.upToDate === true ? 'artifacts up to date' : false),
    task: async (job, task) => {
      checkAbort(env);
      await timed(job, 'fetchMs', async () => {
        const ctx = await kernelContext(job, env, task);
        const own = job.spec.own;
        if (own) {
          const k = await resolveOwn(job, env, own);
          const resolved = ownResolved(k.release);
          job.resolved = resolved;
          job.dir = outputDir(env.paths.out, job.profile.name, k.release);
          job.tree = { resolved, release: k.release, prefix: k.build, vmlinuz: k.image, headersDir: k.build, modulesDir: k.modulesDir, dtbDir: k.dtbDir, packages: [] };
          job.busybox = await fetchBusybox(ctx, job.stats, (await hostDebianSuite())?.codename ?? defaultSuite().codename);
          return;
        }
        const planned = job.resolved;
        const { resolved, debs } = await fetchKernel(job.spec, ctx, job.stats);
        job.resolved = resolved;
        job.dir = outputDir(env.paths.out, job.profile.name, resolved.release);
        task.output = 'unpacking';
        job.tree = await unpackKernel(resolved, debs, ctx);
        job.busybox = await fetchBusybox(ctx, job.stats, job.spec.suite);
        if (job.keys) {
          if (planned?.release !== resolved.release || planned.version !== resolved.version || job.busyboxVersion !== job.busybox.package.version) {
            // the index was refreshed and named other packages: build it all
            delete job.keys;
            delete job.inputs;
            delete job.plan;
            delete job.record;
          } else {
            // the kernel's compiler is known once its headers are unpacked
            const before = job.plan ?? [];
            await planJob(job, env);
            job.plan = [...new Set([...before, ...(job.plan ?? [])])];
          }
        }
      });
      task.title = `fetched ${job.stats.downloaded.length} package(s), ${job.stats.cached.length} from cache (${secs(job.timings.fetchMs)})`;
    },
  };
}

/**
 * The step that builds atemsys.ko, atemsys-selftest (and its 32-bit twin) and
 * the tools, each only when the incremental plan says so. `o.echo` gets each
 * line of make's output as it comes (build --verbose); without it make's
 * output goes to the logs in out/<board>/<release>/build/ alone.
 */
export function buildTask(env: Env, o: { echo?: (line: string) => void } = {}): JobTask {
  const onLine = o.echo ? { onLine: o.echo } : {};
  return {
    title: 'build atemsys.ko, atemsys-selftest and the tools',
    skip: (job) => (job.upToDate === true ? 'artifacts up to date' : false),
    task: async (job, task) => {
      checkAbort(env);
      const tree = need(job.tree, 'kernel tree');
      const dir = need(job.dir, 'output dir');
      const work = path.join(dir, 'build');
      const src = path.join(work, 'src-kernel');
      const built: string[] = [];
      await timed(job, 'buildMs', async () => {
        // only the package step runs: it takes the recorded build's artifacts (below)
        if (runs(job, 'module') || runs(job, 'selftests') || runs(job, 'tools')) await copySources(env.paths.srcKernel, src);
        if (runs(job, 'module')) {
          const root = await buildRootFor(job, env, (m) => (task.output = m));
          job.buildRoot = root;
          task.output = `make modules against ${tree.release}${root ? ` in ${displayPath(root.dir)}` : ''}`;
          const mod = await buildModule(
            {
              srcDir: src,
              kernelDir: tree.headersDir,
              arch: job.arch,
              extra: ['W=1'],
              logFile: path.join(work, 'module.log'),
              signal: env.signal,
              ...(root ? { root } : {}),
              ...(await moduleEnv(job, env)),
              ...onLine,
            },
            tree.release,
          );
          // W=1 clean on every kernel a board boots (sparse: `check`, and the compile matrix)
          refuseModuleWarnings(mod.output, src, 'W=1', path.join(work, 'module.log'));
          job.ko = mod.ko;
          job.vermagic = mod.vermagic;
          built.push('atemsys.ko');
        } else {
          // unchanged inputs: the artifact of the recorded build
          const rec = need(job.record, 'build record');
          job.ko = path.join(dir, 'atemsys.ko');
          job.vermagic = rec.vermagic;
          if (rec.buildRoot) job.buildRoot = rec.buildRoot;
        }
        if (!runs(job, 'selftests')) {
          job.selftest = path.join(dir, 'atemsys-selftest');
          if (job.arch.compat32) job.selftest32 = path.join(dir, COMPAT32_SELFTEST);
        } else {
          checkAbort(env);
          task.output = 'make selftests';
          built.push('atemsys-selftest');
          job.selftest = await buildSelftests({
            selftestsDir: path.join(src, 'selftests'),
            outDir: path.join(work, 'selftests'),
            crossCompile: job.arch.crossCompile,
            logFile: path.join(work, 'selftests.log'),
            signal: env.signal,
            ...onLine,
          });
          const compat = job.arch.compat32;
          if (compat) {
            checkAbort(env);
            task.output = `make selftests (32-bit, ${compat.crossCompile}gcc)`;
            job.selftest32 = await buildSelftests({
              selftestsDir: path.join(src, 'selftests'),
              outDir: path.join(work, 'selftests32'),
              crossCompile: compat.crossCompile,
              logFile: path.join(work, 'selftests32.log'),
              signal: env.signal,
              ...onLine,
            });
          }
        }
        if (!runs(job, 'tools')) {
          job.ecat = path.join(dir, 'atemsys-ecat');
          job.bench = path.join(dir, 'atemsys-bench');
          return;
        }
        checkAbort(env);
        built.push('atemsys-ecat', 'atemsys-bench');
        task.output = 'make tools (atemsys-ecat, atemsys-bench)';
        const tools = await buildUserTools({
          toolsDir: path.join(src, 'tools'),
          outDir: path.join(work, 'tools'),
          crossCompile: job.arch.crossCompile,
          logFile: path.join(work, 'tools.log'),
          signal: env.signal,
          ...onLine,
        });
        job.ecat = tools.ecat;
        job.bench = tools.bench;
      });
      task.title =
        built.length === 0
          ? 'atemsys.ko, atemsys-selftest and the tools up to date'
          : `built ${built.join(', ')}${built[0] === 'atemsys.ko' ? ` (${job.vermagic ?? '?'})` : ''} (${secs(job.timings.buildMs)})`;
    },
  };
}

/** DT boards: overlay source, dtc, fdtoverlay onto the image's DTB, fdtget checks. */
export function dtTask(env: Env): JobTask {
  return {
    title: 'device-tree overlay',
    enabled: (job) => job.profile.dt !== undefined,
    skip: (job) => (job.upToDate === true ? 'artifacts up to date' : false),
    task: async (job, task) => {
      checkAbort(env);
      const tree = need(job.tree, 'kernel tree');
      const dir = need(job.dir, 'output dir');
      if (!runs(job, 'dt')) {
        job.dt = need(job.record, 'build record').dt as DtBuild;
        task.title = 'device-tree overlay up to date';
        return;
      }
      // from here the files in dir are no longer those the record vouches for
      await dropRecord(dir);
      const spec = need(job.profile.dt, 'dt section');
      const artifacts = need(profileDtArtifacts(job.profile), 'dt artifacts');
      await mkdir(dir, { recursive: true });
      await timed(job, 'buildMs', async () => {
        const qemuOverlay = qemuOverlayFor(job.profile.qemu, tree.resolved.series);
        job.dt = await buildDeviceTree({
          spec,
          dtbDir: tree.dtbDir,
          outDir: dir,
          artifacts,
          ...(qemuOverlay !== undefined ? { qemuOverlay } : {}),
          ...(job.profile.qemu ? { stockDtb: path.join(dir, STOCK_DTB) } : {}),
          ...(job.profile.bench?.stockOverlay !== undefined ? { stockOverlay: job.profile.bench.stockOverlay } : {}),
          comment: [`Generated by the atemsys orchestrator from boards/${path.basename(job.profile.file)}.`, `Base: ${spec.base} of ${tree.release}.`],
          source: path.relative(env.paths.repo, job.profile.file),
          overlays: profileOverlays(job.profile, overlayLines(await readFile(job.profile.file, 'utf8'))),
          logFile: path.join(dir, 'build', 'dt.log'),
          signal: env.signal,
        });
      });
      const n = spec.nodes.length;
      task.title = `overlay on ${spec.base}: ${n} node${n > 1 ? 's' : ''} handed to atemsys (${spec.nodes.map((x) => `${x.ident} ${x.instance}`).join(', ')}), checked with fdtget`;
    },
  };
}

async function manifestDt(job: KernelJob): Promise<ManifestDt | undefined> {
  const spec = job.profile.dt;
  const a = profileDtArtifacts(job.profile);
  if (!spec || !a || !job.dt) return undefined;
  return {
    base: spec.base,
    baseSha256: await sha256File(job.dt.base),
    nodes: spec.nodes.map((n) => ({ path: n.path, ident: n.ident, instance: n.instance })),
    bootDtb: bootDtb(a),
  };
}

/** What a boot writes in out/<board>/<release>/ (besides pcaps and qmp.log): gone when a new build or boot starts. */
export const STALE_RESULTS = ['serial.log', 'results.json', 'junit.xml'] as const;

export function packageTask(env: Env): JobTask {
  return {
    title: 'initramfs, manifest and bundle',
    skip: (job) => (job.upToDate === true ? 'artifacts up to date' : false),
    task: async (job) => {
      checkAbort(env);
      const tree = need(job.tree, 'kernel tree');
      const dir = need(job.dir, 'output dir');
      const busybox = need(job.busybox, 'busybox');
      await timed(job, 'packageMs', async () => {
        await mkdir(dir, { recursive: true });
        await dropRecord(dir);
        await rm(path.join(dir, bundleName(job.profile.name, tree.release)), { force: true });
        // an earlier boot's results do not describe this build
        for (const f of STALE_RESULTS) await rm(path.join(dir, f), { force: true });
        // a step that did not run left its artifact in dir already
        const put = async (from: string, name: string): Promise<void> => {
          if (path.resolve(from) !== path.resolve(dir, name)) await copyFile(from, path.join(dir, name));
        };
        await put(need(job.ko, 'atemsys.ko'), 'atemsys.ko');
        await put(need(job.selftest, 'atemsys-selftest'), 'atemsys-selftest');
        const compat = job.arch.compat32 !== undefined;
        if (compat) await put(need(job.selftest32, COMPAT32_SELFTEST), COMPAT32_SELFTEST);
        await put(need(job.ecat, 'atemsys-ecat'), 'atemsys-ecat');
        await put(need(job.bench, 'atemsys-bench'), 'atemsys-bench');
        await copyFile(tree.vmlinuz, path.join(dir, 'vmlinuz'));
        const mods = await resolveGuestModules({ modulesDir: tree.modulesDir, atemsysKo: path.join(dir, 'atemsys.ko'), extra: job.profile.modules, signal: env.signal });
        job.guestModules = mods;
        const available = job.profile.modulesAvailable;
        const onDemand = available !== undefined ? await resolveOnDemandModules({ modulesDir: tree.modulesDir, names: available, signal: env.signal }) : undefined;
        const modules: { name: string; data: Buffer }[] = [];
        for (const m of [...mods.order, ...(onDemand?.files ?? [])]) {
          if (!modules.some((x) => x.name === m.name)) modules.push({ name: m.name, data: await readGuestModule(m, env.signal) });
        }
        const q = job.profile.qemu;
        await writeInitramfs(path.join(dir, 'initramfs.cpio.gz'), {
          busybox: await readFile(busybox.binary),
          module: await readFile(path.join(dir, 'atemsys.ko')),
          selftest: await readFile(path.join(dir, 'atemsys-selftest')),
          ...(compat ? { selftest32: await readFile(path.join(dir, COMPAT32_SELFTEST)) } : {}),
          binaries: [
            { name: 'atemsys-ecat', data: await readFile(path.join(dir, 'atemsys-ecat')) },
            { name: 'atemsys-bench', data: await readFile(path.join(dir, 'atemsys-bench')) },
          ],
          modules,
          ...(onDemand ? { onDemand: onDemandFile(onDemand.entries) } : {}),
          boot: {
            initScript: await readFile(path.join(env.paths.srcKernel, 'init', 'atemsys-init'), 'utf8'),
            mdevConf: await readFile(path.join(env.paths.srcKernel, 'init', 'mdev.conf'), 'utf8'),
          },
          init: initScript({
            selftestArgs: jobSelftestArgs(job),
            modules: mods.order.map((m) => m.name),
            dtNodes: (job.profile.dt?.nodes ?? []).map((n) => n.path),
            shutdown: q?.shutdown ?? 'poweroff',
          }),
        });
        const extra = extraArtifacts(job.profile);
        const artifacts = [];
        for (const a of artifactNames(compat, extra)) artifacts.push(await artifactInfo(dir, a));
        const dt = await manifestDt(job);
        const compiler = kernelCompiler(await readFile(path.join(tree.headersDir, '.kernelvariables'), 'utf8').catch(() => '')) ?? 'gcc';
        const gccCmd = `${job.arch.crossCompile || `${buildHostTriplet()}-`}${compiler}`;
        const manifest = buildManifest({
          board: job.profile.name,
          arch: job.profile.arch,
          debianArch: job.arch.debian,
          kernel: { suite: job.spec.suite, series: tree.resolved.series, flavour: job.spec.flavour, abi: tree.resolved.abi, release: tree.release, debianVersion: tree.resolved.version },
          vermagic: job.vermagic ?? '',
          selftestArgs: jobSelftestArgs(job),
          packages: [...tree.packages, busybox.package].map((p) => ({ name: p.name, version: p.version, arch: p.arch, file: path.basename(p.file) })),
          artifacts,
          tools: {
            gcc: job.buildRoot ? `${gccCmd} in ${job.buildRoot.dir}` : ((await toolVersion(gccCmd)) ?? gccCmd),
            qemu: job.profile.qemu ? await toolVersion(job.profile.qemu.binary) : null,
            make: await toolVersion('make'),
            node: process.version,
            orchestrator: env.orchestratorVersion,
          },
          git: await gitInfo(env.paths.repo),
          ...(dt ? { dt } : {}),
          guestModules: mods.order.map((m) => ({ name: m.name, file: m.rel })),
          ...(onDemand ? { onDemandModules: onDemand.entries } : {}),
        });
        await writeFileAtomic(path.join(dir, MANIFEST), renderManifest(manifest));
        job.manifest = manifest;
        job.bundle = await writeBundle(dir, job.profile.name, tree.release, compat, extra);
        if (job.keys) {
          // written last: it vouches for every file above
          const stamps = await fileStamps(dir, recordedArtifacts(job, tree.release));
          const artifacts: Record<string, [number, number]> = {};
          for (const [n, v] of Object.entries(stamps)) if (v) artifacts[n] = v;
          await writeRecord(dir, {
            schema: 1,
            keys: job.keys,
            ...(job.inputs ? { inputs: job.inputs } : {}),
            vermagic: job.vermagic ?? '',
            ...(job.buildRoot ? { buildRoot: job.buildRoot } : {}),
            ...(job.dt ? { dt: job.dt } : {}),
            artifacts,
          });
        }
      });
    },
  };
}

export interface BootOptions {
  verbose: boolean;
  echo: (text: string) => void;
}

/**
 * Boots of one run when a guest CPU stalls (GUEST_STALL: a timer that
 * never fired, or an RCU self-detected stall; seen on qemu-x86_64 with 2
 * vCPUs on a 2-core host, mostly while other work loaded the host) or QEMU
 * aborts on an assertion of its memory or TCG core (emulatorAssertion());
 * a later boot passed. One in every boot is
 * reported as the run's failure.
 */
export const STALL_BOOTS = 3;

/**
 * The master's netdev by convention: the ll group asks smoke to turn its
 * link off and on (ATEMSYS_LINK_CONTROL; selftest ll_link_lost)
 */
export const LINK_CONTROL_NETDEV = 'll0';

/** ids and types of a profile's netdevs */
export function netdevIds(netdevs: readonly string[]): { id: string; type: string }[] {
  return netdevs.map((n) => {
    const o = parseQemuOpts(n);
    return { id: o.options.get('id') ?? '', type: o.type };
  });
}

/**
 * The slave simulators on the host for a boot's dgram netdevs, started
 * (each on two free UDP ports of 127.0.0.1) before QEMU; stopped by the
 * caller. Throws Error when one does not start, after stopping the others.
 */
export async function startHostSims(env: Env, dir: string, ids: readonly string[]): Promise<{ ports: Map<string, DgramPorts>; sims: HostSim[] }> {
  const ports = new Map<string, DgramPorts>();
  const sims: HostSim[] = [];
  if (ids.length === 0) return { ports, sims };
  const bin = await buildHostSim({
    toolsDir: path.join(env.paths.srcKernel, 'tools'),
    outDir: path.join(env.paths.cache, 'host-tools'),
    logFile: path.join(dir, 'host-tools.log'),
    signal: env.signal,
  });
  const free = await freeUdpPorts(2 * ids.length);
  try {
    ids.forEach((id, i) => ports.set(id, { qemu: free[2 * i] ?? 0, sim: free[2 * i + 1] ?? 0 }));
    for (const id of ids) sims.push(await HostSim.start(bin, need(ports.get(id), 'ports'), path.join(dir, `sim-${id}.log`)));
  } catch (e) {
    await Promise.all(sims.map((s) => s.stop()));
    throw e;
  }
  return { ports, sims };
}

/** JSON text parsed, or `fallback` when there is none or it is not JSON */
function parseJsonOr(text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

/** A host simulator's stop as a problem of the run, undefined when it ended well */
export function hostSimProblem(id: string, r: HostSimResult): string | undefined {
  if (r.exitCode === 0 && r.json !== undefined) return undefined;
  return `the host's slave simulator on netdev ${id} ended with ${r.exitCode === null ? 'a signal' : `exit ${r.exitCode}`}${r.json === undefined ? ' and no statistics' : ''}: ${r.output.trim().split('\n').slice(-3).join(' / ') || 'no output'}`;
}

export function bootTask(env: Env, o: BootOptions): JobTask {
  return {
    title: 'boot and run the selftests',
    task: async (job, task) => {
      checkAbort(env);
      const q = job.profile.qemu;
      const dir = need(job.dir, 'output dir');
      const release = need(job.resolved?.release ?? job.manifest?.kernel.release, 'kernel release');
      if (!q) throw new ConfigError(`${job.profile.name} has no qemu section: it cannot be booted`);
      const serialLog = path.join(dir, 'serial.log');
      const dtA = profileDtArtifacts(job.profile);
      const slots = hotplugSlots(q.devices, q.hotplug ?? []).slots;
      const bootFiles = {
        kernel: path.join(dir, 'vmlinuz'),
        initrd: path.join(dir, 'initramfs.cpio.gz'),
        ...(dtA ? { dtb: path.join(dir, bootDtb(dtA)) } : {}),
      };
      const timeout = job.spec.timeout ?? q.timeout;
      const notes: string[] = [];
      // each lost boot's console
      const stalledLog = (boot: number): string => path.join(dir, `serial-stalled-${boot}.log`);
      // what QEMU itself printed (an assertion, a device model's warning), each boot's under its number
      const qemuStderrLog = path.join(dir, 'qemu-stderr.log');
      let args: string[] = [];
      let guest: GuestRun | undefined;
      let qmpDir: string | undefined;
      const nets = netdevIds(q.netdevs ?? []);
      const dgramIds = nets.filter((n) => n.type === 'dgram').map((n) => n.id);
      const linkControl = nets.some((n) => n.id === LINK_CONTROL_NETDEV);
      const append = guestEnv(job.spec, nets);
      let sims: { ports: Map<string, DgramPorts>; sims: HostSim[] } = { ports: new Map(), sims: [] };
      const simResults: { id: string; ports: DgramPorts; result: HostSimResult }[] = [];
      try {
        // an earlier boot's results must not stand beside this boot's log
        // (serial-stalled.log: the one lost boot's log of older versions)
        for (const f of ['qmp.log', 'serial-stalled.log', 'qemu-stderr.log', ...STALE_RESULTS, ...dgramIds.map((id) => `sim-${id}.log`)]) await rm(path.join(dir, f), { force: true });
        for (let boot = 1; boot <= STALL_BOOTS; boot++) await rm(stalledLog(boot), { force: true });
        // hot-plug and link requests of the guest go to QEMU over QMP
        // (guest/hotplug.ts); a socket path must stay short (108 bytes), so not in out/
        if (slots.length > 0 || linkControl) qmpDir = await makeQmpDir();
        const qmpSocket = qmpDir !== undefined ? path.join(qmpDir, 'qmp.sock') : undefined;
        sims = await startHostSims(env, dir, dgramIds);
        args = qemuArgs(q, bootFiles, { pcapDir: dir, dgram: sims.ports, append, ...(qmpSocket !== undefined ? { qmpSocket } : {}) });
        for (const id of q.pcap ?? []) await rm(pcapFile(dir, id), { force: true });
        await writeFile(path.join(dir, 'qemu-command.txt'), `${formatCommand(q.binary, args)}\n`);
        task.title = `booting ${q.binary} -machine ${q.machine} (timeout ${timeout} s)`;
        // a guest CPU stall (GUEST_STALL) or a QEMU assertion gets another
        // boot; the last such log is kept, and the run's notes say so
        for (let boot = 1; ; boot++) {
          const host = qmpSocket !== undefined ? new HotplugHost(qmpSocket, slots, path.join(dir, 'qmp.log'), undefined, linkControl ? [LINK_CONTROL_NETDEV] : []) : undefined;
          try {
            guest = await runGuest(spawnProcess, q.binary, args, {
              serialLog,
              timeoutMs: timeout * 1000,
              signal: env.signal,
              stallPattern: GUEST_STALL,
              ...(o.verbose ? { echo: o.echo } : {}),
              ...(host ? { onLine: (l: string) => host.line(l) } : {}),
            });
          } finally {
            await host?.close();
          }
          if (guest.stderr.trim() !== '') await appendFile(qemuStderrLog, `== boot ${boot}: ${guest.outcome}\n${guest.stderr.trimEnd()}\n`);
          const assertion = emulatorAssertion(guest);
          if ((guest.outcome !== 'stalled' && assertion === undefined) || boot === STALL_BOOTS) break;
          await copyFile(serialLog, stalledLog(boot));
          const what =
            assertion !== undefined
              ? `QEMU aborted on its own assertion (${assertion})`
              : guest.stallLine !== undefined && RCU_SELF_STALL.test(guest.stallLine)
                ? 'a guest CPU stall (rcu: self-detected, a CPU in the kernel without a quiescent state)'
                : 'a guest CPU timer stall under emulation (rcu: a timer that never fired)';
          notes.push(`boot ${boot}: ${what} ${secs(guest.durationMs)} in; booted again (its log: ${stalledLog(boot)})`);
          task.title = `booting again after ${assertion !== undefined ? 'an emulator abort' : 'a guest CPU stall'} (timeout ${timeout} s)`;
        }
      } finally {
        if (qmpDir !== undefined) await rm(qmpDir, { recursive: true, force: true });
        for (const [i, s] of sims.sims.entries()) {
          const id = dgramIds[i] ?? '';
          simResults.push({ id, ports: need(sims.ports.get(id), 'ports'), result: await s.stop() });
        }
      }
      if (!guest) throw new Error('no boot ran');
      job.guest = guest;
      job.timings.bootMs = guest.durationMs;
      if (guest.outcome === 'interrupted') throw new InterruptedError();
      const log = await readFile(serialLog, 'utf8');
      const ktap = parseKtap(log);
      const pcaps = (q.pcap ?? []).map((id) => ({ id, file: pcapFile(dir, id) }));
      const wire = pcaps.length > 0 ? await wireConformanceTest(log, pcaps, env.signal) : undefined;
      const summary = summarizeRun(
        { board: job.profile.name, arch: job.profile.arch, suite: job.spec.suite, series: job.spec.series, flavour: job.spec.flavour, release },
        ktap,
        guest.durationMs,
        [...(guest.problem ? [guest.problem] : []), ...simResults.flatMap((s) => hostSimProblem(s.id, s.result) ?? [])],
        wire ? [wire] : [],
      );
      summary.dir = dir;
      if (notes.length > 0) summary.notes = notes;
      job.summary = summary;
      await writeFile(path.join(dir, 'junit.xml'), junitXml([summary]));
      await writeFile(
        path.join(dir, 'results.json'),
        `${JSON.stringify({ ...summary, qemu: { binary: q.binary, args, outcome: guest.outcome, exit: guest.exit, killed: guest.killed }, ...(simResults.length > 0 ? { hostSims: simResults.map((s) => ({ netdev: s.id, ports: s.ports, exitCode: s.result.exitCode, stats: parseJsonOr(s.result.json, null) })) } : {}), timings: job.timings }, null, 2)}\n`,
      );
      const c = summary.counts;
      // named: while the next kernel builds, plain progress lines of two jobs interleave
      task.title = `${job.profile.name} ${release} booted in ${secs(guest.durationMs)}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${guest.outcome === 'timeout' ? ' (guest hung)' : ''}`;
    },
  };
}

/**
 * --no-build: use the newest complete build in out/<board>/. ConfigError
 * (exit 2) when there is none, or (checkSelftestArgs: smoke) when its
 * /init runs other selftest arguments than this run asks for; a build older
 * than the sources is used, and its title says so.
 */
export function locateTask(env: Env, checkSelftestArgs = true): JobTask {
  return {
    title: 'find the existing build (--no-build)',
    task: async (job, task) => {
      const found = await findExistingBuild(env, job);
      if (!found) {
        throw new ConfigError(`no complete build of ${job.profile.name} ${kernelLabel(job.spec)} in ${displayPath(path.join(env.paths.out, job.profile.name))}/: run without --no-build`);
      }
      // the initramfs's /init runs the selftests it was built with: a run
      // that asks for others (--extra-groups, --only, --timeout) needs a build
      const want = jobSelftestArgs(job);
      if (checkSelftestArgs && JSON.stringify(found.manifest.selftestArgs) !== JSON.stringify(want)) {
        throw new ConfigError(`the build in ${displayPath(found.dir)} runs atemsys-selftest ${found.manifest.selftestArgs.join(' ')}; this run asks for ${want.join(' ')}: run without --no-build`);
      }
      job.dir = found.dir;
      job.manifest = found.manifest;
      const stale = await sourcesNewerThan(env, job, found.dir);
      task.title = `using ${displayPath(found.dir)} (built ${found.manifest.createdAt}${stale ? "; the sources changed since: these are the older sources' results" : ''})`;
    },
  };
}

/**
 * The variables a smoke boot puts on the kernel command line (the kernel
 * hands them to /init's environment, where the selftests read them): the
 * simulator outside the guest, the link-control netdev, the fuzzer's calls
 * and seed. Pure.
 */
export function guestEnv(spec: Pick<KernelSpec, 'fuzzCalls' | 'fuzzSeed'>, nets: readonly { id: string; type: string }[]): string[] {
  return [
    ...(nets.some((n) => n.type === 'dgram') ? ['ATEMSYS_LL_SIM=dgram'] : []),
    ...(nets.some((n) => n.id === LINK_CONTROL_NETDEV) ? [`ATEMSYS_LINK_CONTROL=${LINK_CONTROL_NETDEV}`] : []),
    ...(spec.fuzzCalls !== undefined ? [`ATEMSYS_FUZZ_CALLS=${spec.fuzzCalls}`] : []),
    ...(spec.fuzzSeed !== undefined ? [`ATEMSYS_FUZZ_SEED=${spec.fuzzSeed}`] : []),
  ];
}

/** Latest existing build for a kernel spec (for --no-build), from the manifests in out/<board>/. */
export async function findExistingBuild(env: Env, job: KernelJob): Promise<{ dir: string; manifest: Manifest } | undefined> {
  const boardDir = path.join(env.paths.out, job.profile.name);
  const entries = await readdir(boardDir).catch(() => [] as string[]);
  let best: { dir: string; manifest: Manifest } | undefined;
  for (const e of entries) {
    const dir = path.join(boardDir, e);
    const m = await readFile(path.join(dir, MANIFEST), 'utf8').then(
      (t) => JSON.parse(t) as Manifest,
      () => undefined,
    );
    if (!m || m.kernel.flavour !== job.spec.flavour || (m.kernel.suite ?? defaultSuite().name) !== job.spec.suite) continue;
    if (job.spec.series !== 'newest' && m.kernel.series !== job.spec.series) continue;
    if (job.spec.version && m.kernel.abi !== job.spec.version) continue;
    if ((await missingArtifacts(dir, job.profile.name, m.kernel.release, job.arch.compat32 !== undefined, extraArtifacts(job.profile))).length > 0) continue;
    if (!best || m.createdAt > best.manifest.createdAt) best = { dir, manifest: m };
  }
  return best;
}

/** Static check build: W=1 and sparse (C=2); any warning in the module's own files fails. */
export function staticCheckTask(env: Env): JobTask {
  return {
    title: 'W=1 + sparse build',
    task: async (job, task) => {
      checkAbort(env);
      const tree = need(job.tree, 'kernel tree');
      const dir = need(job.dir, 'output dir');
      const work = path.join(dir, 'check');
      const src = path.join(work, 'src-kernel');
      await copySources(env.paths.srcKernel, src);
      const log = path.join(work, 'check.log');
      const root = await buildRootFor(job, env, (m) => (task.output = m));
      const mod = await buildModule(
        { srcDir: src, kernelDir: tree.headersDir, arch: job.arch, extra: ['W=1', 'C=2'], logFile: log, signal: env.signal, ...(root ? { root } : {}), ...(await moduleEnv(job, env)) },
        tree.release,
      );
      refuseModuleWarnings(mod.output, src, 'W=1/sparse', log);
      task.title = `W=1 + sparse build against ${tree.release}: no warnings`;
    },
  };
}

export async function readOrchestratorVersion(paths: Paths): Promise<string> {
  const pj = JSON.parse(await readFile(paths.orchestratorPackageJson, 'utf8')) as { version?: unknown };
  return typeof pj.version === 'string' ? pj.version : '0.0.0';
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new FailureError(`internal: ${what} is not available at this step`);
  return v;
}

export function secs(ms: number | undefined): string {
  return ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`;
}

export { run };
