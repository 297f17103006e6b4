/**
 * `orchestrate check`: the module built with W=1 and sparse (C=2) against
 * each kernel of the board(s), each kernel release once. Prints
 * "N passed, N failed". Exit codes: 0 no warning, 1 a warning in the
 * module's own sources or a failed build, 2 usage or configuration error,
 * 130 interrupted.
 */
import { FailureError } from '../core/errors.ts';
import { fetchTask, kernelLabel, resolveTask, staticCheckTask, type JobTask } from '../pipeline/pipeline.ts';
import { checkTools, runBoardKernels, selectBoards, type BoardKernelOptions } from '../pipeline/boardrun.ts';
import { table } from '../report/report.ts';
import { BOARD_KERNEL, COMMON, parseBoardKernel, type CommandSpec } from './command.ts';

/**
 * `check` builds each kernel release once: the first board (and kernel) that
 * resolves to a release claims it; later ones are covered by that check.
 * Returns the claimant when the release was already claimed. Pure apart from `seen`.
 */
export function claimRelease(seen: Map<string, string>, release: string, who: string): string | undefined {
  const first = seen.get(release);
  if (first === undefined) seen.set(release, who);
  return first;
}

interface CheckRow {
  board: string;
  kernel: string;
  status: 'ok' | 'failed' | 'covered';
  coveredBy?: string;
  error?: string;
}

export const check: CommandSpec<BoardKernelOptions> = {
  name: 'check',
  summary: 'W=1 + sparse builds of the module against every kernel of the board(s)',
  usage: `usage: orchestrate check --board <name|all> [--kernel <filter>] [--json]

Build the module with W=1 and sparse (C=2) against each kernel; any warning
in the module's own sources fails the check.
  --board <name|all>   board profile, or all boards
  --kernel <filter>    only kernels of this series, suite or flavour (see build)
  --json               print the result as JSON`,
  options: { ...COMMON, ...BOARD_KERNEL },
  writesOut: true,
  parse: parseBoardKernel,
  async run(env, o, io) {
    const { run: profiles } = await selectBoards(env.paths, o.board, false, o.kernel);
    await checkTools(profiles, o, env.host);
    const seen = new Map<string, string>();
    /** per job: the board whose check of the same release covers it */
    const covered = new Map<object, string>();
    const outcomes = await runBoardKernels(env, o, {
      profiles,
      steps: (job) => {
        const claim: JobTask = {
          title: 'kernel release not checked yet',
          task: (j, task) => {
            const release = j.resolved?.release;
            if (release === undefined) throw new FailureError('internal: no kernel release after resolving');
            const by = claimRelease(seen, release, j.profile.name);
            if (by !== undefined) {
              covered.set(job, by);
              task.skip(`${release} is checked with ${by} already`);
            }
          },
        };
        const unlessCovered = (t: JobTask): JobTask => ({ ...t, skip: () => (covered.has(job) ? `checked with ${covered.get(job) ?? '?'}` : false) });
        return [resolveTask(env, { checkFresh: false }), claim, unlessCovered(fetchTask(env)), unlessCovered(staticCheckTask(env))];
      },
      done: ({ profile: p, spec, error }) => {
        if (error !== undefined && !o.json) io.err(`${p.name} ${kernelLabel(spec)}: check failed:\n${error}`);
      },
    });
    const rows: CheckRow[] = outcomes.map(({ profile: p, spec, job, error }) => {
      const kernel = job.resolved?.release ?? kernelLabel(spec);
      const coveredBy = covered.get(job);
      if (error !== undefined) return { board: p.name, kernel, status: 'failed', error };
      return coveredBy !== undefined ? { board: p.name, kernel, status: 'covered', coveredBy } : { board: p.name, kernel, status: 'ok' };
    });
    const failed = rows.filter((r) => r.status === 'failed').length;
    const passed = rows.filter((r) => r.status === 'ok').length;
    if (o.json) io.out(JSON.stringify(rows, null, 2));
    else {
      io.out('');
      io.out(
        table(
          ['board', 'kernel', 'W=1 + sparse'],
          rows.map((r) => [r.board, r.kernel, r.status === 'ok' ? 'no warnings' : r.status === 'covered' ? `same kernel as ${r.coveredBy ?? '?'}` : 'FAILED']),
        ),
      );
      io.out(`${passed} passed, ${failed} failed`);
    }
    return failed > 0 ? 1 : 0;
  },
};
