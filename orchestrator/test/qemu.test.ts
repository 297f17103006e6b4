import { describe, expect, it } from 'vitest';
import type { QemuSpec } from '../src/profile/profile.ts';
import { consoleArgs, kernelCommandLine, pcapFile, qemuArgs } from '../src/guest/qemu.ts';

const Q: QemuSpec = {
  binary: 'qemu-system-arm',
  machine: 'virt,highmem=off',
  cpu: 'cortex-a15',
  memory: 512,
  smp: 2,
  console: 'ttyAMA0',
  append: ' panic=-1 quiet ',
  shutdown: 'poweroff',
  devices: ['edu,dma_mask=0xffffffff', 'e1000e'],
  args: [],
  timeout: 300,
};

describe('qemuArgs', () => {
  it('builds the full command line', () => {
    expect(qemuArgs(Q, { kernel: '/o/vmlinuz', initrd: '/o/initramfs.cpio.gz' })).toEqual([
      '-kernel',
      '/o/vmlinuz',
      '-initrd',
      '/o/initramfs.cpio.gz',
      '-append',
      'console=ttyAMA0 panic=-1 quiet',
      '-nographic',
      '-no-reboot',
      '-nic',
      'none',
      '-machine',
      'virt,highmem=off',
      '-cpu',
      'cortex-a15',
      '-m',
      '512',
      '-smp',
      '2',
      '-device',
      'edu,dma_mask=0xffffffff',
      '-device',
      'e1000e',
    ]);
  });

  it('appends extra args last and copes with an empty append', () => {
    const a = qemuArgs({ ...Q, append: '', args: ['-serial', 'null'], devices: [] }, { kernel: 'k', initrd: 'i' });
    expect(a.slice(-2)).toEqual(['-serial', 'null']);
    expect(a).not.toContain('-device');
    expect(kernelCommandLine({ ...Q, append: '' })).toBe('console=ttyAMA0');
  });
});

describe('qemuArgs for device-tree machines', () => {
  const IMX: QemuSpec = {
    binary: 'qemu-system-aarch64',
    machine: 'imx8mp-evk',
    memory: 2048,
    smp: 4,
    console: 'ttymxc1',
    append: 'panic=-1 quiet',
    serial: ['null', 'stdio'],
    shutdown: 'poweroff',
    devices: [],
    args: [],
    timeout: 300,
  };

  it('passes the DTB and, with serial backends, no -nographic (its monitor would claim stdio too)', () => {
    expect(qemuArgs(IMX, { kernel: 'k', initrd: 'i', dtb: '/o/imx8mp-evk-atemsys.dtb' })).toEqual([
      '-kernel',
      'k',
      '-initrd',
      'i',
      '-dtb',
      '/o/imx8mp-evk-atemsys.dtb',
      '-append',
      'console=ttymxc1 panic=-1 quiet',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'null',
      '-serial',
      'stdio',
      '-no-reboot',
      '-nic',
      'none',
      '-machine',
      'imx8mp-evk',
      '-m',
      '2048',
      '-smp',
      '4',
    ]);
  });

  it('keeps the monitor when a backend multiplexes it (mon:stdio)', () => {
    const c = consoleArgs({ ...IMX, serial: ['null', 'mon:stdio'] });
    expect(c).toEqual(['-display', 'none', '-serial', 'null', '-serial', 'mon:stdio']);
    expect(consoleArgs({ ...IMX, serial: undefined })).toEqual(['-nographic']);
  });

  it('leaves out -cpu, -smp and -dtb when not given', () => {
    const { smp: _smp, ...noSmp } = IMX;
    const a = qemuArgs({ ...noSmp, serial: undefined }, { kernel: 'k', initrd: 'i' });
    expect(a).not.toContain('-cpu');
    expect(a).not.toContain('-smp');
    expect(a).not.toContain('-dtb');
    expect(a).toContain('-nographic');
  });
});

describe('qemuArgs: netdevs and packet capture', () => {
  const NET: QemuSpec = {
    ...Q,
    devices: ['edu,addr=2', 'e1000e,netdev=ll0,addr=4', 'e1000e,netdev=ll1,addr=5'],
    netdevs: ['hubport,id=ll0,hubid=0', 'hubport,id=ll1,hubid=0'],
    pcap: ['ll0'],
  };

  it('puts the netdevs before the devices, keeps -nic none, and dumps nothing by default', () => {
    const a = qemuArgs(NET, { kernel: 'k', initrd: 'i' });
    const s = a.join(' ');
    expect(s).toContain('-nic none');
    expect(s).toContain('-netdev hubport,id=ll0,hubid=0 -netdev hubport,id=ll1,hubid=0 -device edu,addr=2 -device e1000e,netdev=ll0,addr=4');
    expect(a).not.toContain('-object');
  });

  it('adds one filter-dump per pcap id, after the netdevs and before the devices, when asked', () => {
    const a = qemuArgs(NET, { kernel: 'k', initrd: 'i' }, { pcapDir: '/o/x,y' });
    const i = a.indexOf('-object');
    expect(a[i + 1]).toBe('filter-dump,id=dump-ll0,netdev=ll0,file=/o/x,,y/ll0.pcap');
    expect(a.lastIndexOf('-netdev')).toBeLessThan(i);
    expect(a.indexOf('-device')).toBeGreaterThan(i);
    expect(a.filter((x) => x === '-object')).toHaveLength(1);
    expect(pcapFile('/o', 'll1')).toBe('/o/ll1.pcap');
  });

  it('plugs the hot-pluggable devices after the others and opens QMP only when asked', () => {
    const hp: QemuSpec = { ...NET, devices: [...NET.devices, 'pcie-root-port,id=hp1,chassis=1,slot=1'], hotplug: ['edu,id=hpedu,bus=hp1'] };
    const s = qemuArgs(hp, { kernel: 'k', initrd: 'i' }, { qmpSocket: '/t/qmp.sock' }).join(' ');
    expect(s).toContain('-device pcie-root-port,id=hp1,chassis=1,slot=1 -device edu,id=hpedu,bus=hp1 -qmp unix:/t/qmp.sock,server=on,wait=off');
    expect(qemuArgs(hp, { kernel: 'k', initrd: 'i' })).not.toContain('-qmp');
  });
});
