/**
 * `orchestrate boards`: check and list the board profiles (boards/*.yaml).
 * Exit codes: 0 listed, 2 a profile is malformed (its file:line:field) or
 * one of its overlays does not compile (dtc).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { Io } from '../core/options.ts';
import { findInPath } from '../debian/tools.ts';
import { checkProfileOverlay, profileOverlays, type ProfileOverlay } from '../devicetree/devicetree.ts';
import { loadAllProfiles, overlayLines, type Profile } from '../profile/profile.ts';
import { buildOnlyLines, partitionBoards } from '../pipeline/boardrun.ts';
import { table } from '../report/report.ts';
import { COMMON, type CommandSpec } from './command.ts';

/** dtc over every profile overlay; ConfigError with all complaints. Without dtc: a note on stderr. */
async function checkOverlays(ps: readonly Profile[], repo: string, io: Io, signal: AbortSignal): Promise<void> {
  const todo: { source: string; o: ProfileOverlay }[] = [];
  for (const p of ps) {
    const lines = overlayLines(await readFile(p.file, 'utf8'));
    for (const o of profileOverlays(p, lines)) todo.push({ source: path.relative(repo, p.file), o });
  }
  if (todo.length === 0) return;
  if ((await findInPath('dtc')) === undefined) {
    io.err(`boards: dtc is not installed: ${todo.length} overlay(s) not compiled (apt-get install device-tree-compiler, or make setup)`);
    return;
  }
  const problems: string[] = [];
  for (const t of todo) {
    const p = await checkProfileOverlay(t.source, t.o, signal);
    if (p !== null) problems.push(p);
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
}

export const boards: CommandSpec = {
  name: 'boards',
  summary: 'list the board profiles (boards/*.yaml)',
  usage: `usage: orchestrate boards [--json]

Check the board profiles and list them: name, arch, kernels, QEMU machine.
The overlays a profile writes itself (qemu.dt-overlay, bench.stock-overlay)
are compiled with dtc when it is installed.
  --json   machine-readable output`,
  options: COMMON,
  writesOut: false,
  async run(env, o, io) {
    const ps = await loadAllProfiles(env.paths.boards, env.paths.repo);
    await checkOverlays(ps, env.paths.repo, io, env.signal);
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
