/**
 * Which Debian packages make up one kernel (image, arch headers, common
 * headers, amd64 kbuild) and which ABI is the newest complete set.
 * Pure: works on `apt-cache madison` entries.
 */
import type { MadisonEntry, PackageRef } from './apt.ts';
import { compareDebVersions } from './debversion.ts';
import { FailureError } from '../core/errors.ts';
import { FACTS, type AbiForm, type DebianFacts } from './facts.ts';
import { inSuite, seriesFacts, suiteByName } from './suites.ts';
import type { KernelSpec } from '../profile/profile.ts';

export interface ResolvedKernel {
  /** the Debian suite it was resolved in */
  suite: string;
  /** "6.1", "7.2" (a profile's "newest" resolved) */
  series: string;
  flavour: string;
  /** "6.1.0-56" or "6.12.48+deb12" */
  abi: string;
  /** `uname -r`: "6.1.0-56-amd64" */
  release: string;
  /** Debian source version shared by all four packages: "6.1.192-2" */
  version: string;
  image: PackageRef;
  headers: PackageRef;
  common: PackageRef;
  /** from the host (amd64) index */
  kbuild: PackageRef;
  /**
   * Debian 14's split image (linux 7.x in sid): the image package only
   * depends on linux-binary-* (vmlinuz), linux-modules-* and linux-base-*
   * (config, System.map, DTBs), fetched beside it. Empty before.
   */
  parts: PackageRef[];
}

