/**
 * `orchestrate boards`: list the board profiles (boards/*.yaml). Exit codes:
 * 0 listed, 2 a profile is malformed (its file:line:field).
 */
import path from 'node:path';
import { loadAllProfiles } from '../profile/profile.ts';
import { buildOnlyLines, partitionBoards } from '../pipeline/boardrun.ts';
import { table } from '../report/report.ts';
import { COMMON, type CommandSpec } from './command.ts';

export const boards: CommandSpec = {
  name: 'boards',
  summary: 'list the board profiles (boards/*.yaml)',
  usage: `usage: orchestrate boards [--json]

List the board profiles: name, arch, kernels, QEMU machine.
  --json   machine-readable output`,
  options: COMMON,
  writesOut: false,
  async run(env, o, io) {
    const ps = await loadAllProfiles(env.paths.boards, env.paths.repo);
    if (o.json) {
      io.out(
        JSON.stringify(
          ps.map((p) => ({ ...p, file: path.relative(env.paths.repo, p.file) })),
          null,
          2,
        ),
      );
      return 0;
    }
    io.out(
      table(
        ['board', 'arch', 'kernels', 'qemu', 'description'],
        ps.map((p) => [
          p.name,
          p.arch,
          p.kernels.map((k) => `${k.suite}/${k.series}/${k.flavour}${k.version ? `=${k.version}` : ''}`).join(', '),
          p.qemu ? `${p.qemu.binary} -M ${p.qemu.machine}` : 'build only',
          p.description,
        ]),
      ),
    );
    const bo = ps.filter((p) => p.qemu === undefined);
    if (bo.length > 0) {
      io.out('');
      for (const l of buildOnlyLines(partitionBoards(bo, true).buildOnly)) io.out(l);
    }
    return 0;
  },
};
