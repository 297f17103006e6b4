import { describe, expect, it } from 'vitest';
import { parseCli, usage } from '../src/cli.ts';
import { claimRelease } from '../src/commands/check.ts';
import { makeEcho } from '../src/commands/build.ts';
import { adjustKernel, boardsWithKernel, buildOnlyLines, partitionBoards, selectKernels } from '../src/pipeline/boardrun.ts';
import { bench, benchBoards } from '../src/commands/bench.ts';
import { buildroot } from '../src/commands/buildroot.ts';
import { smoke } from '../src/commands/smoke.ts';
import { yocto } from '../src/commands/yocto.ts';
import { parseFor } from './parsefor.ts';
import { ConfigError, UsageError } from '../src/core/errors.ts';
import type { Profile } from '../src/profile/profile.ts';

describe('parseCli', () => {
  it('parses --extra-groups and --timeout, and refuses bad values', () => {
    expect(parseCli(['smoke', '--board', 'qemu-x86_64', '--extra-groups', 'fuzz,ll', '--timeout', '900'])).toMatchObject({ extraGroups: ['fuzz', 'll'], timeout: 900 });
    expect(parseCli(['build', '--board', 'qemu-x86_64', '--extra-groups', 'fuzz'])).toMatchObject({ extraGroups: ['fuzz'] });
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--extra-groups', 'Fuzz!'])).toThrow(/--extra-groups expects selftest group names/);
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--timeout', '0'])).toThrow(/--timeout expects whole seconds/);
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--no-build', '--rebuild'])).toThrow(/--no-build boots the existing artifacts, --rebuild builds them all again/);
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--timeout', '1.5'])).toThrow(/--timeout expects whole seconds/);
    expect(() => parseCli(['build', '--board', 'qemu-x86_64', '--timeout', '60'])).toThrow(UsageError);
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--timeout', '-5'])).toThrow(/--timeout needs a value, got "-5"/);
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--timeout=-5'])).toThrow(/--timeout expects whole seconds/);
  });

  it('parses --fuzz-calls (smoke only) into each kernel it runs', () => {
    const o = parseFor(smoke, ['smoke', '--board', 'qemu-x86_64', '--fuzz-calls', '250000']);
    expect(o).toMatchObject({ fuzzCalls: 250000 });
    expect(adjustKernel({ suite: 'own', series: 'own', flavour: 'own' }, o)).toMatchObject({ fuzzCalls: 250000 });
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--fuzz-calls', '1e6'])).toThrow(/--fuzz-calls expects a number of calls/);
    const s = parseFor(smoke, ['smoke', '--board', 'qemu-x86_64', '--fuzz-seed', '18446744073709551615']);
    expect(adjustKernel({ suite: 'bookworm', series: '6.1', flavour: 'amd64' }, s)).toMatchObject({ fuzzSeed: '18446744073709551615' });
    for (const bad of ['0', '18446744073709551616', '-5', '0x10', '12a']) {
      expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', `--fuzz-seed=${bad}`])).toThrow(/--fuzz-seed expects the seed a fuzz run printed/);
    }
    expect(() => parseCli(['build', '--board', 'qemu-x86_64', '--fuzz-seed', '5'])).toThrow(/Unknown option '--fuzz-seed'/);
    expect(() => parseCli(['build', '--board', 'qemu-x86_64', '--fuzz-calls', '5'])).toThrow(UsageError);
  });

  it('parses --only (build and smoke) into each kernel it runs', () => {
    const o = parseFor(smoke, ['smoke', '--board', 'qemu-x86_64', '--only', 'dma_churn,fuzz']);
    expect(o).toMatchObject({ only: ['dma_churn', 'fuzz'] });
    expect(adjustKernel({ suite: 'own', series: 'own', flavour: 'own' }, o)).toMatchObject({ only: ['dma_churn', 'fuzz'] });
    expect(parseCli(['build', '--board', 'qemu-x86_64', '--only', 'version'])).toMatchObject({ only: ['version'] });
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--only', 'dma-churn'])).toThrow(/--only expects selftest names joined by commas/);
    expect(() => parseCli(['smoke', '--board', 'qemu-x86_64', '--only', ','])).toThrow(UsageError);
    expect(() => parseCli(['bench', '--board', 'qemu-x86_64', '--only', 'fuzz'])).toThrow(UsageError);
  });
  it('parses each command and its options', () => {
    expect(parseCli(['boards', '--json'])).toMatchObject({ command: 'boards', json: true, help: false });
    expect(parseCli(['build', '--board', 'qemu-arm64', '--kernel', '6.1'])).toMatchObject({ command: 'build', board: 'qemu-arm64', kernel: '6.1', json: false });
    expect(parseCli(['smoke', '--board=all', '--verbose', '--no-build', '--json'])).toMatchObject({
      command: 'smoke',
      board: 'all',
      verbose: true,
      noBuild: true,
      json: true,
    });
    expect(parseCli(['check', '--board', 'all'])).toMatchObject({ command: 'check', board: 'all' });
  });

  it('takes --verbose (-v) for build as for smoke and bench', () => {
    expect(parseCli(['build', '--board', 'qemu-arm64'])).toMatchObject({ command: 'build', verbose: false });
    expect(parseCli(['build', '--board', 'qemu-arm64', '--verbose'])).toMatchObject({ command: 'build', board: 'qemu-arm64', verbose: true, json: false });
    expect(parseCli(['build', '-v', '--board', 'all', '--kernel', 'trixie'])).toMatchObject({ board: 'all', kernel: 'trixie', verbose: true });
    expect(parseCli(['smoke', '-v', '--board', 'all'])).toMatchObject({ verbose: true });
    expect(parseCli(['bench', '--verbose', '--board', 'qemu-x86_64'])).toMatchObject({ verbose: true });
  });

  it("build --verbose echoes make's lines, never into --json's output", () => {
    const lines: string[] = [];
    const io = { out: (s: string) => lines.push(s) };
    makeEcho(parseCli(['build', '--board', 'x', '--verbose']), io)?.('  CC [M]  atemsys.o');
    expect(lines).toEqual(['  CC [M]  atemsys.o']);
    expect(makeEcho(parseCli(['build', '--board', 'x']), io)).toBeUndefined();
    expect(makeEcho(parseCli(['build', '--board', 'x', '--verbose', '--json']), io)).toBeUndefined();
  });

  it('handles help and version', () => {
    expect(parseCli(['--help'])).toMatchObject({ command: 'help' });
    expect(parseCli(['help', 'smoke'])).toMatchObject({ command: 'help', topic: 'smoke' });
    expect(parseCli(['smoke', '--help'])).toMatchObject({ command: 'smoke', help: true, topic: 'smoke' });
    expect(parseCli(['build', '-h'])).toMatchObject({ command: 'build', help: true });
    expect(parseCli(['--version'])).toMatchObject({ command: 'version' });
  });

  it.each([
    [['frob'], /unknown command "frob"$/],
    [['smoek', '--board', 'x'], /unknown command "smoek", did you mean "smoke"\?$/],
    [['help', 'smoek'], /unknown command "smoek", did you mean "smoke"\?$/],
    [[], /^no command given/],
    [['--board', 'x'], /expected a command before --board/],
    [['smoke', '--bogus'], /Unknown option '--bogus'/],
    [['boards', '--verbose'], /Unknown option '--verbose'/],
    [['build', '--board', 'x', '--verbose', '-v'], /^build: --verbose given more than once$/],
    [['boards', '--board', 'x'], /Unknown option '--board'/],
    [['build'], /--board <name\|all> is required/],
    [['smoke', '--board'], /argument missing|--board/],
    [['smoke', '--board', 'x', 'extra'], /unexpected argument "extra"/],
    [['smoke', '--board', 'x', '--kernel', 'Trixie'], /--kernel expects a series, suite or flavour/],
    [['smoke', '--board', 'x', '--kernel', 'trixie//amd64'], /--kernel expects a series, suite or flavour/],
    [['help', 'nope'], /unknown command "nope"/],
    [['build', '--board', 'a', '--board', 'b'], /--board given more than once .*--board all/],
    [['smoke', '--board', 'a', '--kernel', 'trixie', '--kernel', 'sid'], /--kernel given more than once/],
    [['smoke', '--board', 'a', '--json', '--json'], /^smoke: --json given more than once$/],
  ])('%j is a usage error', (argv, msg) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(msg);
  });

  it('parses the packaging commands', () => {
    expect(parseCli(['export'])).toMatchObject({ command: 'export', exportTargets: ['yocto', 'buildroot'], check: false });
    expect(parseCli(['export', 'buildroot', '--check', '--json'])).toMatchObject({ exportTargets: ['buildroot'], check: true, json: true });
    expect(
      parseFor(yocto, ['yocto', '--poky', '/p', '--machine', 'imx8mp-lpddr4-evk', '--layer', '/a', '--layer', '/b', '--conf', 'X = "1"', '--board', 'imx8', '--offline', '--parse-only']).yocto,
    ).toEqual({
      tree: '/p',
      machine: 'imx8mp-lpddr4-evk',
      layers: ['/a', '/b'],
      board: 'imx8',
      target: 'core-image-minimal',
      conf: ['X = "1"'],
      offline: true,
      mode: 'parse',
    });
    expect(parseFor(yocto, ['yocto', '--poky', '/p', '--machine', 'm', '--check-layer', '--bitbake', '/bb', '--build-dir', '/b']).yocto).toMatchObject({
      mode: 'check-layer',
      bitbake: '/bb',
      buildDir: '/b',
    });
    expect(parseFor(buildroot, ['buildroot', '--buildroot', '/br', '--defconfig', 'atemsys_imx8mpevk_defconfig', '--configure-only', '--check-package']).buildroot).toEqual({
      tree: '/br',
      defconfig: 'atemsys_imx8mpevk_defconfig',
      configureOnly: true,
      checkPackage: true,
    });
    expect(parseCli(['package', 'deb', '--out', '/o'])).toMatchObject({ command: 'package', out: '/o' });
  });

  it.each([
    [['export', 'rpm'], /unexpected argument "rpm" \(expected yocto or buildroot\)/],
    [['yocto', '--machine', 'm'], /yocto: --poky <dir> is required/],
    [['yocto', '--poky', '/p'], /yocto: --machine <machine> is required/],
    [['yocto', '--poky', '/p', '--machine', 'a b'], /--machine expects a machine name/],
    [['yocto', '--poky', '/p', '--machine', 'm', '--parse-only', '--check-layer'], /exclude each other/],
    [['buildroot', '--buildroot', '/br'], /--defconfig <name> is required/],
    [['buildroot', '--buildroot', '/br', '--defconfig', 'imx8'], /expects a name like atemsys_qemu_aarch64_virt_defconfig/],
    [['package'], /say which package/],
    [['package', 'rpm'], /unexpected argument "rpm" \(expected deb\)/],
  ])('%j is a usage error', (argv, msg) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(msg);
  });

  it('has usage text for every command', () => {
    for (const c of ['boards', 'build', 'smoke', 'bench', 'check', 'export', 'yocto', 'buildroot', 'package'] as const) expect(usage(c)).toMatch(new RegExp(`^usage: orchestrate ${c}`));
    expect(usage()).toContain('Exit codes: 0 ok, 1 a build, boot or test failed, 2 usage or configuration error, 130 interrupted.');
  });
});

