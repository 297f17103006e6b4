/**
 * The bench boots of one board × kernel, as listr2 steps after the build
 * (pipeline/pipeline.ts): check a foreign module's vermagic, then per module make
 * initramfs-bench*.cpio.gz (the build's initramfs plus an overlay whose /init
 * runs `atemsys-bench run`), boot it without packet capture, read the
 * protocol from the serial log and keep the boot's results.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mergeBenchOutputs, parseBenchOutput, type BenchOutput } from './proto.ts';
import { benchBoot, initRc, THIS_TREE, type BenchBoot } from './report.ts';
import { MANIFEST } from '../packaging/bundle.ts';
import { ConfigError, FailureError, InterruptedError } from '../core/errors.ts';
import { STOCK_DTB } from '../devicetree/devicetree.ts';
import { formatCommand, run } from '../core/exec.ts';
import type { HostSimResult } from '../guest/hostsim.ts';
import { bootDtb } from '../devicetree/overlay.ts';
import { appendOverlay, benchInitScript, overlayEntries } from '../guest/initramfs.ts';
import { sha256File, type Manifest } from '../core/manifest.ts';
import { hostSimProblem, netdevIds, profileDtArtifacts, startHostSims, type Env, type JobTask, type KernelJob } from '../pipeline/pipeline.ts';
import type { Profile, QemuSpec } from '../profile/profile.ts';
import { qemuArgs, type BootFiles } from '../guest/qemu.ts';
import { runGuest, spawnProcess, type GuestRun } from '../guest/runner.ts';

/** A module a bench boot loads as /lib/modules/atemsys.ko. */
export interface BenchModule {
  /** THIS_TREE, or the file's basename */
  label: string;
  /** undefined: the module of this build (out dir's atemsys.ko) */
  file?: string;
}

/** What the bench steps leave behind for the command. */
export interface BenchState {
  boots: BenchBoot[];
  /** each boot's parsed protocol, in boot order (for the plot) */
  outputs: { module: string; out: BenchOutput }[];
  /** the vermagic of `--module`, once checked */
  vermagic?: string;
}

/** Seconds one bench boot may take: the profile's bench.timeout, else 3 × qemu.timeout. */
export function benchTimeout(p: Profile): number {
  return p.bench?.timeout ?? (p.qemu?.timeout ?? 0) * 3;
}

/**
 * File names of the n-th bench boot (0: this tree's module, 1: --module) in
 * the out dir; a device-tree board's second boot, with the stock device
 * tree, has its own serial log and command (stockSerialLog, stockCommand).
 */
export function benchFiles(index: number): { serialLog: string; initramfs: string; command: string; stockSerialLog: string; stockCommand: string } {
  const sfx = index === 0 ? '' : '-module';
  return {
    serialLog: `bench-serial${sfx}.log`,
    initramfs: `initramfs-bench${sfx}.cpio.gz`,
    command: `bench-qemu-command${sfx}.txt`,
    stockSerialLog: `bench-serial-stock${sfx}.log`,
    stockCommand: `bench-qemu-command-stock${sfx}.txt`,
  };
}

/**
 * The kernel command line words of a bench boot (`stock`: the boot with
 * the stock device tree): where the simulator runs, and in the stock boot
 * which node and driver make the AF_PACKET baseline. Pure.
 */
export function benchAppend(p: Profile, stock: boolean): string[] {
  const dgram = netdevIds(p.qemu?.netdevs ?? []).some((n) => n.type === 'dgram');
  const node = p.dt?.nodes[0]?.path;
  return [
    ...(dgram ? ['ATEMSYS_LL_SIM=dgram'] : []),
    ...(stock && node !== undefined ? [`ATEMSYS_BENCH_STOCK_NODE=${node}`] : []),
    ...(stock && p.bench?.baselineDriver !== undefined ? [`ATEMSYS_BENCH_STOCK_DRIVER=${p.bench.baselineDriver}`] : []),
  ];
}

/**
 * One QEMU run of a bench boot, with the host's slave simulators of the
 * board's dgram netdevs around it. Their failures come back as problems.
 */
