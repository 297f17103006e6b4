/** The QEMU command line of a board profile. Pure. */
import path from 'node:path';
import { qmpArgs } from './hotplug.ts';
import type { QemuSpec } from './profile.ts';

export interface BootFiles {
  kernel: string;
  initrd: string;
  /** device-tree boards: the patched DTB */
  dtb?: string;
}

export function kernelCommandLine(q: QemuSpec): string {
  return [`console=${q.console}`, q.append.trim()].filter((s) => s !== '').join(' ');
}

/**
 * Where the console goes. Without `serial`: -nographic (first UART and the
 * monitor multiplexed on stdio). With it: -nographic would add its own
 * monitor on stdio and clash with `-serial stdio`, so no display, the
 * listed backends in order, and no monitor unless one is `mon:`.
 */
export function consoleArgs(q: QemuSpec): string[] {
  if (q.serial === undefined) return ['-nographic'];
  const monitor = q.serial.some((b) => b.startsWith('mon:')) ? [] : ['-monitor', 'none'];
  return ['-display', 'none', ...monitor, ...q.serial.flatMap((b) => ['-serial', b])];
}

export interface QemuArgsOptions {
  /**
   * record the traffic of the netdevs in `q.pcap`: `-object
   * filter-dump,id=dump-<id>,netdev=<id>,file=<pcapDir>/<id>.pcap` each
   * (smoke boots; bench boots leave this out)
   */
  pcapDir?: string;
  /** a QMP socket to listen on (`-qmp unix:…,server=on,wait=off`): smoke boots of boards with qemu.hotplug */
  qmpSocket?: string;
}

/** The pcap file a smoke boot writes for netdev `id`. */
export function pcapFile(dir: string, id: string): string {
  return path.join(dir, `${id}.pcap`);
}

/**
 * The whole QEMU argument list: boot files, console, `-nic none`, machine,
 * the profile's netdevs (before the devices that use them), filter-dump
 * objects when `o.pcapDir` is given, devices, the hot-pluggable devices, the
 * QMP socket when `o.qmpSocket` is given, then the raw args.
 */
export function qemuArgs(q: QemuSpec, files: BootFiles, o: QemuArgsOptions = {}): string[] {
  const pcapDir = o.pcapDir;
  return [
    '-kernel',
    files.kernel,
    '-initrd',
    files.initrd,
    ...(files.dtb !== undefined ? ['-dtb', files.dtb] : []),
    '-append',
    kernelCommandLine(q),
    ...consoleArgs(q),
    '-no-reboot',
    // no network backend; NICs built into a SoC (FEC, GEM) still exist, and
    // the profile's hubport netdevs only join the guest's own NICs
    '-nic',
    'none',
    '-machine',
    q.machine,
    ...(q.cpu !== undefined ? ['-cpu', q.cpu] : []),
    '-m',
    String(q.memory),
    ...(q.smp !== undefined ? ['-smp', String(q.smp)] : []),
    ...(q.netdevs ?? []).flatMap((n) => ['-netdev', n]),
    ...(pcapDir !== undefined ? (q.pcap ?? []).flatMap((id) => ['-object', `filter-dump,id=dump-${id},netdev=${id},file=${pcapFile(pcapDir, id).replace(/,/g, ',,')}`]) : []),
    ...q.devices.flatMap((d) => ['-device', d]),
    ...(q.hotplug ?? []).flatMap((d) => ['-device', d]),
    ...(o.qmpSocket !== undefined ? qmpArgs(o.qmpSocket) : []),
    ...q.args,
  ];
}
