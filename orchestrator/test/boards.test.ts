import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../src/paths.ts';
import { loadAllProfiles } from '../src/profile.ts';
import { qemuArgs } from '../src/qemu.ts';

const paths = resolvePaths({});

describe('the shipped board profiles', async () => {
  const profiles = await loadAllProfiles(paths.boards, paths.repo);
  const byName = new Map(profiles.map((p) => [p.name, p]));

  it('include the QEMU PCI boards', () => {
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['qemu-arm64', 'qemu-armhf', 'qemu-x86_64', 'qemu-x86_64-iommu']));
  });

  it('qemu-x86_64-iommu: the IOMMU comes before the devices and translates everything', () => {
    const p = byName.get('qemu-x86_64-iommu');
    expect(p?.qemu?.devices[0]).toMatch(/^intel-iommu\b/);
    expect(p?.qemu?.append).toContain('intel_iommu=on');
    expect(p?.qemu?.append).toContain('iommu=nopt');
  });

  it('qemu-x86_64: q35, cpu max, ttyS0, Debian 6.1 and 6.12 amd64', () => {
    const p = byName.get('qemu-x86_64');
    expect(p?.arch).toBe('x86_64');
    expect(p?.kernels).toEqual([
      { series: '6.1', flavour: 'amd64' },
      { series: '6.12', flavour: 'amd64' },
    ]);
    expect(p?.qemu).toMatchObject({ binary: 'qemu-system-x86_64', machine: 'q35', cpu: 'max', console: 'ttyS0' });
  });

  it('qemu-arm64: virt, cortex-a57, ttyAMA0, flavour arm64', () => {
    const p = byName.get('qemu-arm64');
    expect(p?.kernels).toEqual([{ series: '6.1', flavour: 'arm64' }]);
    expect(p?.qemu).toMatchObject({ binary: 'qemu-system-aarch64', machine: 'virt', cpu: 'cortex-a57', console: 'ttyAMA0' });
  });

  it('qemu-armhf: virt with highmem=off, cortex-a15, flavour armmp', () => {
    const p = byName.get('qemu-armhf');
    expect(p?.kernels).toEqual([{ series: '6.1', flavour: 'armmp' }]);
    expect(p?.qemu).toMatchObject({ binary: 'qemu-system-arm', machine: 'virt,highmem=off', cpu: 'cortex-a15', console: 'ttyAMA0' });
  });

  it('PCI boards: 512 MiB, 2 CPUs, no NIC of their own, edu with a 32-bit DMA mask and e1000e', () => {
    for (const p of profiles.filter((x) => x.name.startsWith('qemu-'))) {
      if (!p.qemu) throw new Error(`${p.name} has no qemu section`);
      const args = qemuArgs(p.qemu, { kernel: 'k', initrd: 'i' });
      expect(args.join(' ')).toContain('-nic none');
      expect(p.qemu.memory).toBe(512);
      expect(p.qemu.smp).toBe(2);
      // slots 2 and 6 share an INTx line on q35 and virt: the shared-INTx test needs both edus
      expect(p.qemu.devices.filter((d) => !d.startsWith('intel-iommu'))).toEqual(['edu,dma_mask=0xffffffff,addr=2', 'e1000e,addr=3', 'edu,dma_mask=0xffffffff,addr=6']);
      expect(path.basename(p.file)).toBe(`${p.name}.yaml`);
    }
  });
});
