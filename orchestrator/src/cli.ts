/**
 * `orchestrate` — build atemsys against Debian kernels and smoke-test it in QEMU.
 * Exit codes: 0 ok, 1 a build/boot/test failed, 2 usage or configuration error, 130 interrupted.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Listr, type ListrRendererValue } from 'listr2';
import { hostDebianArch, type Arch } from './debian/arch.ts';
import { ConfigError, FailureError, InterruptedError, OrchestratorError, UsageError, errorMessage } from './core/errors.ts';
import {
  AptStates,
  bootTask,
  buildTask,
  dtTask,
  fetchTask,
  kernelLabel,
  locateTask,
  newJob,
  packageTask,
  readOrchestratorVersion,
  resolveTask,
  secs,
  staticCheckTask,
  type Env,
  type JobTask,
  type KernelJob,
  hostDebianSuite,
} from './pipeline/pipeline.ts';
import { acquireOutLock } from './core/outlock.ts';
import { checkSelftestNames, expandOnly, readSelftestTable } from './report/selftestplan.ts';
import { resolvePaths, type Paths } from './core/paths.ts';
import { findProfile, loadAllProfiles, type KernelSpec, type Profile } from './profile/profile.ts';
import type { OwnKernelInput } from './kernel/ownkernel.ts';
import { capabilityMatrix, capabilityTable, table, testTable, totalsLine } from './report/report.ts';
import { failedBeforeBoot, totals, type RunSummary } from './report/results.ts';
import { buildTools, requireTools } from './debian/tools.ts';
import { archInfo } from './debian/arch.ts';
import { bundleName } from './packaging/bundle.ts';
import { DT_TOOLS } from './devicetree/devicetree.ts';
import { EXPORT_TARGETS, type ExportTarget } from './packaging/export.ts';
import { cmdBuildroot, cmdExport, cmdPackage, cmdYocto } from './commands/packaging.ts';
import { BENCH_USAGE, cmdBench, parseBenchOptions } from './commands/bench.ts';
import { MATRIX_USAGE, cmdMatrix, parseMatrixOptions } from './commands/matrix.ts';
import { TESTKERNEL_USAGE, cmdTestKernel } from './commands/testkernel.ts';
import { LAVA_USAGE, cmdLava } from './commands/lava.ts';

export const COMMANDS = ['boards', 'build', 'smoke', 'bench', 'check', 'matrix', 'testkernel', 'export', 'yocto', 'buildroot', 'package', 'lava'] as const;
export type Command = (typeof COMMANDS)[number];

const OWN_KERNEL_HELP = `  --kernel-build <dir> your own kernel instead of Debian's: its build tree
                       (make O=…; Yocto tmp/work-shared/<machine>/kernel-build-artifacts;
                       Buildroot output/build/linux-<version>)
  --kernel-image <f>   its image (default: <build>/arch/<arch>/boot/bzImage|Image|zImage;
                       Yocto tmp/deploy/images/<machine>/, Buildroot output/images/)
  --kernel-modules <p> its modules: a dir with lib/modules/<release>/ (Buildroot output/target),
                       or Yocto's modules-<machine>.tgz (default: make modules_install)
  --dtb <file>         its DTB, for device-tree boards (default: <build>/arch/<arch>/boot/dts/)`;

const REBUILD_HELP = `  --rebuild            build every step again, even those whose inputs did not change
Incremental: a step (module, selftests, tools, device tree, initramfs and bundle)
runs only when its inputs changed since the build recorded in
out/<board>/<release>/build/inputs.json: src-kernel, the kernel package versions,
the compilers, the board profile, busybox, the orchestrator's sources. The package
versions a kernel resolves to are reused while the private apt lists are unchanged
(they are refreshed once a day, or now with ATEMSYS_APT_REFRESH=1).`;

const RUN_GROUPS_HELP = `  --extra-groups <g,…> selftest groups to run besides the board's, on every selected
                       kernel (e.g. fuzz; a profile's kernels can name them too)
  --only <test,…>      run only these selftests, a group name standing for its tests
                       (names as in atemsys-selftest --list; checked before the build;
                       module-wide tests such as kernel_log_clean only when named)`;

const USAGE: Record<Command | 'main', string> = {
  main: `usage: orchestrate <command> [options]

commands:
  boards     list the board profiles (boards/*.yaml)
  build      fetch Debian kernels, cross-build atemsys.ko and the selftests, bundle into out/<board>/<release>/
  smoke      build if needed, boot each kernel in QEMU, run the selftests, report
  bench      build if needed, boot each PCI board with the benchmark, report latencies and targets
  check      W=1 + sparse builds of the module against every kernel of the board(s)
  matrix     W=1 + sparse builds against Debian's kernel sources, 5.10 to sid's newest, × 3 arches
  testkernel build a small 5.10 kernel from Debian's source, to smoke-test a kernel you built
  export     write the board overlays meta-atemsys/ and br2-external/ take from boards/
  yocto      build (or parse, or yocto-check-layer) meta-atemsys in a real Yocto tree
  buildroot  configure and build br2-external in a real Buildroot tree
  package    build the DKMS Debian package (package deb)
  lava       write LAVA jobs (QEMU, or U-Boot on the real board) for the built kernels

Run \`orchestrate <command> --help\` for its options.
Exit codes: 0 ok, 1 a build, boot or test failed, 2 usage or configuration error, 130 interrupted.`,
  boards: `usage: orchestrate boards [--json]

List the board profiles: name, arch, kernels, QEMU machine.
  --json   machine-readable output`,
  build: `usage: orchestrate build --board <name|all> [--kernel <filter>] [--extra-groups <g,…>] [--only <t,…>] [--rebuild] [--json]

Fetch the board's Debian kernels (all by default), cross-build atemsys.ko and
atemsys-selftest, and write out/<board>/<release>/ with atemsys.ko,
atemsys-selftest, vmlinuz, initramfs.cpio.gz, manifest.json and a .tar.gz bundle.
  --board <name|all>   board profile (boards/<name>.yaml), or all boards
  --kernel <filter>    only the board's kernels of this series, suite or flavour
                       (6.1, trixie, rt-amd64; join with /: trixie/rt-amd64)
${OWN_KERNEL_HELP}
${RUN_GROUPS_HELP}
${REBUILD_HELP}
  --json               print the result as JSON (no progress display)`,
  smoke: `usage: orchestrate smoke --board <name|all> [--kernel <filter> | --kernel-build <dir> …]
                       [--extra-groups <g,…>] [--only <t,…>] [--timeout <s>]
                       [--fuzz-calls <n>] [--verbose] [--json] [--no-build] [--rebuild]

Build what changed (see build), boot each kernel in QEMU,
run the in-guest selftests (KTAP), print the results and write serial.log,
junit.xml and results.json beside the artifacts. \`all\` runs every board with a
qemu section, one after the other, and ends with a capability table.
  --board <name|all>   board profile, or all boards
  --kernel <filter>    only kernels of this series, suite or flavour (see build)
${OWN_KERNEL_HELP}
${RUN_GROUPS_HELP}
  --timeout <s>        the guest's hard timeout in seconds, instead of the profile's
                       qemu.timeout (a debug kernel runs several times slower); the
                       selftests' per-test limits grow by the same factor
  --fuzz-calls <n>     calls the fuzz group makes (default 1,000,000; a debug kernel's
                       lane makes fewer: it runs some twenty times slower)
  --verbose            echo the guest's serial console
  --json               print the results as JSON (no progress display)
  --no-build           use the existing artifacts, never build
  --rebuild            build every step again (see build)`,
  bench: BENCH_USAGE,
  matrix: MATRIX_USAGE,
  testkernel: TESTKERNEL_USAGE,
  lava: LAVA_USAGE,
  check: `usage: orchestrate check --board <name|all> [--kernel <filter>] [--json]

Build the module with W=1 and sparse (C=2) against each kernel; any warning
in the module's own sources fails the check.
  --board <name|all>   board profile, or all boards
  --kernel <filter>    only kernels of this series, suite or flavour (see build)
  --json               print the result as JSON`,
  export: `usage: orchestrate export [yocto|buildroot] [--check] [--json]

Write what the Yocto layer and the Buildroot tree take from the board
profiles, so that an overlay is only ever edited in boards/<name>.yaml:
  yocto      meta-atemsys/recipes-kernel/linux/atemsys-dts/<dir>/<base>-atemsys.dtso
             and meta-atemsys/conf/atemsys/<board>.inc
  buildroot  br2-external/board/<board>/dts/<dir>/<base>-atemsys.dtso
Both by default. Generated files of boards that are gone are removed.
  --check   write nothing: list what differs and exit 1 if anything does
  --json    print the result as JSON`,
  yocto: `usage: orchestrate yocto --poky <dir> --machine <machine> [options]

Build meta-atemsys in a real Yocto tree. Runs as an unprivileged user (bitbake
refuses root). Adds the layers to the build directory, writes its
conf/auto.conf (MACHINE, packagegroup-atemsys, the board's overlay fragment)
and runs bitbake; logs go to <build-dir>/atemsys-logs/.
  --poky <dir>        a poky checkout, or openembedded-core (bitbake beside it or --bitbake)
  --bitbake <dir>     the bitbake checkout (default: <tree>/bitbake, else <tree>/../bitbake)
  --machine <name>    MACHINE, e.g. qemuarm64 or imx8mp-lpddr4-evk
  --layer <dir>       another layer to add first, e.g. meta-freescale (repeatable)
  --board <name>      add the overlay of boards/<name>.yaml (conf/atemsys/<name>.inc)
  --build-dir <dir>   the build directory (default out/yocto/<machine>)
  --target <target>   what bitbake builds (default core-image-minimal)
  --conf <line>       one more line for conf/auto.conf (repeatable), e.g. 'ACCEPT_FSL_EULA = "1"'
  --offline           BB_NO_NETWORK = "1": parse and check without a network
  --parse-only        only parse the layer's recipes (bitbake -e), build nothing
  --check-layer       run yocto-check-layer on meta-atemsys instead of building
  --json              print the result as JSON`,
  buildroot: `usage: orchestrate buildroot --buildroot <dir> --defconfig <name> [options]

Configure and build a real Buildroot tree with br2-external (BR2_EXTERNAL),
output in out/buildroot/<defconfig>/; logs go to <output>/atemsys-logs/.
  --buildroot <dir>    the Buildroot checkout
  --defconfig <name>   e.g. atemsys_qemu_aarch64_virt_defconfig (br2-external/configs/)
  --output <dir>       the output directory (default out/buildroot/<defconfig>)
  --configure-only     stop after \`make <defconfig>\`: no download, no build
  --check-package      first run Buildroot's utils/check-package on br2-external
  --json               print the result as JSON`,
  package: `usage: orchestrate package deb [--out <dir>] [--json]

Build the DKMS Debian package atemsys-dkms_<version>_all.deb from src-kernel/
and debian/ (dpkg-buildpackage in a temporary copy of the two).
  --out <dir>   where the .deb goes (default out/deb)
  --json        print the result as JSON`,
};

export interface YoctoCli {
  tree: string;
  bitbake?: string;
  machine: string;
  layers: string[];
  board?: string;
  buildDir?: string;
  target: string;
  conf: string[];
  offline: boolean;
  mode: 'build' | 'parse' | 'check-layer';
}

export interface BuildrootCli {
  tree: string;
  defconfig: string;
  output?: string;
  configureOnly: boolean;
  checkPackage: boolean;
}

export interface CliOptions {
  command: Command | 'help' | 'version';
  help: boolean;
  board?: string;
  kernel?: string;
  json: boolean;
  verbose: boolean;
  noBuild: boolean;
  /** build, smoke: every step, even those whose inputs did not change */
  rebuild?: boolean;
  /** for `help <command>` */
  topic?: Command;
  /** export: which targets, and --check */
  exportTargets?: ExportTarget[];
  check?: boolean;
  yocto?: YoctoCli;
  buildroot?: BuildrootCli;
  /** package: the output directory */
  out?: string;
  /** bench: fewer samples */
  quick?: boolean;
  /** bench: a second boot with this atemsys.ko */
  module?: string;
  /** a kernel the user built, instead of the board's Debian kernels */
  own?: OwnKernelInput;
  /** testkernel: the debug kernel */
  debugKernel?: boolean;
  /** lava: where the lab fetches out/ from */
  artifactsUrl?: string;
  /** lava --submit: the LAVA server */
  lavaServer?: string;
  /** build, smoke: selftest groups added to every selected kernel's */
  extraGroups?: string[];
  /** build, smoke: only these selftests (atemsys-selftest --only) */
  only?: string[];
  /** smoke: the guest's hard timeout (s), over the profile's */
  timeout?: number;
  /** smoke: the fuzz group's calls */
  fuzzCalls?: number;
  /** matrix: only these suites and architectures */
  suites?: string[];
  arches?: Arch[];
}

