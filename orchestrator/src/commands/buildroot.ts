/**
 * `orchestrate buildroot`: configure and build a real Buildroot tree with
 * br2-external. Exit codes: 0 done, 1 make or check-package failed, 2 usage
 * or configuration error, 130 interrupted.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { buildrootProgress, buildrootSteps, checkPackageFiles, checkPackageStep, type MakeStep } from '../packaging/buildroot.ts';
import type { BaseOptions, Io } from '../core/options.ts';
import { ConfigError, UsageError } from '../core/errors.ts';
import { runChecked } from '../core/exec.ts';
import { BR2_DIR } from '../packaging/export.ts';
import { listFiles } from '../packaging/exportio.ts';
import { requireTools } from '../debian/tools.ts';
import { displayPath as rel } from '../core/paths.ts';
import { exists, runSteps, type PackagingEnv, type Step } from '../packaging/steps.ts';
import { COMMON, required, str, type CommandSpec } from './command.ts';

const SUMMARY = 'configure and build br2-external in a real Buildroot tree';

const USAGE = `usage: orchestrate buildroot --buildroot <dir> --defconfig <name> [options]

Configure and build a real Buildroot tree with br2-external (BR2_EXTERNAL),
output in out/buildroot/<defconfig>/; logs go to <output>/atemsys-logs/.
  --buildroot <dir>    the Buildroot checkout
  --defconfig <name>   e.g. atemsys_qemu_aarch64_virt_defconfig (br2-external/configs/)
  --output <dir>       the output directory (default out/buildroot/<defconfig>)
  --configure-only     stop after \`make <defconfig>\`: no download, no build
  --check-package      first run Buildroot's utils/check-package on br2-external
  --json               print the result as JSON`;

/** buildroot's own options (--buildroot, --defconfig, …) as given. */
export interface BuildrootCli {
  tree: string;
  defconfig: string;
  output?: string;
  configureOnly: boolean;
  checkPackage: boolean;
}

/** buildroot's options. */
export interface BuildrootCommandOptions extends BaseOptions {
  buildroot: BuildrootCli;
}

/** buildroot's options, checked. Throws UsageError. Pure. */
export function parseBuildroot(values: Record<string, unknown>): BuildrootCli {
  const b: BuildrootCli = {
    tree: required('buildroot', values, 'buildroot', '<dir>'),
    defconfig: required('buildroot', values, 'defconfig', '<name>'),
    configureOnly: values['configure-only'] === true,
    checkPackage: values['check-package'] === true,
  };
  if (!/^[A-Za-z0-9._-]+_defconfig$/.test(b.defconfig)) throw new UsageError(`buildroot: --defconfig expects a name like atemsys_qemu_aarch64_virt_defconfig, got "${b.defconfig}"`);
  const output = str(values, 'output');
  if (output !== undefined) b.output = output;
  return b;
}

async function cmdBuildroot(env: PackagingEnv, o: BuildrootCommandOptions, io: Io): Promise<number> {
  const c = o.buildroot;
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

export const buildroot: CommandSpec<BuildrootCommandOptions> = {
  name: 'buildroot',
  summary: SUMMARY,
  usage: USAGE,
  options: {
    ...COMMON,
    buildroot: { type: 'string' },
    defconfig: { type: 'string' },
    output: { type: 'string' },
    'configure-only': { type: 'boolean' },
    'check-package': { type: 'boolean' },
  },
  writesOut: false,
  parse: (base, values) => ({ ...base, buildroot: parseBuildroot(values) }),
  run: cmdBuildroot,
};
