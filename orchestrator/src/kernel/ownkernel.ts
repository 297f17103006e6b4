/**
 * A kernel the user built instead of Debian's: its build tree (what the
 * module is compiled against: Makefile, .config, Module.symvers,
 * include/config/kernel.release), its image, its modules and, for a
 * device-tree board, its DTB — as a Yocto deploy directory, a Buildroot
 * output/ or a plain kernel build directory lay them out. Checked up front
 * so that a missing piece or an image of another build is a clear error
 * (ConfigError, exit 2), not a guest that fails to boot.
 */
import { mkdir, open, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { ArchInfo } from '../debian/arch.ts';
import { ConfigError } from '../core/errors.ts';
import { runChecked } from '../core/exec.ts';

export interface OwnKernelInput {
  /** kernel build tree (O= directory, Yocto's kernel-build-artifacts, Buildroot's output/build/linux-*) */
  build: string;
  /** kernel image; default: <build>/arch/<arch>/boot/{bzImage,Image,zImage} */
  image?: string;
  /**
   * modules: a directory holding lib/modules/<release>/ (an INSTALL_MOD_PATH,
   * Buildroot's output/target), the lib/modules/<release> directory itself,
   * or Yocto's modules-<machine>.tgz; default: `make modules_install` from
   * the build tree into the output directory
   */
  modules?: string;
  /** DTB for a device-tree board; default: <build>/arch/<arch>/boot/dts/<profile dt.base> */
  dtb?: string;
}

export interface OwnKernel {
  release: string;
  build: string;
  image: string;
  /** lib/modules/<release> */
  modulesDir: string;
  /** a directory where the profile's dt.base path names the DTB */
  dtbDir: string;
}

/** Image file names per kbuild ARCH, first match wins. */
export const IMAGE_NAMES: Record<ArchInfo['kernelArch'], readonly string[]> = {
  x86: ['bzImage'],
  arm64: ['Image', 'Image.gz'],
  arm: ['zImage'],
};

/**
 * The release a bzImage says it is: the setup header's kernel_version field
 * (offset 0x20e, a pointer to a NUL-terminated string, 0x200 bytes from the
 * start; Documentation/arch/x86/boot.rst), its first word. Undefined when it
 * is no bzImage.
 */
export function bzImageRelease(head: Buffer): string | undefined {
  if (head.length < 0x210 || head.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const off = head.readUInt16LE(0x20e) + 0x200;
  if (off >= head.length) return undefined;
  const end = head.indexOf(0, off);
  const text = head.toString('latin1', off, end < 0 ? Math.min(head.length, off + 256) : end);
  return text.split(' ')[0] || undefined;
}

/** The release in an uncompressed image's banner ("Linux version 6.1.0 (…"), or undefined. */
export function bannerRelease(image: Buffer): string | undefined {
  const i = image.indexOf('Linux version ');
  if (i < 0) return undefined;
  return /^Linux version (\S+)/.exec(image.toString('latin1', i, i + 200))?.[1];
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The release an image was built as, when it can be told (bzImage header, or an uncompressed Image's banner). */
export async function imageRelease(image: string): Promise<string | undefined> {
  const head = await readHead(image, 0x4000);
  const bz = bzImageRelease(head);
  if (bz !== undefined) return bz;
  if (head.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))) return undefined; // Image.gz, zImage: compressed
  return bannerRelease(await readFile(image));
}

/**
 * Check and complete `o` for a board of `arch` (dtBase: the profile's
 * dt.base, for device-tree boards). `work` is where modules are installed or
 * unpacked when they have to be (out/<board>/<release>/own/).
 */
export async function resolveOwnKernel(o: OwnKernelInput, arch: ArchInfo, dtBase: string | undefined, workFor: (release: string) => string, signal?: AbortSignal): Promise<OwnKernel> {
  const build = path.resolve(o.build);
  const relFile = path.join(build, 'include', 'config', 'kernel.release');
  if (!(await exists(path.join(build, 'Makefile')))) {
    throw new ConfigError(
      `--kernel-build ${o.build}: no Makefile there: give the kernel's build directory (make O=…, Yocto's tmp/work-shared/<machine>/kernel-build-artifacts, Buildroot's output/build/linux-<version>)`,
    );
  }
  const release = (await readFile(relFile, 'utf8').catch(() => '')).trim();
  if (release === '') throw new ConfigError(`--kernel-build ${o.build}: no ${path.relative(build, relFile)}: build the kernel first (make, or make modules_prepare)`);
  if (!(await exists(path.join(build, 'Module.symvers')))) {
    throw new ConfigError(`--kernel-build ${o.build}: no Module.symvers: build the kernel's modules (make modules) so that out-of-tree modules link against its symbols`);
  }

  let image = o.image === undefined ? undefined : path.resolve(o.image);
  if (image === undefined) {
    const tried = IMAGE_NAMES[arch.kernelArch].map((n) => path.join(build, 'arch', arch.kernelArch, 'boot', n));
    for (const t of tried) if (image === undefined && (await exists(t))) image = t;
    if (image === undefined) throw new ConfigError(`no kernel image in ${o.build} (tried ${tried.map((t) => path.relative(build, t)).join(', ')}): give it with --kernel-image`);
  } else if (!(await exists(image))) {
    throw new ConfigError(`--kernel-image ${o.image}: no such file`);
  }
  const imgRelease = await imageRelease(image);
  if (imgRelease !== undefined && imgRelease !== release) {
    throw new ConfigError(
      `${o.image ?? image} is kernel ${imgRelease} but the build tree ${o.build} is ${release}: the module would not load (vermagic); give the image and the build tree of one build`,
    );
  }

  const modulesDir = await resolveModules(o, build, release, workFor(release), signal);

  let dtbDir = path.join(build, 'arch', arch.kernelArch, 'boot', 'dts');
  if (dtBase !== undefined) {
    if (o.dtb !== undefined) {
      if (!(await exists(o.dtb))) throw new ConfigError(`--dtb ${o.dtb}: no such file`);
      dtbDir = path.join(workFor(release), 'dtbs');
      const link = path.join(dtbDir, dtBase);
      await rm(dtbDir, { recursive: true, force: true });
      await mkdir(path.dirname(link), { recursive: true });
      await symlink(path.resolve(o.dtb), link);
    } else if (!(await exists(path.join(dtbDir, dtBase)))) {
      throw new ConfigError(`no ${dtBase} in ${dtbDir} (the board's dt.base): build the DTBs (make dtbs) or give one with --dtb`);
    }
  }
  return { release, build, image, modulesDir, dtbDir };
}

async function resolveModules(o: OwnKernelInput, build: string, release: string, work: string, signal?: AbortSignal): Promise<string> {
  const installed = path.join(work, 'modules');
  const under = (root: string): string => path.join(root, 'lib', 'modules', release);
  if (o.modules === undefined) {
    if (!(await exists(path.join(build, 'modules.order')))) throw new ConfigError(`${o.build} has no modules.order: build its modules (make modules) or give them with --kernel-modules`);
    await rm(installed, { recursive: true, force: true });
    await runChecked('make modules_install of the given kernel', 'make', ['-C', build, `INSTALL_MOD_PATH=${installed}`, 'INSTALL_MOD_STRIP=1', 'modules_install'], {
      signal,
      logFile: path.join(work, 'modules_install.log'),
      tail: 20,
    });
    return under(installed);
  }
  const m = path.resolve(o.modules);
  if (/\.(tgz|tar\.gz|tar\.xz|tar)$/.test(m)) {
    if (!(await exists(m))) throw new ConfigError(`--kernel-modules ${o.modules}: no such file`);
    await rm(installed, { recursive: true, force: true });
    await mkdir(installed, { recursive: true });
    await runChecked(`unpacking ${path.basename(m)}`, 'tar', ['-xf', m, '-C', installed], { signal, tail: 10 });
    // Yocto's modules-<machine>.tgz holds lib/modules/<release>/ (or usr/lib/modules with a merged /usr)
    for (const d of [under(installed), path.join(installed, 'usr', 'lib', 'modules', release)]) if (await exists(d)) return d;
    throw new ConfigError(`--kernel-modules ${o.modules}: it holds no lib/modules/${release}/ (is it of this kernel? ${await listModules(installed)})`);
  }
  for (const d of [m, under(m), path.join(m, 'usr', 'lib', 'modules', release)]) {
    if (path.basename(d) === release && (await exists(path.join(d, 'modules.dep')))) return d;
  }
  throw new ConfigError(`--kernel-modules ${o.modules}: no lib/modules/${release}/ with a modules.dep there (${await listModules(m)})`);
}

async function listModules(root: string): Promise<string> {
  for (const d of [path.join(root, 'lib', 'modules'), path.join(root, 'usr', 'lib', 'modules')]) {
    const e = await readdir(d).catch(() => [] as string[]);
    if (e.length > 0) return `found modules of ${e.join(', ')}`;
  }
  return 'found no lib/modules/';
}