function isCommand(s: string): s is Command {
  return (COMMANDS as readonly string[]).includes(s);
}

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON: Options = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } };
const BOARD_KERNEL: Options = {
  board: { type: 'string' },
  kernel: { type: 'string' },
  'kernel-build': { type: 'string' },
  'kernel-image': { type: 'string' },
  'kernel-modules': { type: 'string' },
  dtb: { type: 'string' },
};
const SPECS: Record<Command, Options> = {
  boards: COMMON,
  build: { ...COMMON, ...BOARD_KERNEL, 'extra-groups': { type: 'string' }, only: { type: 'string' }, rebuild: { type: 'boolean' } },
  check: { ...COMMON, ...BOARD_KERNEL },
  smoke: { ...COMMON, ...BOARD_KERNEL, verbose: { type: 'boolean', short: 'v' }, 'no-build': { type: 'boolean' }, 'extra-groups': { type: 'string' }, only: { type: 'string' }, timeout: { type: 'string' }, 'fuzz-calls': { type: 'string' }, rebuild: { type: 'boolean' } },
  bench: { ...COMMON, ...BOARD_KERNEL, verbose: { type: 'boolean', short: 'v' }, 'no-build': { type: 'boolean' }, quick: { type: 'boolean' }, module: { type: 'string' } },
  matrix: { ...COMMON, suite: { type: 'string' }, arch: { type: 'string' } },
  testkernel: { ...COMMON, debug: { type: 'boolean' } },
  lava: { ...COMMON, board: { type: 'string' }, kernel: { type: 'string' }, 'artifacts-url': { type: 'string' }, submit: { type: 'string' } },
  export: { ...COMMON, check: { type: 'boolean' } },
  yocto: {
    ...COMMON,
    poky: { type: 'string' },
    bitbake: { type: 'string' },
    machine: { type: 'string' },
    layer: { type: 'string', multiple: true },
    board: { type: 'string' },
    'build-dir': { type: 'string' },
    target: { type: 'string' },
    conf: { type: 'string', multiple: true },
    offline: { type: 'boolean' },
    'parse-only': { type: 'boolean' },
    'check-layer': { type: 'boolean' },
  },
  buildroot: {
    ...COMMON,
    buildroot: { type: 'string' },
    defconfig: { type: 'string' },
    output: { type: 'string' },
    'configure-only': { type: 'boolean' },
    'check-package': { type: 'boolean' },
  },
  package: { ...COMMON, out: { type: 'string' } },
};
/** commands that take positional words */
const POSITIONALS: Partial<Record<Command, readonly string[]>> = { export: EXPORT_TARGETS, package: ['deb'] };

