/**
 * parseCli typed for one command, in tests: each command's parse returns its
 * own option type (CommandSpec<O>), which parseCli, serving every command,
 * returns as BaseOptions.
 */
import { parseCli } from '../src/cli.ts';
import type { CommandSpec } from '../src/commands/command.ts';
import type { BaseOptions } from '../src/core/options.ts';

/**
 * parseCli(argv) as `spec`'s option type O. Throws UsageError as parseCli
 * does, and Error when argv is not a command line of `spec` or asks for
 * --help (parse does not run then, so the result is no O).
 */
export function parseFor<O extends BaseOptions>(spec: CommandSpec<O>, argv: readonly string[]): O {
  const o = parseCli(argv);
  if (o.command !== spec.name || o.help) throw new Error(`${argv.join(' ')}: not a command line of ${spec.name} that parse() reads`);
  // spec.parse made it (cli.ts): it is an O
  return o as O;
}