async function benchGuest(
  env: Env,
  dir: string,
  q: QemuSpec,
  files: BootFiles,
  append: string[],
  serialLog: string,
  commandFile: string,
  timeoutS: number,
  echo?: (t: string) => void,
): Promise<{ guest: GuestRun; problems: string[] }> {
  const ids = netdevIds(q.netdevs ?? [])
    .filter((n) => n.type === 'dgram')
    .map((n) => n.id);
  const sims = await startHostSims(env, dir, ids);
  const results: { id: string; r: HostSimResult }[] = [];
  let guest: GuestRun;
  try {
    const args = qemuArgs(q, files, { dgram: sims.ports, append });
    await writeFile(path.join(dir, commandFile), `${formatCommand(q.binary, args)}\n`);
    guest = await runGuest(spawnProcess, q.binary, args, { serialLog, timeoutMs: timeoutS * 1000, signal: env.signal, ...(echo ? { echo } : {}) });
  } finally {
    for (const [i, s] of sims.sims.entries()) results.push({ id: ids[i] ?? '', r: await s.stop() });
  }
  return { guest, problems: results.flatMap((x) => hostSimProblem(x.id, x.r) ?? []) };
}

/** bench-stock.dtb of the build (ConfigError, exit 2, when the build predates it) */
async function stockDtb(dir: string): Promise<string> {
  const f = path.join(dir, STOCK_DTB);
  const ok = await stat(f).then(
    () => true,
    () => false,
  );
  if (!ok) throw new ConfigError(`${f} is missing: the build predates the bench's stock device tree; build again (without --no-build)`);
  return f;
}

/** null when the module was built for `release` (vermagic's first word), else why not. Pure. */
export function moduleVermagicProblem(file: string, vermagic: string, release: string, board: string): string | null {
  const v = vermagic.trim();
  if (v === '') return `--module ${file}: it has no vermagic (is it a kernel module?)`;
  const built = v.split(/\s+/)[0] ?? '';
  if (built === release) return null;
  return `--module ${file}: built for kernel ${built} (vermagic "${v}"), but ${board} boots ${release}: build it against ${release}`;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new FailureError(`internal: ${what} is not available at this step`);
  return v;
}

function releaseOf(job: KernelJob): string {
  return need(job.resolved?.release ?? job.manifest?.kernel.release, 'kernel release');
}

/** The build's manifest: from the job, or manifest.json of the out dir (the build was up to date). */
async function manifestOf(job: KernelJob): Promise<Manifest> {
  if (job.manifest) return job.manifest;
  const dir = need(job.dir, 'output dir');
  const m = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  job.manifest = m;
  return m;
}

/** --module: the file exists and `modinfo -F vermagic` names the board's kernel release (ConfigError, exit 2, otherwise). */
export function moduleCheckTask(env: Env, file: string, state: BenchState): JobTask {
  return {
    title: `check --module ${path.basename(file)}`,
    task: async (job, task) => {
      const release = releaseOf(job);
      const ok = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!ok) throw new ConfigError(`--module ${file}: no such file`);
      const r = await run('modinfo', ['-F', 'vermagic', file], { signal: env.signal });
      if (r.exitCode !== 0) throw new ConfigError(`--module ${file}: modinfo cannot read it: ${r.all.trim().split('\n')[0] ?? ''}`);
      const problem = moduleVermagicProblem(file, r.stdout, release, job.profile.name);
      if (problem !== null) throw new ConfigError(problem);
      state.vermagic = r.stdout.trim();
      task.title = `--module ${path.basename(file)}: vermagic ${release}, fits`;
    },
  };
}

/** What a bench run writes when it ends (commands/bench.ts), removed when the next one starts. */
export const BENCH_RESULT_FILES = ['bench.json', 'bench.txt', 'bench.svg'] as const;

export interface BenchBootOptions {
  module: BenchModule;
  /** 0 for the first boot, 1 for the --module one (file names) */
  index: number;
  quick: boolean;
  echo?: (text: string) => void;
  state: BenchState;
}

