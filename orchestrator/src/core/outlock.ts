/**
 * One orchestrate at a time per output directory: commands that write
 * out/ (build, smoke, bench, check, matrix, testkernel, package) hold
 * out/.orchestrate.lock, holding the holder's pid, command, start time,
 * host and pid namespace. The same lock files guard shared cache entries
 * (core/cachelock.ts).
 *
 * - A lock appears whole: written aside, then hard-linked into place
 *   (link(2) fails with EEXIST while a lock is there).
 * - A lock whose holder runs is respected: a second run is refused
 *   (ConfigError: exit code 2) or waits (cachelock).
 * - A lock left by a killed run (its pid gone, or the pid taken by another
 *   process since: its start time in /proc/<pid>/stat is not the
 *   holder's) is taken over. Takeovers go one at a time (the
 *   `.takeover` file, itself taken by link) and replace the stale lock by
 *   rename(2) onto it, so the lock file never goes missing in between and
 *   no run that has just taken it loses it.
 * - A lock from another host or pid namespace (a container sharing the
 *   directory) cannot be judged by pid: it counts as held until
 *   FOREIGN_STALE_MS after its start.
 *
 * Released when the command ends, also on Ctrl-C or an error.
 */
import { existsSync, linkSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './errors.ts';

export const LOCK_FILE = '.orchestrate.lock';

/** How long a lock from another host or pid namespace counts as held: 12 h. */
export const FOREIGN_STALE_MS = 12 * 3600 * 1000;

export interface LockInfo {
  pid: number;
  command: string;
  /** ISO 8601 */
  started: string;
  /** the holder's start time in clock ticks after boot (/proc/<pid>/stat field 22; proc(5)) */
  startTicks?: number;
  /** the holder's host name (os.hostname()) */
  host?: string;
  /** the holder's pid namespace (readlink /proc/self/ns/pid, "pid:[4026531836]") */
  pidns?: string;
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
      ...(typeof o.host === 'string' ? { host: o.host } : {}),
      ...(typeof o.pidns === 'string' ? { pidns: o.pidns } : {}),
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

/** A process's state letter (R, S, D, Z, T, …): field 3 of /proc/<pid>/stat; undefined without it. */
export function processState(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat === '' ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** This process's host and pid namespace, as a lock records them. */
export function whereAmI(): { host: string; pidns?: string } {
  let pidns: string | undefined;
  try {
    pidns = readlinkSync('/proc/self/ns/pid');
  } catch {
    pidns = undefined;
  }
  return { host: os.hostname(), ...(pidns !== undefined ? { pidns } : {}) };
}

/**
 * Whether the lock's holder still runs: its pid lives and, when the lock
 * says, started when it did. A holder on another host or in another pid
 * namespace counts as running until FOREIGN_STALE_MS after its start.
 */
export function holderRuns(held: LockInfo, alive: (pid: number) => boolean = pidAlive, here = whereAmI(), now = Date.now()): boolean {
  const foreign = (held.host !== undefined && held.host !== here.host) || (held.pidns !== undefined && here.pidns !== undefined && held.pidns !== here.pidns);
  if (foreign) {
    const t = Date.parse(held.started);
    return !Number.isFinite(t) || now - t < FOREIGN_STALE_MS;
  }
  if (!alive(held.pid)) return false;
  // a zombie (killed, not yet reaped by its parent) holds nothing
  if (processState(held.pid) === 'Z') return false;
  if (held.startTicks === undefined) return true;
  const ticks = processStartTicks(held.pid);
  return ticks === undefined || ticks === held.startTicks;
}

/** The refusal for a lock held by a live process. */
export function busyMessage(outDir: string, held: LockInfo): string {
  const elsewhere = held.host !== undefined && held.host !== os.hostname() ? ` on ${held.host}` : '';
  return (
    `${outDir} is in use by \`orchestrate ${held.command}\` (pid ${held.pid}${elsewhere}, since ${held.started}): ` +
    `two runs on one output directory would overwrite each other's artifacts. Wait for it to finish, or stop it (kill ${held.pid}).`
  );
}

/** The ConfigError for a lock directory this process cannot write. */
function unwritable(file: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new ConfigError(`cannot create ${file} (${code}): the directory must be writable (move out/ with ATEMSYS_OUT, the cache with ATEMSYS_CACHE)`);
}

/** Sleep this thread (tryLock is synchronous: no other run's step interleaves with ours in this process). */
function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Remove `<file>.new-<pid>` and `.takeover` files that runs killed mid-way left (their pid gone). */
function clearLeftovers(file: string, alive: (pid: number) => boolean): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const pid = new RegExp(`^${base.replace(/\./g, '\\.')}\\.new-(\\d+)$`).exec(n)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid))) rmSync(path.join(dir, n), { force: true });
  }
  // a takeover takes microseconds: one older than 10 s was left by a killed run
  const takeover = `${file}.takeover`;
  try {
    const held = parseLock(readText(takeover));
    if (Date.now() - statSync(takeover).mtimeMs > 10_000 && (held === undefined || !holderRuns(held, alive))) rmSync(takeover, { force: true });
  } catch {
    // no takeover file
  }
}

