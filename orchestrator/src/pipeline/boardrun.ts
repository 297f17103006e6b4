/**
 * The board × kernel runner build, smoke, check and bench share: which
 * boards and kernels a command line selects, the checks made before
 * anything is built (selftest names, host tools), and one loop that runs
 * each board × kernel's steps (pipeline.ts) and records its outcome the
 * same way for every command. A configuration error, a usage error or an
 * interrupt stops the loop (exit 2 or 130); a failed build or boot is
 * recorded and the loop goes on.
 */
import path from 'node:path';
import { Listr, type ListrRendererValue } from 'listr2';
import { background } from '../core/exec.ts';
import { ConfigError, InterruptedError, UsageError, errorMessage } from '../core/errors.ts';
import { renderer, type BaseOptions } from '../core/options.ts';
import type { Paths } from '../core/paths.ts';
import { archInfo, type hostDebianArch } from '../debian/arch.ts';
import { buildTools, missingToolsMessage, requireTools } from '../debian/tools.ts';
import { DT_TOOLS } from '../devicetree/devicetree.ts';
import type { OwnKernelInput } from '../kernel/ownkernel.ts';
import { findProfile, loadAllProfiles, type KernelSpec, type Profile } from '../profile/profile.ts';
import { checkSelftestNames, expandOnly, readSelftestTable } from '../report/selftestplan.ts';
import { buildTask, dtTask, fetchTask, hostDebianSuite, kernelLabel, newJob, packageTask, resolveTask, type Env, type JobTask, type KernelJob } from './pipeline.ts';

/** Whether a kernel matches a --kernel filter: every /-separated part names its series, suite or flavour. */
export function kernelMatches(k: KernelSpec, filter: string): boolean {
  return filter.split('/').every((part) => part === k.series || part === k.suite || part === k.flavour);
}

/** The kernel spec of a kernel the user built. */
export function ownKernelSpec(own: OwnKernelInput): KernelSpec {
  return { suite: 'own', series: 'own', flavour: 'own', own };
}

/** What the command line adds to each selected kernel (--extra-groups, --only, --timeout, --fuzz-calls, --fuzz-seed). */
export interface RunAdjust {
  extraGroups?: string[];
  only?: string[];
  /** smoke: the guest's hard timeout (s), over the profile's */
  timeout?: number;
  /** smoke: the fuzz group's calls */
  fuzzCalls?: number;
  /** smoke: the fuzz group's seed, decimal (up to 2^64-1: kept as text) */
  fuzzSeed?: string;
}

/**
 * The options of the commands that run board × kernel jobs (build, smoke,
 * bench, check; lava reads --board and --kernel too): commands/command.ts
 * parseBoardKernel reads them, each only where the command's table has it.
 */
export interface BoardKernelOptions extends BaseOptions, RunAdjust {
  /** a board's name, or all */
  board: string;
  /** the --kernel filter: series, suite or flavour words joined by / */
  kernel?: string;
  /** a kernel the user built, instead of the board's Debian kernels */
  own?: OwnKernelInput;
  /** smoke --no-overlap: build the next kernel only once the previous boot has ended */
  noOverlap?: boolean;
}

/** A kernel spec with the command line's extra groups (after its own) and timeout. Pure. */
export function adjustKernel(k: KernelSpec, a: RunAdjust = {}): KernelSpec {
  const groups = [...(k.extraGroups ?? [])];
  for (const g of a.extraGroups ?? []) if (!groups.includes(g)) groups.push(g);
  return {
    ...k,
    ...(groups.length > 0 ? { extraGroups: groups } : {}),
    ...(a.only !== undefined ? { only: a.only } : {}),
    ...(a.timeout !== undefined ? { timeout: a.timeout } : {}),
    ...(a.fuzzCalls !== undefined ? { fuzzCalls: a.fuzzCalls } : {}),
    ...(a.fuzzSeed !== undefined ? { fuzzSeed: a.fuzzSeed } : {}),
  };
}

/** Kernels of a profile, filtered by --kernel, or the user's own kernel (--kernel-build); adjusted by --extra-groups and --timeout. Throws UsageError. */
export function selectKernels(p: Profile, filter: string | undefined, own?: OwnKernelInput, adjust?: RunAdjust): KernelSpec[] {
  if (own) return [adjustKernel(ownKernelSpec(own), adjust)];
  if (filter === undefined) return p.kernels.map((k) => adjustKernel(k, adjust));
  const ks = p.kernels.filter((k) => kernelMatches(k, filter));
  if (ks.length === 0) throw new UsageError(`board ${p.name} has no kernel matching ${filter} (it has: ${p.kernels.map((k) => `${k.suite}/${k.series}/${k.flavour}`).join(', ')})`);
  return ks.map((k) => adjustKernel(k, adjust));
}

