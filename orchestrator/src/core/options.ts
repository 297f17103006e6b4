/**
 * The parsed command line every command receives (commands/command.ts
 * parses it from argv through each command's option table), and where a
 * command writes its output. Types only, apart from the progress renderer.
 */
import type { Arch } from '../debian/arch.ts';
import type { OwnKernelInput } from '../kernel/ownkernel.ts';
import type { ExportTarget } from '../packaging/export.ts';

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

/** The options of one command line; which fields are set depends on the command. */
export interface CliOptions {
  command: string;
  help: boolean;
  board?: string;
  kernel?: string;
  json: boolean;
  verbose: boolean;
  noBuild: boolean;
  /** build, smoke: every step, even those whose inputs did not change */
  rebuild?: boolean;
  /** for `help <command>` */
  topic?: string;
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

/** Where a command prints: stdout and stderr, one line per call. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** listr2's renderer for a command: none with --json, plain lines with --verbose, without a terminal or in CI. */
export function renderer(o: Pick<CliOptions, 'json' | 'verbose'>): 'silent' | 'simple' | 'default' {
  if (o.json) return 'silent';
  if (o.verbose || !process.stdout.isTTY || process.env.CI) return 'simple';
  return 'default';
}
