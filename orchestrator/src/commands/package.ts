/**
 * `orchestrate package deb`: the DKMS Debian package. Exit codes: 0 built, 1
 * dpkg-buildpackage failed, 2 usage or configuration error, 130 interrupted.
 */
import path from 'node:path';
import type { BaseOptions, Io } from '../core/options.ts';
import { buildDeb } from '../packaging/debpkg.ts';
import { ConfigError, UsageError } from '../core/errors.ts';
import { table } from '../report/report.ts';
import { displayPath as rel } from '../core/paths.ts';
import { isDir, runSteps, type PackagingEnv } from '../packaging/steps.ts';
import { COMMON, str, type CommandSpec } from './command.ts';

const SUMMARY = 'build the DKMS Debian package (package deb)';

const USAGE = `usage: orchestrate package deb [--out <dir>] [--json]

Build the DKMS Debian package atemsys-dkms_<version>_all.deb from src-kernel/
and debian/ (dpkg-buildpackage in a temporary copy of the two).
  --out <dir>   where the .deb goes (default out/deb)
  --json        print the result as JSON`;

/** package's options. */
export interface PackageOptions extends BaseOptions {
  /** --out: where the .deb goes (default out/deb) */
  out?: string;
}

async function cmdPackage(env: PackagingEnv, o: PackageOptions, io: Io): Promise<number> {
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

export const packageCmd: CommandSpec<PackageOptions> = {
  name: 'package',
  summary: SUMMARY,
  usage: USAGE,
  options: { ...COMMON, out: { type: 'string' } },
  positionals: ['deb'],
  writesOut: true,
  parse: (base, values, positionals) => {
    if (positionals.length !== 1) throw new UsageError('package: say which package: orchestrate package deb');
    const out = str(values, 'out');
    return out !== undefined ? { ...base, out } : base;
  },
  run: cmdPackage,
};
