/** The QEMU command line of a board profile. Pure. */
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

export function qemuArgs(q: QemuSpec, files: BootFiles): string[] {
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
    // no network backend; NICs built into a SoC (FEC, GEM) still exist
    '-nic',
    'none',
    '-machine',
    q.machine,
    ...(q.cpu !== undefined ? ['-cpu', q.cpu] : []),
    '-m',
    String(q.memory),
    ...(q.smp !== undefined ? ['-smp', String(q.smp)] : []),
    ...q.devices.flatMap((d) => ['-device', d]),
    ...q.args,
  ];
}