function str(values: Record<string, unknown>, k: string): string | undefined {
  const v = values[k];
  return typeof v === 'string' ? v : undefined;
}

function strs(values: Record<string, unknown>, k: string): string[] {
  const v = values[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function required(cmd: string, values: Record<string, unknown>, k: string, what: string): string {
  const v = str(values, k);
  if (v === undefined) throw new UsageError(`${cmd}: --${k} ${what} is required`);
  if (v.trim() === '') throw new UsageError(`${cmd}: --${k} needs a value`);
  return v;
}

function parseYocto(values: Record<string, unknown>): YoctoCli {
  const parse = values['parse-only'] === true;
  const checkLayer = values['check-layer'] === true;
  if (parse && checkLayer) throw new UsageError('yocto: --parse-only and --check-layer exclude each other');
  const y: YoctoCli = {
    tree: required('yocto', values, 'poky', '<dir>'),
    machine: required('yocto', values, 'machine', '<machine>'),
    layers: strs(values, 'layer'),
    target: str(values, 'target') ?? 'core-image-minimal',
    conf: strs(values, 'conf'),
    offline: values.offline === true,
    mode: parse ? 'parse' : checkLayer ? 'check-layer' : 'build',
  };
  if (!/^[A-Za-z0-9._+-]+$/.test(y.machine)) throw new UsageError(`yocto: --machine expects a machine name like qemuarm64, got "${y.machine}"`);
  if (!/^[A-Za-z0-9._+:-]+$/.test(y.target)) throw new UsageError(`yocto: --target expects a recipe or image name, got "${y.target}"`);
  const bad = y.conf.find((l) => l.includes('\n'));
  if (bad !== undefined) throw new UsageError('yocto: --conf takes one line at a time');
  const bitbake = str(values, 'bitbake');
  if (bitbake !== undefined) y.bitbake = bitbake;
  const board = str(values, 'board');
  if (board !== undefined) y.board = board;
  const buildDir = str(values, 'build-dir');
  if (buildDir !== undefined) y.buildDir = buildDir;
  return y;
}

function parseBuildroot(values: Record<string, unknown>): BuildrootCli {
  const b: BuildrootCli = {
    tree: required('buildroot', values, 'buildroot', '<dir>'),
    defconfig: required('buildroot', values, 'defconfig', '<name>'),
    configureOnly: values['configure-only'] === true,
    checkPackage: values['check-package'] === true,
  };
  if (!/^[A-Za-z0-9._-]+_defconfig$/.test(b.defconfig)) throw new UsageError(`buildroot: --defconfig expects a name like atemsys_qemu_aarch64_virt_defconfig, got "${b.defconfig}"`);
  const output = str(values, 'output');
  if (output !== undefined) b.output = output;
  return b;
}

/** Parse argv (without node and script). Throws UsageError. Pure. */
export function parseCli(argv: readonly string[]): CliOptions {
  const base = { help: false, json: false, verbose: false, noBuild: false };
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { ...base, command: 'help', help: true };
  if (first === '--version' || first === '-V') return { ...base, command: 'version' };
  if (first === 'help') {
    const t = rest[0];
    if (t !== undefined && !isCommand(t)) throw new UsageError(`unknown command "${t}"`);
    const o: CliOptions = { ...base, command: 'help', help: true };
    if (t !== undefined) o.topic = t;
    return o;
  }
  if (!isCommand(first)) throw new UsageError(first.startsWith('-') ? `expected a command before ${first}` : `unknown command "${first}"`);
  let values: Record<string, unknown>;
  let positionals: string[];
  const specs = SPECS[first];
  try {
    const parsed = parseArgs({ args: [...rest], options: specs, strict: true, allowPositionals: true, tokens: true });
    ({ values, positionals } = parsed);
    // parseArgs keeps the last of a repeated option: say so instead of dropping the others
    const seen = new Set<string>();
    for (const t of parsed.tokens) {
      if (t.kind !== 'option' || specs[t.name]?.multiple === true) continue;
      if (seen.has(t.name)) {
        const one = specs[t.name]?.type === 'string' ? ` (it takes one value${t.name === 'board' ? '; --board all takes every board' : ''})` : '';
        throw new UsageError(`${first}: --${t.name} given more than once${one}`);
      }
      seen.add(t.name);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // `--timeout -5`: parseArgs calls a dash-led value ambiguous; say what the option wants
    const dashed = /^Option '--([a-z-]+)' argument is ambiguous/.exec(errorMessage(err));
    if (dashed) {
      const i = rest.indexOf(`--${dashed[1]}`);
      throw new UsageError(`${first}: --${dashed[1]} needs a value, got "${rest[i + 1] ?? ''}" (see --help; a value that starts with a dash is given as --${dashed[1]}=<value>)`);
    }
    throw new UsageError(`${first}: ${errorMessage(err).replace(/\. To specify a positional.*$/, '')}`);
  }
  const o: CliOptions = {
    command: first,
    help: values.help === true,
    json: values.json === true,
    verbose: values.verbose === true,
    noBuild: values['no-build'] === true,
    topic: first,
  };
  if (values.rebuild === true) o.rebuild = true;
  if (o.help) return o;
  const allowed = POSITIONALS[first] ?? [];
  const unexpected = positionals.find((w) => !allowed.includes(w));
  if (unexpected !== undefined) {
    throw new UsageError(`${first}: unexpected argument "${unexpected}"${allowed.length > 0 ? ` (expected ${allowed.join(' or ')})` : ''}`);
  }
  switch (first) {
    case 'export':
      o.exportTargets = positionals.length > 0 ? EXPORT_TARGETS.filter((t) => positionals.includes(t)) : [...EXPORT_TARGETS];
      o.check = values.check === true;
      return o;
    case 'yocto':
      o.yocto = parseYocto(values);
      return o;
    case 'buildroot':
      o.buildroot = parseBuildroot(values);
      return o;
    case 'matrix':
      return parseMatrixOptions(o, values);
    case 'testkernel':
      if (values.debug === true) o.debugKernel = true;
      return o;
    case 'lava': {
      const u = str(values, 'artifacts-url');
      if (u !== undefined) o.artifactsUrl = u;
      const srv = str(values, 'submit');
      if (srv !== undefined) o.lavaServer = srv;
      break;
    }
    case 'package': {
      if (positionals.length !== 1) throw new UsageError('package: say which package: orchestrate package deb');
      const out = str(values, 'out');
      if (out !== undefined) o.out = out;
      return o;
    }
    default:
      break;
  }
  if (typeof values.board === 'string') o.board = values.board;
  if (typeof values.kernel === 'string') o.kernel = values.kernel;
  if (first !== 'boards' && o.board === undefined) throw new UsageError(`${first}: --board <name|all> is required`);
  if (o.board !== undefined && o.board.trim() === '') throw new UsageError(`${first}: --board needs a value`);
  const build = str(values, 'kernel-build');
  const ownParts = { image: str(values, 'kernel-image'), modules: str(values, 'kernel-modules'), dtb: str(values, 'dtb') };
  if (build === undefined) {
    const stray = Object.entries(ownParts).find(([, v]) => v !== undefined);
    if (stray) throw new UsageError(`${first}: --${stray[0] === 'dtb' ? 'dtb' : `kernel-${stray[0]}`} belongs to a kernel you built: give its build tree with --kernel-build too`);
  } else {
    if (build.trim() === '') throw new UsageError(`${first}: --kernel-build needs a directory`);
    if (o.kernel !== undefined) throw new UsageError(`${first}: --kernel picks Debian kernels; --kernel-build replaces them: give one or the other`);
    if (o.board === 'all') throw new UsageError(`${first}: --kernel-build needs one board: a kernel is built for one arch and machine`);
    o.own = { build };
    for (const [k, v] of Object.entries(ownParts)) if (v !== undefined) o.own[k as 'image' | 'modules' | 'dtb'] = v;
  }
  const groups = str(values, 'extra-groups');
  if (groups !== undefined) {
    const gs = groups.split(',').filter(Boolean);
    const bad = gs.find((g) => !/^[a-z0-9]+$/.test(g));
    if (gs.length === 0 || bad !== undefined) throw new UsageError(`${first}: --extra-groups expects selftest group names joined by commas (fuzz; pci,ll), got "${groups}"`);
    o.extraGroups = gs;
  }
  const only = str(values, 'only');
  if (only !== undefined) {
    const ts = only.split(',').filter(Boolean);
    const bad = ts.find((t) => !/^[a-z0-9_]+$/.test(t));
    if (ts.length === 0 || bad !== undefined) throw new UsageError(`${first}: --only expects selftest names joined by commas (dma_churn,fuzz), got "${only}"`);
    o.only = ts;
  }
  const timeout = str(values, 'timeout');
  if (timeout !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(timeout)) throw new UsageError(`${first}: --timeout expects whole seconds (900), got "${timeout}"`);
    o.timeout = Number(timeout);
  }
  const calls = str(values, 'fuzz-calls');
  if (calls !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(calls)) throw new UsageError(`${first}: --fuzz-calls expects a number of calls (250000), got "${calls}"`);
    o.fuzzCalls = Number(calls);
  }
  if (o.kernel !== undefined && !KERNEL_FILTER_RE.test(o.kernel)) {
    throw new UsageError(`${first}: --kernel expects a series, suite or flavour, or several joined by / (6.1, trixie, trixie/rt-amd64), got "${o.kernel}"`);
  }
  return first === 'bench' ? parseBenchOptions(o, values) : o;
}

export function usage(topic?: Command): string {
  return USAGE[topic ?? 'main'];
}

const KERNEL_FILTER_RE = /^[a-z0-9.+-]+(\/[a-z0-9.+-]+)*$/;

/** Whether a kernel matches a --kernel filter: every /-separated part names its series, suite or flavour. */
export function kernelMatches(k: KernelSpec, filter: string): boolean {
  return filter.split('/').every((part) => part === k.series || part === k.suite || part === k.flavour);
}

/** The kernel spec of a kernel the user built. */
export function ownKernelSpec(own: OwnKernelInput): KernelSpec {
  return { suite: 'own', series: 'own', flavour: 'own', own };
}

/** What the command line adds to each selected kernel (--extra-groups, --only, --timeout, --fuzz-calls). */
export interface RunAdjust {
  extraGroups?: string[];
  only?: string[];
  timeout?: number;
  fuzzCalls?: number;
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
  };
}

