/**
 * A small kernel built from Debian's linux-source, to prove that `smoke`
 * takes a kernel the user built (--kernel-build): Linux 5.10 (bullseye), the
 * oldest kernel the module supports and the one no Debian image of ours
 * boots, for the qemu-x86_64 board. tinyconfig plus what the board's
 * selftests use (TEST_KERNEL below); built once and cached under
 * <cache>/testkernel/ by source version, config and compiler.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { downloadDeb, extractDeb, type AptState } from '../debian/apt.ts';
import { markUsed, onceInCache, removeUnused } from '../core/cachelock.ts';
import { FailureError } from '../core/errors.ts';
import { run, runChecked } from '../core/exec.ts';
import { resolveSources, type ResolvedSource } from './kernelsrc.ts';
import { MATRIX_SUITES } from './matrix.ts';
import { testKernelSeries } from '../debian/suites.ts';

export interface TestKernelRecipe {
  /** names its cache directory: recipes of one source live side by side */
  name: string;
  /** the matrix suite whose linux-source is built */
  suite: string;
  arch: 'x86_64';
  base: 'tinyconfig';
  /** options switched on (y) over the base, as scripts/config names them */
  enable: readonly string[];
  /** options built as modules (the board's modules-available) */
  module: readonly string[];
  /** options switched off over the base (the other side of a choice) */
  disable?: readonly string[];
  /** CONFIG_LOCALVERSION: a release (and out/ directory) of its own */
  localversion?: string;
  /** source paths not unpacked (C files only: every Kconfig stays) */
  exclude: readonly string[];
}

/** What qemu-x86_64's selftests (groups pci and ll) need from a kernel, on tinyconfig. */
export const TEST_KERNEL: TestKernelRecipe = {
  name: 'test',
  // the series of debian/facts.ts testKernelSeries (5.10), from its suite's linux-source
  suite: testKernelSeries().suite,
  arch: 'x86_64',
  base: 'tinyconfig',
  enable: [
    // the machine: 64-bit, 2 CPUs, ACPI (q35 routes PCI interrupts and powers off through it), PCI with MSI
    '64BIT',
    'SMP',
    'ACPI',
    'PCI',
    'PCI_MSI',
    'PCIEPORTBUS',
    'HIGH_RES_TIMERS',
    'X86_TSC',
    // the hot-plug slot of qemu.hotplug (hot_unplug_qmp): q35 signals it through ACPI, else PCIe native
    'HOTPLUG_PCI',
    'HOTPLUG_PCI_ACPI',
    'HOTPLUG_PCI_PCIE',
    // the serial console and an initramfs with busybox
    'PRINTK',
    'PRINTK_TIME',
    'BUG',
    'TTY',
    'SERIAL_8250',
    'SERIAL_8250_CONSOLE',
    'BLK_DEV_INITRD',
    'RD_GZIP',
    'DEVTMPFS',
    'DEVTMPFS_MOUNT',
    'PROC_FS',
    'SYSFS',
    'TMPFS',
    'BINFMT_ELF',
    'BINFMT_SCRIPT',
    // what static busybox, the selftests and the tools call
    'MULTIUSER',
    'FUTEX',
    'EPOLL',
    'SIGNALFD',
    'TIMERFD',
    'EVENTFD',
    'POSIX_TIMERS',
    'SHMEM',
    'FILE_LOCKING',
    'SYSVIPC',
    // modules, and their unload (rmmod tests)
    'MODULES',
    'MODULE_UNLOAD',
    // 32-bit clients through compat_ioctl (the compat32 selftest); their glibc
    // waits on futexes with the 32-bit time_t syscall (ENOSYS without it: abort)
    'IA32_EMULATION',
    'COMPAT_32BIT_TIME',
    // the EtherCAT link: AF_PACKET, the kernel's e1000e (AF_PACKET baseline), an IPv4 socket for ifup
    'NET',
    'PACKET',
    'UNIX',
    'INET',
    'NETDEVICES',
    'ETHERNET',
    'NET_VENDOR_INTEL',
    // readable traces if something goes wrong
    'KALLSYMS',
  ],
  module: ['E1000E', 'UIO', 'UIO_PCI_GENERIC'],
  exclude: [
    ...['drivers/media', 'drivers/net/wireless', 'drivers/staging', 'drivers/infiniband', 'sound', 'fs/xfs', 'fs/btrfs', 'fs/ocfs2'].map((d) => `*/${d}/*.c`),
    ...['rst', 'txt', 'yaml'].map((e) => `*/Documentation/*.${e}`),
    '*/tools/testing/*',
    ...[
      'alpha',
      'arc',
      'csky',
      'hexagon',
      'm68k',
      'microblaze',
      'mips',
      'nios2',
      'openrisc',
      'parisc',
      'powerpc',
      'riscv',
      's390',
      'sh',
      'sparc',
      'xtensa',
      'arm',
      'arm64',
      'ia64',
      'c6x',
      'h8300',
      'nds32',
    ].flatMap((a) => [`*/arch/${a}/*.c`, `*/arch/${a}/*.S`, `*/arch/${a}/*.h`, `*/arch/${a}/*.dts*`]),
  ],
};

