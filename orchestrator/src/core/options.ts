/**
 * What every parsed command line has (cli.ts reads it through each command's
 * option table), and where a command writes its output. Each command's own
 * options are its own type, extending BaseOptions beside the command
 * (commands/<name>.ts; those of --board and --kernel: BoardKernelOptions in
 * pipeline/boardrun.ts). Types only, apart from the progress renderer.
 */

/** The options of every command line, whatever the command. */
export interface BaseOptions {
  command: string;
  help: boolean;
  json: boolean;
  /** --verbose, where the command's table has it */
  verbose: boolean;
  /** --no-build, where the command's table has it */
  noBuild: boolean;
  /** --rebuild (build, smoke): every step, even those whose inputs did not change */
  rebuild?: boolean;
  /** for `help <command>` and `<command> --help` */
  topic?: string;
}

/** Where a command prints: stdout and stderr, one line per call. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** listr2's renderer for a command: none with --json, plain lines with --verbose, without a terminal or in CI. */
export function renderer(o: Pick<BaseOptions, 'json' | 'verbose'>): 'silent' | 'simple' | 'default' {
  if (o.json) return 'silent';
  if (o.verbose || !process.stdout.isTTY || process.env.CI) return 'simple';
  return 'default';
}
