/** Host tools the pipeline needs, and the Debian package that provides each (facts: debian/facts.ts). */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { versionedGccPackage, type ArchInfo } from './arch.ts';
import { FACTS, type DebianFacts } from './facts.ts';
import { needsBuildRoot, seriesFacts, suiteByName, type DebianSuite } from './suites.ts';
import { ConfigError } from '../core/errors.ts';

export function packageForTool(tool: string, arch?: ArchInfo, f: DebianFacts = FACTS): string {
  if (arch && arch.crossCompile !== '') {
    if (tool === `${arch.crossCompile}gcc`) return arch.gccPackage;
    const v = tool.startsWith(arch.crossCompile) ? /^gcc-(\d+)$/.exec(tool.slice(arch.crossCompile.length))?.[1] : undefined;
    if (v !== undefined) return versionedGccPackage(arch, v);
  }
  const native = /^gcc-(\d+)$/.exec(tool)?.[1];
  if (native !== undefined) return tool;
  if (arch?.compat32 && tool === `${arch.compat32.crossCompile}gcc`) return arch.compat32.gccPackage;
  const known = f.tools[tool];
  if (known) return known.package;
  if (tool.startsWith('qemu-system-')) return f.otherQemuPackage;
  return tool;
}

/**
 * Tools to build the module and the selftests for an arch on a host of
 * `host`: the compiler each kernel's suite names (debian/facts.ts) for kernels
 * built on the host, debootstrap/unshare/chroot for those built in a chroot
 * of a newer suite (debian/suiteroot.ts), pahole for the series that run it.
 */
export function buildTools(arch: ArchInfo, kernels: readonly { suite: string; series: string }[], host: DebianSuite | undefined, f: DebianFacts = FACTS): string[] {
  const t = [...f.requirements.build, `${arch.crossCompile}gcc`];
  for (const k of kernels) {
    // a kernel the user built: its own build tree says what it needs
    if (k.suite === 'own') continue;
    if (needsBuildRoot(k.suite, host, f)) {
      t.push(...f.requirements.buildRoot);
      continue;
    }
    const gcc = suiteByName(k.suite, f)?.gcc;
    if (gcc !== undefined) t.push(`gcc-${gcc}`, `${arch.crossCompile}gcc-${gcc}`);
    // headers that run pahole (BTF) during modpost
    if (seriesFacts(k.series, f).pahole) t.push('pahole');
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
