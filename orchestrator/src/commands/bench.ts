/**
 * `orchestrate bench`: build if needed (as smoke does), boot each QEMU board
 * once with `atemsys-bench run` as /init's command (and once more with
 * `--module`), and report latencies, ratios to the baselines and the
 * targets; writes bench.json, bench.txt and bench.svg into the board's out
 * dir. Exit codes: 0 every measurement ran (skips allowed), 1 a measurement
 * failed, the guest hung or a build failed, 2 usage or profile error, 130
 * interrupted.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { benchPlotSpec, renderSvg } from '../bench/plot.ts';
import { benchFile, benchText, type BenchFile } from '../bench/report.ts';
import { benchBootTask, benchModules, moduleCheckTask, type BenchState } from '../bench/run.ts';
import { ConfigError, UsageError } from '../core/errors.ts';
import type { BaseOptions, Io } from '../core/options.ts';
import { buildSteps, checkTools, runBoardKernels, selectBoards, selectKernels, type BoardKernelOptions } from '../pipeline/boardrun.ts';
import { displayPath } from '../core/paths.ts';
import { kernelLabel, locateTask, type Env, type KernelJob } from '../pipeline/pipeline.ts';
import type { Profile } from '../profile/profile.ts';
import { BOARD_KERNEL, COMMON, VERBOSE, parseBoardKernel, type CommandSpec } from './command.ts';

const BENCH_USAGE = `usage: orchestrate bench --board <name|all> [--kernel <filter> | --kernel-build <dir> …] [--quick] [--module <atemsys.ko>] [--json] [--verbose] [--no-build]

Build if needed (as smoke does), boot the board once with /init running
\`atemsys-bench run\` instead of the selftests, and report latencies in µs:
interrupt round trip on edu (atemsys MSI/INTx against uio and VFIO), EtherCAT
frame round trip and cycle jitter on the e1000e pair (atemsys poll/interrupt
against AF_PACKET), DMA buffer allocate+map cost; each row's ratio to its
baseline and the project's targets (reported, never failing the command).
A device-tree board (imx8, imx6-sabrelite, zcu102) measures EtherCAT only,
through its MAC: the userspace FEC/GEM driver on atemsys in one boot, the
kernel's own driver (bench.baseline-driver) over AF_PACKET in a second boot
with the stock device tree, the slave simulator on its second MAC or on the
host (127.0.0.1), as smoke runs it.
Writes bench.json, bench.txt, bench.svg and bench-serial.log (and
bench-serial-stock.log) beside the build in out/<board>/<release>/. \`all\` is
every board with a qemu section; one kernel per board (its first unless
--kernel).
  --board <name|all>      board profile, or all boards with a qemu section
  --kernel <filter>       the board's first kernel matching this series/suite/flavour
  --kernel-build <dir>    your own kernel instead of Debian's, with --kernel-image,
                          --kernel-modules as for smoke (orchestrate help smoke)
  --quick                 fewer samples (atemsys-bench run --quick)
  --module <atemsys.ko>   boot a second time with this module (built for the same kernel) and compare
  --json                  print bench.json on stdout, nothing else (an array with several boards)
  --verbose               echo the guest's serial console
  --no-build              use the existing artifacts, never build
Timeout of a bench boot: the profile's bench.timeout, else 3 × qemu.timeout.`;

/** bench's options: the board/kernel ones and its own. */
export interface BenchOptions extends BoardKernelOptions {
  /** --quick: fewer samples */
  quick: boolean;
  /** --module: a second boot with this atemsys.ko */
  module?: string;
}

/** bench's options beyond the board/kernel ones (--quick, --module), checked. Throws UsageError. Pure. */
export function parseBenchOptions(base: BaseOptions, values: Record<string, unknown>): BenchOptions {
  const o: BenchOptions = { ...parseBoardKernel(base, values), quick: values.quick === true };
  const module = values.module;
  if (typeof module === 'string') {
    if (module.trim() === '') throw new UsageError("bench: --module needs a file (an atemsys.ko built for the board's kernel)");
    if (o.board === 'all') throw new UsageError('bench: --module needs one board: a module is built for one kernel');
    o.module = module;
  }
  return o;
}

/**
 * The boards bench runs: with `all` every board with a qemu section. A
 * device-tree board without bench.baseline-driver is refused (its AF_PACKET
 * baseline needs the kernel's own driver). Throws ConfigError. Pure.
 */
export function benchBoards(selected: readonly Profile[], all: boolean): Profile[] {
  const boards = all ? selected.filter((p) => p.qemu !== undefined) : [...selected];
  for (const p of boards) {
    if (p.dt !== undefined && p.bench?.baselineDriver === undefined) {
      throw new ConfigError(
        `board ${p.name} is a device-tree board without bench.baseline-driver: name the kernel's own driver of its MAC (e.g. fec) there and in modules-available, for the AF_PACKET baseline`,
      );
    }
  }
  return boards;
}

