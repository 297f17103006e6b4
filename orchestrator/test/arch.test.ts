import { describe, expect, it } from 'vitest';
import { archInfo, hostDebianArch, isArch } from '../src/debian/arch.ts';

describe('archInfo', () => {
  it('maps x86_64 natively on an amd64 host', () => {
    expect(archInfo('x86_64', 'amd64')).toEqual({
      arch: 'x86_64',
      debian: 'amd64',
      kernelArch: 'x86',
      crossCompile: '',
      gccPackage: 'gcc',
      triplet: 'x86_64-linux-gnu',
      libcPackage: 'libc6-dev',
      compat32: { crossCompile: 'i686-linux-gnu-', gccPackage: 'gcc-i686-linux-gnu', libcPackage: 'libc6-dev-i386-cross' },
    });
  });

  it('builds 32-bit compat clients for the 64-bit arches only', () => {
    expect(archInfo('arm64', 'amd64').compat32?.crossCompile).toBe('arm-linux-gnueabihf-');
    expect(archInfo('armhf', 'amd64').compat32).toBeUndefined();
  });

  it('cross-compiles arm64 and armhf from amd64', () => {
    expect(archInfo('arm64', 'amd64')).toMatchObject({
      debian: 'arm64',
      kernelArch: 'arm64',
      crossCompile: 'aarch64-linux-gnu-',
      gccPackage: 'gcc-aarch64-linux-gnu',
      triplet: 'aarch64-linux-gnu',
      libcPackage: 'libc6-dev-arm64-cross',
    });
    expect(archInfo('armhf', 'amd64')).toMatchObject({
      debian: 'armhf',
      kernelArch: 'arm',
      crossCompile: 'arm-linux-gnueabihf-',
      gccPackage: 'gcc-arm-linux-gnueabihf',
      libcPackage: 'libc6-dev-armhf-cross',
    });
  });

  it('cross-compiles x86_64 from an arm64 host', () => {
    expect(archInfo('x86_64', 'arm64')).toMatchObject({ crossCompile: 'x86_64-linux-gnu-', gccPackage: 'gcc-x86-64-linux-gnu' });
    expect(archInfo('arm64', 'arm64').crossCompile).toBe('');
  });

  it('knows the host from node', () => {
    expect(hostDebianArch('x64')).toBe('amd64');
    expect(hostDebianArch('arm64')).toBe('arm64');
    expect(hostDebianArch('arm')).toBe('armhf');
    expect(hostDebianArch('riscv64')).toBeUndefined();
    expect(isArch('arm64')).toBe(true);
    expect(isArch('amd64')).toBe(false);
  });
});
