import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_USE_MS, markUsed, onceInCache, removeUnused } from '../src/core/cachelock.ts';
import { InterruptedError } from '../src/core/errors.ts';

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'atemsys-cachelock-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A cache entry: a stamp file that build() writes. */
function entry(cache: string): { isDone: () => Promise<boolean>; build: () => Promise<void>; builds: () => number } {
  const stamp = path.join(cache, 'entry.done');
  let n = 0;
  return {
    isDone: () => Promise.resolve(existsSync(stamp)),
    build: async () => {
      n++;
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(stamp, 'x');
    },
    builds: () => n,
  };
}

describe('shared cache lock', () => {
  it('builds an entry once, also when two calls of one process ask at once, and leaves no lock behind', async () => {
    const cache = tmp();
    const e = entry(cache);
    await Promise.all([onceInCache(cache, 'k', 'building k', e.isDone, e.build), onceInCache(cache, 'k', 'building k', e.isDone, e.build)]);
    await onceInCache(cache, 'k', 'building k', e.isDone, e.build);
    expect(e.builds()).toBe(1);
    expect(readdirSync(path.join(cache, 'locks'))).toEqual([]);
  });

  it("waits while another live run builds the entry, says for whom once, and uses that run's result", async () => {
    const cache = tmp();
    const e = entry(cache);
    const lock = path.join(cache, 'locks', 'kprep-linux-source-6.1-arm64.lock');
    mkdirSync(path.join(cache, 'locks'));
    writeFileSync(lock, JSON.stringify({ pid: 4242, command: 'preparing linux-source-6.1 for arm64', started: '2026-12-02T11:00:00Z' }));
    const said: string[] = [];
    setTimeout(() => {
      // the other run finishes: its entry is there, its lock gone
      writeFileSync(path.join(cache, 'entry.done'), 'x');
      rmSync(lock);
    }, 200);
    await onceInCache(cache, 'kprep-linux-source-6.1-arm64', 'preparing', e.isDone, e.build, { alive: (pid) => pid === 4242, pollMs: 20, log: (m) => said.push(m) });
    expect(e.builds()).toBe(0);
    expect(said).toEqual([`waiting for pid 4242, preparing linux-source-6.1 for arm64 in the shared cache since 2026-12-02T11:00:00Z (its lock: ${lock})`]);
  });

  it("takes over a killed run's lock and builds", async () => {
    const cache = tmp();
    const e = entry(cache);
    mkdirSync(path.join(cache, 'locks'));
    writeFileSync(path.join(cache, 'locks', 'k.lock'), JSON.stringify({ pid: 4242, command: 'building k', started: 'x' }));
    await onceInCache(cache, 'k', 'building k', e.isDone, e.build, { alive: () => false });
    expect(e.builds()).toBe(1);
  });

  it('stops waiting on Ctrl-C (InterruptedError), and a failed build leaves the entry to the next run', async () => {
    const cache = tmp();
    const e = entry(cache);
    mkdirSync(path.join(cache, 'locks'));
    writeFileSync(path.join(cache, 'locks', 'k.lock'), JSON.stringify({ pid: 4242, command: 'building k', started: 'x' }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(onceInCache(cache, 'k', 'building k', e.isDone, e.build, { alive: () => true, pollMs: 20, signal: ac.signal })).rejects.toBeInstanceOf(InterruptedError);
    rmSync(path.join(cache, 'locks', 'k.lock'));
    await expect(onceInCache(cache, 'k', 'building k', e.isDone, () => Promise.reject(new Error('make failed')))).rejects.toThrow('make failed');
    await onceInCache(cache, 'k', 'building k', e.isDone, e.build);
    expect(e.builds()).toBe(1);
    expect(readdirSync(path.join(cache, 'locks'))).toEqual([]);
  });

  it('removes an older entry only when no run has used it for 6 h: another clone may be booting it', async () => {
    const cache = tmp();
    const entry = (name: string, usedMsAgo?: number): string => {
      const d = path.join(cache, name);
      mkdirSync(d);
      if (usedMsAgo !== undefined) {
        writeFileSync(path.join(d, '.done'), 'x');
        const t = new Date(Date.now() - usedMsAgo);
        utimesSync(path.join(d, '.done'), t, t);
      }
      return d;
    };
    const recent = entry('k_1', IN_USE_MS / 2);
    const old = entry('k_2', IN_USE_MS + 60_000);
    const unfinished = entry('k_3');
    await markUsed(path.join(old, '.done'));
    const stale = entry('k_4', IN_USE_MS + 60_000);
    await removeUnused([recent, old, unfinished, stale], '.done');
    expect(readdirSync(cache).sort()).toEqual(['k_1', 'k_2']);
  });
});