/** A board whose build or boot could not even start. */
interface BenchFailure {
  board: string;
  kernel: string;
  status: 'failed';
  error: string;
}

/** Write bench.json, bench.txt and bench.svg (no SVG without measurements: an old one is removed). Returns the SVG's path or undefined. */
async function writeBenchFiles(dir: string, f: BenchFile, text: string, outputs: BenchState['outputs']): Promise<string | undefined> {
  await writeFile(path.join(dir, 'bench.json'), `${JSON.stringify(f, null, 2)}\n`);
  await writeFile(path.join(dir, 'bench.txt'), `${text}\n`);
  const svgFile = path.join(dir, 'bench.svg');
  const spec = benchPlotSpec(`atemsys bench · ${f.board} · ${f.kernel.release}${f.quick ? ' (--quick)' : ''}`, outputs);
  if (spec === undefined) {
    await rm(svgFile, { force: true });
    return undefined;
  }
  await writeFile(svgFile, await renderSvg(spec));
  return svgFile;
}

async function runBench(env: Env, o: BenchOptions, io: Io): Promise<number> {
  const board = o.board;
  const profiles = benchBoards((await selectBoards(env.paths, board, true, o.kernel)).run, board === 'all');
  if (profiles.length === 0) throw new ConfigError('no board with a qemu section in boards/');
  if (o.module !== undefined) {
    const ok = await stat(o.module).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!ok) throw new ConfigError(`--module ${o.module}: no such file`);
  }
  await checkTools(profiles, o, env.host);
  const results: (BenchFile | BenchFailure)[] = [];
  let failed = false;
  const states = new Map<KernelJob, BenchState>();
  const echo = (t: string): void => {
    process.stdout.write(t);
  };
  await runBoardKernels(env, o, {
    profiles,
    kernels: (p) => {
      const spec = o.kernel !== undefined || o.own ? selectKernels(p, o.kernel, o.own)[0] : p.kernels[0];
      if (spec === undefined) throw new ConfigError(`board ${p.name} has no kernels`);
      return [spec];
    },
    steps: (job) => {
      const state: BenchState = { boots: [], outputs: [] };
      states.set(job, state);
      // resolve (or locate) first, then --module's vermagic check: a wrong module fails before any build
      const [first, ...rest] = o.noBuild ? [locateTask(env, false)] : buildSteps(env, true);
      return [
        ...(first ? [first] : []),
        ...(o.module !== undefined ? [moduleCheckTask(env, path.resolve(o.module), state)] : []),
        ...rest,
        ...benchModules(o.module).map((m, index) => benchBootTask(env, { module: m, index, quick: o.quick === true, state, ...(o.verbose && !o.json ? { echo } : {}) })),
      ];
    },
    done: async ({ profile: p, spec, job, error, stage }) => {
      const state = states.get(job) ?? { boots: [], outputs: [] };
      if (error !== undefined) {
        failed = true;
        const kernel = job.resolved?.release ?? kernelLabel(spec);
        if (!o.json) io.err(`${p.name} ${kernel}: ${state.boots.length === 0 && stage === 'build' ? 'build' : 'bench'} failed:\n${error}`);
        if (state.boots.length === 0) {
          results.push({ board: p.name, kernel, status: 'failed', error });
          return;
        }
      }
      const dir = job.dir ?? '';
      const m = job.manifest;
      const f = benchFile({
        board: p.name,
        arch: p.arch,
        kernel: { suite: spec.suite, series: job.resolved?.series ?? spec.series, flavour: spec.flavour, release: job.resolved?.release ?? m?.kernel.release ?? '?' },
        quick: o.quick === true,
        tools: m?.tools ?? null,
        git: m?.git ?? null,
        boots: state.boots,
        ...(error !== undefined ? { error } : {}),
      });
      if (f.status === 'failed') failed = true;
      const text = benchText(f);
      const svg = await writeBenchFiles(dir, f, text, state.outputs);
      results.push(f);
      if (!o.json) {
        io.out('');
        io.out(text);
        io.out(
          `files: ${displayPath(path.join(dir, 'bench.json'))}, bench.txt${svg ? ', bench.svg' : ' (no bench.svg: nothing was measured)'}, ${f.boots.flatMap((b) => [b.serialLog, ...(b.stockSerialLog !== undefined ? [b.stockSerialLog] : [])]).join(', ')}`,
        );
      }
    },
  });
  if (o.json) io.out(JSON.stringify(results.length === 1 ? results[0] : results, null, 2));
  return failed ? 1 : 0;
}

export const bench: CommandSpec<BenchOptions> = {
  name: 'bench',
  summary: 'build if needed, boot each QEMU board with the benchmark, report latencies and targets',
  usage: BENCH_USAGE,
  options: { ...COMMON, ...BOARD_KERNEL, ...VERBOSE, 'no-build': { type: 'boolean' }, quick: { type: 'boolean' }, module: { type: 'string' } },
  writesOut: true,
  parse: parseBenchOptions,
  run: runBench,
};