describe('selectKernels', () => {
  const p: Profile = {
    name: 'qemu-x86_64',
    description: 'd',
    arch: 'x86_64',
    kernels: [
      { suite: 'bookworm', series: '6.1', flavour: 'amd64' },
      { suite: 'bookworm-backports', series: '6.12', flavour: 'amd64' },
    ],
    modules: [],
    selftest: { args: [] },
    file: '/b/qemu-x86_64.yaml',
  };
  it('returns all kernels or those of the requested series, suite or flavour', () => {
    expect(selectKernels(p, undefined)).toHaveLength(2);
    expect(selectKernels(p, '6.12')).toEqual([{ suite: 'bookworm-backports', series: '6.12', flavour: 'amd64' }]);
    expect(selectKernels(p, 'bookworm')).toEqual([{ suite: 'bookworm', series: '6.1', flavour: 'amd64' }]);
    expect(selectKernels(p, 'bookworm-backports/amd64')).toHaveLength(1);
    expect(selectKernels(p, 'amd64')).toHaveLength(2);
  });
  it("adds --extra-groups after a kernel's own groups and sets --timeout on every selected kernel", () => {
    const withFuzz: Profile = { ...p, kernels: [{ suite: 'bookworm', series: '6.1', flavour: 'amd64', extraGroups: ['fuzz'] }] };
    expect(selectKernels(withFuzz, undefined, undefined, { extraGroups: ['ll', 'fuzz'], timeout: 900 })).toEqual([
      { suite: 'bookworm', series: '6.1', flavour: 'amd64', extraGroups: ['fuzz', 'll'], timeout: 900 },
    ]);
    expect(selectKernels(p, 'bookworm', undefined, {})).toEqual([{ suite: 'bookworm', series: '6.1', flavour: 'amd64' }]);
    expect(selectKernels(p, undefined, { build: '/k/build' }, { extraGroups: ['fuzz'] })).toEqual([{ suite: 'own', series: 'own', flavour: 'own', own: { build: '/k/build' }, extraGroups: ['fuzz'] }]);
  });
  it('rejects a filter no kernel of the board matches', () => {
    expect(() => selectKernels(p, '5.10')).toThrow('board qemu-x86_64 has no kernel matching 5.10 (it has: bookworm/6.1/amd64, bookworm-backports/6.12/amd64)');
    expect(() => selectKernels(p, 'bookworm/6.12')).toThrow(/no kernel matching bookworm\/6\.12/);
  });
});

