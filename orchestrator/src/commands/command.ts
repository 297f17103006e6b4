/**
 * What a command is: its name, its line in `orchestrate --help`, its own
 * --help text, its options (node:util parseArgs), how it reads them into its
 * own option type, and its run. One file per command under commands/ exports
 * one of these; the registry (commands/registry.ts) lists them. Also the
 * option tables and parsing several commands share (--board, --kernel, a
 * kernel you built, --extra-groups, --only, --timeout, --fuzz-calls, --fuzz-seed,
 * --verbose).
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.ts';
import type { BaseOptions, Io } from '../core/options.ts';
import type { BoardKernelOptions } from '../pipeline/boardrun.ts';
import type { Env } from '../pipeline/pipeline.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * One command, whose parsed options are of type O: BaseOptions and what its
 * own table adds (e.g. BoardKernelOptions, or an interface beside the
 * command). The registry holds every command as CommandSpec (O =
 * BaseOptions): TypeScript checks the parameters of methods bivariantly, so
 * a CommandSpec<O> fits there, and cli.ts hands run() only what the same
 * command's parse() returned. That is why parse and run are declared as
 * methods below, not as properties of a function type (with those the
 * registry no longer type-checks); a command may still give arrow functions.
 */
export interface CommandSpec<O extends BaseOptions = BaseOptions> {
  /** the word after `orchestrate` */
  name: string;
  /** its line in `orchestrate --help` */
  summary: string;
  /** `orchestrate <name> --help` */
  usage: string;
  /** its options besides --help and --json */
  options: Options;
  /** the positional words it takes (export: yocto, buildroot) */
  positionals?: readonly string[];
  /** whether it writes out/ (then it holds out/'s lock while it runs: core/outlock.ts) */
  writesOut: boolean;
  /**
   * Read its options from parseArgs' values into its option type, on top of
   * `base` (command, help, json, verbose, noBuild, rebuild). Left out only
   * when O is BaseOptions. Not called for --help. Throws UsageError (exit 2). Pure.
   */
  parse?(base: BaseOptions, values: Record<string, unknown>, positionals: readonly string[]): O;
  /** Run it. Returns the exit code (0 ok, 1 failed); throws OrchestratorError for 2 and 130. */
  run(env: Env, o: O, io: Io): Promise<number>;
}

/** --help and --json: every command has them. */
export const COMMON: Options = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } };

/** --board, --kernel and a kernel the user built. */
export const BOARD_KERNEL: Options = {
  board: { type: 'string' },
  kernel: { type: 'string' },
  'kernel-build': { type: 'string' },
  'kernel-image': { type: 'string' },
  'kernel-modules': { type: 'string' },
  dtb: { type: 'string' },
};

/** --verbose (-v): build, smoke and bench echo what runs (make's output, the guest's console) and show progress as plain lines. */
export const VERBOSE: Options = { verbose: { type: 'boolean', short: 'v' } };

/** --extra-groups and --only. */
export const RUN_GROUPS: Options = { 'extra-groups': { type: 'string' }, only: { type: 'string' } };

export const OWN_KERNEL_HELP = `  --kernel-build <dir> your own kernel instead of Debian's: its build tree
                       (make O=…; Yocto tmp/work-shared/<machine>/kernel-build-artifacts;
                       Buildroot output/build/linux-<version>)
  --kernel-image <f>   its image (default: <build>/arch/<arch>/boot/bzImage|Image|zImage;
                       Yocto tmp/deploy/images/<machine>/, Buildroot output/images/)
  --kernel-modules <p> its modules: a dir with lib/modules/<release>/ (Buildroot output/target),
                       or Yocto's modules-<machine>.tgz (default: make modules_install)
  --dtb <file>         its DTB, for device-tree boards (default: <build>/arch/<arch>/boot/dts/)`;

export const REBUILD_HELP = `  --rebuild            build every step again, even those whose inputs did not change
Incremental: a step (module, selftests, tools, device tree, initramfs and bundle)
runs only when its inputs changed since the build recorded in
out/<board>/<release>/build/inputs.json: src-kernel, the kernel package versions,
the compilers, the board profile, busybox, the orchestrator's sources. The package
versions a kernel resolves to are reused while the private apt lists are unchanged
(they are refreshed once a day, or now with ATEMSYS_APT_REFRESH=1).`;

export const RUN_GROUPS_HELP = `  --extra-groups <g,…> selftest groups to run besides the board's, on every selected
                       kernel (e.g. fuzz; a profile's kernels can name them too)
  --only <test,…>      run only these selftests, a group name standing for its tests
                       (names as in atemsys-selftest --list; checked before the build;
                       module-wide tests such as kernel_log_clean only when named)`;

