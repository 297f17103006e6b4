import { describe, expect, it } from 'vitest';
import { suiteByName } from '../src/debian/suites.ts';
import { archInfo } from '../src/debian/arch.ts';
import { formatCommand, shellQuote, tailLines } from '../src/core/exec.ts';
import { buildTools, missingToolsMessage, packageForTool } from '../src/debian/tools.ts';

describe('tools', () => {
  const arm = archInfo('armhf', 'amd64');
  it('names the Debian package of each tool', () => {
    expect(packageForTool('qemu-system-aarch64')).toBe('qemu-system-arm');
    expect(packageForTool('qemu-system-x86_64')).toBe('qemu-system-x86');
    expect(packageForTool('qemu-system-riscv64')).toBe('qemu-system-misc');
    expect(packageForTool('arm-linux-gnueabihf-gcc', arm)).toBe('gcc-arm-linux-gnueabihf');
    expect(packageForTool('arm-linux-gnueabihf-gcc-12', arm)).toBe('gcc-12-arm-linux-gnueabihf');
    expect(packageForTool('modinfo')).toBe('kmod');
    expect(packageForTool('apt-get')).toBe('apt');
    expect(packageForTool('pahole')).toBe('dwarves');
    expect(packageForTool('cpio')).toBe('cpio');
    expect(packageForTool('dtc')).toBe('device-tree-compiler');
    expect(packageForTool('fdtoverlay')).toBe('device-tree-compiler');
    expect(packageForTool('fdtget')).toBe('device-tree-compiler');
    expect(packageForTool('zstd')).toBe('zstd');
    expect(packageForTool('xz')).toBe('xz-utils');
  });

  it('lists the build tools: the suite compiler on the host, a chroot for newer suites, pahole after 6.1', () => {
    const bookworm = suiteByName('bookworm');
    const bw = { suite: 'bookworm', series: '6.1' };
    expect(buildTools(arm, [bw], bookworm)).toEqual(['make', 'dpkg', 'apt-get', 'apt-cache', 'modinfo', 'arm-linux-gnueabihf-gcc', 'gcc-12', 'arm-linux-gnueabihf-gcc-12']);
    expect(buildTools(archInfo('x86_64', 'amd64'), [bw, { suite: 'bookworm-backports', series: '6.12' }], bookworm)).toEqual([
      'make',
      'dpkg',
      'apt-get',
      'apt-cache',
      'modinfo',
      'gcc',
      'gcc-12',
      'pahole',
      'i686-linux-gnu-gcc',
    ]);
    expect(buildTools(arm, [{ suite: 'trixie', series: '6.12' }], bookworm)).toEqual([
      'make',
      'dpkg',
      'apt-get',
      'apt-cache',
      'modinfo',
      'arm-linux-gnueabihf-gcc',
      'debootstrap',
      'unshare',
      'chroot',
    ]);
    // on a trixie host a trixie kernel is built on the host with gcc-14, a bookworm one with gcc-12
    expect(buildTools(arm, [{ suite: 'trixie', series: '6.12' }, bw], suiteByName('trixie'))).toEqual([
      'make',
      'dpkg',
      'apt-get',
      'apt-cache',
      'modinfo',
      'arm-linux-gnueabihf-gcc',
      'gcc-14',
      'arm-linux-gnueabihf-gcc-14',
      'pahole',
      'gcc-12',
      'arm-linux-gnueabihf-gcc-12',
    ]);
    expect(packageForTool('arm-linux-gnueabihf-gcc-14', arm)).toBe('gcc-14-arm-linux-gnueabihf');
    expect(packageForTool('debootstrap')).toBe('debootstrap');
  });

  it('names the package of the 32-bit compat compiler', () => {
    const x86 = archInfo('x86_64', 'amd64');
    expect(missingToolsMessage(['i686-linux-gnu-gcc'], x86)).toContain('i686-linux-gnu-gcc  (Debian package gcc-i686-linux-gnu)');
  });

  it('tells what to install and points at make setup', () => {
    const m = missingToolsMessage(['arm-linux-gnueabihf-gcc', 'qemu-system-arm'], arm);
    expect(m).toContain('arm-linux-gnueabihf-gcc  (Debian package gcc-arm-linux-gnueabihf)');
    expect(m).toContain('install with: apt-get install gcc-arm-linux-gnueabihf qemu-system-arm');
    expect(m).toContain('make setup');
  });
});

describe('exec helpers', () => {
  it('quotes for the shell', () => {
    expect(shellQuote('console=ttyS0')).toBe('console=ttyS0');
    expect(shellQuote('panic=-1 quiet')).toBe("'panic=-1 quiet'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(formatCommand('qemu', ['-append', 'a b'])).toBe("qemu -append 'a b'");
  });
  it('takes the last lines', () => {
    expect(tailLines('a\nb\r\nc\n\n', 2)).toEqual(['b', 'c']);
  });
});
