import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archInfo } from '../src/debian/arch.ts';
import { buildSelftests, isBuildOutput, kbuildArgs, moduleWarnings, vermagicProblem } from '../src/kernel/buildlog.ts';

describe('userspace builds of one run', () => {
  it('builds the selftests once per CROSS_COMPILE and copies them for the next kernel', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-userbuild-'));
    const src = path.join(dir, 'selftests');
    const count = path.join(dir, 'makes');
    await mkdir(src);
    // a stand-in Makefile: counts its runs, writes the binary into O=
    await writeFile(path.join(src, 'Makefile'), `all:\n\techo run >> ${count}\n\techo bin > $(O)/atemsys-selftest\n`);
    const cc = `test-${path.basename(dir)}-`;
    const one = await buildSelftests({ selftestsDir: src, outDir: path.join(dir, 'k1'), crossCompile: cc, logFile: path.join(dir, 'k1.log') });
    const two = await buildSelftests({ selftestsDir: src, outDir: path.join(dir, 'k2'), crossCompile: cc, logFile: path.join(dir, 'k2.log') });
    expect(one).toBe(path.join(dir, 'k1', 'atemsys-selftest'));
    expect(two).toBe(path.join(dir, 'k2', 'atemsys-selftest'));
    expect(await readFile(two, 'utf8')).toBe('bin\n');
    expect((await readFile(count, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(await readFile(path.join(dir, 'k2.log'), 'utf8')).toMatch(/built earlier in this run, copied from .*k1/);
    // another compiler is another build
    await buildSelftests({ selftestsDir: src, outDir: path.join(dir, 'k3'), crossCompile: `${cc}32-`, logFile: path.join(dir, 'k3.log') });
    expect((await readFile(count, 'utf8')).trim().split('\n')).toHaveLength(2);
    await rm(dir, { recursive: true });
  });

  it("hands make's output lines to onLine (build --verbose) and still logs them", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-userbuild-'));
    const src = path.join(dir, 'selftests');
    await mkdir(src);
    await writeFile(path.join(src, 'Makefile'), `all:\n\t@echo '  CC main.o'\n\t@echo '  LD atemsys-selftest'\n\t@echo bin > $(O)/atemsys-selftest\n`);
    const lines: string[] = [];
    const log = path.join(dir, 'k1.log');
    await buildSelftests({ selftestsDir: src, outDir: path.join(dir, 'k1'), crossCompile: `test-${path.basename(dir)}-`, logFile: log, onLine: (l) => lines.push(l) });
    expect(lines.filter((l) => !l.startsWith('make'))).toEqual(['  CC main.o', '  LD atemsys-selftest']);
    expect(await readFile(log, 'utf8')).toContain('  LD atemsys-selftest\n');
    await rm(dir, { recursive: true });
  });
});

describe('isBuildOutput', () => {
  it.each([
    'atemsys.o',
    'atemsys.ko',
    'atemsys.mod',
    'atemsys.mod.c',
    '.atemsys.o.cmd',
    'Module.symvers',
    'modules.order',
    '.tmp_versions',
    '.module-common.o',
    'x/atemsys-selftest',
    '.checkpatch-camelcase.git',
  ])('%s is build output', (n) => expect(isBuildOutput(n)).toBe(true));
  it.each(['atemsys_main.c', 'Kbuild', 'Makefile', 'include/uapi/atemsys.h', 'selftests/ktap.c', '.gitignore', 'README.md'])('%s is source', (n) => expect(isBuildOutput(n)).toBe(false));
});

describe('vermagicProblem', () => {
  it('accepts a vermagic that starts with the release', () => {
    expect(vermagicProblem('6.1.0-56-arm64 SMP mod_unload modversions aarch64\n', '6.1.0-56-arm64')).toBeNull();
  });
  it('rejects a different release, a prefix match and an empty one', () => {
    expect(vermagicProblem('6.1.0-55-arm64 SMP', '6.1.0-56-arm64')).toMatch(/does not start with the kernel release 6\.1\.0-56-arm64/);
    expect(vermagicProblem('6.1.0-56-arm64-rt SMP', '6.1.0-56-arm64')).not.toBeNull();
    expect(vermagicProblem('', '6.1.0-56-arm64')).toBe('atemsys.ko has no vermagic');
  });
});

describe('moduleWarnings', () => {
  it('keeps gcc/sparse warnings in the module sources only', () => {
    const log = [
      '  CC [M]  /o/src-kernel/atemsys_main.o',
      '/o/src-kernel/atemsys_main.c:42:5: warning: no previous prototype for ‘foo’ [-Wmissing-prototypes]',
      "/o/src-kernel/atemsys_pci.c:10:1: warning: symbol 'bar' was not declared. Should it be static?",
      '/c/usr/src/linux-headers-6.12-common/include/linux/x.h:3:2: warning: header noise',
      'scripts/Makefile.build:41: warning: something in kbuild',
      '/o/src-kernel/atemsys_main.c:42:5: warning: no previous prototype for ‘foo’ [-Wmissing-prototypes]',
      '/o/src-kernel/atemsys_dma.c:7: error: boom\r',
    ].join('\n');
    expect(moduleWarnings(log, '/o/src-kernel/')).toEqual([
      '/o/src-kernel/atemsys_main.c:42:5: warning: no previous prototype for ‘foo’ [-Wmissing-prototypes]',
      "/o/src-kernel/atemsys_pci.c:10:1: warning: symbol 'bar' was not declared. Should it be static?",
      '/o/src-kernel/atemsys_dma.c:7: error: boom',
    ]);
  });
});

describe('kbuildArgs', () => {
  it('passes KERNELDIR, ARCH, CROSS_COMPILE and extra variables', () => {
    expect(kbuildArgs({ srcDir: '/b/src-kernel', kernelDir: '/k/hdr', arch: archInfo('armhf', 'amd64'), extra: ['W=1'] }, 2)).toEqual([
      '-C',
      '/b/src-kernel',
      '-j2',
      'KERNELDIR=/k/hdr',
      'ARCH=arm',
      'CROSS_COMPILE=arm-linux-gnueabihf-',
      'W=1',
      'modules',
    ]);
    expect(kbuildArgs({ srcDir: '/s', kernelDir: '/k', arch: archInfo('x86_64', 'amd64') }, 1)).toContain('CROSS_COMPILE=');
  });
});
