/**
 * The shared cache (~/.cache/atemsys, one per user, used by every clone)
 * builds some entries in place: prepared kernel trees, the test kernel,
 * sparse. Two runs that build one entry at once would write one tree
 * together. `onceInCache` lets one run build it while the other waits
 * (with a line saying for whom) and then uses the result. The lock files
 * live in <cache>/locks/, apart from the entries, so clearing old entries
 * never removes a held lock; their format and stale-lock handling are the
 * out/ lock's (core/outlock.ts).
 */
import { mkdir, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError } from './errors.ts';
import { pidAlive, tryLock } from './outlock.ts';

export interface CacheLockOptions {
  signal?: AbortSignal;
  /** told when another run holds the entry (again when a different run holds it next) */
  log?: (message: string) => void;
  /** how often to look again, ms (default 2000) */
  pollMs?: number;
  alive?: (pid: number) => boolean;
}

/** Wait `ms`; InterruptedError when `signal` aborts the wait. */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : {}).catch(() => {
    throw new InterruptedError();
  });
}

/**
 * Build a cache entry once: when `isDone` says it is there, nothing;
 * otherwise take <cacheDir>/locks/<key>.lock (waiting while a live run
 * holds it), ask `isDone` again (that run may have built it), and run
 * `build` under the lock. `what` names the work in the waiting line
 * ("preparing linux-source-6.1 for arm64"). Throws what `build` throws;
 * InterruptedError (exit 130) when `signal` aborts the wait.
 */
export async function onceInCache(cacheDir: string, key: string, what: string, isDone: () => Promise<boolean>, build: () => Promise<void>, o: CacheLockOptions = {}): Promise<void> {
  if (await isDone()) return;
  const dir = path.join(cacheDir, 'locks');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${key.replace(/[^A-Za-z0-9._+-]/g, '_')}.lock`);
  // the lock file tells runs apart by pid: calls of this process go one after the other
  const mine = (inProcess.get(file) ?? Promise.resolve()).catch(() => undefined).then(() => locked(file, what, isDone, build, o));
  inProcess.set(file, mine);
  try {
    await mine;
  } finally {
    if (inProcess.get(file) === mine) inProcess.delete(file);
  }
}

const inProcess = new Map<string, Promise<void>>();

async function locked(file: string, what: string, isDone: () => Promise<boolean>, build: () => Promise<void>, o: CacheLockOptions): Promise<void> {
  let told = '';
  for (;;) {
    const r = tryLock(file, what, o.alive ?? pidAlive);
    if (typeof r === 'function') {
      try {
        if (!(await isDone())) await build();
        return;
      } finally {
        r();
      }
    }
    // said again when another run holds it next
    const who = `${r.pid} ${r.started}`;
    if (told !== who)
      o.log?.(`waiting for pid ${r.pid}${r.host !== undefined && r.host !== hostname() ? ` on ${r.host}` : ''}, ${r.command} in the shared cache since ${r.started} (its lock: ${file})`);
    told = who;
    await pause(o.pollMs ?? 2000, o.signal);
  }
}

/** How long after its last use an older cache entry is kept for a run that may still use it: 6 h. */
export const IN_USE_MS = 6 * 3600 * 1000;

/** Note that a run uses the entry whose stamp file this is (its mtime; a missing stamp: nothing). */
export async function markUsed(stamp: string): Promise<void> {
  const now = new Date();
  await utimes(stamp, now, now).catch(() => undefined);
}

/**
 * Remove the entries `dirs` (older versions, other recipes) that no run
 * has used for IN_USE_MS: their stamp (`<dir>/<stampName>`) is older, or
 * missing (never finished). Another clone on another commit may be
 * compiling against or booting one of the others right now.
 */
export async function removeUnused(dirs: readonly string[], stampName: string, now = Date.now()): Promise<void> {
  for (const d of dirs) {
    const used = await stat(path.join(d, stampName)).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    if (now - used >= IN_USE_MS) await rm(d, { recursive: true, force: true });
  }
}
