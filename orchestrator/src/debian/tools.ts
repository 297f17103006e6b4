/** Host tools the pipeline needs, and the Debian package that provides each. */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { ArchInfo } from './arch.ts';
import { needsBuildRoot, suiteByName, type DebianSuite } from './suites.ts';
import { ConfigError } from '../core/errors.ts';

const STATIC_PACKAGES: Record<string, string> = {
  make: 'make',
  gcc: 'gcc',
  debootstrap: 'debootstrap',
  unshare: 'util-linux',
  setpriv: 'util-linux',
  chroot: 'coreutils',
  'gcc-12': 'gcc-12',
  dpkg: 'dpkg',
  'dpkg-deb': 'dpkg',
  'apt-get': 'apt',
  'apt-cache': 'apt',
  modinfo: 'kmod',
  depmod: 'kmod',
  cpio: 'cpio',
  dtc: 'device-tree-compiler',
  fdtoverlay: 'device-tree-compiler',
  fdtget: 'device-tree-compiler',
  xz: 'xz-utils',
  zstd: 'zstd',
  sparse: 'sparse',
  pahole: 'dwarves',
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-system-i386': 'qemu-system-x86',
  'qemu-system-aarch64': 'qemu-system-arm',
  'qemu-system-arm': 'qemu-system-arm',
  git: 'git',
  'dpkg-buildpackage': 'dpkg-dev',
  dh: 'debhelper',
  dh_dkms: 'dh-dkms',
  chrpath: 'chrpath',
  diffstat: 'diffstat',
  gawk: 'gawk',
  file: 'file',
  lz4: 'lz4',
  python3: 'python3',
  bash: 'bash',
  shellcheck: 'shellcheck',
  flake8: 'flake8',
};

export function packageForTool(tool: string, arch?: ArchInfo): string {
  if (arch && arch.crossCompile !== '') {
    if (tool === `${arch.crossCompile}gcc`) return arch.gccPackage;
    const v = tool.startsWith(arch.crossCompile) ? /^gcc-(\d+)$/.exec(tool.slice(arch.crossCompile.length))?.[1] : undefined;
    if (v !== undefined) return arch.gcc12Package.replace(/^gcc-12/, `gcc-${v}`);
  }
  const native = /^gcc-(\d+)$/.exec(tool)?.[1];
  if (native !== undefined) return tool;
  if (arch?.compat32 && tool === `${arch.compat32.crossCompile}gcc`) return arch.compat32.gccPackage;
  const known = STATIC_PACKAGES[tool];
  if (known) return known;
  if (tool.startsWith('qemu-system-')) return 'qemu-system-misc';
  return tool;
}

/**
 * Tools to build the module and the selftests for an arch on a host of
 * `host`: the compiler each kernel's suite names (debian/suites.ts) for kernels
 * built on the host, debootstrap/unshare/chroot for those built in a chroot
 * of a newer suite (debian/suiteroot.ts).
 */
export function buildTools(arch: ArchInfo, kernels: readonly { suite: string; series: string }[], host: DebianSuite | undefined): string[] {
  const t = ['make', 'dpkg', 'apt-get', 'apt-cache', 'modinfo', `${arch.crossCompile}gcc`];
  for (const k of kernels) {
    // a kernel the user built: its own build tree says what it needs
    if (k.suite === 'own') continue;
    if (needsBuildRoot(k.suite, host)) {
      t.push('debootstrap', 'unshare', 'chroot');
      continue;
    }
    const gcc = suiteByName(k.suite)?.gcc;
    if (gcc !== undefined) t.push(`gcc-${gcc}`, `${arch.crossCompile}gcc-${gcc}`);
    // headers after 6.1 run pahole (BTF) during modpost
    if (k.series !== '6.1' && k.series !== '5.10') t.push('pahole');
  }
  if (arch.compat32) t.push(`${arch.compat32.crossCompile}gcc`);
  return [...new Set(t)];
}

export function missingToolsMessage(missing: readonly string[], arch?: ArchInfo): string {
  const pkgs = [...new Set(missing.map((t) => packageForTool(t, arch)))];
  const list = missing.map((t) => `  ${t}  (Debian package ${packageForTool(t, arch)})`).join('\n');
  return `missing host tool${missing.length > 1 ? 's' : ''}:\n${list}\n` + `install with: apt-get install ${pkgs.join(' ')}   — or run \`make setup\`, which installs everything this project needs`;
}

export async function findInPath(tool: string, pathEnv: string = process.env.PATH ?? ''): Promise<string | undefined> {
  if (tool.includes('/')) {
    return (await isExecutable(tool)) ? tool : undefined;
  }
  for (const dir of pathEnv.split(':').filter(Boolean)) {
    const p = path.join(dir, tool);
    if (await isExecutable(p)) return p;
  }
  return undefined;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function requireTools(tools: readonly string[], arch?: ArchInfo): Promise<void> {
  const missing: string[] = [];
  for (const t of tools) {
    if ((await findInPath(t)) === undefined) missing.push(t);
  }
  if (missing.length > 0) throw new ConfigError(missingToolsMessage(missing, arch));
}
