import { describe, expect, it } from 'vitest';
import type { MadisonEntry } from '../src/debian/apt.ts';
import { FailureError } from '../src/core/errors.ts';
import { candidateNames, commonHeadersName, imageNameRe, kbuildName, kernelRelease, resolveKernel } from '../src/debian/kernelpkgs.ts';

/** A madison entry; the pocket follows Debian's version suffixes (~deb12u: bookworm-backports, +deb13 ABIs: trixie). */
const pocketOf = (version: string): string => (/~deb12u/.test(version) ? 'bookworm-backports' : /^6\.12\./.test(version) ? 'trixie' : /^7\./.test(version) ? 'sid' : 'bookworm');
const e = (name: string, version: string, pocket = pocketOf(version)): MadisonEntry => ({ name, version, origin: `http://mirror/debian ${pocket}/main amd64 Packages` });

// A slice of bookworm's amd64 index as seen through madison
const AMD64: MadisonEntry[] = [
  e('linux-image-6.1.0-55-amd64', '6.1.192-1'),
  e('linux-image-6.1.0-55-amd64-unsigned', '6.1.192-1'),
  e('linux-headers-6.1.0-55-amd64', '6.1.192-1'),
  e('linux-headers-6.1.0-55-common', '6.1.192-1'),
  e('linux-image-6.1.0-56-amd64', '6.1.192-2'),
  e('linux-image-6.1.0-56-amd64-unsigned', '6.1.192-2'),
  e('linux-headers-6.1.0-56-amd64', '6.1.192-2'),
  e('linux-headers-6.1.0-56-common', '6.1.192-2'),
  e('linux-image-6.1.0-56-rt-amd64-unsigned', '6.1.192-2'),
  e('linux-headers-6.1.0-56-rt-amd64', '6.1.192-2'),
  e('linux-headers-6.1.0-56-common-rt', '6.1.192-2'),
  e('linux-image-6.1.0-56-cloud-amd64', '6.1.192-2'),
  e('linux-image-6.1.0-50-amd64', '6.1.176-1'),
  e('linux-image-6.1.0-50-amd64-unsigned', '6.1.176-1'),
  e('linux-headers-6.1.0-50-amd64', '6.1.176-1'),
  e('linux-headers-6.1.0-50-common', '6.1.176-1'),
  e('linux-kbuild-6.1', '6.1.192-2'),
  e('linux-kbuild-6.1', '6.1.176-1'),
  e('linux-image-6.12.115+deb12-amd64-unsigned', '6.12.115-2~deb12u1'),
  e('linux-headers-6.12.115+deb12-amd64', '6.12.115-2~deb12u1'),
  e('linux-headers-6.12.115+deb12-common', '6.12.115-2~deb12u1'),
  e('linux-kbuild-6.12.115+deb12', '6.12.115-2~deb12u1'),
  e('linux-image-6.12.117+deb12-amd64-unsigned', '6.12.117-1~deb12u1'),
  e('linux-image-6.12.117+deb12-amd64', '6.12.117-1~deb12u1'),
  e('linux-headers-6.12.117+deb12-amd64', '6.12.117-1~deb12u1'),
  e('linux-headers-6.12.117+deb12-common', '6.12.117-1~deb12u1'),
  e('linux-kbuild-6.12.117+deb12', '6.12.117-1~deb12u1'),
  e('linux-image-6.12-amd64', '6.12.117-1~deb12u1'),
  // trixie and sid, in the same state
  e('linux-image-6.12.117+deb13-amd64-unsigned', '6.12.117-1'),
  e('linux-headers-6.12.117+deb13-amd64', '6.12.117-1'),
  e('linux-headers-6.12.117+deb13-common', '6.12.117-1'),
  e('linux-kbuild-6.12.117+deb13', '6.12.117-1'),
  e('linux-image-6.12.117+deb13-amd64-unsigned', '6.12.117-1', 'trixie-updates'),
  e('linux-image-7.2.13+deb14-amd64', '7.2.13-1'),
  e('linux-base-7.2.13+deb14-amd64', '7.2.13-1'),
  e('linux-binary-7.2.13+deb14-amd64', '7.2.13-1'),
  e('linux-modules-7.2.13+deb14-amd64', '7.2.13-1'),
  e('linux-headers-7.2.13+deb14-amd64', '7.2.13-1'),
  e('linux-headers-7.2.13+deb14-common', '7.2.13-1'),
  e('linux-kbuild-7.2.13+deb14', '7.2.13-1'),
];