/** One bench boot: overlay initramfs, QEMU (no filter-dump), protocol, results into `o.state`. Failures are recorded, not thrown. */
export function benchBootTask(env: Env, o: BenchBootOptions): JobTask {
  return {
    title: `bench boot with ${o.module.label}`,
    task: async (job, task) => {
      if (env.signal.aborted) throw new InterruptedError();
      const q = need(job.profile.qemu, 'qemu section');
      const dir = need(job.dir, 'output dir');
      const manifest = await manifestOf(job);
      const names = benchFiles(o.index);
      // results of an earlier run must not stand beside this run's serial log
      if (o.index === 0) for (const f of BENCH_RESULT_FILES) await rm(path.join(dir, f), { force: true });
      const moduleFile = o.module.file ?? path.join(dir, 'atemsys.ko');
      // a device-tree board measures EtherCAT only (the irq and dma groups use edu)
      const dtA = profileDtArtifacts(job.profile);
      const init = benchInitScript({ modules: (manifest.guestModules ?? []).map((m) => m.name), shutdown: q.shutdown }, o.quick, dtA ? ['ecat'] : undefined);
      const overlay = overlayEntries(o.module.file !== undefined ? { init, module: await readFile(o.module.file) } : { init });
      const initrd = path.join(dir, names.initramfs);
      await writeFile(initrd, appendOverlay(await readFile(path.join(dir, 'initramfs.cpio.gz')), overlay));
      const files: BootFiles = { kernel: path.join(dir, 'vmlinuz'), initrd, ...(dtA ? { dtb: path.join(dir, bootDtb(dtA)) } : {}) };
      const timeout = benchTimeout(job.profile);
      task.title = `bench boot with ${o.module.label}: ${q.binary} -machine ${q.machine} (timeout ${timeout} s)`;
      const serialLog = path.join(dir, names.serialLog);
      const first = await benchGuest(env, dir, q, files, benchAppend(job.profile, false), serialLog, names.command, timeout, o.echo);
      const guest = first.guest;
      if (guest.outcome === 'interrupted') throw new InterruptedError();
      const log = await readFile(serialLog, 'utf8');
      const rc = initRc(log);
      let out = parseBenchOutput(log, names.serialLog);
      out.problems.push(...first.problems);
      if (dtA) {
        // the AF_PACKET baseline: the kernel's own driver, on the stock device tree
        task.title = `bench boot with ${o.module.label}: the stock device tree (${job.profile.bench?.baselineDriver ?? 'no baseline-driver'})`;
        const stockLog = path.join(dir, names.stockSerialLog);
        const second = await benchGuest(env, dir, q, { ...files, dtb: await stockDtb(dir) }, benchAppend(job.profile, true), stockLog, names.stockCommand, timeout, o.echo);
        if (second.guest.outcome === 'interrupted') throw new InterruptedError();
        const stockText = await readFile(stockLog, 'utf8');
        const stockOut = parseBenchOutput(stockText, names.stockSerialLog);
        const stockRc = initRc(stockText);
        stockOut.problems.push(
          ...second.problems,
          ...(second.guest.problem !== undefined ? [second.guest.problem] : []),
          ...(stockRc !== undefined && stockRc !== 0 ? [`atemsys-bench exited with rc=${stockRc}`] : []),
        );
        out = mergeBenchOutputs(out, stockOut, names.stockSerialLog);
      }
      const boot = benchBoot({
        module: o.module.label,
        moduleFile,
        moduleSha256: await sha256File(moduleFile),
        vermagic: o.module.file !== undefined ? (o.state.vermagic ?? '') : (job.vermagic ?? manifest.vermagic),
        serialLog: names.serialLog,
        initramfs: names.initramfs,
        out,
        run: {
          outcome: guest.outcome,
          durationMs: guest.durationMs,
          tail: guest.tail,
          ...(guest.problem !== undefined ? { guestProblem: guest.problem } : {}),
          ...(rc !== undefined ? { rc } : {}),
        },
      });
      if (dtA) boot.stockSerialLog = names.stockSerialLog;
      o.state.boots.push(boot);
      o.state.outputs.push({ module: o.module.label, out });
      const n = { ok: 0, skipped: 0, error: 0 };
      for (const r of boot.rows) n[r.status]++;
      task.title = `bench boot with ${o.module.label}: ${n.ok} measured, ${n.skipped} skipped, ${n.error} failed in ${(guest.durationMs / 1000).toFixed(1)} s${boot.status === 'failed' ? ' — FAILED' : ''}`;
    },
  };
}

/** The modules to benchmark: this tree's, then `--module`'s when given. */
export function benchModules(moduleFile: string | undefined): BenchModule[] {
  return [{ label: THIS_TREE }, ...(moduleFile !== undefined ? [{ label: path.basename(moduleFile), file: path.resolve(moduleFile) }] : [])];
}