/** Kernels of a profile, filtered by --kernel, or the user's own kernel (--kernel-build); adjusted by --extra-groups and --timeout. */
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

async function selectBoards(paths: Paths, board: string, needQemu: boolean, kernelFilter?: string): Promise<{ run: Profile[]; buildOnly: BuildOnlyBoard[] }> {
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

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function renderer(o: CliOptions): 'silent' | 'simple' | 'default' {
  if (o.json) return 'silent';
  if (o.verbose || !process.stdout.isTTY || process.env.CI) return 'simple';
  return 'default';
}

async function runJob(job: KernelJob, steps: JobTask[], o: CliOptions): Promise<void> {
  const title = `${job.profile.name} · ${kernelLabel(job.spec)}`;
  const listr = new Listr<KernelJob, ListrRendererValue, ListrRendererValue>(
    [{ title, task: (_ctx, task) => task.newListr(steps, { exitOnError: true }) }],
    {
      ctx: job,
      exitOnError: true,
      registerSignalListeners: false,
      renderer: renderer(o),
      fallbackRenderer: 'simple',
      rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: false },
    },
  );
  await listr.run(job);
}

/**
 * The selftest groups and tests the selected kernels run (a profile's and
 * --extra-groups, --only), checked against the selftests' own table before
 * anything is built. Throws UsageError (exit 2).
 */
