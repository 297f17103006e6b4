/**
 * The Debian and toolchain facts the orchestrator works from, as data and
 * nothing else: which suites there are and what each carries, which kernel
 * series, which architectures and flavours, which compilers, and which host
 * tools come from which Debian package. The code that reads them is small
 * and lives beside it (debian/suites.ts, arch.ts, tools.ts, kernelpkgs.ts,
 * kernel/matrix.ts); every reading function takes a `DebianFacts` argument
 * that defaults to FACTS, so a test can hand it a changed copy.
 *
 * Why a typed TypeScript module and not YAML/JSON: the strict compiler checks
 * every field (a missing `abi` or a misspelt arch fails `tsc`, no validator to
 * write), the tables import synchronously where they are needed, comments sit
 * beside each fact, and a test builds a modified copy with a spread. The one
 * reader outside Node, scripts/setup.sh (bash, before node_modules exists),
 * keeps its own package list; test/facts.test.ts fails when it misses a
 * package named here.
 *
 * The tables:
 * - suites: each suite a board profile can name (`kernels[].suite`). `codename`
 *   is the release (debootstrap's suite, the chroot a newer kernel builds in);
 *   `release` its Debian number (11, 12, 13; none for sid, which comes after
 *   every release) and so the suites' order; `pockets` the apt suites whose
 *   packages count as the suite's; `gcc` the gcc major its kernels name in
 *   .kernelvariables (sid: whatever it moved to; read from the headers);
 *   `boot` whether the boot kernels' apt state carries it; `hostAliases` host
 *   codenames read as this suite (testing reports its own codename).
 * - series: the kernel series each release ships as linux-source-<series>
 *   (the compile matrix's rows, in this order), the form of its ABI in
 *   package names, whether its headers run pahole in modpost (BTF).
 *   `newest` stands for the newest series of its suite (sid), and for any
 *   series not listed.
 * - defaultSuite: the suite a run falls back to: the busybox for a kernel the
 *   user built on an unknown host, manifests written before they named a suite.
 * - testKernelSeries: the series `orchestrate testkernel` builds (the oldest
 *   the module supports, which no Debian image of ours boots).
 * - arches: per board arch its Debian name, kbuild ARCH, GNU triplet (the
 *   cross prefix and the cross packages' suffix), node's process.arch, the
 *   defconfig the matrix starts from, its word size, the kernel flavours
 *   Debian builds for it, and the 32-bit userspace its compat selftest uses.
 * - buildHost: the arch the kbuild packages and the chroots' compilers are for.
 * - tools: host tool -> the Debian package that provides it, and who installs
 *   it: `base` (in every Debian system), `setup` (scripts/setup.sh installs
 *   it), `extra` (only yocto/buildroot/package checks need it; installed by hand).
 * - requirements: the tools every module build needs, and those a build in a
 *   chroot of a newer suite needs; buildRootPackages: what such a chroot holds
 *   besides the kernel's compiler and its kbuild's dependencies.
 *
 * Sources: the release list https://www.debian.org/releases/ (numbers,
 * codenames); the archive's dists/ (https://deb.debian.org/debian/dists/,
 * https://security.debian.org/debian-security/dists/) for the pockets;
 * https://packages.debian.org/<suite>/linux-source and .../gcc for the series
 * and the compilers; the linux-image-* package names of each arch's index
 * (`apt-cache pkgnames linux-image-`) for the flavours and ABI forms; the
 * gcc-<triplet> and libc6-dev-<arch>-cross cross-toolchain packages.
 *
 * Adding a suite (e.g. forky, Debian 14, gcc 15, Linux 6.18):
 * 1. add it to `suites` before sid: name, codename, release 14, pockets
 *    forky, forky-updates, forky-security, gcc '15', boot true; move 'forky'
 *    out of sid's hostAliases (put the next testing codename there);
 * 2. add its series to `series` before `newest`: { series: '6.18', suite:
 *    'forky', abi: 'X.Y.N+debNN', pahole: true };
 * 3. run `npx vitest run --root orchestrator` and `npx orchestrate matrix`.
 * A board profile can then name `suite: forky`; the matrix gets a row.
 */

/** The architectures a board can have. */
export const ARCHES = ['x86_64', 'arm64', 'armhf'] as const;
export type Arch = (typeof ARCHES)[number];
export type DebianArch = 'amd64' | 'arm64' | 'armhf';
export type KernelArch = 'x86' | 'arm64' | 'arm';

