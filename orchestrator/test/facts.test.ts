/**
 * The Debian and toolchain facts (src/debian/facts.ts): consistent, the only
 * place their values are written, read by the code through functions that
 * pick up a changed copy (adding a suite is one edit there), and in step
 * with what scripts/setup.sh installs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archInfo, buildHostDebianArch, flavoursOf, hostDebianArch, versionedGccPackage } from '../src/debian/arch.ts';
import { ARCHES, FACTS, type DebianFacts } from '../src/debian/facts.ts';
import { abiPattern, imageNameRe } from '../src/debian/kernelpkgs.ts';
import { rootPackages } from '../src/debian/suiteroot.ts';
import {
  bootPockets,
  defaultSuite,
  hostSuite,
  inSuite,
  knownCodenames,
  needsBuildRoot,
  newestSuite,
  seriesFacts,
  suiteByName,
  suiteNames,
  suiteOrder,
  testKernelSeries,
} from '../src/debian/suites.ts';
import { buildTools, packageForTool } from '../src/debian/tools.ts';
import { REPO_ROOT } from '../src/core/paths.ts';
import { MATRIX_SUITES, matrixSuites } from '../src/kernel/matrix.ts';
import { TEST_KERNEL } from '../src/kernel/testkernel.ts';

/** The facts with a hypothetical Debian 14 "forky" (gcc 15, Linux 6.18) added as the header comment says: one edit. */
function withForky(f: DebianFacts): DebianFacts {
  const sid = f.suites.filter((s) => s.name === 'sid');
  const newest = f.series.filter((s) => s.series === 'newest');
  return {
    ...f,
    suites: [
      ...f.suites.filter((s) => s.name !== 'sid'),
      { name: 'forky', codename: 'forky', release: 14, pockets: ['forky', 'forky-updates', 'forky-security'], gcc: '15', boot: true },
      ...sid.map((s) => ({ ...s, hostAliases: ['duke'] })),
    ],
    series: [...f.series.filter((s) => s.series !== 'newest'), { series: '6.18', suite: 'forky', abi: 'X.Y.N+debNN', pahole: true }, ...newest],
  };
}

describe('the facts are consistent', () => {
  it('names every suite once, in release order, sid last', () => {
    const names = FACTS.suites.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const orders = FACTS.suites.map(suiteOrder);
    expect([...orders].sort((a, b) => a - b)).toEqual(orders);
    expect(newestSuite().name).toBe('sid');
    for (const s of FACTS.suites) expect(s.pockets.length, s.name).toBeGreaterThan(0);
  });

  it('ties every series, the default suite and the test kernel to a suite', () => {
    for (const s of FACTS.series) expect(suiteByName(s.suite), s.series).toBeDefined();
    expect(FACTS.series.map((s) => s.series)).toContain('newest');
    expect(defaultSuite().name).toBe(FACTS.defaultSuite);
    expect(testKernelSeries().series).toBe(FACTS.testKernelSeries);
    expect(TEST_KERNEL.suite).toBe(testKernelSeries().suite);
  });

  it('knows a package for every tool a build requires, and distinct node arches', () => {
    for (const t of [...FACTS.requirements.build, ...FACTS.requirements.buildRoot]) expect(FACTS.tools[t], t).toBeDefined();
    const nodes = ARCHES.map((a) => FACTS.arches[a].node);
    expect(new Set(nodes).size).toBe(nodes.length);
    for (const a of ARCHES) expect(hostDebianArch(FACTS.arches[a].node)).toBe(FACTS.arches[a].debian);
  });

  it('gives today the matrix rows and flavours the boards use', () => {
    expect(MATRIX_SUITES).toEqual([
      { suite: 'bullseye', label: 'Debian 11', series: '5.10' },
      { suite: 'bookworm', label: 'Debian 12', series: '6.1' },
      { suite: 'trixie', label: 'Debian 13', series: '6.12' },
      { suite: 'sid', label: 'sid', series: 'newest' },
    ]);
    expect(flavoursOf('armhf')).toContain('armmp');
    expect(flavoursOf('x86_64')).toContain('rt-amd64');
    // a series the facts do not list (sid's 7.x) is treated as the newest
    expect(seriesFacts('7.2')).toMatchObject({ series: 'newest', pahole: true });
    expect(seriesFacts('6.1').pahole).toBe(false);
  });
});

