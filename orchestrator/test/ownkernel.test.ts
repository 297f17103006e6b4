import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archInfo } from '../src/debian/arch.ts';
import { ConfigError } from '../src/core/errors.ts';
import { bannerRelease, bzImageRelease, resolveOwnKernel } from '../src/kernel/ownkernel.ts';
import { DEBUG_KERNEL, missingOptions, TEST_KERNEL } from '../src/kernel/testkernel.ts';

/** A bzImage head as Documentation/arch/x86/boot.rst lays it out: "HdrS" at 0x202, version pointer at 0x20e. */
function bzImage(version: string): Buffer {
  const b = Buffer.alloc(0x1000);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x300, 0x20e);
  b.write(`${version} (builder@host) #1 SMP\0`, 0x500, 'latin1');
  return b;
}

describe('image releases', () => {
  it('reads a bzImage setup header and an uncompressed banner', () => {
    expect(bzImageRelease(bzImage('5.10.223'))).toBe('5.10.223');
    expect(bzImageRelease(Buffer.alloc(0x1000))).toBeUndefined();
    expect(bannerRelease(Buffer.from('xx\0Linux version 6.1.0-own (gcc 12) #1\0'))).toBe('6.1.0-own');
    expect(bannerRelease(Buffer.from('nothing here'))).toBeUndefined();
  });
});

describe('resolveOwnKernel', () => {
  const x86 = archInfo('x86_64', 'amd64');
  const dirs: string[] = [];
  let dir = ''; // the last tree's
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const tree = async (release: string, imageRelease = release): Promise<string> => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ownk-'));
    dirs.push(dir);
    const b = path.join(dir, 'build');
    await mkdir(path.join(b, 'include', 'config'), { recursive: true });
    await mkdir(path.join(b, 'arch', 'x86', 'boot'), { recursive: true });
    await writeFile(path.join(b, 'Makefile'), '');
    await writeFile(path.join(b, 'Module.symvers'), '');
    await writeFile(path.join(b, 'include', 'config', 'kernel.release'), `${release}\n`);
    await writeFile(path.join(b, 'arch', 'x86', 'boot', 'bzImage'), bzImage(imageRelease));
    const m = path.join(dir, 'mods', 'lib', 'modules', release);
    await mkdir(m, { recursive: true });
    await writeFile(path.join(m, 'modules.dep'), '');
    return b;
  };
  const work = (): string => path.join(dir, 'work');

  it('finds the image and the modules of one build', async () => {
    const b = await tree('5.10.223');
    const k = await resolveOwnKernel({ build: b, modules: path.join(dir, 'mods') }, x86, undefined, work);
    expect(k.release).toBe('5.10.223');
    expect(k.image).toBe(path.join(b, 'arch', 'x86', 'boot', 'bzImage'));
    expect(k.modulesDir).toBe(path.join(dir, 'mods', 'lib', 'modules', '5.10.223'));
  });

  it('refuses an image of another build, modules of another release, a missing DTB', async () => {
    const b = await tree('5.10.223', '5.10.224');
    await expect(resolveOwnKernel({ build: b, modules: path.join(dir, 'mods') }, x86, undefined, work)).rejects.toThrow(/is kernel 5\.10\.224 but the build tree .* is 5\.10\.223/);
    const c = await tree('5.10.223');
    await expect(resolveOwnKernel({ build: c, modules: path.join(dir, 'nothing') }, x86, undefined, work)).rejects.toThrow(/no lib\/modules\/5\.10\.223\/ with a modules\.dep/);
    await expect(resolveOwnKernel({ build: c, modules: path.join(dir, 'mods') }, x86, 'freescale/x.dtb', work)).rejects.toThrow(/no freescale\/x\.dtb in .*\(make dtbs\)/);
    await expect(resolveOwnKernel({ build: path.join(dir, 'nope') }, x86, undefined, work)).rejects.toThrow(ConfigError);
  });
});

describe('the test kernel recipe', () => {
  it('reports options olddefconfig dropped', () => {
    const all = [...TEST_KERNEL.enable.map((o) => `CONFIG_${o}=y`), ...TEST_KERNEL.module.map((o) => `CONFIG_${o}=m`)].join('\n');
    expect(missingOptions(all, TEST_KERNEL)).toEqual([]);
    expect(missingOptions(all.replace('CONFIG_E1000E=m', '# CONFIG_E1000E is not set'), TEST_KERNEL)).toEqual(['E1000E']);
  });
  it('the debug kernel adds the runtime checkers, swaps SLOB for SLUB and has a cache name of its own', () => {
    for (const o of ['KASAN', 'DEBUG_KMEMLEAK', 'PROVE_LOCKING', 'PROVE_RCU', 'DEBUG_ATOMIC_SLEEP', 'DEBUG_OBJECTS', 'SLUB']) expect(DEBUG_KERNEL.enable).toContain(o);
    expect(DEBUG_KERNEL.enable).toEqual(expect.arrayContaining([...TEST_KERNEL.enable]));
    expect(DEBUG_KERNEL.name).not.toBe(TEST_KERNEL.name);
    const all = [...DEBUG_KERNEL.enable.map((o) => `CONFIG_${o}=y`), ...DEBUG_KERNEL.module.map((o) => `CONFIG_${o}=m`)].join('\n');
    expect(missingOptions(`${all}\n# CONFIG_SLOB is not set`, DEBUG_KERNEL)).toEqual([]);
    expect(missingOptions(`${all}\nCONFIG_SLOB=y`, DEBUG_KERNEL)).toEqual(['SLOB']);
  });
});