describe('package names', () => {
  it('matches images of exactly one series and flavour', () => {
    const re = imageNameRe('6.1', 'amd64');
    expect(re.exec('linux-image-6.1.0-56-amd64-unsigned')?.[1]).toBe('6.1.0-56');
    expect(re.test('linux-image-6.1.0-56-amd64')).toBe(true);
    expect(re.test('linux-image-6.1.0-56-rt-amd64')).toBe(false);
    expect(re.test('linux-image-6.1.0-56-cloud-amd64')).toBe(false);
    expect(re.test('linux-image-6.1.0-56-amd64-dbg')).toBe(false);
    expect(re.test('linux-image-6.12.117+deb12-amd64')).toBe(false);
    expect(imageNameRe('6.12', 'amd64').exec('linux-image-6.12.117+deb12-amd64')?.[1]).toBe('6.12.117+deb12');
    expect(imageNameRe('6.12', 'amd64').test('linux-image-6.12-amd64')).toBe(false);
  });

  it('derives kbuild, common headers and release', () => {
    expect(kbuildName('6.1.0-56')).toBe('linux-kbuild-6.1');
    expect(kbuildName('6.12.117+deb12')).toBe('linux-kbuild-6.12.117+deb12');
    expect(commonHeadersName('6.1.0-56', 'amd64')).toBe('linux-headers-6.1.0-56-common');
    expect(commonHeadersName('6.1.0-56', 'rt-amd64')).toBe('linux-headers-6.1.0-56-common-rt');
    expect(kernelRelease('6.12.117+deb12', 'amd64')).toBe('6.12.117+deb12-amd64');
  });

  it('selects the names worth a madison query', () => {
    const names = [...new Set(AMD64.map((x) => x.name))];
    const c = candidateNames({ suite: 'bookworm', series: '6.1', flavour: 'rt-amd64' }, names);
    expect(c.target).toEqual(['linux-headers-6.1.0-56-common-rt', 'linux-headers-6.1.0-56-rt-amd64', 'linux-image-6.1.0-56-rt-amd64-unsigned']);
    expect(c.kbuild).toEqual(['linux-kbuild-6.1']);
    const p = candidateNames({ suite: 'bookworm', series: '6.1', flavour: 'amd64', version: '6.1.0-50' }, names);
    expect(p.target).toEqual(['linux-headers-6.1.0-50-amd64', 'linux-headers-6.1.0-50-common', 'linux-image-6.1.0-50-amd64', 'linux-image-6.1.0-50-amd64-unsigned']);
  });
});

