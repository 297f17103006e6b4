/** Running host commands (make, apt, dpkg, ...) with execa; output kept for logs and error messages. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { FailureError, InterruptedError } from './errors.ts';

/**
 * Work run inside `background.run(true, …)` starts its commands at nice
 * BACKGROUND_NICE (setpriority(2) right after the spawn; what they fork
 * after that inherits it): smoke's build of the next kernel beside a QEMU
 * boot takes the CPU time the boot leaves, not half of it.
 */
export const background = new AsyncLocalStorage<boolean>();
export const BACKGROUND_NICE = 10;

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Full output goes here (appended when `append`). */
  logFile?: string;
  append?: boolean;
  signal?: AbortSignal;
  /** each line of output as it comes (progress of long builds) */
  onLine?: (line: string) => void;
}

export interface CommandResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved */
  all: string;
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

/** Last `n` non-empty-trailing lines of a text. */
export function tailLines(text: string, n: number): string[] {
  const lines = text.replace(/\r/g, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

/** Run a command; never rejects for a non-zero exit (see `exitCode`). Throws InterruptedError when cancelled. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  const command = formatCommand(cmd, args);
  const header = `$ ${command}${opts.cwd ? `   (in ${opts.cwd})` : ''}\n`;
  const onLine = opts.onLine;
  // long commands (those followed line by line) write their log as they go: tail -f works
  let stream: WriteStream | undefined;
  if (opts.logFile) await mkdir(path.dirname(opts.logFile), { recursive: true });
  if (opts.logFile && onLine) {
    await (opts.append ? appendFile : writeFile)(opts.logFile, header);
    stream = createWriteStream(opts.logFile, { flags: 'a' });
  }
  const sub = execa(cmd, args, {
    cwd: opts.cwd,
    env: { LC_ALL: 'C', ...opts.env },
    all: true,
    reject: false,
    stdin: 'ignore',
    cancelSignal: opts.signal,
    forceKillAfterDelay: 5000,
    cleanup: true,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (background.getStore() === true && sub.pid !== undefined) {
    try {
      os.setPriority(sub.pid, Math.min(19, os.getPriority() + BACKGROUND_NICE));
    } catch {
      // already gone: nothing to lower
    }
  }
  if (onLine && sub.all) {
    let partial = '';
    sub.all.on('data', (chunk: Buffer) => {
      stream?.write(chunk);
      const lines = (partial + chunk.toString()).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') onLine(l);
    });
  }
  const result = await sub;
  const out: CommandResult = {
    command,
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
  };
  const ending = `${out.all.endsWith('\n') || out.all === '' ? '' : '\n'}[exit ${out.exitCode}]\n`;
  if (stream) {
    const s = stream;
    await new Promise<void>((resolve) => s.end(resolve));
    await appendFile(opts.logFile ?? '', ending);
  } else if (opts.logFile) {
    const text = `${header}${out.all}${ending}`;
    if (opts.append) await appendFile(opts.logFile, text);
    else await writeFile(opts.logFile, text);
  }
  if (result.isCanceled || opts.signal?.aborted) throw new InterruptedError();
  if (result.failed && out.exitCode === -1) {
    const reason = result.originalMessage ?? result.shortMessage;
    throw new FailureError(`cannot run ${command}: ${reason}`);
  }
  return out;
}

/** Run and throw FailureError (with the last `tail` lines and the log path) on a non-zero exit. */
export async function runChecked(what: string, cmd: string, args: readonly string[], opts: RunOptions & { tail?: number } = {}): Promise<CommandResult> {
  const r = await run(cmd, args, opts);
  if (r.exitCode !== 0) {
    const n = opts.tail ?? 40;
    const lines = tailLines(r.all, n);
    throw new FailureError(`${what} failed (exit ${r.exitCode}): ${r.command}\n` + `--- last ${lines.length} lines${opts.logFile ? ` (full log: ${opts.logFile})` : ''} ---\n${lines.join('\n')}`);
  }
  return r;
}