export interface BuildOnlyBoard {
  board: string;
  reason: string;
}

/** The boards a command runs on, and (smoke) the build-only boards it leaves out. Pure. */
export function partitionBoards(all: readonly Profile[], needQemu: boolean): { run: Profile[]; buildOnly: BuildOnlyBoard[] } {
  const run = needQemu ? all.filter((p) => p.qemu !== undefined) : [...all];
  const buildOnly = needQemu ? all.filter((p) => p.qemu === undefined).map((p) => ({ board: p.name, reason: p.buildOnly ?? 'no qemu section' })) : [];
  return { run, buildOnly };
}

export function buildOnlyLines(bs: readonly BuildOnlyBoard[]): string[] {
  return bs.length === 0 ? [] : ['not smoke-tested (build only):', ...bs.map((b) => `  ${b.board}: ${b.reason}`)];
}

/**
 * `--board all --kernel <filter>`: the boards with a kernel matching the
 * filter (a board without one is left out, not an error). UsageError when
 * no board has one. Pure.
 */
export function boardsWithKernel(run: readonly Profile[], filter: string | undefined): Profile[] {
  if (filter === undefined) return [...run];
  const with_ = run.filter((p) => p.kernels.some((k) => kernelMatches(k, filter)));
  if (with_.length === 0 && run.length > 0) throw new UsageError(`no board has a kernel matching ${filter}`);
  return with_;
}

/**
 * The profiles --board names (`all`: every board, or with `needQemu` every
 * board with a qemu section, and the build-only ones left out). Throws
 * ConfigError for a build-only board that must boot, UsageError for an
 * unknown one.
 */
export async function selectBoards(paths: Paths, board: string, needQemu: boolean, kernelFilter?: string): Promise<{ run: Profile[]; buildOnly: BuildOnlyBoard[] }> {
  if (board === 'all') {
    const sel = partitionBoards(await loadAllProfiles(paths.boards, paths.repo), needQemu);
    if (sel.run.length === 0) throw new ConfigError(`no board profiles${needQemu ? ' with a qemu section' : ''} in ${path.relative(process.cwd(), paths.boards) || paths.boards}`);
    return { ...sel, run: boardsWithKernel(sel.run, kernelFilter) };
  }
  const p = await findProfile(paths.boards, paths.repo, board);
  if (needQemu && !p.qemu) {
    throw new ConfigError(
      `${path.relative(paths.repo, p.file)}: board ${p.name} is build-only (${p.buildOnly ?? 'no qemu section'}), so it cannot be smoke-tested; \`orchestrate build --board ${p.name}\` builds it`,
    );
  }
  return { run: [p], buildOnly: [] };
}

/**
 * The selftest groups and tests the selected kernels run (a profile's and
 * --extra-groups, --only), checked against the selftests' own table before
 * anything is built. Expands o.only's group names. Throws UsageError (exit 2).
 */
export async function checkSelftestRun(profiles: readonly Profile[], o: BoardKernelOptions, paths: Paths): Promise<void> {
  const table = await readSelftestTable(paths.srcKernel);
  if (o.only) {
    checkSelftestNames(table, { only: o.only, where: '--only' });
    o.only = expandOnly(table, o.only);
  }
  for (const p of profiles) {
    const g = p.selftest.args.indexOf('--group');
    const boardGroups = g >= 0 ? (p.selftest.args[g + 1] ?? '').split(',').filter(Boolean) : [];
    checkSelftestNames(table, { groups: boardGroups, where: `boards/${p.name}.yaml selftest.args` });
    for (const k of selectKernels(p, o.kernel, o.own, o)) {
      checkSelftestNames(table, { ...(k.extraGroups ? { groups: k.extraGroups } : {}), where: `${p.name} ${kernelLabel(k)}: --extra-groups or the profile's kernels[].extra-groups` });
    }
  }
}

/** Errors that end the whole command rather than one board × kernel: configuration, usage, interrupt. */
export function isFatal(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof InterruptedError || err instanceof UsageError;
}