describe('adding a suite and a series is one edit of the facts', () => {
  const f = withForky(FACTS);
  const forkyHost = hostSuite('VERSION_CODENAME=forky\n', f);
  const arm64 = archInfo('arm64', 'amd64', f);

  it('orders the suite between trixie and sid and carries its pockets', () => {
    expect(suiteNames(f)).toEqual(['bullseye', 'bookworm', 'bookworm-backports', 'trixie', 'forky', 'sid']);
    expect(bootPockets(f)).toEqual([
      ...['bookworm', 'bookworm-updates', 'bookworm-security', 'bookworm-backports', 'trixie', 'trixie-updates', 'trixie-security'],
      ...['forky', 'forky-updates', 'forky-security', 'sid'],
    ]);
    expect(knownCodenames(f)).toEqual(['bullseye', 'bookworm', 'trixie', 'forky', 'duke', 'sid']);
    expect(inSuite('http://m/debian-security forky-security/main arm64 Packages', 'forky', f)).toBe(true);
    expect(forkyHost?.name).toBe('forky');
    expect(hostSuite('VERSION_CODENAME=duke\n', f)?.name).toBe('sid');
    expect(needsBuildRoot('forky', suiteByName('trixie', f), f)).toBe(true);
    expect(needsBuildRoot('forky', forkyHost, f)).toBe(false);
    expect(needsBuildRoot('sid', forkyHost, f)).toBe(true);
    expect(newestSuite(f).name).toBe('sid');
  });

  it('asks for the suite gcc and its packages by the facts, not by name', () => {
    const kernels = [{ suite: 'forky', series: '6.18' }];
    expect(buildTools(arm64, kernels, forkyHost, f)).toEqual([
      'make',
      'dpkg',
      'apt-get',
      'apt-cache',
      'modinfo',
      'aarch64-linux-gnu-gcc',
      'gcc-15',
      'aarch64-linux-gnu-gcc-15',
      'pahole',
      'arm-linux-gnueabihf-gcc',
    ]);
    expect(buildTools(arm64, kernels, suiteByName('trixie', f), f)).toContain('debootstrap');
    expect(packageForTool('aarch64-linux-gnu-gcc-15', arm64, f)).toBe('gcc-15-aarch64-linux-gnu');
    expect(versionedGccPackage(archInfo('x86_64', 'amd64', f), '15')).toBe('gcc-15');
    expect(rootPackages('gcc-15', ['libelf1t64'], f)).toEqual([
      'dwarves',
      'gcc',
      'gcc-15',
      'gcc-15-aarch64-linux-gnu',
      'gcc-15-arm-linux-gnueabihf',
      'libc6-dev',
      'libelf1t64',
      'make',
      'sparse',
      'xz-utils',
    ]);
  });

  it('gives the compile matrix a row and the series its ABI form', () => {
    expect(matrixSuites(f).map((s) => `${s.label}: ${s.suite} ${s.series}`)).toEqual([
      'Debian 11: bullseye 5.10',
      'Debian 12: bookworm 6.1',
      'Debian 13: trixie 6.12',
      'Debian 14: forky 6.18',
      'sid: sid newest',
    ]);
    const re = new RegExp(`^${abiPattern('6.18', f)}$`);
    expect(re.test('6.18.3+deb14')).toBe(true);
    expect(re.test('6.18.0-1')).toBe(false);
    expect(seriesFacts('6.18', f)).toMatchObject({ suite: 'forky', pahole: true });
  });

  it('leaves the real facts alone', () => {
    expect(suiteByName('forky')).toBeUndefined();
    expect(MATRIX_SUITES.map((s) => s.suite)).not.toContain('forky');
  });
});

describe('ABI patterns follow the series form', () => {
  it('matches what the archive has, either form for series the facts do not list', () => {
    const img = (series: string, abi: string): boolean => imageNameRe(series, 'amd64').test(`linux-image-${abi}-amd64`);
    expect(img('6.1', '6.1.0-57')).toBe(true);
    expect(img('6.12', '6.12.118+deb13')).toBe(true);
    expect(img('6.12', '6.12.117+deb12')).toBe(true);
    expect(img('6.12', '6.12.115+deb13.1')).toBe(false);
    expect(img('newest', '7.2.13+deb14')).toBe(true);
    expect(img('6.16', '6.16.3-1')).toBe(true);
    expect(img('6.16', '6.16.3+deb14')).toBe(true);
  });
});

