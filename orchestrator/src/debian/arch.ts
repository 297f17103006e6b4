/** The three architectures a board can have, and what each means to Debian, kbuild and gcc. */
export const ARCHES = ['x86_64', 'arm64', 'armhf'] as const;
export type Arch = (typeof ARCHES)[number];
export type DebianArch = 'amd64' | 'arm64' | 'armhf';

export interface ArchInfo {
  arch: Arch;
  /** Debian architecture name (package suffix, APT::Architecture). */
  debian: DebianArch;
  /** kbuild ARCH= */
  kernelArch: 'x86' | 'arm64' | 'arm';
  /** CROSS_COMPILE= ("" when building natively). */
  crossCompile: string;
  /** Debian package providing `${crossCompile}gcc` (selftests). */
  gccPackage: string;
  /** Debian package providing `${crossCompile}gcc-12` (kbuild's CC from .kernelvariables). */
  gcc12Package: string;
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

/** Always a cross compiler: Debian's gcc-multilib conflicts with the arm cross compilers. */
const COMPAT32: Partial<Record<Arch, Compat32Info>> = {
  x86_64: { crossCompile: 'i686-linux-gnu-', gccPackage: 'gcc-i686-linux-gnu', libcPackage: 'libc6-dev-i386-cross' },
  arm64: { crossCompile: 'arm-linux-gnueabihf-', gccPackage: 'gcc-arm-linux-gnueabihf', libcPackage: 'libc6-dev-armhf-cross' },
};

export function isArch(value: string): value is Arch {
  return (ARCHES as readonly string[]).includes(value);
}

/** Debian architecture of the machine running node (`process.arch`). */
export function hostDebianArch(nodeArch: string = process.arch): DebianArch | undefined {
  switch (nodeArch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    case 'arm':
      return 'armhf';
    default:
      return undefined;
  }
}

export function archInfo(arch: Arch, host: DebianArch | undefined = hostDebianArch()): ArchInfo {
  const table: Record<Arch, Omit<ArchInfo, 'crossCompile' | 'gccPackage' | 'gcc12Package' | 'libcPackage' | 'compat32'> & { triplet: string }> = {
    x86_64: { arch: 'x86_64', debian: 'amd64', kernelArch: 'x86', triplet: 'x86_64-linux-gnu' },
    arm64: { arch: 'arm64', debian: 'arm64', kernelArch: 'arm64', triplet: 'aarch64-linux-gnu' },
    armhf: { arch: 'armhf', debian: 'armhf', kernelArch: 'arm', triplet: 'arm-linux-gnueabihf' },
  };
  const { triplet, ...base } = table[arch];
  const native = host === base.debian;
  const pkgTriplet = triplet.replace(/_/g, '-');
  const compat32 = COMPAT32[arch];
  return {
    ...base,
    ...(compat32 ? { compat32 } : {}),
    crossCompile: native ? '' : `${triplet}-`,
    gccPackage: native ? 'gcc' : `gcc-${pkgTriplet}`,
    gcc12Package: native ? 'gcc-12' : `gcc-12-${pkgTriplet}`,
    libcPackage: native ? 'libc6-dev' : `libc6-dev-${base.debian}-cross`,
  };
}
