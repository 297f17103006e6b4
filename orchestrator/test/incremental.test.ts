import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { artifactStep, cachedJson, changedInputs, damagedSteps, hashTree, planSteps, stepKeys, STEPS, type BuildRecord, type Fingerprints, type Step } from '../src/pipeline/incremental.ts';

const base: Fingerprints = {
  moduleSources: 'mod1',
  selftestSources: 'st1',
  toolSources: 'tools1',
  initSources: 'init1',
  kernelPackages: 'linux-image-6.1.0-57-arm64=6.1.192-3 headers…',
  imagePackage: 'linux-image-6.1.0-57-arm64=6.1.192-3',
  busybox: '1:1.35.0-4+b3',
  moduleToolchain: 'aarch64-linux-gnu-gcc-12=/usr/bin/aarch64-linux-gnu-gcc-12 1 2',
  userToolchain: 'aarch64-linux-gnu-gcc=/usr/bin/aarch64-linux-gnu-gcc-12 1 2',
  profileDt: '{"dt":1}',
  profilePackage: '{"profile":1}',
  recipeCompile: 'rc1',
  recipeDt: 'rd1',
  recipePackage: 'rp1',
};

function record(f: Fingerprints, hasDt: boolean, artifacts: Record<string, [number, number]> = {}): BuildRecord {
  return { schema: 1, keys: stepKeys(f, hasDt), vermagic: '6.1.0-57-arm64 SMP', artifacts };
}

/** The steps a build runs after one input changed from `base`. */
function after(change: Partial<Fingerprints>, hasDt = true): Step[] {
  return planSteps(stepKeys({ ...base, ...change }, hasDt), record(base, hasDt), { rebuild: false, hasDt });
}

describe('planSteps: which steps run for which changed input', () => {
  it('runs nothing when no input changed', () => {
    expect(after({})).toEqual([]);
    expect(after({}, false)).toEqual([]);
  });

  it.each<[keyof Fingerprints, Step[]]>([
    ['moduleSources', ['module', 'package']],
    ['selftestSources', ['selftests', 'package']],
    ['toolSources', ['tools', 'package']],
    ['initSources', ['package']],
    ['kernelPackages', ['module', 'package']],
    ['imagePackage', ['dt', 'package']],
    ['busybox', ['package']],
    ['moduleToolchain', ['module', 'package']],
    ['userToolchain', ['selftests', 'tools', 'package']],
    ['profileDt', ['dt', 'package']],
    ['profilePackage', ['package']],
    ['recipeCompile', ['module', 'selftests', 'tools', 'package']],
    ['recipeDt', ['dt', 'package']],
    ['recipePackage', ['package']],
  ])('a changed %s rebuilds %j', (input, steps) => {
    expect(after({ [input]: `${base[input]} changed` })).toEqual(steps);
  });

  it('a new kernel version rebuilds the module, the DTB and the package, never the userspace binaries', () => {
    expect(after({ kernelPackages: 'linux-image-6.1.0-58-arm64=6.1.200-1 headers…', imagePackage: 'linux-image-6.1.0-58-arm64=6.1.200-1' })).toEqual(['module', 'dt', 'package']);
  });

  it('has no dt step on boards without a device tree, whatever changes', () => {
    expect(after({ imagePackage: 'other', profileDt: 'other', recipeDt: 'other' }, false)).toEqual(['package']);
    expect(planSteps(stepKeys(base, false), undefined, { rebuild: false, hasDt: false })).toEqual(['module', 'selftests', 'tools', 'package']);
  });

  it('runs everything without a record of an earlier build, or on --rebuild', () => {
    expect(planSteps(stepKeys(base, true), undefined, { rebuild: false, hasDt: true })).toEqual([...STEPS]);
    expect(planSteps(stepKeys(base, true), record(base, true), { rebuild: true, hasDt: true })).toEqual([...STEPS]);
  });

  it('reruns the step of a damaged artifact, and the package after it', () => {
    const keys = stepKeys(base, true);
    expect(planSteps(keys, record(base, true), { rebuild: false, hasDt: true, damaged: new Set<Step>(['selftests']) })).toEqual(['selftests', 'package']);
    expect(planSteps(keys, record(base, true), { rebuild: false, hasDt: true, damaged: new Set<Step>(['package']) })).toEqual(['package']);
  });

  it('keys depend on each input they name and nothing else', () => {
    const k = stepKeys(base, true);
    const k2 = stepKeys({ ...base, moduleSources: 'x' }, true);
    expect(k2.module).not.toBe(k.module);
    expect(k2.selftests).toBe(k.selftests);
    expect(k2.package).not.toBe(k.package);
    expect(stepKeys(base, false).dt).toBe('');
  });
});

