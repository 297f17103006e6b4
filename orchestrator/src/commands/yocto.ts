/**
 * `orchestrate yocto`: build (or parse, or yocto-check-layer) meta-atemsys in a
 * real Yocto tree. Exit codes: 0 done, 1 bitbake or the layer check failed,
 * 2 usage or configuration error, 130 interrupted.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BaseOptions, Io } from '../core/options.ts';
import { ConfigError, FailureError, UsageError } from '../core/errors.ts';
import { runChecked } from '../core/exec.ts';
import { LAYER_BOARD_CONF_DIR, LAYER_DIR } from '../packaging/export.ts';
import { requireTools } from '../debian/tools.ts';
import { autoConf, bitbakeProgress, bitbakeVar, coreSeries, layerSeriesCompat, mayReplaceAutoConf, seriesProblem, envScript, yoctoSteps, type YoctoOptions } from '../packaging/yocto.ts';
import { displayPath as rel } from '../core/paths.ts';
import { exists, runSteps, type PackagingEnv, type Step } from '../packaging/steps.ts';
import { COMMON, required, str, strs, type CommandSpec } from './command.ts';

const SUMMARY = 'build (or parse, or yocto-check-layer) meta-atemsys in a real Yocto tree';

const USAGE = `usage: orchestrate yocto --poky <dir> --machine <machine> [options]

Build meta-atemsys in a real Yocto tree. Runs as an unprivileged user (bitbake
refuses root). Adds the layers to the build directory, writes its
conf/auto.conf (MACHINE, packagegroup-atemsys, the board's overlay fragment)
and runs bitbake; logs go to <build-dir>/atemsys-logs/.
  --poky <dir>        a poky checkout, or openembedded-core (bitbake beside it or --bitbake)
  --bitbake <dir>     the bitbake checkout (default: <tree>/bitbake, else <tree>/../bitbake)
  --machine <name>    MACHINE, e.g. qemuarm64 or imx8mp-lpddr4-evk
  --layer <dir>       another layer to add first, e.g. meta-freescale (repeatable)
  --board <name>      add the overlay of boards/<name>.yaml (conf/atemsys/<name>.inc)
  --build-dir <dir>   the build directory (default out/yocto/<machine>)
  --target <target>   what bitbake builds (default core-image-minimal)
  --conf <line>       one more line for conf/auto.conf (repeatable), e.g. 'ACCEPT_FSL_EULA = "1"'
  --offline           BB_NO_NETWORK = "1": parse and check without a network
  --parse-only        only parse the layer's recipes (bitbake -e), build nothing
  --check-layer       run yocto-check-layer on meta-atemsys instead of building
  --json              print the result as JSON`;

/** yocto's own options (--poky, --machine, …) as given. */
export interface YoctoCli {
  tree: string;
  bitbake?: string;
  machine: string;
  layers: string[];
  board?: string;
  buildDir?: string;
  target: string;
  conf: string[];
  offline: boolean;
  mode: 'build' | 'parse' | 'check-layer';
}

/** yocto's options. */
export interface YoctoCommandOptions extends BaseOptions {
  yocto: YoctoCli;
}

/** yocto's options, checked. Throws UsageError. Pure. */
export function parseYocto(values: Record<string, unknown>): YoctoCli {
  const parse = values['parse-only'] === true;
  const checkLayer = values['check-layer'] === true;
  if (parse && checkLayer) throw new UsageError('yocto: --parse-only and --check-layer exclude each other');
  const y: YoctoCli = {
    tree: required('yocto', values, 'poky', '<dir>'),
    machine: required('yocto', values, 'machine', '<machine>'),
    layers: strs(values, 'layer'),
    target: str(values, 'target') ?? 'core-image-minimal',
    conf: strs(values, 'conf'),
    offline: values.offline === true,
    mode: parse ? 'parse' : checkLayer ? 'check-layer' : 'build',
  };
  if (!/^[A-Za-z0-9._+-]+$/.test(y.machine)) throw new UsageError(`yocto: --machine expects a machine name like qemuarm64, got "${y.machine}"`);
  if (!/^[A-Za-z0-9._+:-]+$/.test(y.target)) throw new UsageError(`yocto: --target expects a recipe or image name, got "${y.target}"`);
  const bad = y.conf.find((l) => l.includes('\n'));
  if (bad !== undefined) throw new UsageError('yocto: --conf takes one line at a time');
  const bitbake = str(values, 'bitbake');
  if (bitbake !== undefined) y.bitbake = bitbake;
  const board = str(values, 'board');
  if (board !== undefined) y.board = board;
  const buildDir = str(values, 'build-dir');
  if (buildDir !== undefined) y.buildDir = buildDir;
  return y;
}

