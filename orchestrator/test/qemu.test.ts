import { describe, expect, it } from 'vitest';
import type { QemuSpec } from '../src/profile.ts';
import { kernelCommandLine, qemuArgs } from '../src/qemu.ts';

const Q: QemuSpec = {
  binary: 'qemu-system-arm',
  machine: 'virt,highmem=off',
  cpu: 'cortex-a15',
  memory: 512,
  smp: 2,
  console: 'ttyAMA0',
  append: ' panic=-1 quiet ',
  devices: ['edu,dma_mask=0xffffffff', 'e1000e'],
  args: [],
  timeout: 300,
};

describe('qemuArgs', () => {
  it('builds the full command line', () => {
    expect(qemuArgs(Q, { kernel: '/o/vmlinuz', initrd: '/o/initramfs.cpio.gz' })).toEqual([
      '-kernel', '/o/vmlinuz',
      '-initrd', '/o/initramfs.cpio.gz',
      '-append', 'console=ttyAMA0 panic=-1 quiet',
      '-nographic', '-no-reboot', '-nic', 'none',
      '-machine', 'virt,highmem=off',
      '-cpu', 'cortex-a15',
      '-m', '512',
      '-smp', '2',
      '-device', 'edu,dma_mask=0xffffffff',
      '-device', 'e1000e',
    ]);
  });

  it('appends extra args last and copes with an empty append', () => {
    const a = qemuArgs({ ...Q, append: '', args: ['-serial', 'null'], devices: [] }, { kernel: 'k', initrd: 'i' });
    expect(a.slice(-2)).toEqual(['-serial', 'null']);
    expect(a).not.toContain('-device');
    expect(kernelCommandLine({ ...Q, append: '' })).toBe('console=ttyAMA0');
  });
});
