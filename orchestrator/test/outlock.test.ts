import { mkdtempSync, readFileSync, readdirSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { LOCK_FILE, acquireOutLock, busyMessage, holderRuns, parseLock, pidAlive, processStartTicks, processState, tryLock, type LockInfo } from '../src/core/outlock.ts';

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'atemsys-lock-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('out/ lock', () => {
  it('parses its own lines and rejects torn or foreign files', () => {
    expect(parseLock('{"pid":42,"command":"smoke","started":"2026-11-30T00:00:00Z"}\n')).toEqual({ pid: 42, command: 'smoke', started: '2026-11-30T00:00:00Z' });
    expect(parseLock('{"pid":4')).toBeUndefined();
    expect(parseLock('')).toBeUndefined();
    expect(parseLock('{"pid":-1}')).toBeUndefined();
    expect(parseLock('[1]')).toBeUndefined();
  });

  it('a second run on the same out/ is refused while the first lives, with who and how to proceed', async () => {
    const dir = tmp();
    const other = { pid: 4242, command: 'smoke', started: '2026-11-30T22:00:00.000Z' };
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(other));
    const err = await acquireOutLock(dir, 'build', (pid) => pid === 4242).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(busyMessage(dir, other));
    expect((err as Error).message).toMatch(/orchestrate smoke.*pid 4242.*kill 4242/);
    // the holder's lock is left alone
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toEqual(other);
  });

  it("takes over a killed run's lock, and a torn one; releases on the way out", async () => {
    for (const stale of ['{"pid":4242,"command":"smoke","started":"x"}', '{"pid":']) {
      const dir = tmp();
      writeFileSync(path.join(dir, LOCK_FILE), stale);
      const release = await acquireOutLock(dir, 'build', () => false);
      expect(parseLock(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, command: 'build' });
      release();
      release();
      expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    }
  });

  it("takes over a lock whose pid now belongs to another process (start time differs), not a live holder's", async () => {
    const parent = process.ppid;
    const ticks = processStartTicks(parent);
    expect(ticks).toBeGreaterThan(0);
    expect(processStartTicks(process.pid)).toBeGreaterThanOrEqual(ticks ?? 0);
    const reused = tmp();
    writeFileSync(path.join(reused, LOCK_FILE), JSON.stringify({ pid: parent, command: 'smoke', started: 'x', startTicks: (ticks ?? 0) + 1 }));
    const release = await acquireOutLock(reused, 'build');
    expect(parseLock(readFileSync(path.join(reused, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, startTicks: processStartTicks(process.pid) });
    release();
    const live = tmp();
    writeFileSync(path.join(live, LOCK_FILE), JSON.stringify({ pid: parent, command: 'smoke', started: 'x', startTicks: ticks }));
    await expect(acquireOutLock(live, 'build')).rejects.toThrow(ConfigError);
  });

  it('takes over only the stale lock it judged: a lock another run took meanwhile stays, and is respected', () => {
    const dir = tmp();
    const file = path.join(dir, LOCK_FILE);
    writeFileSync(file, JSON.stringify({ pid: 4242, command: 'smoke', started: 'x' }));
    let swapped = false;
    // while this run judges 4242 dead, run 4343 takes the lock over
    const r = tryLock(file, 'build', (pid) => {
      if (pid === 4242 && !swapped) {
        swapped = true;
        writeFileSync(`${file}.x`, JSON.stringify({ pid: 4343, command: 'build', started: 'y' }));
        renameSync(`${file}.x`, file);
        return false;
      }
      return pid === 4343;
    });
    expect(r).toMatchObject({ pid: 4343, command: 'build' });
    expect(parseLock(readFileSync(file, 'utf8'))).toMatchObject({ pid: 4343 });
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
  });

  it('respects a lock from another host or pid namespace until 12 h after its start, whatever its pid', () => {
    const here = { host: 'builder', pidns: 'pid:[1]' };
    const now = Date.parse('2026-12-02T12:00:00Z');
    const dead = (): boolean => false;
    const lock = (o: object): LockInfo => ({ pid: 12, command: 'smoke', started: '2026-12-02T11:00:00Z', ...o });
    expect(holderRuns(lock({ host: 'container-7' }), dead, here, now)).toBe(true);
    expect(holderRuns(lock({ host: 'builder', pidns: 'pid:[2]' }), dead, here, now)).toBe(true);
    expect(holderRuns(lock({ host: 'container-7', started: '2026-12-01T23:00:00Z' }), dead, here, now)).toBe(false);
    expect(holderRuns(lock({ host: 'builder', pidns: 'pid:[1]' }), dead, here, now)).toBe(false);
    // locks of older versions name neither: judged by pid
    expect(holderRuns(lock({}), dead, here, now)).toBe(false);
  });

  it('a killed holder its parent has not reaped yet (a zombie) holds nothing', async () => {
    const { spawn } = await import('node:child_process');
    // sleep 0.1 exits as the child of a process that never reaps it
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((res) => parent.stdout.once('data', (b: Buffer) => res(b.toString()))));
      await new Promise((r) => setTimeout(r, 500));
      expect(pidAlive(pid)).toBe(true);
      expect(processState(pid)).toBe('Z');
      expect(holderRuns({ pid, command: 'smoke', started: 'x' })).toBe(false);
      expect(holderRuns({ pid: process.pid, command: 'smoke', started: 'x' })).toBe(true);
    } finally {
      parent.kill();
    }
  });

  it('says which directory cannot be written, as a configuration error', async () => {
    const err = await acquireOutLock('/proc/version/out', 'build').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^cannot create \/proc\/version\/out\/\.orchestrate\.lock \(ENOTDIR\): the directory must be writable \(move out\/ with ATEMSYS_OUT/);
  });

  it('clears what a run killed mid-way left beside the lock', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, `${LOCK_FILE}.new-${2 ** 22 + 12345}`), '{}');
    const release = await acquireOutLock(dir, 'build');
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    release();
  });

  it('leaves only the lock file in out/ while held, nothing after', async () => {
    const dir = tmp();
    const release = await acquireOutLock(dir, 'build');
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('this process and a dead pid', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(2 ** 22 + 12345)).toBe(false);
  });
});

describe('out/ lock, end to end', () => {
  it('orchestrate build on an out/ another live run holds exits 2 and says which run', async () => {
    const { spawn, spawnSync } = await import('node:child_process');
    const out = tmp();
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: holder.pid, command: 'smoke', started: '2026-11-30T22:00:00.000Z' }));
      const r = spawnSync('npx', ['orchestrate', 'build', '--board', 'qemu-x86_64'], {
        env: { ...process.env, ATEMSYS_OUT: out },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`is in use by \`orchestrate smoke\` (pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
  }, 90_000);
});