async function checkSelftestRun(profiles: readonly Profile[], o: CliOptions, paths: Paths): Promise<void> {
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
      checkSelftestNames(table, { ...(k.extraGroups ? { groups: k.extraGroups } : {}), where: `${p.name} ${kernelLabel(k)}` });
    }
  }
}

function isFatal(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof InterruptedError || err instanceof UsageError;
}

async function checkTools(profiles: readonly Profile[], o: CliOptions, host: ReturnType<typeof hostDebianArch>): Promise<void> {
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
    const { missingToolsMessage } = await import('./debian/tools.ts');
    const lines = [...byArch].map(([a, ts]) => missingToolsMessage(ts, a));
    throw new ConfigError(lines.join('\n'));
  }
}

async function cmdBoards(env: Env, o: CliOptions, io: Io): Promise<number> {
  const ps = await loadAllProfiles(env.paths.boards, env.paths.repo);
  if (o.json) {
    io.out(
      JSON.stringify(
        ps.map((p) => ({ ...p, file: path.relative(env.paths.repo, p.file) })),
        null,
        2,
      ),
    );
    return 0;
  }
  io.out(
    table(
      ['board', 'arch', 'kernels', 'qemu', 'description'],
      ps.map((p) => [
        p.name,
        p.arch,
        p.kernels.map((k) => `${k.suite}/${k.series}/${k.flavour}${k.version ? `=${k.version}` : ''}`).join(', '),
        p.qemu ? `${p.qemu.binary} -M ${p.qemu.machine}` : 'build only',
        p.description,
      ]),
    ),
  );
  const bo = ps.filter((p) => p.qemu === undefined);
  if (bo.length > 0) {
    io.out('');
    for (const l of buildOnlyLines(partitionBoards(bo, true).buildOnly)) io.out(l);
  }
  return 0;
}