/**
 * Replace the lock file by ours (`fresh`) while it still holds `judged`
 * (the text found stale): under the takeover file, so one run at a time;
 * by rename, so the lock file is never missing. true when we hold it now.
 */
function takeOver(file: string, judged: string, fresh: string): boolean {
  const takeover = `${file}.takeover`;
  try {
    linkSync(fresh, takeover);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw unwritable(takeover, err);
  }
  try {
    // gone meanwhile (a missing file reads as ''): the next link takes it
    if (!existsSync(file) || readText(file) !== judged) return false;
    renameSync(fresh, file);
    return true;
  } finally {
    rmSync(takeover, { force: true });
  }
}

/**
 * Take the lock file `file` for `command` when it is free or stale.
 * Returns the release function (safe to call twice; also run on exit), or
 * the LockInfo of the live run that holds it. ConfigError when the
 * directory is not writable, or when other runs keep taking it.
 */
export function tryLock(file: string, command: string, alive: (pid: number) => boolean = pidAlive): (() => void) | LockInfo {
  const ticks = processStartTicks(process.pid);
  const mine: LockInfo = { pid: process.pid, command, started: new Date().toISOString(), ...(ticks !== undefined ? { startTicks: ticks } : {}), ...whereAmI() };
  const fresh = `${file}.new-${process.pid}`;
  clearLeftovers(file, alive);
  try {
    writeFileSync(fresh, `${JSON.stringify(mine)}\n`);
  } catch (err) {
    throw unwritable(fresh, err);
  }
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        linkSync(fresh, file);
        return releaser(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(file, err);
      }
      const text = readText(file);
      const held = parseLock(text);
      if (held && held.pid !== process.pid && holderRuns(held, alive)) return held;
      // stale (its run was killed, its pid maybe another process's now) or not a lock: take it over
      if (takeOver(file, text, fresh)) return releaser(file);
      pauseSync(10 + attempt * 5);
    }
  } finally {
    rmSync(fresh, { force: true });
  }
  throw new ConfigError(`cannot take ${file}: other runs keep taking it (remove it if no orchestrate runs)`);
}

/**
 * Take the lock of outDir for command. Returns the release function (safe
 * to call twice). Throws ConfigError while a live process holds it, or
 * when outDir cannot be written.
 */
export async function acquireOutLock(outDir: string, command: string, alive: (pid: number) => boolean = pidAlive): Promise<() => void> {
  try {
    await mkdir(outDir, { recursive: true });
  } catch (err) {
    throw unwritable(path.join(outDir, LOCK_FILE), err);
  }
  const r = tryLock(path.join(outDir, LOCK_FILE), command, alive);
  if (typeof r !== 'function') throw new ConfigError(busyMessage(outDir, r));
  return r;
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
