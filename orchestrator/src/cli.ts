/**
 * `orchestrate` — build atemsys against Debian kernels and smoke-test it in QEMU.
 * The entry: read the command line through the command's own option table
 * (commands/registry.ts), hold out/'s lock for commands that write it, run
 * the command, map errors to exit codes.
 * Exit codes: 0 ok, 1 a build/boot/test failed, 2 usage or configuration error, 130 interrupted.
 */
import { parseArgs } from 'node:util';
import { hostDebianArch } from './debian/arch.ts';
import { ConfigError, InterruptedError, OrchestratorError, UsageError, errorMessage } from './core/errors.ts';
import type { BaseOptions, Io } from './core/options.ts';
import { acquireOutLock } from './core/outlock.ts';
import { resolvePaths } from './core/paths.ts';
import { AptStates, readOrchestratorVersion, type Env } from './pipeline/pipeline.ts';
import { COMMANDS, findCommand } from './commands/registry.ts';
import { didYouMeanText } from './core/suggest.ts';

export type { BaseOptions, Io } from './core/options.ts';

const MAIN_USAGE = `usage: orchestrate <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Run \`orchestrate <command> --help\` for its options.
Exit codes: 0 ok, 1 a build, boot or test failed, 2 usage or configuration error, 130 interrupted.`;

/** The main help, or a command's. */
export function usage(topic?: string): string {
  return (topic !== undefined ? findCommand(topic)?.usage : undefined) ?? MAIN_USAGE;
}

/** Parse argv (without node and script) through the command's option table. Throws UsageError. Pure. */
export function parseCli(argv: readonly string[]): BaseOptions {
  const base = { help: false, json: false, verbose: false, noBuild: false };
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given (orchestrate --help lists them)');
  if (first === '--help' || first === '-h') return { ...base, command: 'help', help: true };
  if (first === '--version' || first === '-V') return { ...base, command: 'version' };
  if (first === 'help') {
    const t = rest[0];
    if (t !== undefined && findCommand(t) === undefined)
      throw new UsageError(
        `unknown command "${t}"${didYouMeanText(
          t,
          COMMANDS.map((c) => c.name),
        )}`,
      );
    const o: BaseOptions = { ...base, command: 'help', help: true };
    if (t !== undefined) o.topic = t;
    return o;
  }
  const cmd = findCommand(first);
  if (cmd === undefined) {
    throw new UsageError(first.startsWith('-') ? `expected a command before ${first}` : `unknown command "${first}"${didYouMeanText(first, [...COMMANDS.map((c) => c.name), 'help'])}`);
  }
  let values: Record<string, unknown>;
  let positionals: string[];
  const specs = cmd.options;
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
  const o: BaseOptions = {
    command: first,
    help: values.help === true,
    json: values.json === true,
    verbose: values.verbose === true,
    noBuild: values['no-build'] === true,
    topic: first,
  };
  if (values.rebuild === true) o.rebuild = true;
  if (o.help) return o;
  const allowed = cmd.positionals ?? [];
  const unexpected = positionals.find((w) => !allowed.includes(w));
  if (unexpected !== undefined) {
    throw new UsageError(`${first}: unexpected argument "${unexpected}"${allowed.length > 0 ? ` (expected ${allowed.join(' or ')})` : ''}`);
  }
  return cmd.parse ? cmd.parse(o, values, positionals) : o;
}

/** Run one command line. Returns the exit code; throws OrchestratorError (its exitCode) or InterruptedError. */
export async function main(argv: readonly string[], io: Io, signal: AbortSignal): Promise<number> {
  let o: BaseOptions;
  try {
    o = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`orchestrate: ${err.message}\n`);
      io.err(usage(argv[0]));
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
  const cmd = findCommand(o.command);
  if (o.command === 'help' || o.help || cmd === undefined) {
    io.out(usage(o.topic));
    return 0;
  }
  const host = hostDebianArch();
  if (!host) throw new ConfigError(`unsupported host architecture ${process.arch}`);
  const env: Env = { paths, signal, host, apt: new AptStates(paths.cache, signal), orchestratorVersion: version, ...(o.rebuild ? { rebuild: true } : {}) };
  let release: (() => void) | undefined;
  try {
    if (cmd.writesOut) release = await acquireOutLock(paths.out, o.command);
    return await cmd.run(env, o, io);
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
