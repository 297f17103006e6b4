import { describe, expect, it } from 'vitest';
import { buildrootProgress, buildrootSteps, checkPackageFiles, checkPackageStep } from '../src/packaging/buildroot.ts';
import { changelogVersion, isBuildOutput, moduleVersion } from '../src/packaging/debpkg.ts';

describe('buildroot plan', () => {
  const plan = { tree: '/br', external: '/r/br2-external', defconfig: 'atemsys_qemu_aarch64_virt_defconfig', output: '/o/qemu', configureOnly: false };
  it('configures out of tree with the external tree, then builds', () => {
    expect(buildrootSteps(plan).map((s) => [s.cmd, ...s.args].join(' '))).toEqual(['make -C /br O=/o/qemu BR2_EXTERNAL=/r/br2-external atemsys_qemu_aarch64_virt_defconfig', 'make -C /o/qemu']);
    expect(buildrootSteps({ ...plan, configureOnly: true })).toHaveLength(1);
  });
  it('gives check-package the files it has checks for, from the external tree', () => {
    const files = checkPackageFiles(['README.md', 'Config.in', 'package/atemsys/atemsys.mk', 'board/imx8/dts/freescale/x-atemsys.dtso', 'board/atemsys/post-build.sh', 'external.desc']);
    expect(files).toEqual(['Config.in', 'board/atemsys/post-build.sh', 'external.desc', 'package/atemsys/atemsys.mk']);
    const s = checkPackageStep('/br', '/r/br2-external', files);
    expect([s.cmd, ...s.args, s.cwd]).toEqual(['/br/utils/check-package', '-b', ...files, '/r/br2-external']);
  });
  it('shows the package step being built', () => {
    expect(buildrootProgress('>>> linux 6.18.7 Building')).toBe('linux 6.18.7 Building');
    expect(buildrootProgress('>>>   Finalizing target directory')).toBe('Finalizing target directory');
    expect(buildrootProgress('gcc -c x.c')).toBeUndefined();
  });
});

describe('deb package (pure parts)', () => {
  it('takes the version from the uapi header and the changelog', () => {
    expect(moduleVersion('#define ATEMSYS_VERSION_STR\t"1.4.39"\n')).toBe('1.4.39');
    expect(() => moduleVersion('nothing')).toThrow(/no ATEMSYS_VERSION_STR/);
    expect(changelogVersion('atemsys (1.4.39) unstable; urgency=medium\n')).toBe('1.4.39');
  });
  it('keeps build output out of the package sources', () => {
    for (const f of ['atemsys.o', 'atemsys.ko', 'atemsys.mod', 'atemsys.mod.c', '.atemsys.o.cmd', 'Module.symvers', 'modules.order', '.cross-modpost']) expect(isBuildOutput(f), f).toBe(true);
    for (const f of ['atemsys_main.c', 'atemsys.h', 'Kbuild', 'Makefile', 'COPYING', 'dkms.conf']) expect(isBuildOutput(f), f).toBe(false);
  });
});
