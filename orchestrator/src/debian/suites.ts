/**
 * Debian suites and kernel series, read from the facts (debian/facts.ts):
 * which apt suites ("pockets") make up each suite a board profile can name
 * for its kernels, in what order the releases come (a kernel from a release
 * newer than the host's is built in a chroot of its own suite: its kbuild
 * programs need that suite's glibc and its headers name that suite's
 * compiler), and what each kernel series needs. Every function takes the
 * facts as its last argument (default: FACTS) so a test can change them.
 */
import { FACTS, type DebianFacts, type SeriesFacts, type SuiteFacts } from './facts.ts';

export type DebianSuite = SuiteFacts;

/** The names a board profile may use for its kernels' suite, in release order. */
export function suiteNames(f: DebianFacts = FACTS): string[] {
  return f.suites.map((s) => s.name);
}

export function suiteByName(name: string, f: DebianFacts = FACTS): DebianSuite | undefined {
  return f.suites.find((s) => s.name === name);
}

/** The release's place in time: its number, sid after every release. */
export function suiteOrder(s: DebianSuite): number {
  return s.release ?? Number.POSITIVE_INFINITY;
}

/** The suite a run falls back to (busybox for a user's kernel on an unknown host, manifests without a suite). */
export function defaultSuite(f: DebianFacts = FACTS): DebianSuite {
  const s = suiteByName(f.defaultSuite, f);
  if (!s) throw new Error(`facts: defaultSuite ${f.defaultSuite} is not a suite`);
  return s;
}

/** The newest suite (sid): where the newest tools' sources come from. */
export function newestSuite(f: DebianFacts = FACTS): DebianSuite {
  const s = [...f.suites].sort((a, b) => suiteOrder(a) - suiteOrder(b)).pop();
  if (!s) throw new Error('facts: no suites');
  return s;
}

/** The apt suites of the boot state, in order, each once. */
export function bootPockets(f: DebianFacts = FACTS): string[] {
  return [...new Set(f.suites.filter((s) => s.boot).flatMap((s) => s.pockets))];
}

/** Codenames apt sources may name for the Debian archive (to find its URI on the host): every release's, and the hosts' aliases. */
export function knownCodenames(f: DebianFacts = FACTS): string[] {
  return [...new Set(f.suites.flatMap((s) => [...(s.hostAliases ?? []), s.codename]))];
}

/**
 * The apt suite of an `apt-cache madison` origin
 * ("http://host/debian trixie-updates/main arm64 Packages" -> "trixie-updates").
 */
export function originPocket(origin: string): string | undefined {
  return /\s([a-z]+(?:-[a-z]+)*)\/[a-z-]+\s/.exec(` ${origin} `)?.[1];
}

/** Whether an origin belongs to suite `name` (one of its pockets). */
export function inSuite(origin: string, name: string, f: DebianFacts = FACTS): boolean {
  const pocket = originPocket(origin);
  return pocket !== undefined && (suiteByName(name, f)?.pockets.includes(pocket) ?? false);
}

/** The suite of a host from /etc/os-release text (VERSION_CODENAME; testing's codename as sid), or undefined. */
export function hostSuite(osRelease: string, f: DebianFacts = FACTS): DebianSuite | undefined {
  const m = /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(osRelease);
  const code = m?.[1];
  if (!code) return undefined;
  return suiteByName(code, f) ?? f.suites.find((s) => s.hostAliases?.includes(code));
}

/**
 * Whether a kernel of `kernelSuite` must be built in a chroot of its suite on
 * a host of `host`: when it comes from a newer release (or the host is not a
 * known Debian release).
 */
export function needsBuildRoot(kernelSuite: string, host: DebianSuite | undefined, f: DebianFacts = FACTS): boolean {
  const k = suiteByName(kernelSuite, f);
  if (!k) throw new Error(`unknown Debian suite ${kernelSuite}`);
  return host === undefined || suiteOrder(k) > suiteOrder(host);
}

/** The facts of a kernel series; a series not listed gets those of `newest`. */
export function seriesFacts(series: string, f: DebianFacts = FACTS): SeriesFacts {
  const s = f.series.find((x) => x.series === series) ?? f.series.find((x) => x.series === 'newest');
  if (!s) throw new Error('facts: no "newest" series');
  return s;
}

/** The series `orchestrate testkernel` builds, with the suite whose linux-source it is. */
export function testKernelSeries(f: DebianFacts = FACTS): SeriesFacts {
  const s = f.series.find((x) => x.series === f.testKernelSeries);
  if (!s) throw new Error(`facts: testKernelSeries ${f.testKernelSeries} is not a series`);
  return s;
}
