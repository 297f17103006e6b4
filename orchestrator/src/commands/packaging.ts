/**
 * The packaging commands: export, yocto, buildroot, package. Each checks its
 * inputs (trees, tools, user) before running anything, shows progress, and
 * keeps the full output of every tool in a log file.
 */
import { access, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Listr, type ListrTask } from 'listr2';
import { buildrootProgress, buildrootSteps, checkPackageFiles, checkPackageStep, type MakeStep } from '../packaging/buildroot.ts';
import type { CliOptions, Io } from '../cli.ts';
import { buildDeb } from '../packaging/debpkg.ts';
import { ConfigError, FailureError } from '../core/errors.ts';
import { runChecked } from '../core/exec.ts';
import { BR2_DIR, LAYER_BOARD_CONF_DIR, LAYER_DIR, exportFiles, schemaExport } from '../packaging/export.ts';
import { exportDrift, listFiles, writeExport } from '../packaging/exportio.ts';
import type { Paths } from '../core/paths.ts';
import { loadAllProfiles } from '../profile/profile.ts';
import { table } from '../report/report.ts';
import { requireTools } from '../debian/tools.ts';
import {
  autoConf,
  bitbakeProgress,
  bitbakeVar,
  coreSeries,
  layerSeriesCompat,
  mayReplaceAutoConf,
  seriesProblem,
  envScript,
  yoctoSteps,
  type YoctoOptions,
} from '../packaging/yocto.ts';

export interface PackagingEnv {
  paths: Paths;
  signal: AbortSignal;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

interface Step {
  title: string;
  run: (update: (line: string) => void) => Promise<string | void>;
}

/** Run steps one after the other with a progress display (none with --json). */
async function runSteps(steps: readonly Step[], o: CliOptions): Promise<void> {
  const renderer = o.json ? 'silent' : !process.stdout.isTTY || process.env.CI ? 'simple' : 'default';
  const tasks: ListrTask[] = steps.map((s) => ({
    title: s.title,
    task: async (_ctx, task) => {
      let last = 0;
      const update = (line: string): void => {
        // the simple renderer prints every output: at most one line every 10 s there
        const now = Date.now();
        if (renderer === 'simple' && now - last < 10000) return;
        last = now;
        task.output = line;
      };
      const title = await s.run(update);
      if (typeof title === 'string') task.title = title;
    },
  }));
  const listr = new Listr(tasks, {
    exitOnError: true,
    registerSignalListeners: false,
    renderer,
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: false },
  });
  await listr.run();
}

// ---------------------------------------------------------------- export

export async function cmdExport(env: PackagingEnv, o: CliOptions, io: Io): Promise<number> {
  const targets = o.exportTargets ?? [];
  const files = [...exportFiles(await loadAllProfiles(env.paths.boards, env.paths.repo), targets), schemaExport()];
  const drift = o.check ? await exportDrift(env.paths.repo, files, targets) : await writeExport(env.paths.repo, files, targets);
  if (o.json) {
    io.out(JSON.stringify({ check: o.check === true, files: files.map((f) => ({ path: f.path, target: f.target, board: f.board })), drift }, null, 2));
  } else if (drift.length === 0) {
    io.out(`${files.length} generated files, all up to date (${targets.join(', ')})`);
  } else if (o.check) {
    io.out(`${drift.length} of the generated files are not what boards/ gives (run \`npx orchestrate export\`):`);
    for (const d of drift) io.out(`  ${d.problem.padEnd(7)} ${d.path}`);
  } else {
    for (const d of drift) io.out(`${d.problem === 'stale' ? 'removed' : d.problem === 'missing' ? 'wrote  ' : 'updated'} ${d.path}`);
    io.out(`${files.length} generated files, ${drift.length} changed`);
  }
  return o.check && drift.length > 0 ? 1 : 0;
}

// ---------------------------------------------------------------- yocto

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

