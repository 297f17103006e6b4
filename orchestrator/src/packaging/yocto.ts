/**
 * `orchestrate yocto`: drive a real Yocto tree (poky, or openembedded-core
 * with bitbake) with meta-atemsys. The plan (what to check, what to write,
 * what to run) is pure; yoctorun.ts carries it out.
 */
import path from 'node:path';

/** The layer's own LAYERSERIES_COMPAT is read from its layer.conf; this is only the parser. */
export function layerSeriesCompat(layerConf: string, collection: string): string[] {
  const re = new RegExp(`^LAYERSERIES_COMPAT_${collection}\\s*(?:\\?\\?=|\\?=|:=|\\+=|=)\\s*"([^"]*)"`, 'm');
  const m = re.exec(layerConf);
  return m?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/** LAYERSERIES_CORENAMES of openembedded-core's meta/conf/layer.conf: the release series of the tree. */
export function coreSeries(coreLayerConf: string): string[] {
  const m = /^LAYERSERIES_CORENAMES\s*=\s*"([^"]*)"/m.exec(coreLayerConf);
  return m?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/** null when the layer is compatible with the tree, else why not (with the fix). */
export function seriesProblem(layerCompat: readonly string[], treeSeries: readonly string[], treeDir: string): string | null {
  if (treeSeries.length === 0) return `${treeDir}/meta/conf/layer.conf has no LAYERSERIES_CORENAMES: is this an openembedded-core or poky tree?`;
  if (treeSeries.some((s) => layerCompat.includes(s))) return null;
  return (
    `meta-atemsys supports ${layerCompat.join(', ')}; ${treeDir} is ${treeSeries.join('/')}. ` +
    `Check out a supported branch (git -C ${treeDir} checkout ${layerCompat[layerCompat.length - 1] ?? 'wrynose'})`
  );
}

export interface YoctoOptions {
  /** poky, or openembedded-core */
  tree: string;
  /** bitbake checkout (poky has its own) */
  bitbake?: string;
  machine: string;
  buildDir: string;
  /** meta-atemsys */
  layer: string;
  /** further layers (meta-freescale, ...), added before meta-atemsys */
  extraLayers: string[];
  /** board profile whose device-tree fragment is required (conf/atemsys/<board>.inc) */
  board?: string;
  target: string;
  offline: boolean;
  /** extra local configuration lines */
  conf: string[];
  mode: 'build' | 'parse' | 'check-layer';
}

export const AUTO_CONF_MARK = '# Written by `npx orchestrate yocto`';

/**
 * conf/auto.conf of the build directory: what the run sets on top of
 * local.conf. What names the layer (its packagegroup, a board fragment) is
 * left out until the layer is in bblayers.conf (`withLayer`), and always
 * for yocto-check-layer, which compares the tree without and with the layer.
 */
export function autoConf(o: YoctoOptions, withLayer = true): string {
  const lines = [`${AUTO_CONF_MARK}; rewritten on every run: put your own settings in local.conf.`, `MACHINE = "${o.machine}"`];
  if (o.offline) lines.push('BB_NO_NETWORK = "1"');
  if (withLayer && o.mode !== 'check-layer') {
    lines.push('IMAGE_INSTALL:append = " packagegroup-atemsys"');
    if (o.board !== undefined) lines.push(`require conf/atemsys/${o.board}.inc`);
  }
  lines.push(...o.conf, '');
  return lines.join('\n');
}

/** An auto.conf the run may replace: none yet, or one it wrote. */
export function mayReplaceAutoConf(existing: string | undefined): boolean {
  return existing === undefined || existing.startsWith(AUTO_CONF_MARK);
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The bash script of one step: source the build environment, then the commands. */
export function envScript(o: YoctoOptions, commands: readonly string[]): string {
  const init = path.join(o.tree, 'oe-init-build-env');
  const src = `. ${q(init)} ${q(o.buildDir)}${o.bitbake !== undefined ? ` ${q(o.bitbake)}` : ''} >/dev/null`;
  return ['set -e', `cd ${q(o.tree)}`, src, ...commands].join('\n');
}

export interface YoctoStep {
  title: string;
  log: string;
  script: string;
}

/**
 * The steps after the build directory exists. yocto-check-layer adds the
 * layers itself (to a copy of bblayers.conf), so it gets the bare build
 * directory; parse and build add them first.
 */
export function yoctoSteps(o: YoctoOptions): YoctoStep[] {
  if (o.mode === 'check-layer') {
    const deps = o.extraLayers.length > 0 ? ` --dependency ${o.extraLayers.map(q).join(' ')}` : '';
    // the layer first: --machines and --dependency take every word after them
    return [
      {
        title: 'yocto-check-layer meta-atemsys',
        log: 'yocto-check-layer.log',
        script: envScript(o, [`yocto-check-layer ${q(o.layer)} --no-auto --machines ${q(o.machine)}${deps}`]),
      },
    ];
  }
  const layers = [...o.extraLayers, o.layer];
  const steps: YoctoStep[] = [{ title: `add ${layers.map((l) => path.basename(l)).join(', ')}`, log: 'add-layer.log', script: envScript(o, [`bitbake-layers add-layer ${layers.map(q).join(' ')}`]) }];
  if (o.mode === 'parse') {
    // with a board, the kernel too: the board's fragment adds the overlay to it
    for (const r of ['atemsys', 'atemsys-selftest', 'packagegroup-atemsys', ...(o.board !== undefined ? ['virtual/kernel'] : [])]) {
      steps.push({ title: `bitbake -e ${r}`, log: `parse-${r.replace('/', '-')}.log`, script: envScript(o, [`bitbake -e ${r}`]) });
    }
  } else {
    steps.push({ title: `bitbake ${o.target}`, log: 'bitbake.log', script: envScript(o, [`bitbake ${o.target}`]) });
  }
  return steps;
}

/** The value of VAR in `bitbake -e` output. */
export function bitbakeVar(envOutput: string, name: string): string | undefined {
  const m = new RegExp(`^${name}="((?:[^"\\\\]|\\\\.)*)"$`, 'm').exec(envOutput);
  return m?.[1];
}

/** "Running task 12 of 3456 (...)" → progress, for the display. */
export function bitbakeProgress(line: string): { done: number; total: number } | undefined {
  const m = /Running (?:setscene )?task (\d+) of (\d+)/.exec(line);
  if (!m) return undefined;
  return { done: Number(m[1]), total: Number(m[2]) };
}
