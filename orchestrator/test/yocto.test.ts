import { describe, expect, it } from 'vitest';
import { autoConf, bitbakeProgress, bitbakeVar, coreSeries, envScript, layerSeriesCompat, mayReplaceAutoConf, seriesProblem, yoctoSteps, type YoctoOptions } from '../src/packaging/yocto.ts';

const base: YoctoOptions = {
  tree: '/t/poky',
  machine: 'qemuarm64',
  buildDir: '/o/build',
  layer: '/r/meta-atemsys',
  extraLayers: [],
  target: 'core-image-minimal',
  offline: false,
  conf: [],
  mode: 'build',
};

describe('series', () => {
  it('reads the layer compat and the tree series', () => {
    expect(layerSeriesCompat('LAYERSERIES_COMPAT_atemsys = "scarthgap  wrynose"\n', 'atemsys')).toEqual(['scarthgap', 'wrynose']);
    expect(layerSeriesCompat('LAYERSERIES_COMPAT_core = "x"\n', 'atemsys')).toEqual([]);
    expect(coreSeries('LAYERSERIES_CORENAMES = "wrynose blacksail"\nLAYERVERSION_core = "15"')).toEqual(['wrynose', 'blacksail']);
  });
  it('accepts a tree whose series the layer supports, else says which branch to take', () => {
    expect(seriesProblem(['scarthgap', 'wrynose'], ['wrynose', 'blacksail'], 'poky')).toBeNull();
    expect(seriesProblem(['scarthgap', 'wrynose'], ['kirkstone'], 'poky')).toBe(
      'meta-atemsys supports scarthgap, wrynose; poky is kirkstone. Check out a supported branch (git -C poky checkout wrynose)',
    );
    expect(seriesProblem(['wrynose'], [], 'x')).toMatch(/no LAYERSERIES_CORENAMES/);
  });
});

describe('auto.conf', () => {
  it('sets the machine, the packagegroup, the board fragment and extra lines', () => {
    expect(autoConf({ ...base, offline: true, board: 'imx8', conf: ['ACCEPT_FSL_EULA = "1"'] })).toBe(
      [
        '# Written by `npx orchestrate yocto`; rewritten on every run: put your own settings in local.conf.',
        'MACHINE = "qemuarm64"',
        'BB_NO_NETWORK = "1"',
        'IMAGE_INSTALL:append = " packagegroup-atemsys"',
        'require conf/atemsys/imx8.inc',
        'ACCEPT_FSL_EULA = "1"',
        '',
      ].join('\n'),
    );
  });
  it('leaves the layer out until it is added, and for yocto-check-layer (it compares the tree without and with it)', () => {
    expect(autoConf({ ...base, board: 'imx8' }, false)).not.toMatch(/packagegroup-atemsys|imx8\.inc/);
    const s = autoConf({ ...base, mode: 'check-layer', board: 'imx8' });
    expect(s).not.toContain('packagegroup-atemsys');
    expect(s).not.toContain('imx8.inc');
  });
  it('replaces only an auto.conf it wrote', () => {
    expect(mayReplaceAutoConf(undefined)).toBe(true);
    expect(mayReplaceAutoConf(autoConf(base))).toBe(true);
    expect(mayReplaceAutoConf('MACHINE = "mine"\n')).toBe(false);
  });
});

describe('steps', () => {
  it('sources the build environment (with bitbake for openembedded-core), quoting paths', () => {
    expect(envScript({ ...base, tree: "/t/o'e", bitbake: '/t/bitbake' }, ['bitbake x'])).toBe(
      ['set -e', "cd '/t/o'\\''e'", ". '/t/o'\\''e/oe-init-build-env' '/o/build' '/t/bitbake' >/dev/null", 'bitbake x'].join('\n'),
    );
  });
  it('adds the layers (others first), then builds the target', () => {
    const s = yoctoSteps({ ...base, extraLayers: ['/l/meta-freescale'] });
    expect(s.map((x) => x.title)).toEqual(['add meta-freescale, meta-atemsys', 'bitbake core-image-minimal']);
    expect(s[0]?.script).toContain("bitbake-layers add-layer '/l/meta-freescale' '/r/meta-atemsys'");
  });
  it('parses each recipe of the layer with --parse-only', () => {
    expect(yoctoSteps({ ...base, mode: 'parse' }).map((x) => x.title)).toEqual(['add meta-atemsys', 'bitbake -e atemsys', 'bitbake -e atemsys-selftest', 'bitbake -e packagegroup-atemsys']);
    const withBoard = yoctoSteps({ ...base, mode: 'parse', board: 'imx8' });
    expect(withBoard.map((x) => x.title).pop()).toBe('bitbake -e virtual/kernel');
    expect(withBoard.map((x) => x.log).pop()).toBe('parse-virtual-kernel.log');
  });
  it('runs yocto-check-layer on the bare build directory, the layer before the options that take lists', () => {
    const s = yoctoSteps({ ...base, mode: 'check-layer', extraLayers: ['/l/meta-freescale'] });
    expect(s).toHaveLength(1);
    expect(s[0]?.script.split('\n').pop()).toBe("yocto-check-layer '/r/meta-atemsys' --no-auto --machines 'qemuarm64' --dependency '/l/meta-freescale'");
  });
});

describe('reading bitbake output', () => {
  it('finds a variable of bitbake -e and the task progress', () => {
    const env = '# comment\nPV="1.4.39"\nSRC_URI="git://x;a=\\"b\\""\n';
    expect(bitbakeVar(env, 'PV')).toBe('1.4.39');
    expect(bitbakeVar(env, 'SRC_URI')).toBe('git://x;a=\\"b\\"');
    expect(bitbakeVar(env, 'S')).toBeUndefined();
    expect(bitbakeProgress('NOTE: Running task 12 of 3456 (/x/busybox.bb:do_fetch)')).toEqual({ done: 12, total: 3456 });
    expect(bitbakeProgress('NOTE: Running setscene task 3 of 40 (x)')).toEqual({ done: 3, total: 40 });
    expect(bitbakeProgress('Parsing recipes...')).toBeUndefined();
  });
});