/** poky carries bitbake; openembedded-core has it beside it, or --bitbake says where. */
async function findBitbake(tree: string, given: string | undefined): Promise<string | undefined> {
  if (given !== undefined) {
    const b = path.resolve(given);
    if (!(await exists(path.join(b, 'bin', 'bitbake')))) throw new ConfigError(`--bitbake ${given}: no bin/bitbake there: expected a bitbake checkout`);
    return b;
  }
  if (await exists(path.join(tree, 'bitbake', 'bin', 'bitbake'))) return undefined;
  const beside = path.join(path.dirname(tree), 'bitbake');
  if (await exists(path.join(beside, 'bin', 'bitbake'))) return beside;
  throw new ConfigError(`${rel(tree)} has no bitbake: pass --bitbake <dir> (a bitbake checkout of the branch this openembedded-core needs)`);
}

const YOCTO_TOOLS = ['bash', 'python3', 'git', 'make', 'gcc', 'chrpath', 'diffstat', 'gawk', 'file', 'lz4', 'zstd', 'cpio'];

async function yoctoOptions(env: PackagingEnv, o: YoctoCommandOptions): Promise<{ y: YoctoOptions; series: string[] }> {
  const c = o.yocto;
  const tree = path.resolve(c.tree);
  if (!(await exists(path.join(tree, 'oe-init-build-env'))) || !(await exists(path.join(tree, 'meta', 'conf', 'layer.conf')))) {
    throw new ConfigError(`--poky ${c.tree}: no oe-init-build-env and meta/conf/layer.conf there: expected a poky or openembedded-core checkout`);
  }
  const bitbake = await findBitbake(tree, c.bitbake);
  if (process.getuid?.() === 0) {
    throw new ConfigError('bitbake does not run as root: run this as an unprivileged user (e.g. sudo -u <user> npx orchestrate yocto …), with the tree and the build directory writable by that user');
  }
  const layer = path.join(env.paths.repo, LAYER_DIR);
  const layerConf = await readFile(path.join(layer, 'conf', 'layer.conf'), 'utf8');
  const series = coreSeries(await readFile(path.join(tree, 'meta', 'conf', 'layer.conf'), 'utf8'));
  const problem = seriesProblem(layerSeriesCompat(layerConf, 'atemsys'), series, rel(tree));
  if (problem) throw new ConfigError(problem);
  const extraLayers: string[] = [];
  for (const l of c.layers) {
    const abs = path.resolve(l);
    if (!(await exists(path.join(abs, 'conf', 'layer.conf')))) throw new ConfigError(`--layer ${l}: no conf/layer.conf there`);
    extraLayers.push(abs);
  }
  if (c.board !== undefined && !(await exists(path.join(env.paths.repo, LAYER_BOARD_CONF_DIR, `${c.board}.inc`)))) {
    const known = (await readdir(path.join(env.paths.repo, LAYER_BOARD_CONF_DIR)).catch(() => [] as string[])).map((f) => f.replace(/\.inc$/, ''));
    throw new ConfigError(`--board ${c.board}: meta-atemsys has no ${LAYER_BOARD_CONF_DIR}/${c.board}.inc (device-tree boards: ${known.join(', ') || 'none'}; \`npx orchestrate export\` writes them)`);
  }
  await requireTools(YOCTO_TOOLS);
  const y: YoctoOptions = {
    tree,
    machine: c.machine,
    buildDir: path.resolve(c.buildDir ?? path.join(env.paths.out, 'yocto', c.machine)),
    layer,
    extraLayers,
    target: c.target,
    offline: c.offline,
    conf: c.conf,
    mode: c.mode,
  };
  if (bitbake !== undefined) y.bitbake = bitbake;
  if (c.board !== undefined) y.board = c.board;
  return { y, series };
}

/** bitbake wants a UTF-8 locale */
const UTF8 = { LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };

