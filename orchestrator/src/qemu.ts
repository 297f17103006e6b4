/** The QEMU command line of a board profile. Pure. */
import type { QemuSpec } from './profile.ts';

export interface BootFiles {
  kernel: string;
  initrd: string;
}

export function kernelCommandLine(q: QemuSpec): string {
  return [`console=${q.console}`, q.append.trim()].filter((s) => s !== '').join(' ');
}

export function qemuArgs(q: QemuSpec, files: BootFiles): string[] {
  return [
    '-kernel',
    files.kernel,
    '-initrd',
    files.initrd,
    '-append',
    kernelCommandLine(q),
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-machine',
    q.machine,
    '-cpu',
    q.cpu,
    '-m',
    String(q.memory),
    '-smp',
    String(q.smp),
    ...q.devices.flatMap((d) => ['-device', d]),
    ...q.args,
  ];
}