export interface SuiteFacts {
  /** the name a board profile uses: "trixie", "bookworm-backports" */
  name: string;
  /** the release's codename (the chroot's suite, debootstrap's argument) */
  codename: string;
  /** the Debian release number; none for sid (after every release) */
  release?: number;
  /** apt suites whose packages count as this suite's (-security ones live on the security archive) */
  pockets: readonly string[];
  /** the gcc major its kernels are built with (.kernelvariables), when fixed for the suite */
  gcc?: string;
  /** carried by the boot kernels' apt state (else it only serves the compile matrix) */
  boot: boolean;
  /** host codenames (/etc/os-release VERSION_CODENAME) taken as this suite */
  hostAliases?: readonly string[];
}

/**
 * How a series' kernel ABI looks in package names: up to 6.1 "6.1.0-57"
 * (linux-kbuild-6.1 shared), from 6.12 "6.12.118+deb13" (a kbuild per ABI).
 */
export type AbiForm = 'X.Y.0-N' | 'X.Y.N+debNN' | 'any';

export interface SeriesFacts {
  /** "6.1"; "newest": its suite's newest series, and the facts of any series not listed */
  series: string;
  /** the suite that ships it as linux-source-<series> (its compile matrix row) */
  suite: string;
  abi: AbiForm;
  /** its Debian headers run pahole during modpost (BTF of modules) */
  pahole: boolean;
}

export interface Compat32Facts {
  /** GNU triplet of the 32-bit selftest build (always a cross compiler: gcc-multilib conflicts with the arm cross compilers) */
  triplet: string;
  /** Debian arch of its static libc (libc6-dev-<arch>-cross) */
  debian: string;
}

export interface ArchFacts {
  debian: DebianArch;
  /** kbuild ARCH= */
  kernelArch: KernelArch;
  /** GNU triplet: CROSS_COMPILE=<triplet>- and the cross packages' suffix */
  triplet: string;
  /** node's process.arch on such a machine */
  node: string;
  /** the kbuild defconfig the compile matrix starts from */
  defconfig: string;
  /** sparse's -m32/-m64 */
  bits: 32 | 64;
  /** the linux-image-<abi>-<flavour> flavours Debian builds (arm64-16k from trixie on) */
  flavours: readonly string[];
  /** the 32-bit userspace this 64-bit kernel runs through compat_ioctl (the compat32 selftest) */
  compat32?: Compat32Facts;
}

export interface ToolFacts {
  /** the Debian package that provides the tool */
  package: string;
  /** base: every Debian system has it; setup: scripts/setup.sh installs it; extra: install by hand when a command asks */
  from: 'base' | 'setup' | 'extra';
}

export interface DebianFacts {
  suites: readonly SuiteFacts[];
  series: readonly SeriesFacts[];
  defaultSuite: string;
  testKernelSeries: string;
  arches: Readonly<Record<Arch, ArchFacts>>;
  buildHost: Arch;
  tools: Readonly<Record<string, ToolFacts>>;
  /** the package of a qemu-system-* binary not in `tools` */
  otherQemuPackage: string;
  requirements: {
    /** every module build on the host (plus the arch's gcc) */
    build: readonly string[];
    /** a build in a chroot of a newer suite */
    buildRoot: readonly string[];
  };
  /** a build root's packages besides the kernel's compiler (for every arch) and its kbuild's dependencies */
  buildRootPackages: readonly string[];
}

