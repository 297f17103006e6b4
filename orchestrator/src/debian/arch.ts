/** The architectures a board can have, and what each means to Debian, kbuild and gcc (facts: debian/facts.ts). */
import { ARCHES, FACTS, type Arch, type DebianArch, type DebianFacts, type KernelArch } from './facts.ts';

export { ARCHES, type Arch, type DebianArch };

export interface ArchInfo {
  arch: Arch;
  /** Debian architecture name (package suffix, APT::Architecture). */
  debian: DebianArch;
  /** kbuild ARCH= */
  kernelArch: KernelArch;
  /** GNU triplet: "aarch64-linux-gnu" */
  triplet: string;
  /** CROSS_COMPILE= ("" when building natively). */
  crossCompile: string;
  /** Debian package providing `${crossCompile}gcc` (selftests). */
  gccPackage: string;
  /** Debian package with the static libc for `${crossCompile}gcc -static`. */
  libcPackage: string;
  /**
   * The 32-bit userspace this 64-bit kernel runs through compat_ioctl: the
   * selftests are built for it too (atemsys-selftest32) and run as a subtest.
   */
  compat32?: Compat32Info;
}

export interface Compat32Info {
  /** CROSS_COMPILE= of the 32-bit selftest build */
  crossCompile: string;
  gccPackage: string;
  libcPackage: string;
}

export function isArch(value: string): value is Arch {
  return (ARCHES as readonly string[]).includes(value);
}

/** Debian architecture of the machine running node (`process.arch`). */
export function hostDebianArch(nodeArch: string = process.arch, f: DebianFacts = FACTS): DebianArch | undefined {
  return ARCHES.map((a) => f.arches[a]).find((a) => a.node === nodeArch)?.debian;
}

/** The GNU triplet of the machine this runs on (its native compiler's prefix), or undefined on an arch no board has. */
export function hostTriplet(nodeArch: string = process.arch, f: DebianFacts = FACTS): string | undefined {
  return ARCHES.map((a) => f.arches[a]).find((a) => a.node === nodeArch)?.triplet;
}

/** Debian's name of a cross package for `triplet`: gcc-aarch64-linux-gnu, gcc-14-x86-64-linux-gnu. */
function crossName(base: string, triplet: string): string {
  return `${base}-${triplet.replace(/_/g, '-')}`;
}

/**
 * The Debian package of gcc `major` (the suite's, .kernelvariables' "gcc-14")
 * for `a`: `gcc-14` natively, `gcc-14-aarch64-linux-gnu` across.
 */
export function versionedGccPackage(a: Pick<ArchInfo, 'crossCompile' | 'triplet'>, major: string): string {
  return a.crossCompile === '' ? `gcc-${major}` : crossName(`gcc-${major}`, a.triplet);
}

/** The GNU triplet of the build host (kbuild packages and the chroots' compilers are for it). */
export function buildHostTriplet(f: DebianFacts = FACTS): string {
  return f.arches[f.buildHost].triplet;
}

/** The Debian arch of the build host. */
export function buildHostDebianArch(f: DebianFacts = FACTS): DebianArch {
  return f.arches[f.buildHost].debian;
}

/** Every board arch's GNU triplet (a suite root carries a compiler for each). */
export function allTriplets(f: DebianFacts = FACTS): string[] {
  return ARCHES.map((a) => f.arches[a].triplet);
}

/** The kernel flavours Debian builds for `arch`. */
export function flavoursOf(arch: Arch, f: DebianFacts = FACTS): readonly string[] {
  return f.arches[arch].flavours;
}

/** The kbuild defconfig the compile matrix starts from. */
export function defconfigOf(arch: Arch, f: DebianFacts = FACTS): string {
  return f.arches[arch].defconfig;
}

/** sparse's word-size flag for `arch`. */
export function wordSizeFlag(arch: Arch, f: DebianFacts = FACTS): string {
  return `-m${f.arches[arch].bits}`;
}

export function archInfo(arch: Arch, host: DebianArch | undefined = hostDebianArch(), f: DebianFacts = FACTS): ArchInfo {
  const a = f.arches[arch];
  const native = host === a.debian;
  const c32 = a.compat32;
  return {
    arch,
    debian: a.debian,
    kernelArch: a.kernelArch,
    triplet: a.triplet,
    ...(c32 ? { compat32: { crossCompile: `${c32.triplet}-`, gccPackage: crossName('gcc', c32.triplet), libcPackage: `libc6-dev-${c32.debian}-cross` } } : {}),
    crossCompile: native ? '' : `${a.triplet}-`,
    gccPackage: native ? 'gcc' : crossName('gcc', a.triplet),
    libcPackage: native ? 'libc6-dev' : `libc6-dev-${a.debian}-cross`,
  };
}
