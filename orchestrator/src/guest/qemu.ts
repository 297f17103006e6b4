/** The QEMU command line of a board profile. Pure. */
import path from 'node:path';
import { qmpArgs } from './hotplug.ts';
import { dgramNetdev, type DgramPorts } from './hostsim.ts';
import { parseQemuOpts } from './netdev.ts';
import type { QemuSpec } from '../profile/profile.ts';

export interface BootFiles {
  kernel: string;
  initrd: string;
  /** device-tree boards: the patched DTB */
  dtb?: string;
}

/** console=, the profile's append, then `extra` (words for the kernel or, as VAR=value, /init's environment) */
export function kernelCommandLine(q: QemuSpec, extra: readonly string[] = []): string {
  return [`console=${q.console}`, q.append.trim(), ...extra].filter((s) => s !== '').join(' ');
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
  /** a QMP socket to listen on (`-qmp unix:…,server=on,wait=off`): smoke boots of boards with qemu.hotplug or netdevs */
  qmpSocket?: string;
  /** the UDP ports of each dgram netdev, by id (guest/hostsim.ts): required when the profile has one */
  dgram?: ReadonlyMap<string, DgramPorts>;
  /** more words for the kernel command line (kernelCommandLine) */
  append?: readonly string[];
}

/** The first hub id of the machine's NICs left unconnected ("none" in qemu.nics) */
export const NIC_NONE_HUB = 100;

/** A `-netdev` string as QEMU gets it: a dgram netdev with its 127.0.0.1 ports. Throws Error when they are missing. */
export function netdevArg(n: string, dgram?: ReadonlyMap<string, DgramPorts>): string {
  const { type, options } = parseQemuOpts(n);
  if (type !== 'dgram') return n;
  const id = options.get('id') ?? '';
  const p = dgram?.get(id);
  if (p === undefined) throw new Error(`netdev ${id} is a dgram netdev: its UDP ports on 127.0.0.1 must be given (smoke picks them and starts the host's simulator there)`);
  return dgramNetdev(id, p);
}

/** The machine's own NICs in order: `-net nic,netdev=<id>`; "none" on a hub of its own. */
export function nicArgs(nics: readonly string[]): string[] {
  return nics.flatMap((id, i) => (id === 'none' ? ['-netdev', `hubport,id=nic-none${i},hubid=${NIC_NONE_HUB + i}`, '-net', `nic,netdev=nic-none${i}`] : ['-net', `nic,netdev=${id}`]));
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
    kernelCommandLine(q, o.append),
    ...consoleArgs(q),
    '-no-reboot',
    // no default network backend; NICs built into a SoC (FEC, GEM) still
    // exist, and qemu.nics connects them to the profile's netdevs, which
    // reach the guest's own NICs or the host's simulator on 127.0.0.1
    '-nic',
    'none',
    '-machine',
    q.machine,
    ...(q.cpu !== undefined ? ['-cpu', q.cpu] : []),
    '-m',
    String(q.memory),
    ...(q.smp !== undefined ? ['-smp', String(q.smp)] : []),
    ...(q.netdevs ?? []).flatMap((n) => ['-netdev', netdevArg(n, o.dgram)]),
    ...(pcapDir !== undefined ? (q.pcap ?? []).flatMap((id) => ['-object', `filter-dump,id=dump-${id},netdev=${id},file=${pcapFile(pcapDir, id).replace(/,/g, ',,')}`]) : []),
    ...nicArgs(q.nics ?? []),
    ...q.devices.flatMap((d) => ['-device', d]),
    ...(q.hotplug ?? []).flatMap((d) => ['-device', d]),
    ...(o.qmpSocket !== undefined ? qmpArgs(o.qmpSocket) : []),
    ...q.args,
  ];
}
