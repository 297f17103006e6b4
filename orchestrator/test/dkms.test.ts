/** The DKMS packaging, read statically; scripts/dkms-test.mjs installs the real package (make test). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { changelogVersion, moduleVersion } from '../src/packaging/debpkg.ts';
import { REPO_ROOT } from '../src/core/paths.ts';

const version = moduleVersion(readFileSync(path.join(REPO_ROOT, 'src-kernel/include/uapi/atemsys.h'), 'utf8'));
const dkms = readFileSync(path.join(REPO_ROOT, 'src-kernel/dkms.conf'), 'utf8');
const field = (name: string): string | undefined => new RegExp(`^${name.replace(/[[\]]/g, '\\$&')}="([^"]*)"$`, 'm').exec(dkms)?.[1];

/** Files matching a path whose last part may have a `*` (what dh_install gets here). */
function matches(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!base.includes('*')) return existsSync(path.join(REPO_ROOT, pattern)) ? [pattern] : [];
  const re = new RegExp(
    `^${base
      .split('*')
      .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return readdirSync(path.join(REPO_ROOT, dir)).filter((f) => re.test(f));
}

describe('dkms.conf', () => {
  it('names the module and its version', () => {
    expect(field('PACKAGE_NAME')).toBe('atemsys');
    expect(field('PACKAGE_VERSION')).toBe(version);
    expect(field('BUILT_MODULE_NAME[0]')).toBe('atemsys');
    expect(field('AUTOINSTALL')).toBe('yes');
  });
  it('builds for Linux 5.10 and later and skips older kernels', () => {
    const re = new RegExp(field('BUILD_EXCLUSIVE_KERNEL') ?? '^$');
    for (const k of ['5.10.0-30-amd64', '5.15.0-1020-raspi', '6.1.0-57-amd64', '6.12.117+deb12-amd64', '6.18.2', '7.2.13-amd64', '10.1.0']) expect(re.test(k), k).toBe(true);
    for (const k of ['5.4.0-150-generic', '5.9.16', '4.19.0', '3.10.0']) expect(re.test(k), k).toBe(false);
  });
});

describe('debian/', () => {
  it('is at the module version, and installs dkms.conf from src-kernel', () => {
    expect(changelogVersion(readFileSync(path.join(REPO_ROOT, 'debian/changelog'), 'utf8'))).toBe(version);
    expect(readFileSync(path.join(REPO_ROOT, 'debian/atemsys-dkms.dkms'), 'utf8').trim()).toBe('src-kernel/dkms.conf');
    expect(readFileSync(path.join(REPO_ROOT, 'debian/control'), 'utf8')).toMatch(/^Build-Depends: .*dh-sequence-dkms/m);
  });
  it('installs files that exist: the DKMS source tree and the udev rule', () => {
    const lines = readFileSync(path.join(REPO_ROOT, 'debian/atemsys-dkms.install'), 'utf8').trim().split('\n');
    for (const l of lines) {
      const [src = '', dest = ''] = l.split(/\s+/);
      expect(matches(src).length, src).toBeGreaterThan(0);
      expect(dest, l).toMatch(/^usr\/(src\/atemsys-\$\{env:DEB_VERSION_UPSTREAM\}\/|lib\/udev\/rules\.d\/)/);
    }
    for (const f of ['Kbuild', 'Makefile', 'COPYING'])
      expect(
        lines.some((l) => l.startsWith(`src-kernel/${f} `)),
        f,
      ).toBe(true);
    expect(existsSync(path.join(REPO_ROOT, 'src-kernel/udev/60-atemsys.rules'))).toBe(true);
  });
});

describe('the udev rule', () => {
  it('gives /dev/atemsys to the atemsys group, mode 0660', () => {
    const rules = readFileSync(path.join(REPO_ROOT, 'src-kernel/udev/60-atemsys.rules'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(rules).toEqual(['SUBSYSTEM=="atemsys", KERNEL=="atemsys", GROUP="atemsys", MODE="0660"']);
  });
});
