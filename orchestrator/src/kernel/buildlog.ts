/** Cross-building atemsys.ko against an unpacked Debian kernel, the static selftest binary and the static userspace tools. */
import { copyFile, cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ArchInfo } from '../debian/arch.ts';
import { FailureError } from '../core/errors.ts';
import { run, runChecked } from '../core/exec.ts';
import { runInRoot } from '../debian/suiteroot.ts';

/** The userspace tools src-kernel/tools builds (static, one per board arch). */
export const TOOL_BINARIES: readonly string[] = ['atemsys-ecat', 'atemsys-bench'];

/** Kernel build output that must not be copied into a fresh build tree. */
export function isBuildOutput(name: string): boolean {
  const base = path.basename(name);
  return (
    /\.(o|ko|mod|mod\.c|o\.d|a|order|symvers|dwo)$/.test(base) ||
    /^\..*\.cmd$/.test(base) ||
    base === '.tmp_versions' ||
    base === '.module-common.o' ||
    base.startsWith('.checkpatch-camelcase.') ||
    base === 'atemsys-selftest' ||
    base === 'atemsys-selftest32' ||
    TOOL_BINARIES.includes(base) ||
    base === 'ecat-unit-test' ||
    base === '.atemsys-tools.flags'
  );
}

/** Fresh copy of the module sources (no build output) at `dest`. */
export async function copySources(src: string, dest: string): Promise<void> {
  await stat(path.join(src, 'Makefile')).catch(() => {
    throw new FailureError(`${src}/Makefile does not exist: nothing to build`);
  });
  await rm(dest, { recursive: true, force: true });
  await mkdir(path.dirname(dest), { recursive: true });
  await cp(src, dest, { recursive: true, filter: (s) => !isBuildOutput(s), verbatimSymlinks: true });
}

/** Newest mtime (ms) of the files under the given paths, ignoring build output. */
export async function newestMtime(paths: readonly string[]): Promise<number> {
  let newest = 0;
  const visit = async (p: string): Promise<void> => {
    if (isBuildOutput(p) || path.basename(p) === 'node_modules') return;
    const s = await stat(p).catch(() => undefined);
    if (!s) return;
    if (s.isDirectory()) {
      for (const e of await readdir(p)) await visit(path.join(p, e));
    } else {
      newest = Math.max(newest, s.mtimeMs);
    }
  };
  for (const p of paths) await visit(p);
  return newest;
}

/** null when the vermagic fits the kernel, else the reason. */
export function vermagicProblem(vermagic: string, release: string): string | null {
  const v = vermagic.trim();
  if (v === '') return 'atemsys.ko has no vermagic';
  if (v.split(/\s+/)[0] !== release) return `atemsys.ko vermagic "${v}" does not start with the kernel release ${release}`;
  return null;
}

/**
 * Warnings from a kbuild log that point into the module's own sources
 * (`<srcDir>/x.c:1:2: warning: ...`, gcc or sparse), not into kernel headers.
 */
export function moduleWarnings(log: string, srcDir: string): string[] {
  const dir = srcDir.replace(/\/+$/, '');
  const out: string[] = [];
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = /^(\S+?):\d+(?::\d+)?: (warning|error): /.exec(line);
    if (!m?.[1]) continue;
    // kbuild names the module's files by absolute path (M=); relative ones are kernel files
    const file = path.normalize(m[1]);
    if (path.isAbsolute(file) && file.startsWith(`${dir}/`)) out.push(line);
  }
  return [...new Set(out)];
}

/** FailureError listing the module's own warnings in a build's output (moduleWarnings), if any. */
export function refuseModuleWarnings(output: string, srcDir: string, what: string, logFile: string): void {
  const warnings = moduleWarnings(output, srcDir);
  if (warnings.length > 0) {
    throw new FailureError(`${warnings.length} ${what} warning(s) in the module sources (log: ${logFile}):\n${warnings.slice(0, 40).join('\n')}`);
  }
}

