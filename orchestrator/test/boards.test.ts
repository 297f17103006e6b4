import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../src/core/paths.ts';
import { loadAllProfiles } from '../src/profile/profile.ts';
import { qemuArgs } from '../src/guest/qemu.ts';
import { hotplugSlots } from '../src/guest/hotplug.ts';
import type { QemuSpec } from '../src/profile/profile.ts';

function need(q: QemuSpec | undefined): QemuSpec {
  if (!q) throw new Error('no qemu section');
  return q;
}

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
    expect(p?.modulesAvailable).toEqual(['e1000e', 'uio_pci_generic', 'vfio-pci', 'vfio_iommu_type1']);
  });

  it('qemu-x86_64: q35, cpu max, ttyS0, Debian 12 6.1 and 6.12, trixie, sid, RT', () => {
    const p = byName.get('qemu-x86_64');
    expect(p?.arch).toBe('x86_64');
    expect(p?.kernels).toEqual([
      { suite: 'bookworm', series: '6.1', flavour: 'amd64' },
      { suite: 'bookworm', series: '6.12', flavour: 'amd64' },
      { suite: 'trixie', series: '6.12', flavour: 'amd64', extraGroups: ['fuzz'] },
      { suite: 'sid', series: 'newest', flavour: 'amd64' },
      { suite: 'bookworm', series: '6.1', flavour: 'rt-amd64' },
      { suite: 'trixie', series: '6.12', flavour: 'rt-amd64' },
    ]);
    expect(p?.qemu).toMatchObject({ binary: 'qemu-system-x86_64', machine: 'q35', cpu: 'max', console: 'ttyS0' });
  });

  it('qemu-arm64: virt, cortex-a57, ttyAMA0, flavour arm64', () => {
    const p = byName.get('qemu-arm64');
    expect(p?.kernels.map((k) => `${k.suite}/${k.series}/${k.flavour}`)).toEqual(['bookworm/6.1/arm64', 'trixie/6.12/arm64', 'sid/newest/arm64', 'bookworm/6.1/rt-arm64', 'trixie/6.12/rt-arm64']);
    expect(p?.qemu).toMatchObject({ binary: 'qemu-system-aarch64', machine: 'virt', cpu: 'cortex-a57', console: 'ttyAMA0' });
  });

  it('qemu-armhf: virt with highmem=off, cortex-a15, flavour armmp', () => {
    const p = byName.get('qemu-armhf');
    expect(p?.kernels.map((k) => `${k.suite}/${k.series}/${k.flavour}`)).toEqual(['bookworm/6.1/armmp', 'trixie/6.12/armmp']);
    expect(p?.qemu).toMatchObject({ binary: 'qemu-system-arm', machine: 'virt,highmem=off', cpu: 'cortex-a15', console: 'ttyAMA0' });
  });

  it('PCI boards: 512 MiB, 2 CPUs, no NIC of their own, edu with a 32-bit DMA mask, e1000e, the EtherCAT pair on one hub, an igb with FLR', () => {
    for (const p of profiles.filter((x) => x.name.startsWith('qemu-'))) {
      if (!p.qemu) throw new Error(`${p.name} has no qemu section`);
      const args = qemuArgs(p.qemu, { kernel: 'k', initrd: 'i' });
      expect(args.join(' ')).toContain('-nic none');
      expect(p.qemu.memory).toBe(512);
      expect(p.qemu.smp).toBe(2);
      // slots 2 and 6 share an INTx line on q35 and virt: the shared-INTx test needs both edus
      expect(p.qemu.devices.filter((d) => !d.startsWith('intel-iommu') && !d.startsWith('pcie-root-port'))).toEqual([
        'edu,dma_mask=0xffffffff,addr=2',
        'e1000e,addr=3',
        'edu,dma_mask=0xffffffff,addr=6',
        // instances 1 and 2 of 8086:10d3 in B/D/F order, joined by hub 0 and nothing else
        'e1000e,netdev=ll0,addr=4',
        'e1000e,netdev=ll1,addr=5',
        // release_resets_function: QEMU's igb has FLR (the e1000e only a PM reset QEMU ignores)
        'igb,addr=7',
      ]);
      expect(p.qemu.netdevs).toEqual(['hubport,id=ll0,hubid=0', 'hubport,id=ll1,hubid=0']);
      expect(p.qemu.pcap).toEqual(['ll0']);
      expect(p.modulesAvailable?.slice(0, 2)).toEqual(['e1000e', 'uio_pci_generic']);
      expect(path.basename(p.file)).toBe(`${p.name}.yaml`);
    }
  });

  it('qemu-x86_64 has an edu in a hot-plug slot (hot_unplug_qmp), on a root port of its own', () => {
    const q = profiles.find((x) => x.name === 'qemu-x86_64')?.qemu;
    expect(q?.hotplug).toEqual(['edu,id=hpedu,bus=hp1']);
    expect(hotplugSlots(q?.devices ?? [], q?.hotplug ?? [])).toEqual({ slots: [{ port: '0000:00:08.0', id: 'hpedu', device: 'edu,id=hpedu,bus=hp1' }], problems: [] });
  });

  it('make test fuzzes every arch once and one DT board (issue 10)', async () => {
    const fuzzed = profiles.flatMap((p) => p.kernels.filter((k) => k.extraGroups?.includes('fuzz')).map((k) => `${p.name} ${k.suite}/${k.series}/${k.flavour}`));
    expect(fuzzed.sort()).toEqual(['imx8 trixie/6.12/arm64', 'qemu-arm64 trixie/6.12/arm64', 'qemu-armhf trixie/6.12/armmp', 'qemu-x86_64 trixie/6.12/amd64']);
    const arches = new Set(profiles.filter((p) => p.kernels.some((k) => k.extraGroups?.includes('fuzz'))).map((p) => p.arch));
    expect([...arches].sort()).toEqual(['arm64', 'armhf', 'x86_64']);
    // no separate slow lane any more: make test runs them all
    const script = await readFile(path.join(paths.repo, 'scripts', 'test.mjs'), 'utf8');
    expect(script).not.toContain('fuzz_slow_lane');
  });

  it('DT boards: the overlay hands one MAC to atemsys, selftest groups dt and (booted boards) ll', () => {
    const want: Record<string, { base: string; path: string; ident: string }> = {
      imx8: { base: 'freescale/imx8mp-evk.dtb', path: '/soc@0/bus@30800000/ethernet@30be0000', ident: 'FslFec' },
      'imx6-sabrelite': { base: 'imx6q-sabrelite.dtb', path: '/soc/bus@2100000/ethernet@2188000', ident: 'FslFec' },
      rpi4: { base: 'broadcom/bcm2711-rpi-4-b.dtb', path: '/scb/ethernet@7d580000', ident: 'BcmGenet' },
      zcu102: { base: 'xilinx/zynqmp-zcu102-rev1.0.dtb', path: '/axi/ethernet@ff0e0000', ident: 'GEM' },
    };
    for (const [name, w] of Object.entries(want)) {
      const p = byName.get(name);
      expect(p?.dt, name).toEqual({ base: w.base, nodes: [{ path: w.path, ident: w.ident, instance: 1, properties: [] }] });
      expect(p?.selftest.args, name).toEqual(['--group', p?.qemu ? 'dt,ll' : 'dt']);
    }
  });

  it("DT boards: the MAC's cable reaches the simulator and nothing else", () => {
    // i.MX: the SoC's only MAC to the host's simulator on 127.0.0.1 (a dgram netdev smoke binds)
    for (const name of ['imx8', 'imx6-sabrelite']) {
      const q = byName.get(name)?.qemu;
      expect(q?.netdevs, name).toEqual(['dgram,id=ll0']);
      expect(q?.nics, name).toEqual(['ll0']);
      const args = qemuArgs(need(q), { kernel: 'k', initrd: 'i' }, { dgram: new Map([['ll0', { qemu: 40001, sim: 40002 }]]) }).join(' ');
      expect(args).toContain('-netdev dgram,id=ll0,local.type=inet,local.host=127.0.0.1,local.port=40001,remote.type=inet,remote.host=127.0.0.1,remote.port=40002');
      expect(args).toContain('-net nic,netdev=ll0');
    }
    // zcu102: GEM3 (the master's, 4th NIC) and GEM2 (the simulator's) on hub 0 alone
    const z = byName.get('zcu102')?.qemu;
    expect(z?.nics).toEqual(['none', 'none', 'll1', 'll0']);
    expect(z?.netdevs).toEqual(['hubport,id=ll0,hubid=0', 'hubport,id=ll1,hubid=0']);
    expect(qemuArgs(need(z), { kernel: 'k', initrd: 'i' }).join(' ')).toContain(
      '-netdev hubport,id=nic-none0,hubid=100 -net nic,netdev=nic-none0 -netdev hubport,id=nic-none1,hubid=101 -net nic,netdev=nic-none1 -net nic,netdev=ll1 -net nic,netdev=ll0',
    );
  });

  it('i.MX boards: console on the second UART, QEMU gets the patched DTB, the SoC NIC stays', () => {
    for (const name of ['imx8', 'imx6-sabrelite']) {
      const q = byName.get(name)?.qemu;
      if (!q) throw new Error(`${name} has no qemu section`);
      expect(q.console).toBe('ttymxc1');
      expect(q.serial?.[0]).toBe('null');
      const args = qemuArgs(q, { kernel: 'k', initrd: 'i', dtb: 'd.dtb' }, { dgram: new Map([['ll0', { qemu: 1, sim: 2 }]]) }).join(' ');
      expect(args).toContain('-dtb d.dtb');
      expect(args).not.toContain('-nographic');
      expect(args).toContain('-no-reboot -nic none');
    }
    // sabrelite cannot power off: the watchdog's restart handler ends QEMU
    expect(byName.get('imx6-sabrelite')?.qemu?.shutdown).toBe('reboot');
    expect(byName.get('imx6-sabrelite')?.modules).toContain('imx2_wdt');
  });

  it('build-only boards say why', () => {
    const rpi4 = byName.get('rpi4');
    expect(rpi4?.qemu).toBeUndefined();
    expect(rpi4?.buildOnly).toMatch(/GENET/);
    for (const p of profiles) expect(p.qemu !== undefined || (p.buildOnly ?? '') !== '', p.name).toBe(true);
  });
});
