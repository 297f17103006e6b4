import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeQmpDir } from '../src/guest/qmp.ts';

describe('QMP socket directories', () => {
  let tmp: string | undefined;
  afterEach(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('removes those of processes that are gone, keeps the living ones', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'atemsys-qmptest-'));
    // a pid that existed and is gone: a child that has exited
    const dead = spawnSync('true').pid;
    expect(dead).toBeGreaterThan(0);
    await mkdir(path.join(tmp, `atemsys-qmp-${dead}-abc123`));
    await mkdir(path.join(tmp, 'atemsys-qmp-1-keep00')); // pid 1 lives (EPERM counts as alive)
    await mkdir(path.join(tmp, 'atemsys-qmp-old')); // not ours to judge: no pid
    const mine = await makeQmpDir(tmp);
    expect(path.basename(mine)).toMatch(new RegExp(`^atemsys-qmp-${process.pid}-`));
    expect((await readdir(tmp)).sort()).toEqual(['atemsys-qmp-1-keep00', 'atemsys-qmp-old', path.basename(mine)].sort());
  });
});