export interface KbuildParams {
  /** the copied src-kernel */
  srcDir: string;
  kernelDir: string;
  arch: ArchInfo;
  /** extra make variables: W=1, C=2, ... */
  extra?: string[];
  logFile: string;
  signal?: AbortSignal;
  /** build in this chroot of the kernel's suite (debian/suiteroot.ts) instead of on the host */
  root?: BuildRoot;
  /** environment for make (LINUX_SOURCE for the armhf modpost) */
  env?: Record<string, string>;
  /** each line of make's output as it comes (build --verbose) */
  onLine?: (line: string) => void;
}

export interface BuildRoot {
  dir: string;
  /** host directories bind-mounted at their own path inside */
  binds: string[];
}

export function kbuildArgs(p: Omit<KbuildParams, 'logFile' | 'signal' | 'onLine'>, jobs = os.availableParallelism()): string[] {
  return ['-C', p.srcDir, `-j${jobs}`, `KERNELDIR=${p.kernelDir}`, `ARCH=${p.arch.kernelArch}`, `CROSS_COMPILE=${p.arch.crossCompile}`, ...(p.extra ?? []), 'modules'];
}

export interface ModuleResult {
  ko: string;
  vermagic: string;
  log: string;
  output: string;
}

export async function buildModule(p: KbuildParams, release: string): Promise<ModuleResult> {
  const opts = { logFile: p.logFile, signal: p.signal, tail: 40, ...(p.env ? { env: p.env } : {}), ...(p.onLine ? { onLine: p.onLine } : {}) };
  const r = p.root ? await runInRoot(`module build (in ${p.root.dir})`, p.root.dir, p.root.binds, ['make', ...kbuildArgs(p)], opts) : await runChecked('module build', 'make', kbuildArgs(p), opts);
  const ko = path.join(p.srcDir, 'atemsys.ko');
  await stat(ko).catch(() => {
    throw new FailureError(`module build finished but ${ko} does not exist (log: ${p.logFile})`);
  });
  const mi = await run('modinfo', ['-F', 'vermagic', ko], { signal: p.signal });
  if (mi.exitCode !== 0) throw new FailureError(`modinfo ${ko} failed: ${mi.all.trim()}`);
  const problem = vermagicProblem(mi.stdout, release);
  if (problem) throw new FailureError(problem);
  return { ko, vermagic: mi.stdout.trim(), log: p.logFile, output: r.all };
}

/**
 * Static userspace binaries built in this process, by what and compiler:
 * they do not depend on the kernel, so the first job of an arch builds them
 * and the others of the run copy them (a run's sources do not change under
 * it). The key is "<what> <CROSS_COMPILE>", the value the binaries' paths.
 */
const builtThisRun = new Map<string, string[]>();

/** Copy a previous job's binaries into outDir; undefined if this run built none. */
async function reuseBuilt(key: string, outDir: string, logFile: string): Promise<string[] | undefined> {
  const prev = builtThisRun.get(key);
  if (!prev) return undefined;
  await mkdir(outDir, { recursive: true });
  const out: string[] = [];
  for (const bin of prev) {
    const dest = path.join(outDir, path.basename(bin));
    if (dest !== bin) await copyFile(bin, dest);
    out.push(dest);
  }
  await writeFile(logFile, `${key}: built earlier in this run, copied from ${path.dirname(prev[0] ?? '')}\n`);
  return out;
}

/**
 * atemsys-ecat for this machine (the slave simulator outside the guest,
 * guest/hostsim.ts), in `outDir` (a cache directory: make rebuilds it when a
 * source or the compiler changed). Returns its path.
 */
