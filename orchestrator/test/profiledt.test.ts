import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { overlayLines, parseProfile, qemuOverlayFor } from '../src/profile/profile.ts';

const DT = `name: demo
description: a DT board
arch: arm64
kernels:
  - {suite: bookworm, series: "6.1",
     flavour: arm64}
dt:
  base: freescale/imx8mp-evk.dtb
  nodes:
    - path: /soc@0/bus@30800000/ethernet@30be0000
      ident: FslFec
      instance: 1
      phy-reset:
        gpios: ["/soc@0/bus@30000000/gpio@30240000", 2, 1]
        duration: 10
        post-delay: 150
        active-high: true
      properties:
        status: okay
        atemsys-Mdio: 1
        atemsys-Cells: [1, 0x30be0000]
        atemsys-Flag: true
modules: [imx2_wdt, nvmem-imx-ocotp]
qemu:
  binary: qemu-system-aarch64
  machine: imx8mp-evk
  memory: 2048
  console: ttymxc1
  serial: ["null", "stdio"]
  shutdown: reboot
  dt-overlay: |
    &{/} { x; };
  timeout: 300
selftest:
  args: ["--group", "dt"]
`;

function errorOf(text: string): string {
  try {
    parseProfile(text, 'boards/demo.yaml', 'demo');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseProfile: device-tree boards', () => {
  it('reads the dt section, modules and the DT-board qemu fields', () => {
    const p = parseProfile(DT, 'boards/demo.yaml', 'demo');
    expect(p.dt).toEqual({
      base: 'freescale/imx8mp-evk.dtb',
      nodes: [
        {
          path: '/soc@0/bus@30800000/ethernet@30be0000',
          ident: 'FslFec',
          instance: 1,
          phyReset: { gpios: ['/soc@0/bus@30000000/gpio@30240000', 2, 1], duration: 10, postDelay: 150, activeHigh: true },
          properties: [
            { name: 'status', value: 'okay' },
            { name: 'atemsys-Mdio', value: 1 },
            { name: 'atemsys-Cells', value: [1, 0x30be0000] },
            { name: 'atemsys-Flag', value: true },
          ],
        },
      ],
    });
    expect(p.modules).toEqual(['imx2_wdt', 'nvmem-imx-ocotp']);
    expect(p.qemu).toMatchObject({ serial: ['null', 'stdio'], shutdown: 'reboot', dtOverlay: '&{/} { x; };\n' });
    expect(p.qemu?.cpu).toBeUndefined();
    expect(p.qemu?.smp).toBeUndefined();
  });

  it('needs only path, ident and instance per node', () => {
    const p = parseProfile(DT.replace(/ {6}phy-reset:\n( {8}.*\n)+ {6}properties:\n( {8}.*\n)+/, ''), 'f', 'demo');
    expect(p.dt?.nodes).toEqual([{ path: '/soc@0/bus@30800000/ethernet@30be0000', ident: 'FslFec', instance: 1, properties: [] }]);
  });

  it.each([
    ['base: freescale/imx8mp-evk.dtb', 'base: /boot/x.dtb', ':8: dt.base: expected a .dtb path relative to usr/lib/linux-image-<release>/'],
    ['base: freescale/imx8mp-evk.dtb', 'base: ../x.dtb', ':8: dt.base: expected a .dtb path'],
    ['base: freescale/imx8mp-evk.dtb', 'base: freescale/imx8mp-evk.dts', ':8: dt.base: expected a .dtb path'],
    ['path: /soc@0/bus@30800000/ethernet@30be0000', 'path: soc/ethernet', ':10: dt.nodes[0].path: expected an absolute node path'],
    ['ident: FslFec', `ident: ${'X'.repeat(32)}`, ':11: dt.nodes[0].ident: expected at most 31 characters, got 32'],
    ['ident: FslFec', 'ident: "Fsl Fec"', ':11: dt.nodes[0].ident: expected an identifier like "FslFec", got "Fsl Fec"'],
    ['instance: 1', 'instance: -1', ':12: dt.nodes[0].instance: expected an integer from 0 to 0xffffffff, got -1'],
    ['instance: 1', 'instance: 4294967296', ':12: dt.nodes[0].instance: expected an integer from 0 to 0xffffffff'],
    ['instance: 1', 'instance: "1"', ':12: dt.nodes[0].instance: expected an integer from 0 to 0xffffffff, got "1"'],
    ['gpios: ["/soc@0/bus@30000000/gpio@30240000", 2, 1]', 'gpios: [gpio4, 2, 1]', ':14: dt.nodes[0].phy-reset.gpios[0]: expected a u32 or the absolute path of a node'],
    ['gpios: ["/soc@0/bus@30000000/gpio@30240000", 2, 1]', 'gpios: []', ':14: dt.nodes[0].phy-reset.gpios: expected a non-empty list of cells'],
    ['duration: 10', 'duration: 1.5', ':15: dt.nodes[0].phy-reset.duration: expected an integer'],
    ['active-high: true', 'active-high: yes', ':17: dt.nodes[0].phy-reset.active-high: expected true or false, got "yes"'],
    ['        post-delay: 150\n', '        post_delay: 150\n', ':16: dt.nodes[0].phy-reset.post_delay: unknown key'],
    ['status: okay', 'compatible: okay', ':19: dt.nodes[0].properties.compatible: set by ident/instance, not here'],
    ['status: okay', 'atemsys-phy-reset-duration: 3', ':19: dt.nodes[0].properties.atemsys-phy-reset-duration: set by phy-reset, not here'],
    ['atemsys-Flag: true', 'atemsys-Flag: false', ':22: dt.nodes[0].properties.atemsys-Flag: an overlay cannot delete a property'],
    ['atemsys-Cells: [1, 0x30be0000]', 'atemsys-Cells: [1, x]', ':21: dt.nodes[0].properties.atemsys-Cells[1]: expected an integer'],
    ['atemsys-Mdio: 1', 'atemsys Mdio: 1', ':20: dt.nodes[0].properties.atemsys Mdio: expected a device-tree property name'],
    ['modules: [imx2_wdt, nvmem-imx-ocotp]', 'modules: [imx2_wdt.ko]', ':23: modules[0]: expected a module name like "imx2_wdt"'],
  ])('%s -> %s is reported with its line', (from, to, msg) => {
    expect(DT).toContain(from);
    expect(errorOf(DT.replace(from, to))).toContain(`boards/demo.yaml${msg}`);
  });

  it('rejects a dt section without nodes, or with the same node or ident/instance twice', () => {
    expect(errorOf(DT.replace(/ {2}nodes:\n( {4}.*\n)+modules/, '  nodes: []\nmodules'))).toContain(':9: dt.nodes: expected a non-empty list of nodes, got a list');
    expect(errorOf(DT.replace('  base: freescale/imx8mp-evk.dtb\n', ''))).toContain(':8: dt.base: required field is missing');
    const twice = DT.replace('modules:', '    - path: /soc@0/bus@30800000/ethernet@30be0000\n      ident: FslFec\n      instance: 1\nmodules:');
    const msg = errorOf(twice);
    expect(msg).toContain(':23: dt.nodes[1]: node /soc@0/bus@30800000/ethernet@30be0000 is already dt.nodes[0]');
    expect(msg).toContain(':23: dt.nodes[1]: FslFec instance 1 is already dt.nodes[0]');
  });

  it('checks the serial backends, the shutdown and that dt-overlay has a dt section', () => {
    expect(errorOf(DT.replace('serial: ["null", "stdio"]', 'serial: ["null", "null"]'))).toContain(':29: qemu.serial: exactly one backend must be stdio or mon:stdio');
    expect(errorOf(DT.replace('serial: ["null", "stdio"]', 'serial: ["file:/tmp/x", "stdio"]'))).toContain(':29: qemu.serial[0]: expected a -serial backend');
    expect(errorOf(DT.replace('shutdown: reboot', 'shutdown: halt'))).toContain(':30: qemu.shutdown: expected one of poweroff, reboot, got "halt"');
    expect(errorOf(DT.replace(/dt:\n( {2}.*\n)+modules/, 'modules'))).toContain('qemu.dt-overlay: needs a dt section');
  });

  const BY_SERIES = '  dt-overlay:\n    "6.12": |\n      &{/} { y; };\n    "6.1": |\n      &{/} { x; };\n';
  it('gives each kernel series the overlay of the highest series at or below it', () => {
    const q = parseProfile(DT.replace(/ {2}dt-overlay: \|\n.*\n/, BY_SERIES), 'f', 'demo').qemu;
    expect(qemuOverlayFor(q, '6.1')).toContain('x;');
    expect(qemuOverlayFor(q, '6.11')).toContain('x;');
    expect(qemuOverlayFor(q, '6.12')).toContain('y;');
    expect(qemuOverlayFor(q, '7.2')).toContain('y;');
    expect(() => qemuOverlayFor(q, '5.10')).toThrow(/no overlay for kernel series 5.10 \(it has 6.12, 6.1\): add one for 5.10 or older/);
    expect(qemuOverlayFor(parseProfile(DT, 'f', 'demo').qemu, '5.10')).toContain('x;');
  });

  it('reads unquoted series keys as written: 6.10 is not 6.1', () => {
    const keys = DT.replace(/ {2}dt-overlay: \|\n.*\n/, '  dt-overlay:\n    6.10: |\n      &{/} { z; };\n    6.1: |\n      &{/} { x; };\n');
    const q = parseProfile(keys, 'f', 'demo').qemu;
    expect(Object.keys(q?.dtOverlay ?? {})).toEqual(['6.10', '6.1']);
    expect(qemuOverlayFor(q, '6.12')).toContain('z;');
    expect(qemuOverlayFor(q, '6.9')).toContain('x;');
    expect(errorOf(keys.replace('6.10:', '6.1:'))).toMatch(/YAML syntax error: Map keys must be unique/);
  });

  it("refuses a per-series dt-overlay that has nothing for one of the board's kernels", () => {
    const older = DT.replace(/ {2}dt-overlay: \|\n.*\n/, BY_SERIES).replace('series: "6.1"', 'series: "5.10"');
    expect(errorOf(older)).toContain(`:31: qemu.dt-overlay: has no overlay for kernels[0]'s series 5.10 (it has 6.12, 6.1): add one for 5.10 or older`);
    const newest = DT.replace(/ {2}dt-overlay: \|\n.*\n/, BY_SERIES).replace('{suite: bookworm, series: "6.1"', '{suite: sid, series: newest');
    expect(parseProfile(newest, 'f', 'demo').kernels[0]?.series).toBe('newest');
  });
});