function buildSteps(env: Env, fresh: boolean): JobTask[] {
  return [resolveTask(env, { checkFresh: fresh }), fetchTask(env), buildTask(env), dtTask(env), packageTask(env)];
}

async function cmdBuild(env: Env, o: CliOptions, io: Io): Promise<number> {
  const { run: profiles } = await selectBoards(env.paths, o.board ?? '', false, o.kernel);
  await checkSelftestRun(profiles, o, env.paths);
  await checkTools(profiles, o, env.host);
  const results: Record<string, unknown>[] = [];
  let failed = 0;
  for (const p of profiles) {
    for (const spec of selectKernels(p, o.kernel, o.own, o)) {
      const job = newJob(p, spec, env.host);
      try {
        await runJob(job, buildSteps(env, true), o);
        const release = job.resolved?.release ?? '?';
        const dir = job.dir ?? '';
        results.push({
          board: p.name,
          suite: spec.suite,
          series: spec.series,
          flavour: spec.flavour,
          release,
          status: 'built',
          dir,
          bundle: job.bundle ?? path.join(dir, bundleName(p.name, release)),
          vermagic: job.vermagic,
          packages: job.manifest?.packages ?? [],
          downloaded: job.stats.downloaded,
          cached: job.stats.cached,
          corrupt: job.stats.corrupt,
          timings: job.timings,
        });
        if (!o.json) {
          io.out(`${p.name} ${release}: artifacts in ${rel(dir)}/ (bundle ${path.basename(job.bundle ?? '')})`);
          if (job.upToDate) io.out('  up to date (nothing changed since it was built; --rebuild builds it again)');
          else io.out(`  downloads ${secs(job.timings.fetchMs)} (${job.stats.downloaded.length} downloaded, ${job.stats.cached.length} cached), build ${secs(job.timings.buildMs)}`);
          for (const c of job.stats.corrupt) io.out(`  corrupt in the cache, fetched again: ${c}`);
        }
      } catch (err) {
        if (isFatal(err)) throw err;
        failed++;
        results.push({ board: p.name, suite: spec.suite, series: spec.series, flavour: spec.flavour, release: job.resolved?.release, status: 'failed', error: errorMessage(err) });
        io.err(`${p.name} ${kernelLabel(spec)}: build failed:\n${errorMessage(err)}`);
      }
    }
  }
  if (o.json) io.out(JSON.stringify(results, null, 2));
  return failed > 0 ? 1 : 0;
}