/**
 * The debug kernel: TEST_KERNEL with the kernel's runtime checkers on
 * (Documentation/dev-tools/: kasan.rst, kmemleak.rst; locking/lockdep-design.rst;
 * core-api/debug-objects.rst), for the fuzzer and the kill tests. KASAN and
 * KMEMLEAK need SLUB (tinyconfig picks SLOB) and debugfs.
 */
export const DEBUG_KERNEL: TestKernelRecipe = {
  ...TEST_KERNEL,
  name: 'debug',
  enable: [
    ...TEST_KERNEL.enable,
    'DEBUG_KERNEL',
    'DEBUG_FS',
    'SLUB',
    'STACKTRACE',
    // out-of-bounds and use-after-free, kernel memory leaks
    'KASAN',
    'KASAN_GENERIC',
    'DEBUG_KMEMLEAK',
    // lock order and context, RCU use, sleeping in atomic context
    'PROVE_LOCKING',
    'PROVE_RCU',
    'DEBUG_ATOMIC_SLEEP',
    // freed timers, work items and kobjects still in use
    'DEBUG_OBJECTS',
    'DEBUG_OBJECTS_FREE',
    'DEBUG_OBJECTS_TIMERS',
    'DEBUG_OBJECTS_WORK',
    // a task stuck in D state (120 s)
    'DETECT_HUNG_TASK',
  ],
  disable: ['SLOB'],
  localversion: '-debug',
};

/** Options of a recipe the final .config does not have as asked (olddefconfig dropped them). */
export function missingOptions(config: string, r: TestKernelRecipe): string[] {
  const has = (o: string, v: string): boolean => new RegExp(`^CONFIG_${o}=${v}$`, 'm').test(config);
  return [...r.enable.filter((o) => !has(o, 'y')), ...r.module.filter((o) => !has(o, 'm')), ...(r.disable ?? []).filter((o) => has(o, '[ym]'))];
}

export interface TestKernel {
  release: string;
  /** the O= build tree: --kernel-build */
  build: string;
  /** INSTALL_MOD_PATH: --kernel-modules */
  modules: string;
  image: string;
  source: ResolvedSource;
  /** true when it came from the cache */
  cached: boolean;
}

const DONE = '.atemsys-done';

/**
 * Build (or find in the cache) the test kernel: the recipe's suite's
 * linux-source, unpacked without what it does not need, configured and
 * built with the host's gcc (about 5 minutes on 2 cores). FailureError with
 * the log's tail when a step fails.
 */
export async function buildTestKernel(state: AptState, cacheDir: string, r: TestKernelRecipe, signal?: AbortSignal, log?: (m: string) => void): Promise<TestKernel> {
  const suite = MATRIX_SUITES.find((s) => s.suite === r.suite);
  if (!suite) throw new FailureError(`test kernel: suite ${r.suite} is not one of the matrix's`);
  const [source] = await resolveSources(state, [suite], signal);
  if (!source) throw new FailureError(`test kernel: no linux-source in ${r.suite}`);
  const gcc = (await run('gcc', ['--version'], { signal })).stdout.split('\n')[0] ?? 'gcc';
  const key = createHash('sha256')
    .update(JSON.stringify({ version: source.version, r, gcc }))
    .digest('hex')
    .slice(0, 12);
  const top = path.join(cacheDir, 'testkernel', `${r.name}-${source.package}_${source.version}-${r.arch}-${key}`);
  const build = path.join(top, 'build');
  const modules = path.join(top, 'modules');
  const image = path.join(build, 'arch', 'x86', 'boot', 'bzImage');
  const release = async (): Promise<string> => (await readFile(path.join(build, 'include', 'config', 'kernel.release'), 'utf8')).trim();
  // the build tree names itself by absolute path: a moved cache builds again
  const stamp = `${key} ${top}`;
  const isDone = async (): Promise<boolean> => (await readFile(path.join(top, DONE), 'utf8').catch(() => '')) === stamp;
  await markUsed(path.join(top, DONE));
  if (await isDone()) return { release: await release(), build, modules, image, source, cached: true };
  let built = false;
  await onceInCache(
    cacheDir,
    `testkernel-${r.name}`,
    `building the test kernel ${r.name}`,
    isDone,
    async () => {
      await makeTestKernel(state, cacheDir, r, source, { top, build, modules, stamp }, signal, log);
      built = true;
    },
    { signal, ...(log ? { log } : {}) },
  );
  return { release: await release(), build, modules, image, source, cached: !built };
}