describe('parseProfile: build-only boards', () => {
  const BASE = 'name: demo\ndescription: d\narch: arm64\nkernels:\n  - {suite: bookworm, series: "6.1", flavour: arm64}\n';
  it('requires a reason when there is no qemu section', () => {
    expect(errorOf(BASE)).toBe('boards/demo.yaml:1: build-only: required when there is no qemu section: say why the board cannot be booted in QEMU');
    expect(errorOf(`${BASE}build-only: ""\n`)).toBe('boards/demo.yaml:6: build-only: expected a non-empty string');
  });

  it('refuses build-only beside a qemu section', () => {
    const q = 'qemu:\n  binary: qemu-system-aarch64\n  machine: virt\n  memory: 512\n  console: ttyAMA0\n  timeout: 60\n';
    expect(errorOf(`${BASE}build-only: why\n${q}`)).toBe('boards/demo.yaml:6: build-only: a board with a qemu section is booted: remove build-only or the qemu section');
    expect(parseProfile(`${BASE}${q}`, 'f', 'demo').qemu).toMatchObject({ machine: 'virt', shutdown: 'poweroff' });
  });
});

describe("overlay bodies' lines in the profile", () => {
  it("gives the line of each body's first line, per series and for the bench overlay", () => {
    const text = 'name: x\nqemu:\n  dt-overlay:\n    6.10: |\n      &{/} { a; };\n    "6.1": |\n      &{/} { b; };\nbench:\n  stock-overlay: "&{/} { c; };"\n';
    expect([...overlayLines(text)]).toEqual([
      ['qemu.dt-overlay["6.10"]', 5],
      ['qemu.dt-overlay["6.1"]', 7],
      ['bench.stock-overlay', 9],
    ]);
    expect([...overlayLines('qemu:\n  dt-overlay: |\n    &{/} { a; };\n')]).toEqual([['qemu.dt-overlay', 3]]);
  });
});