/**
 * Every host tool the command needs for these boards (compilers, dtc, QEMU,
 * sparse…), checked before anything runs: one ConfigError naming each
 * missing tool and its Debian package.
 */
export async function checkTools(profiles: readonly Profile[], o: BoardKernelOptions & { module?: string }, host: ReturnType<typeof hostDebianArch>): Promise<void> {
  const needs = new Map<string, ReturnType<typeof archInfo>>();
  for (const p of profiles) {
    const a = archInfo(p.arch, host);
    const kernels = selectKernels(p, o.kernel, o.own, o);
    const tools: string[] = [];
    const boots = o.command === 'smoke' || o.command === 'bench';
    if (!(boots && o.noBuild)) {
      tools.push(...buildTools(a, kernels, await hostDebianSuite()));
      if (p.dt && o.command !== 'check') tools.push(...DT_TOOLS);
    }
    // setpriv (util-linux): QEMU dies with the orchestrator (guest/runner.ts orphanProof)
    if (boots && p.qemu) tools.push(p.qemu.binary, 'setpriv');
    if (o.command === 'bench' && o.module !== undefined) tools.push('modinfo');
    if (o.command === 'check') tools.push('sparse');
    for (const t of tools) if (!needs.has(t)) needs.set(t, a);
  }
  // one message for everything that is missing
  const missing: string[] = [];
  let arch: ReturnType<typeof archInfo> | undefined;
  for (const [t, a] of needs) {
    try {
      await requireTools([t], a);
    } catch {
      missing.push(t);
      arch = a.crossCompile !== '' ? a : (arch ?? a);
    }
  }
  if (missing.length > 0) {
    // group per arch so every cross tool names its package
    const byArch = new Map<ReturnType<typeof archInfo>, string[]>();
    for (const t of missing) {
      const a = needs.get(t) ?? arch;
      if (!a) continue;
      byArch.set(a, [...(byArch.get(a) ?? []), t]);
    }
    throw new ConfigError([...byArch].map(([a, ts]) => missingToolsMessage(ts, a)).join('\n'));
  }
}

/**
 * Resolve, fetch, build, (DT) patch the device tree, package: the build steps
 * of one board × kernel. `echo` gets each line of make's output (build
 * --verbose).
 */
export function buildSteps(env: Env, fresh: boolean, echo?: (line: string) => void): JobTask[] {
  return [resolveTask(env, { checkFresh: fresh }), fetchTask(env), buildTask(env, echo ? { echo } : {}), dtTask(env), packageTask(env)];
}

/** Run one board × kernel's steps under one progress title. Rejects with the first step's error. */
export async function runJob(job: KernelJob, steps: JobTask[], o: Pick<BaseOptions, 'json' | 'verbose'>): Promise<void> {
  const title = `${job.profile.name} · ${kernelLabel(job.spec)}`;
  const listr = new Listr<KernelJob, ListrRendererValue, ListrRendererValue>([{ title, task: (_ctx, task) => task.newListr(steps, { exitOnError: true }) }], {
    ctx: job,
    exitOnError: true,
    registerSignalListeners: false,
    renderer: renderer(o),
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: false },
  });
  await listr.run(job);
}

/** One board × kernel's outcome: the job (resolved release, out dir, summary…) and, when it failed, why and where. */
export interface JobOutcome {
  profile: Profile;
  spec: KernelSpec;
  job: KernelJob;
  /** the failure's message; undefined when every step passed */
  error?: string;
  /** where it failed: before the artifacts existed (build) or after (boot) */
  stage?: 'build' | 'boot';
}

/** A run over the selected boards: their kernels, each kernel's steps, and what to do after each. */
export interface BoardKernelRun {
  profiles: readonly Profile[];
  /** the kernels of a board to run (default: selectKernels with the command line's filter and adjustments) */
  kernels?: (p: Profile) => KernelSpec[];
  /** one board × kernel's steps (build, smoke: its build steps) */
  steps: (job: KernelJob) => JobTask[];
  /** smoke: the steps that boot, run once `steps` passed; none: `steps` are all */
  boot?: (job: KernelJob) => JobTask[];
  /** with `boot`: the next job's `steps` run while one boots (see overlapBuilds) */
  overlap?: boolean;
  /** with `overlap`: boots that have the machine to themselves, no build beside them */
  bootsAlone?: (job: KernelJob) => boolean;
  /** called after each board × kernel, passed or failed, in order (print its result) */
  done?: (r: JobOutcome) => void | Promise<void>;
}