async function cmdYocto(env: PackagingEnv, o: YoctoCommandOptions, io: Io): Promise<number> {
  const { y, series } = await yoctoOptions(env, o);
  const logs = path.join(y.buildDir, 'atemsys-logs');
  const bash = async (title: string, log: string, script: string, update: (l: string) => void): Promise<string> => {
    const r = await runChecked(title, 'bash', ['-c', script], {
      env: UTF8,
      logFile: path.join(logs, log),
      signal: env.signal,
      tail: 30,
      onLine: (l) => {
        const p = bitbakeProgress(l);
        update(p ? `task ${p.done} of ${p.total}` : l.slice(0, 160));
      },
    });
    return r.stdout;
  };
  const outputs = new Map<string, string>();
  const steps: Step[] = [
    {
      title: `build directory ${rel(y.buildDir)} (${series.join('/')}, MACHINE ${y.machine})`,
      run: async (update) => {
        await mkdir(logs, { recursive: true });
        await bash('oe-init-build-env', 'init.log', envScript(y, ['true']), update);
        const auto = path.join(y.buildDir, 'conf', 'auto.conf');
        const existing = await readFile(auto, 'utf8').catch(() => undefined);
        if (!mayReplaceAutoConf(existing)) throw new ConfigError(`${rel(auto)} was not written by orchestrate: move your settings to local.conf, or use another --build-dir`);
        // nothing of the layer yet: bitbake-layers add-layer parses this before the layer is there
        await writeFile(auto, autoConf(y, false));
      },
    },
    ...yoctoSteps(y).map((s, i): Step => ({
      title: s.title,
      run: async (update) => {
        outputs.set(s.log, await bash(s.title, s.log, s.script, update));
        // the layers are added by the first step
        if (i === 0 && y.mode !== 'check-layer') await writeFile(path.join(y.buildDir, 'conf', 'auto.conf'), autoConf(y));
      },
    })),
  ];
  await runSteps(steps, o);
  const parsed = outputs.get('parse-atemsys.log');
  const kernel = outputs.get('parse-virtual-kernel.log');
  if (kernel !== undefined && (bitbakeVar(kernel, 'ATEMSYS_DT_OVERLAYS') ?? '').trim() === '') {
    throw new FailureError(`the kernel recipe (${bitbakeVar(kernel, 'PN') ?? '?'}) has no atemsys overlay: is KERNEL_DEVICETREE overridden after conf/atemsys/${y.board ?? '?'}.inc?`);
  }
  const result = {
    tree: y.tree,
    series,
    machine: y.machine,
    buildDir: y.buildDir,
    mode: y.mode,
    logs,
    ...(parsed !== undefined ? { atemsys: { PV: bitbakeVar(parsed, 'PV'), SRCREV: bitbakeVar(parsed, 'SRCREV'), S: bitbakeVar(parsed, 'S') } } : {}),
    ...(kernel !== undefined
      ? {
          kernel: {
            PN: bitbakeVar(kernel, 'PN'),
            PV: bitbakeVar(kernel, 'PV'),
            overlays: bitbakeVar(kernel, 'ATEMSYS_DT_OVERLAYS')?.trim(),
            merged: bitbakeVar(kernel, 'ATEMSYS_DT_MERGED')?.trim(),
            // meta-raspberrypi: the config.txt lines (dtoverlay=)
            rpiExtraConfig: bitbakeVar(kernel, 'RPI_EXTRA_CONFIG')?.trim(),
          },
        }
      : {}),
  };
  if (o.json) io.out(JSON.stringify(result, null, 2));
  else {
    const what = y.mode === 'parse' ? 'parsed atemsys, atemsys-selftest, packagegroup-atemsys' : y.mode === 'check-layer' ? 'yocto-check-layer passed' : `built ${y.target}`;
    io.out(`yocto ${series.join('/')} ${y.machine}: ${what}${result.atemsys ? ` (atemsys ${result.atemsys.PV ?? '?'})` : ''}; logs in ${rel(logs)}/`);
    if (result.kernel) {
      const k = result.kernel;
      io.out(`kernel ${k.PN ?? '?'} ${k.PV ?? '?'} builds ${k.overlays ?? '?'}${k.merged ? ` and ${k.merged}` : ''}`);
      if (k.rpiExtraConfig) io.out(`config.txt gets: ${k.rpiExtraConfig.replace(/\\n/g, ' | ')}`);
    }
  }
  return 0;
}

export const yocto: CommandSpec<YoctoCommandOptions> = {
  name: 'yocto',
  summary: SUMMARY,
  usage: USAGE,
  options: {
    ...COMMON,
    poky: { type: 'string' },
    bitbake: { type: 'string' },
    machine: { type: 'string' },
    layer: { type: 'string', multiple: true },
    board: { type: 'string' },
    'build-dir': { type: 'string' },
    target: { type: 'string' },
    conf: { type: 'string', multiple: true },
    offline: { type: 'boolean' },
    'parse-only': { type: 'boolean' },
    'check-layer': { type: 'boolean' },
  },
  writesOut: false,
  parse: (base, values) => ({ ...base, yocto: parseYocto(values) }),
  run: cmdYocto,
};
