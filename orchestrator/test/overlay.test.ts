import { describe, expect, it } from 'vitest';
import {
  atemsysOverlay,
  bootDtb,
  checkProblem,
  dtArtifactNames,
  dtArtifacts,
  dtsCells,
  dtsProperty,
  dtsString,
  overlayFile,
  propertyChecks,
  referencedPaths,
  resolveNodes,
  type ResolvedNode,
} from '../src/devicetree/overlay.ts';
import { checkProfileOverlay, overlayComplaint, profileOverlays } from '../src/devicetree/devicetree.ts';
import type { BenchSpec, QemuSpec } from '../src/profile/profile.ts';
import type { DtSpec } from '../src/profile/profiledt.ts';

const FEC: ResolvedNode = { path: '/soc@0/bus@30800000/ethernet@30be0000', ident: 'FslFec', instance: 1, properties: [] };

describe('DTS literals', () => {
  it('escapes strings and writes cells in decimal, large ones in hex', () => {
    expect(dtsString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(dtsCells([0, 22, 65535, 65536, 0x30be0000, 0xffffffff])).toBe('<0 22 65535 0x10000 0x30be0000 0xffffffff>');
    expect(() => dtsCells([-1])).toThrow(RangeError);
    expect(() => dtsCells([2 ** 32])).toThrow(RangeError);
  });

  it('writes each kind of property', () => {
    expect(dtsProperty('status', 'okay')).toBe('status = "okay";');
    expect(dtsProperty('atemsys-Instance', 1)).toBe('atemsys-Instance = <1>;');
    expect(dtsProperty('phy-reset-gpios', [86, 2, 1])).toBe('phy-reset-gpios = <86 2 1>;');
    expect(dtsProperty('phy-reset-active-high', true)).toBe('phy-reset-active-high;');
  });
});

describe('atemsysOverlay', () => {
  it('targets each node by path in a /plugin/ source (the base DTBs have no __symbols__)', () => {
    expect(atemsysOverlay([FEC], ['Generated for imx8.'])).toBe(`// SPDX-License-Identifier: GPL-2.0
// Generated for imx8.
/dts-v1/;
/plugin/;

&{/soc@0/bus@30800000/ethernet@30be0000} {
\tcompatible = "atemsys";
\tatemsys-Ident = "FslFec";
\tatemsys-Instance = <1>;
};
`);
  });

  it('adds the PHY reset and the extra properties, in order, one fragment per node', () => {
    const gem: ResolvedNode = {
      path: '/axi/ethernet@ff0e0000',
      ident: 'GEM',
      instance: 2,
      phyReset: { gpios: [86, 2, 1], duration: 10, postDelay: 0, activeHigh: false },
      properties: [{ name: 'status', value: 'okay' }],
    };
    const s = atemsysOverlay([FEC, gem]);
    expect(s).toContain(
      '&{/axi/ethernet@ff0e0000} {\n\tcompatible = "atemsys";\n\tatemsys-Ident = "GEM";\n\tatemsys-Instance = <2>;\n' +
        '\tatemsys-phy-reset-gpios = <86 2 1>;\n\tatemsys-phy-reset-duration = <10>;\n\tatemsys-phy-reset-post-delay = <0>;\n\tstatus = "okay";\n};\n',
    );
    expect(s).not.toContain('phy-reset-active-high');
    expect(s).not.toMatch(/^\tphy-reset-gpios/m);
    expect(s.indexOf('ethernet@30be0000')).toBeLessThan(s.indexOf('ethernet@ff0e0000'));
    expect(s.match(/^&\{/gm)).toHaveLength(2);
  });

  it('wraps a raw body (qemu.dt-overlay) with the same header', () => {
    expect(overlayFile([], '&{/} { x; };\n\n')).toBe('// SPDX-License-Identifier: GPL-2.0\n/dts-v1/;\n/plugin/;\n\n&{/} { x; };\n');
  });
});

describe('phandle cells', () => {
  const spec: DtSpec = {
    base: 'freescale/imx8mp-evk.dtb',
    nodes: [
      { ...FEC, phyReset: { gpios: ['/soc@0/bus@30000000/gpio@30240000', 2, 1], duration: 10 } },
      { path: '/x/ethernet@1', ident: 'FslFec', instance: 2, properties: [] },
    ],
  };
  it('lists the node paths to look up and replaces them by their phandles', () => {
    expect(referencedPaths(spec)).toEqual(['/soc@0/bus@30000000/gpio@30240000']);
    const nodes = resolveNodes(spec, new Map([['/soc@0/bus@30000000/gpio@30240000', 86]]));
    expect(nodes[0]?.phyReset).toEqual({ gpios: [86, 2, 1], duration: 10 });
    expect(nodes[1]).toEqual({ path: '/x/ethernet@1', ident: 'FslFec', instance: 2, properties: [] });
    expect(() => resolveNodes(spec, new Map())).toThrow('no phandle for /soc@0/bus@30000000/gpio@30240000');
  });
});

describe('checks of the patched DTB', () => {
  it('asks fdtget for every property the overlay set, with the right type', () => {
    const n: ResolvedNode = { ...FEC, phyReset: { gpios: [86, 2, 1], activeHigh: true }, properties: [{ name: 'status', value: 'okay' }] };
    expect(propertyChecks(n).map((c) => [c.name, c.type, c.expect])).toEqual([
      ['compatible', 's', 'atemsys'],
      ['atemsys-Ident', 's', 'FslFec'],
      ['atemsys-Instance', 'u', '1'],
      ['atemsys-phy-reset-gpios', 'u', '86 2 1'],
      ['atemsys-phy-reset-active-high', 'x', ''],
      ['status', 's', 'okay'],
    ]);
  });

  it('compares fdtget output and says what is wrong', () => {
    const [compat] = propertyChecks(FEC);
    if (!compat) throw new Error('no check');
    expect(checkProblem(compat, { exitCode: 0, stdout: 'atemsys\n', stderr: '' })).toBeNull();
    expect(checkProblem(compat, { exitCode: 0, stdout: 'fsl,imx8mp-fec fsl,imx8mq-fec\n', stderr: '' })).toBe(
      '/soc@0/bus@30800000/ethernet@30be0000: compatible is "fsl,imx8mp-fec fsl,imx8mq-fec", expected "atemsys"',
    );
    expect(checkProblem(compat, { exitCode: 1, stdout: '', stderr: "Error at 'compatible': FDT_ERR_NOTFOUND\n" })).toBe(
      "/soc@0/bus@30800000/ethernet@30be0000: compatible is missing (Error at 'compatible': FDT_ERR_NOTFOUND)",
    );
  });
});

describe('DT artifacts', () => {
  const spec: DtSpec = { base: 'xilinx/zynqmp-zcu102-rev1.0.dtb', nodes: [] };
  it('names the overlay and the patched DTB after the base, plus the QEMU-only ones', () => {
    const a = dtArtifacts(spec, false);
    expect(dtArtifactNames(a)).toEqual(['atemsys.dtso', 'atemsys.dtbo', 'zynqmp-zcu102-rev1.0-atemsys.dtb']);
    expect(bootDtb(a)).toBe('zynqmp-zcu102-rev1.0-atemsys.dtb');
    const q = dtArtifacts(spec, true);
    expect(dtArtifactNames(q)).toEqual(['atemsys.dtso', 'atemsys.dtbo', 'zynqmp-zcu102-rev1.0-atemsys.dtb', 'qemu-fixups.dtso', 'qemu-fixups.dtbo', 'zynqmp-zcu102-rev1.0-atemsys-qemu.dtb']);
    expect(bootDtb(q)).toBe('zynqmp-zcu102-rev1.0-atemsys-qemu.dtb');
    expect(dtArtifactNames(undefined)).toEqual([]);
  });
});

describe("a profile's own overlays, compiled with dtc", () => {
  it('lists qemu.dt-overlay (each series) and bench.stock-overlay by field', () => {
    expect(profileOverlays({ qemu: undefined })).toEqual([]);
    const q = { dtOverlay: { '6.1': 'a', '6.12': 'b' } } as unknown as QemuSpec;
    expect(profileOverlays({ qemu: q, bench: { stockOverlay: 'c' } as BenchSpec }).map((o) => o.field)).toEqual(['qemu.dt-overlay["6.1"]', 'qemu.dt-overlay["6.12"]', 'bench.stock-overlay']);
  });

  it("names the profile and field and counts dtc's lines from the overlay's first line", () => {
    const o = { field: 'qemu.dt-overlay', body: '&{/} {\n\tx = <1>\n};' };
    const text = overlayFile(['c'], o.body);
    expect(overlayComplaint('boards/b.yaml', o, text, '/t/q.dtso', 'Error: /t/q.dtso:8.1-2 syntax error\nFATAL ERROR: Unable to parse input tree\n')).toBe(
      'boards/b.yaml: qemu.dt-overlay: dtc cannot compile it:\n  line 3 of the overlay: syntax error\n  FATAL ERROR: Unable to parse input tree',
    );
    // with the profile's line of the body: the profile's lines
    expect(overlayComplaint('boards/b.yaml', { ...o, line: 43 }, text, '/t/q.dtso', 'Error: /t/q.dtso:8.1-2 syntax error\n')).toBe(
      'boards/b.yaml:43: qemu.dt-overlay: dtc cannot compile it:\n  boards/b.yaml:45: syntax error',
    );
  });

  it('accepts a good overlay and refuses a syntax error or a property set twice (real dtc)', async () => {
    expect(await checkProfileOverlay('boards/b.yaml', { field: 'qemu.dt-overlay', body: '&{/soc/mdio/phy} {\n\treg = <6>;\n};\n' })).toBeNull();
    expect(await checkProfileOverlay('boards/b.yaml', { field: 'qemu.dt-overlay', body: '&{/soc} {\n\treg = <6>\n};\n' })).toMatch(
      /^boards\/b.yaml: qemu.dt-overlay: dtc cannot compile it:\n {2}line 3 of the overlay: syntax error/,
    );
    expect(await checkProfileOverlay('boards/b.yaml', { field: 'bench.stock-overlay', body: '&{/soc} {\n\tstatus = "okay";\n\tstatus = "x";\n};\n' })).toMatch(
      /^boards\/b.yaml: bench.stock-overlay: dtc cannot compile it:\n {2}line 2 of the overlay: ERROR \(duplicate_property_names\)/,
    );
    // dtc takes a label it cannot resolve as a fixup; fdtoverlay then fails on every Debian DTB
    expect(await checkProfileOverlay('boards/b.yaml', { field: 'qemu.dt-overlay', body: '&{/soc} {\n\tclocks = <&clk 1>;\n};\n&gpio1 {\n\tstatus = "okay";\n};\n', line: 7 })).toBe(
      "boards/b.yaml:7: qemu.dt-overlay: refers to &clk, &gpio1, defined nowhere in it; Debian's DTBs carry no labels (__symbols__): target the base's nodes by path, &{/soc/...}",
    );
    // a label the overlay defines itself is fine
    expect(await checkProfileOverlay('boards/b.yaml', { field: 'qemu.dt-overlay', body: '&{/} {\n\tc: clk {\n\t\t#clock-cells = <0>;\n\t};\n};\n&{/soc} {\n\tclocks = <&c>;\n};\n' })).toBeNull();
  });
});