/**
 * Whether smoke builds the next kernel while one boots. A QEMU boot under
 * TCG leaves much of two cores idle (the guest sleeps, waits for timers and
 * the host-side slave simulator): imx6-sabrelite 6.1's boot and a
 * qemu-arm64 6.1 --rebuild took 96 s one after the other and 54 s side by
 * side, every test passing. Not with --no-build (nothing to build), with
 * --verbose (the guest's console would mix with the build's lines) or with
 * --no-overlap; runBoardKernels also runs a single job alone. Pure.
 */
export function overlapBuilds(o: Pick<BoardKernelOptions, 'noBuild' | 'verbose' | 'noOverlap'>): boolean {
  return !o.noBuild && !o.verbose && o.noOverlap !== true;
}

/**
 * Where a failed job stopped: `build` when its artifacts do not exist yet
 * (no module built, nothing up to date, building allowed), else `boot`. Pure.
 */
export function failedStage(job: KernelJob, noBuild: boolean): 'build' | 'boot' {
  return job.guest === undefined && job.ko === undefined && !job.upToDate && !noBuild ? 'build' : 'boot';
}

/** The selected board × kernel pairs, in order. */
function selectedJobs(o: BoardKernelOptions, run: BoardKernelRun): { p: Profile; spec: KernelSpec }[] {
  return run.profiles.flatMap((p) => (run.kernels ? run.kernels(p) : selectKernels(p, o.kernel, o.own, o)).map((spec) => ({ p, spec })));
}

/**
 * Run every selected board × kernel, recording each outcome in order. With
 * `run.boot` the steps form two stages, each one job at a time: job n+1's
 * `steps` (the build) run while job n boots when `run.overlap` is set (and
 * job n+2's only once job n's boot has ended; a boot `run.bootsAlone`
 * names has no build beside it), one after the other otherwise. While two jobs run, progress is plain
 * lines (two live displays would overwrite each other). Throws what isFatal
 * says ends the command (ConfigError, UsageError, InterruptedError) once
 * the other stage has settled; any other error is the job's outcome.
 */
export async function runBoardKernels(env: Env, o: BoardKernelOptions, run: BoardKernelRun): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  const jobs = selectedJobs(o, run);
  const overlap = run.boot !== undefined && run.overlap === true && jobs.length > 1;
  const shown = overlap ? { json: o.json, verbose: true } : o;
  const record = async (r: JobOutcome): Promise<void> => {
    outcomes.push(r);
    await run.done?.(r);
  };
  /** the job's outcome, or the fatal error that ends the command */
  const attempt = async (p: Profile, spec: KernelSpec, job: KernelJob, steps: JobTask[]): Promise<JobOutcome> => {
    try {
      await runJob(job, steps, shown);
      return { profile: p, spec, job };
    } catch (err) {
      if (isFatal(err)) throw err;
      return { profile: p, spec, job, error: errorMessage(err), stage: failedStage(job, o.noBuild) };
    }
  };
  // the boot stage: each boot waits for the one before; a rejection is seen when awaited
  let booting: Promise<void> = Promise.resolve();
  // the boots before the last one queued: the next build waits for them, so
  // that builds run at most one job ahead, beside one boot
  let settled: Promise<void> = Promise.resolve();
  let bootFailed = false;
  try {
    for (const { p, spec } of jobs) {
      await settled.catch(() => undefined);
      if (bootFailed) break; // a fatal error in a boot: build no more
      const job = newJob(p, spec, env.host);
      // beside a boot, the build takes what CPU time the boot leaves
      const built = overlap ? await background.run(true, () => attempt(p, spec, job, run.steps(job))) : await attempt(p, spec, job, run.steps(job));
      const boot = run.boot;
      if (!boot) {
        await record(built);
        continue;
      }
      const before = booting;
      settled = before;
      booting = (async () => {
        await before;
        await record(built.error === undefined ? await attempt(p, spec, job, boot(job)) : built);
      })();
      booting.catch(() => {
        bootFailed = true;
      });
      if (!overlap || run.bootsAlone?.(job) === true) await booting.catch(() => undefined);
    }
    await booting;
  } catch (err) {
    await booting.catch(() => undefined);
    throw err;
  }
  return outcomes;
}