/** The Debian packages of scripts/setup.sh's `packages=( … )`, comments dropped. */
function setupPackages(text: string): Set<string> {
  const m = /^packages=\(\n([\s\S]*?)\n\)$/m.exec(text);
  if (!m?.[1]) throw new Error('scripts/setup.sh: no packages=( … ) array');
  return new Set(
    m[1]
      .split('\n')
      .map((l) => l.replace(/#.*/, ''))
      .flatMap((l) => l.trim().split(/\s+/))
      .filter((w) => w !== '' && !w.includes('$')),
  );
}

describe('scripts/setup.sh installs what the facts name', () => {
  const setup = readFileSync(path.join(REPO_ROOT, 'scripts', 'setup.sh'), 'utf8');
  const installed = setupPackages(setup);

  it('installs every package of a tool the facts mark as installed by setup', () => {
    const want = [
      ...new Set(
        Object.values(FACTS.tools)
          .filter((t) => t.from === 'setup')
          .map((t) => t.package),
      ),
    ];
    expect(want.filter((p) => !installed.has(p))).toEqual([]);
  });

  it("installs each arch's compilers and static libcs, and the default suite's gcc for each", () => {
    // kernels of suites newer than the host build in a chroot with their own
    // compiler; the default (oldest boot) suite's build on any supported host
    const host = buildHostDebianArch();
    const gcc = defaultSuite().gcc;
    expect(gcc).toBeDefined();
    const want: string[] = [];
    for (const a of ARCHES) {
      const i = archInfo(a, host);
      want.push(i.gccPackage, i.libcPackage, ...(i.compat32 ? [i.compat32.gccPackage, i.compat32.libcPackage] : []));
      if (gcc !== undefined) want.push(versionedGccPackage(i, gcc));
    }
    expect(want.filter((p) => !installed.has(p))).toEqual([]);
  });

  it('takes checkpatch.pl from the series each host release ships', () => {
    const cases = [...setup.matchAll(/^([a-z]+)\) source_series=([0-9.]+) ;;$/gm)].map((m) => `${m[1] ?? ''} ${m[2] ?? ''}`);
    expect(cases.length).toBeGreaterThan(0);
    const facts = FACTS.series.map((s) => `${s.suite} ${s.series}`);
    expect(cases.filter((c) => !facts.includes(c))).toEqual([]);
  });
});

/** The orchestrator's sources, comments stripped, each with its path. */
function sources(dir: string): { file: string; code: string }[] {
  const out: { file: string; code: string }[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts'))
      out.push({
        file: p,
        code: readFileSync(p, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/^\s*\/\/.*$/gm, ''),
      });
  }
  return out;
}

describe('no Debian fact is written outside the facts file', () => {
  it('has no suite, series, compiler, triplet, flavour or defconfig literal elsewhere', () => {
    const arches = new Set<string>([...ARCHES, ...ARCHES.map((a) => FACTS.arches[a].debian)]);
    const literals = new Set<string>([
      ...FACTS.suites.flatMap((s) => [s.name, s.codename, ...s.pockets, ...(s.hostAliases ?? []), ...(s.gcc !== undefined ? [`gcc-${s.gcc}`] : [])]),
      ...FACTS.series.map((s) => s.series).filter((s) => s !== 'newest'),
      ...ARCHES.flatMap((a) => {
        const x = FACTS.arches[a];
        return [x.triplet, `${x.triplet}-`, x.defconfig, ...x.flavours, ...(x.compat32 ? [x.compat32.triplet, `${x.compat32.triplet}-`] : [])];
      }),
    ]);
    for (const a of [...arches, 'defconfig']) literals.delete(a);
    const src = path.join(REPO_ROOT, 'orchestrator', 'src');
    const found: string[] = [];
    for (const { file, code } of sources(src)) {
      if (file === path.join(src, 'debian', 'facts.ts')) continue;
      // single quotes and backticks: the code's strings (double quotes are prose inside messages)
      for (const m of code.matchAll(/(['`])([a-z0-9_.+-]+)\1/g)) {
        if (m[2] !== undefined && literals.has(m[2])) found.push(`${path.relative(src, file)}: ${m[0]}`);
      }
    }
    expect(found).toEqual([]);
  });
});
