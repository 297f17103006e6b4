/**
 * One orchestrate at a time per output directory: commands that write
 * out/ (build, smoke, bench, check, matrix, testkernel, package) hold
 * out/.orchestrate.lock, holding the holder's pid, command and start time.
 * It appears whole (written aside, then hard-linked into place: link(2)
 * fails with EEXIST when a lock is there). A second run is refused while
 * that pid lives (ConfigError: exit code 2); a lock left by a killed run
 * (its pid gone, or taken by another process since: its start time in
 * /proc/<pid>/stat is not the holder's) is taken over, and only that lock:
 * it is renamed aside (atomic) and put back when it turns out to be a lock
 * another run took over meanwhile. Released when the command ends, also on
 * Ctrl-C or an error.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './errors.ts';

export const LOCK_FILE = '.orchestrate.lock';

export interface LockInfo {
  pid: number;
  command: string;
  /** ISO 8601 */
  started: string;
  /** the holder's start time in clock ticks after boot (/proc/<pid>/stat field 22; proc(5)) */
  startTicks?: number;
}

/** The lock file's content, or undefined when it is not a lock (empty, torn, foreign). */
export function parseLock(text: string): LockInfo | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return undefined;
    return {
      pid: o.pid,
      command: typeof o.command === 'string' ? o.command : '?',
      started: typeof o.started === 'string' ? o.started : '?',
      ...(typeof o.startTicks === 'number' && Number.isInteger(o.startTicks) ? { startTicks: o.startTicks } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Does a process with this pid exist? (signal 0: EPERM means it does, owned by another user) */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A process's start time in clock ticks after boot: field 22 of
 * /proc/<pid>/stat (proc(5)), counted after the command name's closing
 * parenthesis (the name may hold spaces). undefined without /proc or pid.
 */
export function processStartTicks(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = Number(fields[19]);
  return stat !== '' && Number.isInteger(v) ? v : undefined;
}

/** Whether the lock's holder still runs: its pid lives and, when the lock says, started when it did. */
function holderRuns(held: LockInfo, alive: (pid: number) => boolean): boolean {
  if (!alive(held.pid)) return false;
  if (held.startTicks === undefined) return true;
  const now = processStartTicks(held.pid);
  return now === undefined || now === held.startTicks;
}

/** The refusal for a lock held by a live process. */
export function busyMessage(outDir: string, held: LockInfo): string {
  return (
    `${outDir} is in use by \`orchestrate ${held.command}\` (pid ${held.pid}, since ${held.started}): ` +
    `two runs on one output directory would overwrite each other's artifacts. Wait for it to finish, or stop it (kill ${held.pid}).`
  );
}

/**
 * Take the lock file `file` for `command` when it is free or stale.
 * Returns the release function (safe to call twice; also run on exit), or
 * the LockInfo of the live run that holds it. ConfigError when other runs
 * keep taking it.
 */
export function tryLock(file: string, command: string, alive: (pid: number) => boolean = pidAlive): (() => void) | LockInfo {
  const ticks = processStartTicks(process.pid);
  const mine: LockInfo = { pid: process.pid, command, started: new Date().toISOString(), ...(ticks !== undefined ? { startTicks: ticks } : {}) };
  const fresh = `${file}.new-${process.pid}`;
  writeFileSync(fresh, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(fresh, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const text = readText(file);
        const held = parseLock(text);
        if (held && held.pid !== process.pid && holderRuns(held, alive)) return held;
        // stale (its run was killed, its pid maybe another process's now) or foreign: take it over
        removeIfUnchanged(file, text);
        continue;
      }
      return releaser(file);
    }
  } finally {
    rmSync(fresh, { force: true });
  }
  throw new ConfigError(`cannot take ${file}: other runs keep taking it (remove it if no orchestrate runs)`);
}

/**
 * Take the lock of outDir for command. Returns the release function (safe
 * to call twice). Throws ConfigError while a live process holds it.
 */
export async function acquireOutLock(outDir: string, command: string, alive: (pid: number) => boolean = pidAlive): Promise<() => void> {
  await mkdir(outDir, { recursive: true });
  const r = tryLock(path.join(outDir, LOCK_FILE), command, alive);
  if (typeof r !== 'function') throw new ConfigError(busyMessage(outDir, r));
  return r;
}

/**
 * Remove the lock file only when it still holds `judged` (the text found
 * stale): rename it aside, compare, and link back a lock another run took
 * over in between. true when the judged lock is gone.
 */
export function removeIfUnchanged(file: string, judged: string): boolean {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  try {
    if (readText(aside) === judged) return true;
    try {
      linkSync(aside, file);
    } catch {
      // EEXIST: a third run holds the lock now, its own
    }
    return false;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** The release function of a lock this process holds (safe to call twice; also on exit). */
function releaser(file: string): () => void {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // only our own lock: a run that took over a lock we lost keeps its own
    if (parseLock(readText(file))?.pid === process.pid) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