async function yoctoOptions(env: PackagingEnv, o: CliOptions): Promise<{ y: YoctoOptions; series: string[] }> {
  const c = o.yocto;
  if (!c) throw new ConfigError('internal: no yocto options');
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

export async function cmdYocto(env: PackagingEnv, o: CliOptions, io: Io): Promise<number> {
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
    ...yoctoSteps(y).map(
      (s, i): Step => ({
        title: s.title,
        run: async (update) => {
          outputs.set(s.log, await bash(s.title, s.log, s.script, update));
          // the layers are added by the first step
          if (i === 0 && y.mode !== 'check-layer') await writeFile(path.join(y.buildDir, 'conf', 'auto.conf'), autoConf(y));
        },
      }),
    ),
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

// ---------------------------------------------------------------- buildroot

export async function cmdBuildroot(env: PackagingEnv, o: CliOptions, io: Io): Promise<number> {
  const c = o.buildroot;
  if (!c) throw new ConfigError('internal: no buildroot options');
  const tree = path.resolve(c.tree);
  if (!(await exists(path.join(tree, 'Config.in'))) || !(await exists(path.join(tree, 'package', 'Makefile.in')))) {
    throw new ConfigError(`--buildroot ${c.tree}: no Config.in and package/Makefile.in there: expected a Buildroot checkout`);
  }
  const external = path.join(env.paths.repo, BR2_DIR);
  const own = path.join(external, 'configs', c.defconfig);
  if (!(await exists(own)) && !(await exists(path.join(tree, 'configs', c.defconfig)))) {
    const known = (await readdir(path.join(external, 'configs')).catch(() => [] as string[])).sort();
    throw new ConfigError(`--defconfig ${c.defconfig}: neither ${rel(external)}/configs/ nor ${rel(tree)}/configs/ has it (ours: ${known.join(', ')})`);
  }
  const output = path.resolve(c.output ?? path.join(env.paths.out, 'buildroot', c.defconfig.replace(/_defconfig$/, '')));
  const logs = path.join(output, 'atemsys-logs');
  await requireTools(c.checkPackage ? ['make', 'shellcheck', 'flake8'] : ['make']);
  const run = async (s: MakeStep, update: (l: string) => void): Promise<void> => {
    await runChecked(s.title, s.cmd, s.args, {
      ...(s.cwd !== undefined ? { cwd: s.cwd } : {}),
      logFile: path.join(logs, s.log),
      signal: env.signal,
      tail: 30,
      onLine: (l) => update(buildrootProgress(l) ?? l.slice(0, 160)),
    });
  };
  const steps: Step[] = [];
  if (c.checkPackage) {
    const files = checkPackageFiles(await listFiles(external));
    const s = checkPackageStep(tree, external, files);
    // check-package needs python3-magic: Debian's python3, not one earlier in PATH
    const py = (await exists('/usr/bin/python3')) ? '/usr/bin/python3' : 'python3';
    steps.push({ title: s.title, run: (u) => run({ ...s, cmd: py, args: [s.cmd, ...s.args] }, u) });
  }
  for (const s of buildrootSteps({ tree, external, defconfig: c.defconfig, output, configureOnly: c.configureOnly })) {
    steps.push({ title: s.title, run: (u) => run(s, u) });
  }
  await mkdir(logs, { recursive: true });
  await runSteps(steps, o);
  const result = { tree, defconfig: c.defconfig, output, logs, built: !c.configureOnly, checkedPackage: c.checkPackage };
  if (o.json) io.out(JSON.stringify(result, null, 2));
  else io.out(`buildroot ${c.defconfig}: ${c.configureOnly ? 'configured' : 'built'} in ${rel(output)}; logs in ${rel(logs)}/`);
  return 0;
}

// ---------------------------------------------------------------- package

export async function cmdPackage(env: PackagingEnv, o: CliOptions, io: Io): Promise<number> {
  const outDir = path.resolve(o.out ?? path.join(env.paths.out, 'deb'));
  if (!(await isDir(path.join(env.paths.repo, 'debian')))) throw new ConfigError(`${rel(env.paths.repo)}/debian/ is missing: the package is built from it`);
  let deb = '';
  await runSteps(
    [
      {
        title: 'dpkg-buildpackage (atemsys-dkms)',
        run: async () => {
          deb = await buildDeb({ repo: env.paths.repo, outDir, signal: env.signal });
          return `built ${rel(deb)}`;
        },
      },
    ],
    o,
  );
  if (o.json) io.out(JSON.stringify({ deb }, null, 2));
  else {
    io.out(table(['package', 'file'], [['atemsys-dkms', rel(deb)]]));
    io.out(`install: sudo apt-get install ./${rel(deb)}   (DKMS builds atemsys for every kernel with headers)`);
  }
  return 0;
}