export async function buildHostSim(p: { toolsDir: string; outDir: string; logFile: string; signal?: AbortSignal }): Promise<string> {
  const bin = path.join(p.outDir, 'atemsys-ecat');
  await mkdir(p.outDir, { recursive: true });
  await runChecked('host simulator build', 'make', ['-C', p.toolsDir, `-j${os.availableParallelism()}`, 'CROSS_COMPILE=', `O=${p.outDir}`, bin], {
    logFile: p.logFile,
    signal: p.signal,
    tail: 40,
  });
  return bin;
}

/**
 * Static selftest binary for `crossCompile` (the arch's own, or its compat32
 * one) in outDir; `onLine` gets make's output lines as they come (none when
 * an earlier job of this run built it). Returns its path; throws
 * FailureError with the log's tail when make fails or the binary is missing.
 */
export async function buildSelftests(p: { selftestsDir: string; outDir: string; crossCompile: string; logFile: string; signal?: AbortSignal; onLine?: (line: string) => void }): Promise<string> {
  const key = `selftests ${p.crossCompile}`;
  const reused = await reuseBuilt(key, p.outDir, p.logFile);
  if (reused?.[0] !== undefined) return reused[0];
  await stat(path.join(p.selftestsDir, 'Makefile')).catch(() => {
    throw new FailureError(`${p.selftestsDir}/Makefile does not exist: cannot build the selftests`);
  });
  await mkdir(p.outDir, { recursive: true });
  await runChecked('selftest build', 'make', ['-C', p.selftestsDir, `CROSS_COMPILE=${p.crossCompile}`, `O=${p.outDir}`], {
    logFile: p.logFile,
    signal: p.signal,
    tail: 40,
    ...(p.onLine ? { onLine: p.onLine } : {}),
  });
  const bin = path.join(p.outDir, 'atemsys-selftest');
  await stat(bin).catch(() => {
    throw new FailureError(`selftest build finished but ${bin} does not exist (log: ${p.logFile})`);
  });
  builtThisRun.set(key, [bin]);
  return bin;
}

export interface UserTools {
  /** absolute paths of the static binaries */
  ecat: string;
  bench: string;
}

/**
 * The userspace tools (src-kernel/tools: atemsys-ecat, atemsys-bench), static,
 * for `crossCompile`, into outDir: `make -C <toolsDir> CROSS_COMPILE=… O=…`;
 * `onLine` gets make's output lines as they come (none when an earlier job of
 * this run built them). Throws FailureError with the log's tail when make
 * fails or a binary is missing.
 */
export async function buildUserTools(p: { toolsDir: string; outDir: string; crossCompile: string; logFile: string; signal?: AbortSignal; onLine?: (line: string) => void }): Promise<UserTools> {
  const key = `tools ${p.crossCompile}`;
  const reused = await reuseBuilt(key, p.outDir, p.logFile);
  if (reused) {
    const [ecat, bench] = reused;
    if (ecat !== undefined && bench !== undefined) return { ecat, bench };
  }
  await stat(path.join(p.toolsDir, 'Makefile')).catch(() => {
    throw new FailureError(`${p.toolsDir}/Makefile does not exist: cannot build the userspace tools`);
  });
  await mkdir(p.outDir, { recursive: true });
  await runChecked('tools build', 'make', ['-C', p.toolsDir, `-j${os.availableParallelism()}`, `CROSS_COMPILE=${p.crossCompile}`, `O=${p.outDir}`], {
    logFile: p.logFile,
    signal: p.signal,
    tail: 40,
    ...(p.onLine ? { onLine: p.onLine } : {}),
  });
  const found: string[] = [];
  for (const name of TOOL_BINARIES) {
    const bin = path.join(p.outDir, name);
    await stat(bin).catch(() => {
      throw new FailureError(`tools build finished but ${bin} does not exist (log: ${p.logFile})`);
    });
    found.push(bin);
  }
  const [ecat, bench] = found;
  if (ecat === undefined || bench === undefined) throw new FailureError('internal: tool list');
  builtThisRun.set(key, found);
  return { ecat, bench };
}