/** The packages of Debian's split image, in the order they are unpacked. */
export function splitImageNames(abi: string, flavour: string): string[] {
  return ['base', 'binary', 'modules'].map((p) => `linux-${p}-${abi}-${flavour}`);
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The part of an ABI after "X.Y" in each form (debian/facts.ts AbiForm). */
const ABI_TAIL: Record<AbiForm, string> = {
  'X.Y.0-N': '\\.0-\\d+',
  'X.Y.N+debNN': '\\.\\d+\\+deb\\d+',
  any: '\\.\\d+(?:-\\d+|\\+deb\\d+)',
};

/**
 * ABI pattern of a series, in its form (debian/facts.ts): "6.1" -> 6.1.0-N,
 * "6.12" -> 6.12.N+debNN, "newest" -> any series in either form; a series
 * the facts do not list takes either form.
 */
export function abiPattern(series: string, f: DebianFacts = FACTS): string {
  const s = series === 'newest' ? '\\d+\\.\\d+' : esc(series);
  const known = f.series.some((x) => x.series === series);
  return `${s}${ABI_TAIL[known ? seriesFacts(series, f).abi : 'any']}`;
}

/** Any Debian kernel ABI, whole ("6.1.0-57", "6.12.118+deb13"). */
export const ABI_RE = new RegExp(`^${abiPattern('newest')}$`);

/** The series of an ABI: "6.12.117+deb13" -> "6.12". */
export function seriesOfAbi(abi: string): string {
  return /^(\d+\.\d+)\./.exec(abi)?.[1] ?? abi;
}

export function imageNameRe(series: string, flavour: string): RegExp {
  return new RegExp(`^linux-image-(${abiPattern(series)})-${esc(flavour)}(-unsigned)?$`);
}

export function headersName(abi: string, flavour: string): string {
  return `linux-headers-${abi}-${flavour}`;
}

/** The common headers: linux-headers-<abi>-common, -common-rt for the realtime (rt-*) flavours. */
export function commonHeadersName(abi: string, flavour: string): string {
  return `linux-headers-${abi}-common${flavour.startsWith('rt-') ? '-rt' : ''}`;
}

/** 6.1.0-N kernels share linux-kbuild-6.1; 6.12.N+deb12 has linux-kbuild-6.12.N+deb12. */
export function kbuildName(abi: string): string {
  const m = /^(\d+\.\d+)\.0-\d+$/.exec(abi);
  return m ? `linux-kbuild-${m[1]}` : `linux-kbuild-${abi}`;
}

export function kernelRelease(abi: string, flavour: string): string {
  return `${abi}-${flavour}`;
}

/** Package names worth asking madison about, from `apt-cache pkgnames` lists. */
export function candidateNames(spec: KernelSpec, targetNames: readonly string[]): { target: string[]; kbuild: string[] } {
  const imgRe = imageNameRe(spec.series, spec.flavour);
  const abis = new Set<string>();
  const target: string[] = [];
  for (const n of targetNames) {
    const m = imgRe.exec(n);
    if (m?.[1] && (spec.version === undefined || m[1] === spec.version)) {
      abis.add(m[1]);
      target.push(n);
    }
  }
  const nameSet = new Set(targetNames);
  for (const abi of abis) {
    for (const n of [headersName(abi, spec.flavour), commonHeadersName(abi, spec.flavour), ...splitImageNames(abi, spec.flavour)]) {
      if (nameSet.has(n)) target.push(n);
    }
  }
  const kbuild = [...new Set([...abis].map(kbuildName))];
  return { target: [...new Set(target)].sort(), kbuild: kbuild.sort() };
}

/**
 * The newest (by Debian version) ABI of series/flavour for which the image,
 * the arch headers, the common headers (target index) and kbuild (host
 * index) all exist at the same version. `-unsigned` images are preferred.
 */
export function resolveKernel(spec: KernelSpec, allTarget: readonly MadisonEntry[], allHost: readonly MadisonEntry[]): ResolvedKernel {
  const target = allTarget.filter((e) => inSuite(e.origin, spec.suite));
  const host = allHost.filter((e) => inSuite(e.origin, spec.suite));
  const imgRe = imageNameRe(spec.series, spec.flavour);
  const has = (list: readonly MadisonEntry[], name: string, version: string): boolean => list.some((e) => e.name === name && e.version === version);
  const candidates: { abi: string; version: string; names: string[] }[] = [];
  for (const e of target) {
    const m = imgRe.exec(e.name);
    if (!m?.[1]) continue;
    const abi = m[1];
    if (spec.version !== undefined && abi !== spec.version) continue;
    let c = candidates.find((x) => x.abi === abi && x.version === e.version);
    if (!c) {
      c = { abi, version: e.version, names: [] };
      candidates.push(c);
    }
    c.names.push(e.name);
  }
  candidates.sort((a, b) => compareDebVersions(b.version, a.version));
  const label = `${spec.suite} ${spec.series} ${spec.flavour}${spec.version ? ` (pinned ${spec.version})` : ''}`;
  if (candidates.length === 0) {
    throw new FailureError(
      `no Debian kernel image found for ${label}: no package matches ${imgRe.source} in ${spec.suite} (${suiteByName(spec.suite)?.pockets.join(', ') ?? 'unknown suite'})` +
        (spec.version ? ' (is the pinned ABI still in the archive?)' : ''),
    );
  }
  const gaps: string[] = [];
  for (const c of candidates) {
    const headers = headersName(c.abi, spec.flavour);
    const common = commonHeadersName(c.abi, spec.flavour);
    const kbuild = kbuildName(c.abi);
    const split = splitImageNames(c.abi, spec.flavour);
    const parts = split.filter((n) => has(target, n, c.version));
    const missing = [
      ...(parts.length > 0 ? split.filter((n) => !parts.includes(n)) : []),
      has(target, headers, c.version) ? undefined : headers,
      has(target, common, c.version) ? undefined : common,
      has(host, kbuild, c.version) ? undefined : `${kbuild} (host index)`,
    ].filter((x): x is string => x !== undefined);
    if (missing.length > 0) {
      gaps.push(`${c.abi} ${c.version}: missing ${missing.join(', ')}`);
      continue;
    }
    const unsigned = c.names.find((n) => n.endsWith('-unsigned'));
    const image = unsigned ?? c.names[0] ?? '';
    return {
      suite: spec.suite,
      series: seriesOfAbi(c.abi),
      flavour: spec.flavour,
      abi: c.abi,
      release: kernelRelease(c.abi, spec.flavour),
      version: c.version,
      image: { name: image, version: c.version },
      headers: { name: headers, version: c.version },
      common: { name: common, version: c.version },
      kbuild: { name: kbuild, version: c.version },
      parts: parts.map((name) => ({ name, version: c.version })),
    };
  }
  throw new FailureError(`no complete Debian kernel package set for ${label}:\n  ${gaps.slice(0, 6).join('\n  ')}`);
}
