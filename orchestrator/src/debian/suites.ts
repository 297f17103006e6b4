/**
 * Debian suites as data: which apt suites ("pockets") make up each suite a
 * board profile can name for its kernels, and in what order the releases
 * come (a kernel from a release newer than the host's is built in a
 * chroot of its own suite: its kbuild programs need that suite's glibc and
 * its headers name that suite's compiler). Adding a suite is one line here.
 * Sources: Debian's release list (https://www.debian.org/releases/) and the
 * archive layout (<suite>, <suite>-updates, <suite>-backports).
 */

export interface DebianSuite {
  /** the name a board profile uses: "trixie", "bookworm-backports" */
  name: string;
  /** the release's codename (the chroot's suite, debootstrap's argument) */
  codename: string;
  /** the release's order: 11 bullseye, 12 bookworm, 13 trixie, sid last */
  order: number;
  /** apt suites whose packages count as this suite's (-security ones live on the security archive) */
  pockets: readonly string[];
  /** the gcc major its kernels are built with (.kernelvariables), when fixed for the suite */
  gcc?: string;
}

export const DEBIAN_SUITES: readonly DebianSuite[] = [
  { name: 'bullseye', codename: 'bullseye', order: 11, pockets: ['bullseye', 'bullseye-updates', 'bullseye-security'], gcc: '10' },
  { name: 'bookworm', codename: 'bookworm', order: 12, pockets: ['bookworm', 'bookworm-updates', 'bookworm-security'], gcc: '12' },
  { name: 'bookworm-backports', codename: 'bookworm', order: 12, pockets: ['bookworm-backports'], gcc: '12' },
  { name: 'trixie', codename: 'trixie', order: 13, pockets: ['trixie', 'trixie-updates', 'trixie-security'], gcc: '14' },
  { name: 'sid', codename: 'sid', order: 99, pockets: ['sid'] },
];

/** The suites the per-arch apt state of the boot kernels carries (bullseye only serves the compile matrix). */
export const BOOT_SUITES: readonly string[] = ['bookworm', 'bookworm-backports', 'trixie', 'sid'];

/** Codenames apt sources may name for the Debian archive (to find its URI on the host). */
export const KNOWN_CODENAMES: readonly string[] = ['bullseye', 'bookworm', 'trixie', 'forky', 'sid'];

export function suiteByName(name: string): DebianSuite | undefined {
  return DEBIAN_SUITES.find((s) => s.name === name);
}

/** The apt suites of the boot state, in order, each once. */
export function bootPockets(): string[] {
  return [...new Set(BOOT_SUITES.flatMap((n) => suiteByName(n)?.pockets ?? []))];
}

/**
 * The apt suite of an `apt-cache madison` origin
 * ("http://host/debian trixie-updates/main arm64 Packages" -> "trixie-updates").
 */
export function originPocket(origin: string): string | undefined {
  return /\s([a-z]+(?:-[a-z]+)*)\/[a-z-]+\s/.exec(` ${origin} `)?.[1];
}

/** Whether an origin belongs to suite `name` (one of its pockets). */
export function inSuite(origin: string, name: string): boolean {
  const pocket = originPocket(origin);
  return pocket !== undefined && (suiteByName(name)?.pockets.includes(pocket) ?? false);
}

/** The suite of a host from /etc/os-release text (VERSION_CODENAME; sid/forky as testing), or undefined. */
export function hostSuite(osRelease: string): DebianSuite | undefined {
  const m = /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(osRelease);
  if (!m?.[1]) return undefined;
  return suiteByName(m[1]) ?? (m[1] === 'forky' ? suiteByName('sid') : undefined);
}

/**
 * Whether a kernel of `kernelSuite` must be built in a chroot of its suite on
 * a host of `host`: when it comes from a newer release (or the host is not a
 * known Debian release).
 */
export function needsBuildRoot(kernelSuite: string, host: DebianSuite | undefined): boolean {
  const k = suiteByName(kernelSuite);
  if (!k) throw new Error(`unknown Debian suite ${kernelSuite}`);
  return host === undefined || k.order > host.order;
}
