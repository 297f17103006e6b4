import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { compareExport, exportFiles, overlayName, yoctoBoardConf, GENERATED_MARK, type ExportedFile } from '../src/packaging/export.ts';
import { exportDrift } from '../src/packaging/exportio.ts';
import { REPO_ROOT } from '../src/core/paths.ts';
import { loadAllProfiles, type Profile } from '../src/profile/profile.ts';

const board = (name: string, base: string, extra: Partial<Profile> = {}): Profile => ({
  name,
  description: 'd',
  arch: 'arm64',
  kernels: [{ suite: 'bookworm', series: '6.1', flavour: 'arm64' }],
  modules: [],
  selftest: { args: [] },
  file: `/b/${name}.yaml`,
  dt: { base, nodes: [{ path: '/soc/ethernet@1000', ident: 'FslFec', instance: 1, properties: [] }] },
  ...extra,
});

describe('export (pure)', () => {
  it('puts the overlay beside its base in the kernel tree', () => {
    expect(overlayName({ base: 'freescale/imx8mp-evk.dtb', nodes: [] })).toEqual({
      source: 'freescale/imx8mp-evk-atemsys.dtso',
      dtbo: 'freescale/imx8mp-evk-atemsys.dtbo',
      base: 'freescale/imx8mp-evk.dtb',
      merged: 'freescale/imx8mp-evk-atemsys.dtb',
    });
    // the Raspberry Pi firmware applies overlays/<name>.dtbo itself
    expect(overlayName({ base: 'broadcom/bcm2711-rpi-4-b.dtb', nodes: [] })).toEqual({
      source: 'overlays/bcm2711-rpi-4-b-atemsys.dtso',
      dtbo: 'overlays/bcm2711-rpi-4-b-atemsys.dtbo',
      base: 'broadcom/bcm2711-rpi-4-b.dtb',
      rpiOverlay: 'bcm2711-rpi-4-b-atemsys',
    });
    expect(overlayName({ base: 'imx6q-sabrelite.dtb', nodes: [] }).source).toBe('imx6q-sabrelite-atemsys.dtso');
  });

  it('writes the same overlay to the layer and the tree, and a fragment for the layer', () => {
    const files = exportFiles([board('b1', 'freescale/x.dtb'), board('plain', 'y.dtb', { dt: undefined })]);
    expect(files.map((f) => f.path)).toEqual([
      'br2-external/board/b1/dts/freescale/x-atemsys.dtso',
      'meta-atemsys/conf/atemsys/b1.inc',
      'meta-atemsys/recipes-kernel/linux/atemsys-dts/freescale/x-atemsys.dtso',
    ]);
    expect(files[0]?.content).toBe(files[2]?.content);
    expect(files[0]?.content).toContain('&{/soc/ethernet@1000} {');
    expect(files[1]?.content).toContain('KERNEL_DEVICETREE:append = " freescale/x-atemsys.dtbo freescale/x-atemsys.dtb"');
    expect(exportFiles([board('b1', 'freescale/x.dtb')], ['buildroot']).map((f) => f.target)).toEqual(['buildroot']);
  });

  it('refuses two boards on one base, and a phy-reset that needs the base DTB', () => {
    expect(() => exportFiles([board('a', 'x.dtb'), board('b', 'x.dtb')])).toThrow(/boards a and b would both write/);
    const reset = board('r', 'x.dtb', {
      dt: { base: 'x.dtb', nodes: [{ path: '/e', ident: 'FslFec', instance: 1, properties: [], phyReset: { gpios: ['/gpio@1', 2, 1] } }] },
    });
    expect(() => exportFiles([reset])).toThrow(ConfigError);
    expect(() => exportFiles([reset])).toThrow(/names the node \/gpio@1/);
    const numeric = board('n', 'x.dtb', {
      dt: { base: 'x.dtb', nodes: [{ path: '/e', ident: 'FslFec', instance: 1, properties: [], phyReset: { gpios: [12, 2, 1], duration: 10 } }] },
    });
    expect(exportFiles([numeric], ['yocto'])[1]?.content).toContain('atemsys-phy-reset-gpios = <12 2 1>;');
    expect(yoctoBoardConf(numeric, numeric.dt ?? { base: '', nodes: [] })).toContain('KERNEL_CLASSES:append = " atemsys-devicetree"');
  });

  it('finds missing, changed and stale generated files, and leaves hand-written ones alone', () => {
    const want: ExportedFile[] = [
      { path: 'a', content: 'A', target: 'yocto', board: 'x' },
      { path: 'b', content: 'B', target: 'yocto', board: 'x' },
    ];
    const disk = new Map([
      ['b', 'B2'],
      ['c', `// ${GENERATED_MARK} from boards/old.yaml`],
      ['d', 'hand-written'],
    ]);
    expect(compareExport(want, disk)).toEqual([
      { path: 'a', problem: 'missing' },
      { path: 'b', problem: 'differs' },
      { path: 'c', problem: 'stale' },
    ]);
  });
});

describe('the exported files in this repository', () => {
  it('are byte-identical to what `orchestrate export` generates from boards/', async () => {
    const files = exportFiles(await loadAllProfiles(path.join(REPO_ROOT, 'boards'), REPO_ROOT));
    expect(files.length).toBeGreaterThan(0);
    expect(await exportDrift(REPO_ROOT, files, ['yocto', 'buildroot'])).toEqual([]);
  });

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'atemsys-export-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it('compile with dtc, one fragment per profile node, targeted by path', async () => {
    const profiles = await loadAllProfiles(path.join(REPO_ROOT, 'boards'), REPO_ROOT);
    const overlays = exportFiles(profiles, ['yocto']).filter((f) => f.path.endsWith('.dtso'));
    expect(overlays.map((f) => f.board).sort()).toEqual(
      profiles
        .filter((p) => p.dt)
        .map((p) => p.name)
        .sort(),
    );
    for (const f of overlays) {
      const dtbo = path.join(tmp, `${f.board}.dtbo`);
      execFileSync('dtc', ['-@', '-I', 'dts', '-O', 'dtb', '-o', dtbo, path.join(REPO_ROOT, f.path)], { stdio: 'pipe' });
      const nodes = profiles.find((p) => p.name === f.board)?.dt?.nodes ?? [];
      nodes.forEach((n, i) => {
        const get = (node: string, prop: string): string => execFileSync('fdtget', [dtbo, node, prop], { encoding: 'utf8' }).trim();
        expect(get(`/fragment@${i}`, 'target-path'), f.path).toBe(n.path);
        expect(get(`/fragment@${i}/__overlay__`, 'compatible')).toBe('atemsys');
        expect(get(`/fragment@${i}/__overlay__`, 'atemsys-Ident')).toBe(n.ident);
      });
    }
  });
});