/** A string option's value, or undefined. */
export function str(values: Record<string, unknown>, k: string): string | undefined {
  const v = values[k];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option's values. */
export function strs(values: Record<string, unknown>, k: string): string[] {
  const v = values[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A required string option. Throws UsageError when missing or blank. */
export function required(cmd: string, values: Record<string, unknown>, k: string, what: string): string {
  const v = str(values, k);
  if (v === undefined) throw new UsageError(`${cmd}: --${k} ${what} is required`);
  if (v.trim() === '') throw new UsageError(`${cmd}: --${k} needs a value`);
  return v;
}

/** The --kernel filter: series, suite or flavour words joined by /. */
export const KERNEL_FILTER_RE = /^[a-z0-9.+-]+(\/[a-z0-9.+-]+)*$/;

/**
 * --board (required), --kernel, a kernel the user built, --extra-groups,
 * --only, --timeout, --fuzz-calls and --fuzz-seed, whichever the command's table has,
 * checked, on top of `base`. Throws UsageError. Pure.
 */
export function parseBoardKernel(base: BaseOptions, values: Record<string, unknown>): BoardKernelOptions {
  const cmd = base.command;
  const board = str(values, 'board');
  if (board === undefined) throw new UsageError(`${cmd}: --board <name|all> is required`);
  if (board.trim() === '') throw new UsageError(`${cmd}: --board needs a value`);
  const o: BoardKernelOptions = { ...base, board };
  const kernel = str(values, 'kernel');
  if (kernel !== undefined) o.kernel = kernel;
  const build = str(values, 'kernel-build');
  const ownParts = { image: str(values, 'kernel-image'), modules: str(values, 'kernel-modules'), dtb: str(values, 'dtb') };
  if (build === undefined) {
    const stray = Object.entries(ownParts).find(([, v]) => v !== undefined);
    if (stray) throw new UsageError(`${cmd}: --${stray[0] === 'dtb' ? 'dtb' : `kernel-${stray[0]}`} belongs to a kernel you built: give its build tree with --kernel-build too`);
  } else {
    if (build.trim() === '') throw new UsageError(`${cmd}: --kernel-build needs a directory`);
    if (o.kernel !== undefined) throw new UsageError(`${cmd}: --kernel picks Debian kernels; --kernel-build replaces them: give one or the other`);
    if (o.board === 'all') throw new UsageError(`${cmd}: --kernel-build needs one board: a kernel is built for one arch and machine`);
    o.own = { build };
    for (const [k, v] of Object.entries(ownParts)) if (v !== undefined) o.own[k as 'image' | 'modules' | 'dtb'] = v;
  }
  if (base.noBuild && base.rebuild === true) throw new UsageError(`${cmd}: --no-build boots the existing artifacts, --rebuild builds them all again: give one or the other`);
  if (values['no-overlap'] === true) o.noOverlap = true;
  const groups = str(values, 'extra-groups');
  if (groups !== undefined) {
    const gs = groups.split(',').filter(Boolean);
    const bad = gs.find((g) => !/^[a-z0-9]+$/.test(g));
    if (gs.length === 0 || bad !== undefined) throw new UsageError(`${cmd}: --extra-groups expects selftest group names joined by commas (fuzz; pci,ll), got "${groups}"`);
    o.extraGroups = gs;
  }
  const only = str(values, 'only');
  if (only !== undefined) {
    const ts = only.split(',').filter(Boolean);
    const bad = ts.find((t) => !/^[a-z0-9_]+$/.test(t));
    if (ts.length === 0 || bad !== undefined) throw new UsageError(`${cmd}: --only expects selftest names joined by commas (dma_churn,fuzz), got "${only}"`);
    o.only = ts;
  }
  const timeout = str(values, 'timeout');
  if (timeout !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(timeout)) throw new UsageError(`${cmd}: --timeout expects whole seconds (900), got "${timeout}"`);
    o.timeout = Number(timeout);
  }
  const calls = str(values, 'fuzz-calls');
  if (calls !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(calls)) throw new UsageError(`${cmd}: --fuzz-calls expects a number of calls (250000), got "${calls}"`);
    o.fuzzCalls = Number(calls);
  }
  const seed = str(values, 'fuzz-seed');
  if (seed !== undefined) {
    if (!/^[1-9][0-9]{0,19}$/.test(seed) || BigInt(seed) >= 2n ** 64n) {
      throw new UsageError(`${cmd}: --fuzz-seed expects the seed a fuzz run printed (a number from 1 to 2^64-1, e.g. 2049381707), got "${seed}"`);
    }
    o.fuzzSeed = seed;
  }
  if (o.kernel !== undefined && !KERNEL_FILTER_RE.test(o.kernel)) {
    throw new UsageError(`${cmd}: --kernel expects a series, suite or flavour, or several joined by / (6.1, trixie, trixie/rt-amd64), got "${o.kernel}"`);
  }
  return o;
}