/** One run's result as smoke prints it: the line, the tests, problems, notes, where its files are */
export function printRun(s: RunSummary, io: Io): void {
  const c = s.counts;
  io.out('');
  io.out(`${s.board} ${s.release ?? kernelLabel(s)}: ${s.status === 'passed' ? 'PASSED' : 'FAILED'} — ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (boot to end ${secs(s.durationMs)})`);
  io.out(testTable(s.tests));
  if (s.problems.length > 0) {
    io.out('problems:');
    for (const pr of s.problems) io.out(`  - ${pr.replace(/\n/g, '\n    ')}`);
  }
  for (const n of s.notes ?? []) io.out(`note: ${n}`);
  if (s.dir) io.out(`serial log: ${rel(path.join(s.dir, 'serial.log'))}   junit: ${rel(path.join(s.dir, 'junit.xml'))}`);
}

async function cmdSmoke(env: Env, o: CliOptions, io: Io): Promise<number> {
  const { run: profiles, buildOnly } = await selectBoards(env.paths, o.board ?? '', true, o.kernel);
  await checkSelftestRun(profiles, o, env.paths);
  await checkTools(profiles, o, env.host);
  const runs: RunSummary[] = [];
  for (const p of profiles) {
    for (const spec of selectKernels(p, o.kernel, o.own, o)) {
      const job = newJob(p, spec, env.host);
      const steps = o.noBuild ? [locateTask(env)] : buildSteps(env, true);
      const echo = (t: string): void => {
        process.stdout.write(t);
      };
      try {
        await runJob(job, [...steps, bootTask(env, { verbose: o.verbose, echo })], o);
        const s = job.summary;
        if (!s) throw new FailureError('internal: boot produced no summary');
        runs.push(s);
      } catch (err) {
        if (isFatal(err)) throw err;
        const key = { board: p.name, arch: p.arch, suite: spec.suite, series: spec.series, flavour: spec.flavour };
        const stage = job.guest ? 'boot' : job.ko === undefined && !job.upToDate && !o.noBuild ? 'build' : 'boot';
        const s = failedBeforeBoot(job.resolved ? { ...key, release: job.resolved.release } : key, stage, errorMessage(err));
        if (job.dir) s.dir = job.dir;
        runs.push(s);
      }
      const last = runs[runs.length - 1];
      if (last && !o.json) printRun(last, io);
    }
  }
  if (o.json) {
    io.out(JSON.stringify({ runs, buildOnly, totals: totals(runs) }, null, 2));
  } else {
    io.out('');
    io.out(capabilityMatrix(runs));
    io.out('');
    io.out(capabilityTable(runs));
    for (const l of buildOnlyLines(buildOnly)) io.out(l);
    io.out('');
    io.out(totalsLine(runs));
  }
  return runs.every((r) => r.status === 'passed') ? 0 : 1;
}

/**
 * `check` builds each kernel release once: the first board (and kernel) that
 * resolves to a release claims it; later ones are covered by that check.
 * Returns the claimant when the release was already claimed. Pure apart from `seen`.
 */
export function claimRelease(seen: Map<string, string>, release: string, who: string): string | undefined {
  const first = seen.get(release);
  if (first === undefined) seen.set(release, who);
  return first;
}

