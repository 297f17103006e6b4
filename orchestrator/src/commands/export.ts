/**
 * `orchestrate export`: write what the Yocto layer and the Buildroot tree take
 * from the board profiles. Exit codes: 0 written (or, with --check, up to
 * date), 1 --check found files that differ, 2 a profile is malformed.
 */
import type { BaseOptions, Io } from '../core/options.ts';
import { EXPORT_TARGETS, exportFiles, schemaExport, type ExportTarget } from '../packaging/export.ts';
import { exportDrift, writeExport } from '../packaging/exportio.ts';
import { loadAllProfiles } from '../profile/profile.ts';
import type { PackagingEnv } from '../packaging/steps.ts';
import { COMMON, type CommandSpec } from './command.ts';

const SUMMARY = 'write the board overlays meta-atemsys/ and br2-external/ take from boards/, and boards/schema.json';

const USAGE = `usage: orchestrate export [yocto|buildroot] [--check] [--json]

Write what the Yocto layer and the Buildroot tree take from the board
profiles, so that an overlay is only ever edited in boards/<name>.yaml:
  yocto      meta-atemsys/recipes-kernel/linux/atemsys-dts/<dir>/<base>-atemsys.dtso
             and meta-atemsys/conf/atemsys/<board>.inc
  buildroot  br2-external/board/<board>/dts/<dir>/<base>-atemsys.dtso
Both by default; always boards/schema.json, the profiles' JSON Schema (from
orchestrator/src/profile/schema.ts) that editors read through each profile's
"# yaml-language-server: $schema=./schema.json" line. Generated files of
boards that are gone are removed.
  --check   write nothing: list what differs and exit 1 if anything does
  --json    print the result as JSON`;

/** export's options. */
export interface ExportOptions extends BaseOptions {
  /** the positionals: which targets (default: all) */
  exportTargets: ExportTarget[];
  /** --check: write nothing, list what differs */
  check: boolean;
}

async function cmdExport(env: PackagingEnv, o: ExportOptions, io: Io): Promise<number> {
  const targets = o.exportTargets;
  const files = [...exportFiles(await loadAllProfiles(env.paths.boards, env.paths.repo), targets), schemaExport()];
  const drift = o.check ? await exportDrift(env.paths.repo, files, targets) : await writeExport(env.paths.repo, files, targets);
  if (o.json) {
    io.out(JSON.stringify({ check: o.check, files: files.map((f) => ({ path: f.path, target: f.target, board: f.board })), drift }, null, 2));
  } else if (drift.length === 0) {
    io.out(`${files.length} generated files, all up to date (${targets.join(', ')}, boards/schema.json)`);
  } else if (o.check) {
    io.out(`${drift.length} of the generated files are not what boards/ gives (run \`npx orchestrate export\`):`);
    for (const d of drift) io.out(`  ${d.problem.padEnd(7)} ${d.path}`);
  } else {
    for (const d of drift) io.out(`${d.problem === 'stale' ? 'removed' : d.problem === 'missing' ? 'wrote  ' : 'updated'} ${d.path}`);
    io.out(`${files.length} generated files, ${drift.length} changed`);
  }
  return o.check && drift.length > 0 ? 1 : 0;
}

export const exportCmd: CommandSpec<ExportOptions> = {
  name: 'export',
  summary: SUMMARY,
  usage: USAGE,
  options: { ...COMMON, check: { type: 'boolean' } },
  positionals: EXPORT_TARGETS,
  writesOut: false,
  parse: (base, values, positionals) => ({
    ...base,
    exportTargets: positionals.length > 0 ? EXPORT_TARGETS.filter((t) => positionals.includes(t)) : [...EXPORT_TARGETS],
    check: values.check === true,
  }),
  run: cmdExport,
};