/** Unpack the source and build the test kernel into top/ (build/, modules/), then write the stamp. */
async function makeTestKernel(
  state: AptState,
  cacheDir: string,
  r: TestKernelRecipe,
  source: ResolvedSource,
  at: { top: string; build: string; modules: string; stamp: string },
  signal?: AbortSignal,
  log?: (m: string) => void,
): Promise<void> {
  const { top, build, modules, stamp } = at;
  const parent = path.dirname(top);
  // an older build of this recipe is not needed any more, once no run uses it
  // (and one of the layout before recipes had names: "<package>_<version>-…")
  const others = (await readdir(parent).catch(() => [] as string[])).filter((e) => e.startsWith(`${r.name}-${source.package}_`) || e.startsWith(`${source.package}_`)).map((e) => path.join(parent, e));
  await removeUnused(
    others.filter((d) => d !== top),
    DONE,
  );
  await rm(top, { recursive: true, force: true });
  await mkdir(top, { recursive: true });
  const logFile = path.join(top, 'build.log');

  log?.(`download and unpack ${source.package} ${source.version}`);
  const { file } = await downloadDeb(state, { name: source.package, version: source.version }, path.join(cacheDir, 'debs', 'sources'), signal);
  const x = path.join(top, 'deb');
  await extractDeb(file, x, signal);
  const tarball = (await readdir(path.join(x, 'usr', 'src'))).find((f) => f.startsWith(`${source.package}.tar`));
  if (!tarball) throw new FailureError(`${path.basename(file)} has no usr/src/${source.package}.tar.*`);
  await runChecked(`unpacking ${tarball}`, 'tar', ['-xf', path.join(x, 'usr', 'src', tarball), '-C', top, '--wildcards', ...r.exclude.map((p) => `--exclude=${p}`)], { signal, tail: 10 });
  await rm(x, { recursive: true, force: true });
  const src = path.join(top, source.package);

  const make = (what: string, ...args: string[]): Promise<unknown> =>
    runChecked(`test kernel: ${what}`, 'make', ['-C', src, `O=${build}`, 'ARCH=x86_64', ...args], { signal, logFile, append: true, tail: 30 });
  log?.(`${r.base} + ${r.enable.length} options${r.disable ? ` - ${r.disable.join(', ')}` : ''}, ${r.module.join(', ')} as modules`);
  await make(r.base, r.base);
  const config = path.join(build, '.config');
  await runChecked(
    'scripts/config',
    path.join(src, 'scripts', 'config'),
    [
      '--file',
      config,
      ...r.enable.flatMap((o) => ['--enable', o]),
      ...r.module.flatMap((o) => ['--module', o]),
      ...(r.disable ?? []).flatMap((o) => ['--disable', o]),
      ...(r.localversion ? ['--set-str', 'LOCALVERSION', r.localversion] : []),
    ],
    { signal, logFile, append: true },
  );
  await make('olddefconfig', 'olddefconfig');
  const off = missingOptions(await readFile(config, 'utf8'), r);
  if (off.length > 0) throw new FailureError(`test kernel: olddefconfig did not keep ${off.map((o) => `CONFIG_${o}`).join(', ')} (log: ${logFile})`);
  log?.(`make bzImage modules (-j${os.availableParallelism()})`);
  await make('bzImage modules', `-j${os.availableParallelism()}`, 'bzImage', 'modules');
  await make('modules_install', `INSTALL_MOD_PATH=${modules}`, 'INSTALL_MOD_STRIP=1', 'modules_install');
  // the source tree stays: the build tree's Makefile includes it (out-of-tree modules build against both)
  await writeFile(path.join(top, DONE), stamp);
}
