/**
 * The compile matrix: which kernel sources the module must build against,
 * as data, and the pure parts of preparing and reporting it. Each cell is a
 * Debian suite's `linux-source-<series>` prepared for one architecture with
 * the architecture's defconfig plus what every file of the module needs
 * (PCI, OF, PHYLIB, OF_MDIO), then the module built with `W=1` and sparse.
 * sid's entry is resolved at run time (its newest linux-source), so the
 * matrix follows sid. I/O is in kernel/kernelsrc.ts.
 */
import { ARCHES, type Arch } from '../debian/arch.ts';
import { FACTS, type DebianFacts } from '../debian/facts.ts';
import { suiteByName } from '../debian/suites.ts';
import { compareDebVersions } from '../debian/debversion.ts';

export interface MatrixSuite {
  /** Debian suite (codename) */
  suite: string;
  /** e.g. "Debian 11"; shown in the matrix */
  label: string;
  /** the kernel series of its linux-source package, or "newest" (resolved) */
  series: string;
}

/**
 * The matrix's rows from the facts (debian/facts.ts series): each series'
 * suite with its linux-source series, in the facts' order, labelled by the
 * release ("Debian 12"), sid by its name.
 */
export function matrixSuites(f: DebianFacts = FACTS): MatrixSuite[] {
  return f.series.map((x) => {
    const release = suiteByName(x.suite, f)?.release;
    return { suite: x.suite, label: release === undefined ? x.suite : `Debian ${release}`, series: x.series };
  });
}

/** Debian's kernels from the oldest the module supports to the newest. */
export const MATRIX_SUITES: readonly MatrixSuite[] = matrixSuites();

/** Every board arch. */
export const MATRIX_ARCHES: readonly Arch[] = ARCHES;

/** Options turned on over the defconfig, so that every file of the module is built. */
export const MATRIX_ENABLE = ['PCI', 'PCI_MSI', 'OF', 'PHYLIB', 'OF_MDIO'] as const;

/**
 * What unpacking a linux-source tarball leaves out (tar --wildcards
 * patterns): the C sources of subsystems the module's build never compiles,
 * other architectures, documentation text. What modules_prepare builds
 * (scripts/, tools/objtool, kernel/bounds.c, the matrix's arch/) and every
 * Kconfig, Makefile and header of the matrix's architectures stay: under
 * half of the tree.
 */
export const MATRIX_UNPACK_EXCLUDE: readonly string[] = [
  ...['drivers', 'sound', 'net', 'fs', 'samples'].map((d) => `*/${d}/*.c`),
  ...['rst', 'txt', 'yaml'].map((e) => `*/Documentation/*.${e}`),
  '*/tools/testing/*',
  ...['dts', 'dtsi'].map((e) => `*/boot/dts/*.${e}`),
  // other architectures: their Kconfig files stay (crypto/Kconfig sources them all)
  ...['alpha', 'arc', 'csky', 'hexagon', 'loongarch', 'm68k', 'microblaze', 'mips', 'nios2', 'openrisc', 'parisc', 'powerpc', 'riscv', 's390', 'sh', 'sparc', 'um', 'xtensa'].flatMap((a) => [
    `*/arch/${a}/*.c`,
    `*/arch/${a}/*.S`,
    `*/arch/${a}/*.h`,
  ]),
];

/** The module's objects a cell must produce: all of them, DT and PHY parts included. */
export const MATRIX_OBJECTS = ['atemsys_main.o', 'atemsys_owner.o', 'atemsys_pci.o', 'atemsys_mmap.o', 'atemsys_dma.o', 'atemsys_irq.o', 'atemsys_dt.o', 'atemsys_iomem.o', 'atemsys_mdio.o'] as const;

/** `linux-source-<series>` */
export function sourcePackage(series: string): string {
  return `linux-source-${series}`;
}

/**
 * The newest `linux-source-X.Y` among package names (e.g. the names sid
 * knows), undefined when there is none. Pure.
 */
export function newestSourceSeries(names: readonly string[]): string | undefined {
  const series = names.map((n) => /^linux-source-(\d+\.\d+)$/.exec(n)?.[1]).filter((s): s is string => s !== undefined);
  return series.sort(compareDebVersions).pop();
}

/**
 * The version of `pkg` that `suite` itself carries, from `apt-cache madison`
 * entries (origins like "http://… trixie/main amd64 Packages"): the newest
 * of that suite, undefined when it has none. Pure.
 */
export function versionInSuite(entries: readonly { name: string; version: string; origin: string }[], pkg: string, suite: string): string | undefined {
  const re = new RegExp(`\\s${suite.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`);
  return entries
    .filter((e) => e.name === pkg && re.test(` ${e.origin}`))
    .map((e) => e.version)
    .sort(compareDebVersions)
    .pop();
}

/** One cell's outcome. */
export interface MatrixCell {
  suite: string;
  label: string;
  series: string;
  /** Debian version of the linux-source package, when resolved */
  version?: string;
  arch: Arch;
  status: 'clean' | 'warnings' | 'failed';
  /** warning or error lines in the module's own files */
  warnings: string[];
  /** why a cell failed before or during the build */
  error?: string;
  /** "sparse 0.6.4" or the one built for new kernels */
  checker?: string;
  durationMs: number;
}

function cellText(c: MatrixCell): string {
  if (c.status === 'clean') return 'clean';
  if (c.status === 'warnings') return `${c.warnings.length} warning${c.warnings.length === 1 ? '' : 's'}`;
  return 'FAILED';
}

/** The matrix as text: a row per kernel, a column per architecture. Pure. */
export function matrixTable(cells: readonly MatrixCell[], arches: readonly Arch[] = MATRIX_ARCHES): string {
  const rows = new Map<string, MatrixCell[]>();
  for (const c of cells) {
    const key = `${c.label}${c.label !== c.suite ? ` ${c.suite}` : ''}: linux-source-${c.series}${c.version ? ` ${c.version}` : ''}`;
    rows.set(key, [...(rows.get(key) ?? []), c]);
  }
  const head = ['kernel (W=1 + sparse)', ...arches];
  const body = [...rows].map(([k, cs]) => [
    k,
    ...arches.map((a) => {
      const c = cs.find((x) => x.arch === a);
      return c ? cellText(c) : '-';
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join(' | ')
      .replace(/\s+$/, '');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

/** Objects of MATRIX_OBJECTS a build did not produce. Pure. */
export function missingObjects(built: readonly string[]): string[] {
  return MATRIX_OBJECTS.filter((o) => !built.includes(o));
}