export const FACTS: DebianFacts = {
  suites: [
    { name: 'bullseye', codename: 'bullseye', release: 11, pockets: ['bullseye', 'bullseye-updates', 'bullseye-security'], gcc: '10', boot: false },
    { name: 'bookworm', codename: 'bookworm', release: 12, pockets: ['bookworm', 'bookworm-updates', 'bookworm-security'], gcc: '12', boot: true },
    { name: 'bookworm-backports', codename: 'bookworm', release: 12, pockets: ['bookworm-backports'], gcc: '12', boot: true },
    { name: 'trixie', codename: 'trixie', release: 13, pockets: ['trixie', 'trixie-updates', 'trixie-security'], gcc: '14', boot: true },
    { name: 'sid', codename: 'sid', pockets: ['sid'], boot: true, hostAliases: ['forky'] },
  ],
  series: [
    { series: '5.10', suite: 'bullseye', abi: 'X.Y.0-N', pahole: false },
    { series: '6.1', suite: 'bookworm', abi: 'X.Y.0-N', pahole: false },
    { series: '6.12', suite: 'trixie', abi: 'X.Y.N+debNN', pahole: true },
    { series: 'newest', suite: 'sid', abi: 'any', pahole: true },
  ],
  defaultSuite: 'bookworm',
  testKernelSeries: '5.10',
  arches: {
    x86_64: {
      debian: 'amd64',
      kernelArch: 'x86',
      triplet: 'x86_64-linux-gnu',
      node: 'x64',
      defconfig: 'x86_64_defconfig',
      bits: 64,
      flavours: ['amd64', 'cloud-amd64', 'rt-amd64'],
      compat32: { triplet: 'i686-linux-gnu', debian: 'i386' },
    },
    arm64: {
      debian: 'arm64',
      kernelArch: 'arm64',
      triplet: 'aarch64-linux-gnu',
      node: 'arm64',
      defconfig: 'defconfig',
      bits: 64,
      flavours: ['arm64', 'arm64-16k', 'cloud-arm64', 'rt-arm64'],
      compat32: { triplet: 'arm-linux-gnueabihf', debian: 'armhf' },
    },
    armhf: {
      debian: 'armhf',
      kernelArch: 'arm',
      triplet: 'arm-linux-gnueabihf',
      node: 'arm',
      defconfig: 'multi_v7_defconfig',
      bits: 32,
      flavours: ['armmp', 'armmp-lpae', 'rt-armmp'],
    },
  },
  buildHost: 'x86_64',
  tools: {
    make: { package: 'make', from: 'setup' },
    gcc: { package: 'gcc', from: 'setup' },
    debootstrap: { package: 'debootstrap', from: 'setup' },
    unshare: { package: 'util-linux', from: 'base' },
    setpriv: { package: 'util-linux', from: 'base' },
    chroot: { package: 'coreutils', from: 'base' },
    tar: { package: 'tar', from: 'base' },
    bash: { package: 'bash', from: 'base' },
    dpkg: { package: 'dpkg', from: 'base' },
    'dpkg-deb': { package: 'dpkg', from: 'base' },
    'apt-get': { package: 'apt', from: 'base' },
    'apt-cache': { package: 'apt', from: 'base' },
    modinfo: { package: 'kmod', from: 'setup' },
    depmod: { package: 'kmod', from: 'setup' },
    bc: { package: 'bc', from: 'setup' },
    bison: { package: 'bison', from: 'setup' },
    flex: { package: 'flex', from: 'setup' },
    cpio: { package: 'cpio', from: 'setup' },
    dtc: { package: 'device-tree-compiler', from: 'setup' },
    fdtoverlay: { package: 'device-tree-compiler', from: 'setup' },
    fdtget: { package: 'device-tree-compiler', from: 'setup' },
    xz: { package: 'xz-utils', from: 'setup' },
    zstd: { package: 'zstd', from: 'setup' },
    sparse: { package: 'sparse', from: 'setup' },
    pahole: { package: 'dwarves', from: 'setup' },
    tshark: { package: 'tshark', from: 'setup' },
    'qemu-system-x86_64': { package: 'qemu-system-x86', from: 'setup' },
    'qemu-system-i386': { package: 'qemu-system-x86', from: 'setup' },
    'qemu-system-aarch64': { package: 'qemu-system-arm', from: 'setup' },
    'qemu-system-arm': { package: 'qemu-system-arm', from: 'setup' },
    'dpkg-buildpackage': { package: 'dpkg-dev', from: 'setup' },
    dh: { package: 'debhelper', from: 'setup' },
    dh_dkms: { package: 'dh-dkms', from: 'setup' },
    file: { package: 'file', from: 'setup' },
    git: { package: 'git', from: 'extra' },
    chrpath: { package: 'chrpath', from: 'extra' },
    diffstat: { package: 'diffstat', from: 'extra' },
    gawk: { package: 'gawk', from: 'extra' },
    lz4: { package: 'lz4', from: 'extra' },
    python3: { package: 'python3', from: 'extra' },
    shellcheck: { package: 'shellcheck', from: 'extra' },
    flake8: { package: 'flake8', from: 'extra' },
  },
  otherQemuPackage: 'qemu-system-misc',
  requirements: {
    build: ['make', 'dpkg', 'apt-get', 'apt-cache', 'modinfo'],
    buildRoot: ['debootstrap', 'unshare', 'chroot'],
  },
  buildRootPackages: ['make', 'gcc', 'libc6-dev', 'dwarves', 'sparse', 'xz-utils'],
};
