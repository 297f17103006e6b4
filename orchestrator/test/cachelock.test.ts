import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onceInCache } from '../src/core/cachelock.ts';
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
    expect(said).toEqual(['waiting for pid 4242, preparing linux-source-6.1 for arm64 in the shared cache since 2026-12-02T11:00:00Z']);
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
});
