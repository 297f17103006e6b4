import { describe, expect, it } from 'vitest';
import type { MadisonEntry } from '../src/apt.ts';
import { FailureError } from '../src/errors.ts';
import { candidateNames, commonHeadersName, imageNameRe, kbuildName, kernelRelease, resolveKernel } from '../src/kernelpkgs.ts';

const e = (name: string, version: string): MadisonEntry => ({ name, version, origin: 'o' });

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
    const c = candidateNames({ series: '6.1', flavour: 'rt-amd64' }, names);
    expect(c.target).toEqual(['linux-headers-6.1.0-56-common-rt', 'linux-headers-6.1.0-56-rt-amd64', 'linux-image-6.1.0-56-rt-amd64-unsigned']);
    expect(c.kbuild).toEqual(['linux-kbuild-6.1']);
    const p = candidateNames({ series: '6.1', flavour: 'amd64', version: '6.1.0-50' }, names);
    expect(p.target).toEqual(['linux-headers-6.1.0-50-amd64', 'linux-headers-6.1.0-50-common', 'linux-image-6.1.0-50-amd64', 'linux-image-6.1.0-50-amd64-unsigned']);
  });
});

describe('resolveKernel', () => {
  it('takes the newest complete 6.1 set and prefers -unsigned', () => {
    const r = resolveKernel({ series: '6.1', flavour: 'amd64' }, AMD64, AMD64);
    expect(r).toEqual({
      series: '6.1',
      flavour: 'amd64',
      abi: '6.1.0-56',
      release: '6.1.0-56-amd64',
      version: '6.1.192-2',
      image: { name: 'linux-image-6.1.0-56-amd64-unsigned', version: '6.1.192-2' },
      headers: { name: 'linux-headers-6.1.0-56-amd64', version: '6.1.192-2' },
      common: { name: 'linux-headers-6.1.0-56-common', version: '6.1.192-2' },
      kbuild: { name: 'linux-kbuild-6.1', version: '6.1.192-2' },
    });
  });

  it('resolves 6.12 by Debian version, not by string order', () => {
    const r = resolveKernel({ series: '6.12', flavour: 'amd64' }, AMD64, AMD64);
    expect(r.release).toBe('6.12.117+deb12-amd64');
    expect(r.kbuild).toEqual({ name: 'linux-kbuild-6.12.117+deb12', version: '6.12.117-1~deb12u1' });
  });

  it('resolves rt flavours with the -common-rt headers', () => {
    const r = resolveKernel({ series: '6.1', flavour: 'rt-amd64' }, AMD64, AMD64);
    expect(r.common.name).toBe('linux-headers-6.1.0-56-common-rt');
    expect(r.release).toBe('6.1.0-56-rt-amd64');
  });

  it('falls back to an older ABI when kbuild of the newest is missing from the host index (foreign index ahead)', () => {
    const host = AMD64.filter((x) => !(x.name === 'linux-kbuild-6.1' && x.version === '6.1.192-2'));
    const r = resolveKernel({ series: '6.1', flavour: 'amd64' }, AMD64, host);
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
    const r = resolveKernel({ series: '6.1', flavour: 'armmp' }, armhf, AMD64);
    expect(r.image.name).toBe('linux-image-6.1.0-56-armmp');
  });

  it('honours a pinned ABI', () => {
    expect(resolveKernel({ series: '6.1', flavour: 'amd64', version: '6.1.0-50' }, AMD64, AMD64).version).toBe('6.1.176-1');
  });

  it('explains what is missing', () => {
    expect(() => resolveKernel({ series: '6.1', flavour: 'amd64', version: '6.1.0-55' }, AMD64, AMD64)).toThrow(
      /6\.1\.0-55 6\.1\.192-1: missing linux-kbuild-6\.1 \(host index\)/,
    );
    expect(() => resolveKernel({ series: '5.10', flavour: 'amd64' }, AMD64, AMD64)).toThrow(FailureError);
    expect(() => resolveKernel({ series: '5.10', flavour: 'amd64' }, AMD64, AMD64)).toThrow(/no Debian kernel image found for 5\.10 amd64/);
  });
});
