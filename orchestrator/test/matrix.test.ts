/** The compile matrix: its data, the pure choices and the report. */
import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli.ts';
import { matrix } from '../src/commands/matrix.ts';
import { parseFor } from './parsefor.ts';
import { cellOf, checkFlags, kbuildVars, prepareRecipe, type ResolvedSource } from '../src/kernel/kernelsrc.ts';
import { MATRIX_ARCHES, MATRIX_SUITES, matrixTable, missingObjects, newestSourceSeries, versionInSuite } from '../src/kernel/matrix.ts';

const madison = [
  { name: 'linux-source-6.12', version: '6.12.107-1', origin: 'http://mirror/debian trixie/main amd64 Packages' },
  { name: 'linux-source-6.12', version: '6.12.117-1', origin: 'http://mirror/debian trixie/main amd64 Packages' },
  { name: 'linux-source-6.12', version: '6.12.48-1~bpo12+1', origin: 'http://mirror/debian bookworm-backports/main amd64 Packages' },
  { name: 'sparse', version: '0.6.5~rc1-2', origin: 'http://mirror/debian sid/main Sources' },
];

describe('the matrix as data', () => {
  it('runs from 5.10 (bullseye) to sid, on the three architectures', () => {
    expect(MATRIX_SUITES.map((s) => `${s.suite}:${s.series}`)).toEqual(['bullseye:5.10', 'bookworm:6.1', 'trixie:6.12', 'sid:newest']);
    expect(MATRIX_ARCHES).toEqual(['x86_64', 'arm64', 'armhf']);
  });
});

describe('choosing sources', () => {
  it('takes the newest linux-source-X.Y by version, not by text', () => {
    expect(newestSourceSeries(['linux-source-6.9', 'linux-source-7.2', 'linux-source-6.12', 'linux-source', 'linux-source-7.10-rt'])).toBe('7.2');
    expect(newestSourceSeries(['linux-source-7.9', 'linux-source-7.10'])).toBe('7.10');
    expect(newestSourceSeries(['linux-image-amd64'])).toBeUndefined();
  });
  it('takes the version a suite itself carries (not its backports), the newest of them', () => {
    expect(versionInSuite(madison, 'linux-source-6.12', 'trixie')).toBe('6.12.117-1');
    expect(versionInSuite(madison, 'linux-source-6.12', 'bookworm')).toBeUndefined();
    expect(versionInSuite(madison, 'linux-source-6.12', 'bookworm-backports')).toBe('6.12.48-1~bpo12+1');
    expect(versionInSuite(madison, 'sparse', 'sid')).toBe('0.6.5~rc1-2');
  });
});

describe('preparing and building', () => {
  it('gives kbuild the architecture and cross compiler, sparse its flags', () => {
    expect(kbuildVars('armhf')).toEqual(['ARCH=arm', 'CROSS_COMPILE=arm-linux-gnueabihf-']);
    expect(kbuildVars('arm64')[0]).toBe('ARCH=arm64');
    expect(checkFlags('armhf')).toEqual(['--arch=arm', '-mlittle-endian', '-m32']);
    expect(checkFlags('x86_64')).toEqual(['--arch=x86', '-mlittle-endian', '-m64']);
  });
  it('prepares again when the version or the recipe changes', () => {
    expect(prepareRecipe('arm64', '7.2.13-1')).not.toBe(prepareRecipe('arm64', '7.2.14-1'));
    expect(prepareRecipe('arm64', '7.2.13-1')).toContain('OF_MDIO');
    expect(prepareRecipe('x86_64', '5.10.223-1')).toContain('x86_64_defconfig');
  });
  it('needs every object of the module, the device-tree and PHY parts too', () => {
    expect(missingObjects(['atemsys_main.o', 'atemsys_owner.o', 'atemsys_pci.o', 'atemsys_mmap.o', 'atemsys_dma.o', 'atemsys_irq.o'])).toEqual(['atemsys_dt.o', 'atemsys_iomem.o', 'atemsys_mdio.o']);
  });
});

describe('the report', () => {
  const r: ResolvedSource = { suite: 'sid', label: 'sid', series: '7.2', package: 'linux-source-7.2', version: '7.2.13-1' };
  it('marks a cell clean, with warnings, or failed', () => {
    expect(cellOf(r, 'arm64', { warnings: [] }, 'sparse', 10).status).toBe('clean');
    expect(cellOf(r, 'arm64', { warnings: ['a.c:1:2: warning: x'] }, 'sparse', 10).status).toBe('warnings');
    expect(cellOf(r, 'arm64', { warnings: [], error: 'make exited 2' }, 'sparse', 10)).toMatchObject({ status: 'failed', error: 'make exited 2' });
  });
  it('prints a row per kernel and a column per architecture', () => {
    const cells = [
      cellOf(r, 'x86_64', { warnings: [] }, 's', 1),
      cellOf(r, 'arm64', { warnings: ['w1', 'w2'] }, 's', 1),
      cellOf({ ...r, suite: 'bullseye', label: 'Debian 11', series: '5.10', package: 'linux-source-5.10', version: '5.10.223-1' }, 'armhf', { warnings: [], error: 'x' }, 's', 1),
    ];
    const lines = matrixTable(cells).split('\n');
    expect(lines[0]).toMatch(/^kernel \(W=1 \+ sparse\) +\| x86_64 +\| arm64 +\| armhf$/);
    expect(lines.find((l) => l.startsWith('sid: linux-source-7.2 7.2.13-1'))).toMatch(/\| clean +\| 2 warnings \| -$/);
    expect(lines.find((l) => l.startsWith('Debian 11'))).toMatch(/\| - +\| - +\| FAILED$/);
  });
});

describe('orchestrate matrix options', () => {
  it('takes --suite and --arch lists and refuses unknown ones', () => {
    const o = parseFor(matrix, ['matrix', '--suite', 'bullseye,sid', '--arch', 'armhf']);
    expect(o.suites).toEqual(['bullseye', 'sid']);
    expect(o.arches).toEqual(['armhf']);
    expect(() => parseCli(['matrix', '--suite', 'buster'])).toThrow(/--suite expects bullseye, bookworm, trixie, sid/);
    expect(() => parseCli(['matrix', '--arch', 'riscv64'])).toThrow(/--arch expects x86_64, arm64, armhf/);
  });
});
