import { describe, expect, it } from 'vitest';
import { archInfo } from '../src/arch.ts';
import { isBuildOutput, kbuildArgs, moduleWarnings, vermagicProblem } from '../src/build.ts';

describe('isBuildOutput', () => {
  it.each(['atemsys.o', 'atemsys.ko', 'atemsys.mod', 'atemsys.mod.c', '.atemsys.o.cmd', 'Module.symvers', 'modules.order', '.tmp_versions', '.module-common.o', 'x/atemsys-selftest', '.checkpatch-camelcase.git'])(
    '%s is build output',
    (n) => expect(isBuildOutput(n)).toBe(true),
  );
  it.each(['atemsys_main.c', 'Kbuild', 'Makefile', 'include/uapi/atemsys.h', 'selftests/ktap.c', '.gitignore', 'README.md'])('%s is source', (n) =>
    expect(isBuildOutput(n)).toBe(false),
  );
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
      '/o/src-kernel/atemsys_pci.c:10:1: warning: symbol \'bar\' was not declared. Should it be static?',
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
    expect(
      kbuildArgs({ srcDir: '/b/src-kernel', kernelDir: '/k/hdr', arch: archInfo('armhf', 'amd64'), extra: ['W=1'] }, 2),
    ).toEqual(['-C', '/b/src-kernel', '-j2', 'KERNELDIR=/k/hdr', 'ARCH=arm', 'CROSS_COMPILE=arm-linux-gnueabihf-', 'W=1', 'modules']);
    expect(kbuildArgs({ srcDir: '/s', kernelDir: '/k', arch: archInfo('x86_64', 'amd64') }, 1)).toContain('CROSS_COMPILE=');
  });
});