describe('build-only boards', () => {
  const base = { description: 'd', arch: 'arm64' as const, kernels: [{ suite: 'bookworm', series: '6.1', flavour: 'arm64' }], modules: [], selftest: { args: [] } };
  const qemu = { binary: 'qemu-system-aarch64', machine: 'virt', memory: 512, console: 'ttyAMA0', append: '', shutdown: 'poweroff' as const, devices: [], args: [], timeout: 60 };
  const boards: Profile[] = [
    { ...base, name: 'imx8', qemu, file: '/b/imx8.yaml' },
    { ...base, name: 'rpi4', buildOnly: 'no GENET in QEMU', file: '/b/rpi4.yaml' },
  ];

  it('smoke runs the boards with a qemu section and lists the others with their reason', () => {
    const sel = partitionBoards(boards, true);
    expect(sel.run.map((p) => p.name)).toEqual(['imx8']);
    expect(sel.buildOnly).toEqual([{ board: 'rpi4', reason: 'no GENET in QEMU' }]);
    expect(buildOnlyLines(sel.buildOnly)).toEqual(['not smoke-tested (build only):', '  rpi4: no GENET in QEMU']);
    expect(buildOnlyLines([])).toEqual([]);
  });

  it('build and check take every board', () => {
    const sel = partitionBoards(boards, false);
    expect(sel.run.map((p) => p.name)).toEqual(['imx8', 'rpi4']);
    expect(sel.buildOnly).toEqual([]);
  });

  it('--board all --kernel <filter> leaves out the boards without such a kernel', () => {
    const mixed: Profile[] = [
      {
        ...base,
        name: 'imx8',
        qemu,
        file: '/b/imx8.yaml',
        kernels: [
          { suite: 'bookworm', series: '6.1', flavour: 'arm64' },
          { suite: 'trixie', series: '6.12', flavour: 'arm64' },
        ],
      },
      { ...base, name: 'old', qemu, file: '/b/old.yaml' },
    ];
    expect(boardsWithKernel(mixed, 'trixie').map((p) => p.name)).toEqual(['imx8']);
    expect(boardsWithKernel(mixed, undefined).map((p) => p.name)).toEqual(['imx8', 'old']);
    expect(() => boardsWithKernel(mixed, 'sid')).toThrow(UsageError);
    expect(() => boardsWithKernel(mixed, 'sid')).toThrow('no board has a kernel matching sid');
  });
});