describe('changedInputs', () => {
  it('names the inputs whose digests differ, all without a recorded set', () => {
    expect(changedInputs(base, base)).toEqual([]);
    expect(changedInputs({ ...base, busybox: 'new', toolSources: 'new' }, base)).toEqual(['toolSources', 'busybox']);
    expect(changedInputs(base, undefined)).toHaveLength(Object.keys(base).length);
  });
});

describe('damagedSteps', () => {
  const names = ['atemsys.ko', 'atemsys-selftest', 'atemsys-selftest32', 'atemsys-ecat', 'atemsys-bench', 'vmlinuz', 'initramfs.cpio.gz', 'atemsys.dtbo', 'manifest.json'];
  const dtNames = ['atemsys.dtbo'];
  const stamps = Object.fromEntries(names.map((n, i) => [n, [100 + i, 1000 + i] as [number, number]]));
  const rec = record(base, true, stamps);

  it('finds nothing when every artifact is as recorded', () => {
    expect([...damagedSteps(rec, stamps, names, dtNames)]).toEqual([]);
  });

  it('maps a touched, resized or missing artifact to the step that writes it', () => {
    expect([...damagedSteps(rec, { ...stamps, 'atemsys.ko': [100, 5] }, names, dtNames)]).toEqual(['module']);
    expect([...damagedSteps(rec, { ...stamps, 'atemsys-selftest32': [1, 1002] }, names, dtNames)]).toEqual(['selftests']);
    expect([...damagedSteps(rec, { ...stamps, 'atemsys-bench': undefined }, names, dtNames)]).toEqual(['tools']);
    expect([...damagedSteps(rec, { ...stamps, 'atemsys.dtbo': undefined }, names, dtNames)]).toEqual(['dt']);
    expect([...damagedSteps(rec, { ...stamps, 'initramfs.cpio.gz': [0, 0] }, names, dtNames)]).toEqual(['package']);
  });

  it('counts an artifact the record does not list as damaged', () => {
    const { vmlinuz: _, ...without } = stamps;
    expect([...damagedSteps(record(base, true, without), stamps, names, dtNames)]).toEqual(['package']);
  });

  it('artifactStep names the writer of each artifact', () => {
    expect(artifactStep('atemsys.ko', [])).toBe('module');
    expect(artifactStep('atemsys-ecat', [])).toBe('tools');
    expect(artifactStep('imx6q-sabrelite-atemsys.dtb', ['imx6q-sabrelite-atemsys.dtb'])).toBe('dt');
    expect(artifactStep('imx6q-sabrelite-atemsys.dtb', [])).toBe('package');
  });
});

describe('hashTree and cachedJson', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('hashes contents and names, leaves out build output and excluded top-level entries', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-incr-'));
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    for (const d of [a, b]) {
      await mkdir(path.join(d, 'sub'), { recursive: true });
      await writeFile(path.join(d, 'x.c'), 'int x;\n');
      await writeFile(path.join(d, 'sub', 'y.h'), '#define Y 1\n');
    }
    await writeFile(path.join(b, 'x.o'), 'object');
    await mkdir(path.join(b, 'selftests'));
    await writeFile(path.join(b, 'selftests', 'main.c'), 'int main;');
    expect(await hashTree(b, ['selftests'])).toBe(await hashTree(a));
    await writeFile(path.join(dir, 'c.txt'), '');
    const c = path.join(dir, 'c');
    await mkdir(path.join(c, 'sub'), { recursive: true });
    await writeFile(path.join(c, 'x.c'), 'int x;\n');
    await writeFile(path.join(c, 'sub', 'y.h'), '#define Y 2\n');
    expect(await hashTree(c)).not.toBe(await hashTree(a));
  });

  it('computes a value once per key and again for another key', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-incr-'));
    let calls = 0;
    const fn = async (): Promise<number> => ++calls;
    expect(await cachedJson(dir, 'k1', fn)).toBe(1);
    expect(await cachedJson(dir, 'k1', fn)).toBe(1);
    expect(await cachedJson(dir, 'k2', fn)).toBe(2);
    expect(calls).toBe(2);
  });
});
