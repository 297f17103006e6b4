import { mkdtemp, mkdir, readlink, rm, symlink, writeFile, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archFromDebFile, fixAbsoluteSymlinks, relinkTarget, rewriteHeadersMakefile } from '../src/kernel/kernel.ts';

describe('rewriteHeadersMakefile', () => {
  it('points the include of the common tree into the prefix', () => {
    expect(rewriteHeadersMakefile('include /usr/src/linux-headers-6.1.0-56-common/Makefile\n', '/c/k/p/')).toBe('include /c/k/p/usr/src/linux-headers-6.1.0-56-common/Makefile\n');
  });
  it('points Linux 7.x KBUILD_OUTPUT into the prefix too', () => {
    expect(rewriteHeadersMakefile('KBUILD_OUTPUT=/usr/src/linux-headers-7.2.13+deb14-amd64\ninclude /usr/src/linux-headers-7.2.13+deb14-common/Makefile\n', '/c/k/p')).toBe(
      'KBUILD_OUTPUT=/c/k/p/usr/src/linux-headers-7.2.13+deb14-amd64\ninclude /c/k/p/usr/src/linux-headers-7.2.13+deb14-common/Makefile\n',
    );
  });
  it('leaves other lines and already rewritten includes alone', () => {
    const t = 'include /c/k/p/usr/src/x/Makefile\n# see /usr/src/foo\nVAR := /usr/src/y\n';
    expect(rewriteHeadersMakefile(t, '/c/k/p')).toBe(t);
  });
});

describe('symlinks', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('computes a relative link into the prefix', () => {
    expect(relinkTarget('/p', '/p/lib/modules/6.1.0-56-arm64/build', '/usr/src/linux-headers-6.1.0-56-arm64')).toBe('../../../usr/src/linux-headers-6.1.0-56-arm64');
  });

  it('rewrites absolute symlinks and keeps relative ones', async () => {
    dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'atemsys-kt-')));
    const hdr = path.join(dir, 'usr/src/linux-headers-6.1.0-56-arm64');
    await mkdir(hdr, { recursive: true });
    await mkdir(path.join(dir, 'usr/lib/linux-kbuild-6.1/scripts'), { recursive: true });
    await writeFile(path.join(dir, 'usr/lib/linux-kbuild-6.1/scripts/Makefile.build'), '');
    await symlink('/usr/lib/linux-kbuild-6.1/scripts', path.join(hdr, 'scripts'));
    await symlink('../../lib/linux-kbuild-6.1/tools', path.join(hdr, 'tools'));
    const mod = path.join(dir, 'lib/modules/6.1.0-56-arm64');
    await mkdir(mod, { recursive: true });
    await symlink('/usr/src/linux-headers-6.1.0-56-arm64', path.join(mod, 'build'));
    const n = await fixAbsoluteSymlinks(dir, [
      { dir: path.join(dir, 'usr/src'), depth: 2 },
      { dir: mod, depth: 0 },
    ]);
    expect(n).toBe(2);
    expect(await readlink(path.join(hdr, 'scripts'))).toBe('../../lib/linux-kbuild-6.1/scripts');
    expect(await readlink(path.join(hdr, 'tools'))).toBe('../../lib/linux-kbuild-6.1/tools');
    expect(await readlink(path.join(mod, 'build'))).toBe('../../../usr/src/linux-headers-6.1.0-56-arm64');
    expect(await realpath(path.join(hdr, 'scripts/Makefile.build'))).toBe(path.join(dir, 'usr/lib/linux-kbuild-6.1/scripts/Makefile.build'));
  });
});

describe('archFromDebFile', () => {
  it('reads the architecture from a .deb file name', () => {
    expect(archFromDebFile('/c/linux-headers-6.1.0-56-common_6.1.192-2_all.deb')).toBe('all');
    expect(archFromDebFile('busybox-static_1%3a1.35.0-4+deb12u1+b1_armhf.deb')).toBe('armhf');
    expect(archFromDebFile('weird')).toBe('unknown');
  });
});