describe('claimRelease (check builds each kernel release once)', () => {
  it('lets the first board claim a release and names it to the others', () => {
    const seen = new Map<string, string>();
    expect(claimRelease(seen, '6.1.0-56-arm64', 'imx8')).toBeUndefined();
    expect(claimRelease(seen, '6.1.0-56-arm64', 'qemu-arm64')).toBe('imx8');
    expect(claimRelease(seen, '6.1.0-56-arm64', 'rpi4')).toBe('imx8');
    expect(claimRelease(seen, '6.1.0-50-armmp', 'qemu-armhf')).toBeUndefined();
  });
});

describe('bench', () => {
  it('parses its options', () => {
    expect(parseCli(['bench', '--board', 'qemu-x86_64', '--quick', '--module', '/x/atemsys.ko', '--json', '--kernel', '6.12', '--no-build', '-v'])).toMatchObject({
      command: 'bench',
      board: 'qemu-x86_64',
      kernel: '6.12',
      quick: true,
      module: '/x/atemsys.ko',
      json: true,
      noBuild: true,
      verbose: true,
    });
    expect(parseCli(['bench', '--board', 'all'])).toMatchObject({ command: 'bench', board: 'all', quick: false });
    expect(parseFor(bench, ['bench', '--board', 'all']).module).toBeUndefined();
    expect(usage('bench')).toContain('--module <atemsys.ko>');
  });

  it.each([
    [['bench'], /bench: --board <name\|all> is required/],
    [['bench', '--board', 'all', '--module', 'a.ko'], /--module needs one board/],
    [['bench', '--board', 'x', '--module', ' '], /--module needs a file/],
    [['bench', '--board', 'x', '--runs', '3'], /Unknown option '--runs'/],
  ])('%j is a usage error', (argv, msg) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(msg);
  });

  const base = { description: 'd', arch: 'arm64' as const, kernels: [{ suite: 'bookworm', series: '6.1', flavour: 'arm64' }], modules: [], selftest: { args: [] } };
  const qemu = { binary: 'qemu-system-aarch64', machine: 'virt', memory: 512, console: 'ttyAMA0', append: '', shutdown: 'poweroff' as const, devices: [], args: [], timeout: 60 };
  const pci: Profile = { ...base, name: 'qemu-arm64', qemu, file: '/b/qemu-arm64.yaml' };
  const dt: Profile = { ...base, name: 'imx8', qemu, dt: { base: 'x.dtb', nodes: [] }, file: '/b/imx8.yaml' };

  it('runs every booted board; a device-tree board needs its baseline driver', () => {
    const dtWithDriver: Profile = { ...dt, bench: { baselineDriver: 'fec' } };
    expect(benchBoards([pci, dtWithDriver], true).map((p) => p.name)).toEqual(['qemu-arm64', 'imx8']);
    expect(benchBoards([pci], false).map((p) => p.name)).toEqual(['qemu-arm64']);
    expect(() => benchBoards([dt], false)).toThrow(ConfigError);
    expect(() => benchBoards([pci, dt], true)).toThrow(/imx8 is a device-tree board without bench.baseline-driver/);
  });
});