describe('resolveKernel', () => {
  it('takes the newest complete 6.1 set and prefers -unsigned', () => {
    const r = resolveKernel({ suite: 'bookworm', series: '6.1', flavour: 'amd64' }, AMD64, AMD64);
    expect(r).toEqual({
      suite: 'bookworm',
      series: '6.1',
      flavour: 'amd64',
      abi: '6.1.0-56',
      release: '6.1.0-56-amd64',
      version: '6.1.192-2',
      image: { name: 'linux-image-6.1.0-56-amd64-unsigned', version: '6.1.192-2' },
      headers: { name: 'linux-headers-6.1.0-56-amd64', version: '6.1.192-2' },
      common: { name: 'linux-headers-6.1.0-56-common', version: '6.1.192-2' },
      kbuild: { name: 'linux-kbuild-6.1', version: '6.1.192-2' },
      parts: [],
    });
  });

  it('resolves 6.12 by Debian version, not by string order', () => {
    const r = resolveKernel({ suite: 'bookworm-backports', series: '6.12', flavour: 'amd64' }, AMD64, AMD64);
    expect(r.release).toBe('6.12.117+deb12-amd64');
    expect(r.kbuild).toEqual({ name: 'linux-kbuild-6.12.117+deb12', version: '6.12.117-1~deb12u1' });
  });

  it('resolves rt flavours with the -common-rt headers', () => {
    const r = resolveKernel({ suite: 'bookworm', series: '6.1', flavour: 'rt-amd64' }, AMD64, AMD64);
    expect(r.common.name).toBe('linux-headers-6.1.0-56-common-rt');
    expect(r.release).toBe('6.1.0-56-rt-amd64');
  });

  it('falls back to an older ABI when kbuild of the newest is missing from the host index (foreign index ahead)', () => {
    const host = AMD64.filter((x) => !(x.name === 'linux-kbuild-6.1' && x.version === '6.1.192-2'));
    const r = resolveKernel({ suite: 'bookworm', series: '6.1', flavour: 'amd64' }, AMD64, host);
    expect(r.abi).toBe('6.1.0-50');
    expect(r.version).toBe('6.1.176-1');
  });

  it('uses the signed image name when there is no -unsigned one (armmp)', () => {
    const armhf = [
      e('linux-image-6.1.0-56-armmp', '6.1.192-2'),
      e('linux-headers-6.1.0-56-armmp', '6.1.192-2'),
      e('linux-headers-6.1.0-56-common', '6.1.192-2'),
      e('linux-image-6.1.0-56-armmp-lpae', '6.1.192-2'),
    ];
    const r = resolveKernel({ suite: 'bookworm', series: '6.1', flavour: 'armmp' }, armhf, AMD64);
    expect(r.image.name).toBe('linux-image-6.1.0-56-armmp');
  });

  it('keeps to the suite a profile names', () => {
    const t = resolveKernel({ suite: 'trixie', series: '6.12', flavour: 'amd64' }, AMD64, AMD64);
    expect(t.release).toBe('6.12.117+deb13-amd64');
    expect(t.kbuild.name).toBe('linux-kbuild-6.12.117+deb13');
    expect(resolveKernel({ suite: 'bookworm-backports', series: '6.12', flavour: 'amd64' }, AMD64, AMD64).release).toBe('6.12.117+deb12-amd64');
    expect(() => resolveKernel({ suite: 'trixie', series: '6.1', flavour: 'amd64' }, AMD64, AMD64)).toThrow(/in trixie \(trixie, trixie-updates, trixie-security\)/);
  });

  it('resolves "newest" to the newest series of the suite', () => {
    const r = resolveKernel({ suite: 'sid', series: 'newest', flavour: 'amd64' }, AMD64, AMD64);
    expect(r.series).toBe('7.2');
    expect(r.release).toBe('7.2.13+deb14-amd64');
    // Debian 14's split image: vmlinuz, modules and base files come beside the image package
    expect(r.parts.map((p) => p.name)).toEqual(['linux-base-7.2.13+deb14-amd64', 'linux-binary-7.2.13+deb14-amd64', 'linux-modules-7.2.13+deb14-amd64']);
    const noModules = AMD64.filter((x) => x.name !== 'linux-modules-7.2.13+deb14-amd64');
    expect(() => resolveKernel({ suite: 'sid', series: 'newest', flavour: 'amd64' }, noModules, AMD64)).toThrow(/missing linux-modules-7\.2\.13\+deb14-amd64/);
    expect(resolveKernel({ suite: 'trixie', series: 'newest', flavour: 'amd64' }, AMD64, AMD64).series).toBe('6.12');
  });

  it('honours a pinned ABI', () => {
    expect(resolveKernel({ suite: 'bookworm', series: '6.1', flavour: 'amd64', version: '6.1.0-50' }, AMD64, AMD64).version).toBe('6.1.176-1');
  });

  it('explains what is missing', () => {
    expect(() => resolveKernel({ suite: 'bookworm', series: '6.1', flavour: 'amd64', version: '6.1.0-55' }, AMD64, AMD64)).toThrow(/6\.1\.0-55 6\.1\.192-1: missing linux-kbuild-6\.1 \(host index\)/);
    expect(() => resolveKernel({ suite: 'bookworm', series: '5.10', flavour: 'amd64' }, AMD64, AMD64)).toThrow(FailureError);
    expect(() => resolveKernel({ suite: 'bookworm', series: '5.10', flavour: 'amd64' }, AMD64, AMD64)).toThrow(/no Debian kernel image found for bookworm 5\.10 amd64/);
  });
});
