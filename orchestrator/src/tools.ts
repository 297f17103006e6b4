/** Host tools the pipeline needs, and the Debian package that provides each. */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { ArchInfo } from './arch.ts';
import { ConfigError } from './errors.ts';

const STATIC_PACKAGES: Record<string, string> = {
  make: 'make',
  gcc: 'gcc',
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
    if (tool === `${arch.crossCompile}gcc-12`) return arch.gcc12Package;
  }
  if (arch?.compat32 && tool === `${arch.compat32.crossCompile}gcc`) return arch.compat32.gccPackage;
  const known = STATIC_PACKAGES[tool];
  if (known) return known;
  if (tool.startsWith('qemu-system-')) return 'qemu-system-misc';
  return tool;
}

/** Tools to build the module and the selftests for an arch. */
export function buildTools(arch: ArchInfo, series: readonly string[]): string[] {
  const t = ['make', 'dpkg', 'apt-get', 'apt-cache', 'modinfo', 'gcc-12', `${arch.crossCompile}gcc`, `${arch.crossCompile}gcc-12`];
  // 6.12 headers run pahole (BTF) during modpost
  if (series.some((s) => s !== '6.1')) t.push('pahole');
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