async function cmdCheck(env: Env, o: CliOptions, io: Io): Promise<number> {
  const { run: profiles } = await selectBoards(env.paths, o.board ?? '', false, o.kernel);
  await checkTools(profiles, o, env.host);
  const rows: { board: string; kernel: string; status: 'ok' | 'failed' | 'covered'; coveredBy?: string; error?: string }[] = [];
  const seen = new Map<string, string>();
  for (const p of profiles) {
    for (const spec of selectKernels(p, o.kernel, o.own, o)) {
      const job = newJob(p, spec, env.host);
      let coveredBy: string | undefined;
      const claim: JobTask = {
        title: 'kernel release not checked yet',
        task: (j, task) => {
          const release = j.resolved?.release;
          if (release === undefined) throw new FailureError('internal: no kernel release after resolving');
          coveredBy = claimRelease(seen, release, p.name);
          if (coveredBy !== undefined) task.skip(`${release} is checked with ${coveredBy} already`);
        },
      };
      const unlessCovered = (t: JobTask): JobTask => ({ ...t, skip: () => (coveredBy !== undefined ? `checked with ${coveredBy}` : false) });
      try {
        await runJob(job, [resolveTask(env, { checkFresh: false }), claim, unlessCovered(fetchTask(env)), unlessCovered(staticCheckTask(env))], o);
        const kernel = job.resolved?.release ?? kernelLabel(spec);
        rows.push(coveredBy !== undefined ? { board: p.name, kernel, status: 'covered', coveredBy } : { board: p.name, kernel, status: 'ok' });
      } catch (err) {
        if (isFatal(err)) throw err;
        rows.push({ board: p.name, kernel: job.resolved?.release ?? kernelLabel(spec), status: 'failed', error: errorMessage(err) });
        if (!o.json) io.err(`${p.name} ${kernelLabel(spec)}: check failed:\n${errorMessage(err)}`);
      }
    }
  }
  const failed = rows.filter((r) => r.status === 'failed').length;
  const passed = rows.filter((r) => r.status === 'ok').length;
  if (o.json) io.out(JSON.stringify(rows, null, 2));
  else {
    io.out('');
    io.out(
      table(
        ['board', 'kernel', 'W=1 + sparse'],
        rows.map((r) => [r.board, r.kernel, r.status === 'ok' ? 'no warnings' : r.status === 'covered' ? `same kernel as ${r.coveredBy ?? '?'}` : 'FAILED']),
      ),
    );
    io.out(`${passed} passed, ${failed} failed`);
  }
  return failed > 0 ? 1 : 0;
}

/** Commands that write out/: one at a time per output directory (core/outlock.ts). */
const OUT_WRITERS: ReadonlySet<string> = new Set(['build', 'smoke', 'bench', 'check', 'matrix', 'testkernel', 'package', 'lava']);

export async function main(argv: readonly string[], io: Io, signal: AbortSignal): Promise<number> {
  let o: CliOptions;
  try {
    o = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`orchestrate: ${err.message}\n`);
      const t = argv[0];
      io.err(usage(t !== undefined && isCommand(t) ? t : undefined));
      return 2;
    }
    throw err;
  }
  const paths = resolvePaths();
  const version = await readOrchestratorVersion(paths).catch(() => '0.0.0');
  if (o.command === 'version') {
    io.out(version);
    return 0;
  }
  if (o.command === 'help' || o.help) {
    io.out(usage(o.topic));
    return 0;
  }
  const host = hostDebianArch();
  if (!host) throw new ConfigError(`unsupported host architecture ${process.arch}`);
  const env: Env = { paths, signal, host, apt: new AptStates(paths.cache, signal), orchestratorVersion: version, ...(o.rebuild ? { rebuild: true } : {}) };
  let release: (() => void) | undefined;
  try {
    if (OUT_WRITERS.has(o.command)) release = await acquireOutLock(paths.out, o.command);
    switch (o.command) {
      case 'boards':
        return await cmdBoards(env, o, io);
      case 'build':
        return await cmdBuild(env, o, io);
      case 'smoke':
        return await cmdSmoke(env, o, io);
      case 'bench':
        return await cmdBench(env, o, io, { selectBoards, selectKernels, checkTools, runJob, isFatal, buildSteps });
      case 'check':
        return await cmdCheck(env, o, io);
      case 'matrix':
        return await cmdMatrix(env, o, io);
      case 'testkernel':
        return await cmdTestKernel(env, o, io);
      case 'export':
        return await cmdExport(env, o, io);
      case 'yocto':
        return await cmdYocto(env, o, io);
      case 'buildroot':
        return await cmdBuildroot(env, o, io);
      case 'package':
        return await cmdPackage(env, o, io);
      case 'lava':
        return await cmdLava(env, o, io);
    }
    return 2;
  } catch (err) {
    if (signal.aborted) throw new InterruptedError();
    if (err instanceof UsageError) {
      io.err(`orchestrate: ${err.message}\n`);
      io.err(usage(o.command));
      return 2;
    }
    throw err;
  } finally {
    release?.();
  }
}

/** The `orchestrate` executable: signals, exit codes. */
export async function entry(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write(`\norchestrate: ${sig}: stopping (killing QEMU and builds)…\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const io: Io = {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
  };
  let code: number;
  try {
    code = await main(process.argv.slice(2), io, controller.signal);
    if (controller.signal.aborted) code = 130;
  } catch (err) {
    if (controller.signal.aborted || err instanceof InterruptedError) {
      io.err('orchestrate: interrupted');
      code = 130;
    } else if (err instanceof OrchestratorError) {
      io.err(`orchestrate: ${err.message}`);
      code = err.exitCode;
    } else {
      io.err(`orchestrate: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      code = 1;
    }
  }
  // let stdout drain before exiting
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
