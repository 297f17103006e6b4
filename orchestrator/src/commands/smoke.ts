/**
 * `orchestrate smoke`: build if needed, boot each kernel of the board(s) in
 * QEMU, run the in-guest selftests (KTAP) and report. Exit codes: 0 every
 * test passed, 1 a build, boot or test failed, 2 usage or configuration
 * error, 130 interrupted.
 */
import path from 'node:path';
import { FailureError } from '../core/errors.ts';
import type { Io } from '../core/options.ts';
import { displayPath } from '../core/paths.ts';
import { bootTask, kernelLabel, locateTask, secs } from '../pipeline/pipeline.ts';
import { buildOnlyLines, buildSteps, checkSelftestRun, checkTools, overlapBuilds, runBoardKernels, selectBoards, type BoardKernelOptions } from '../pipeline/boardrun.ts';
import { capabilityMatrix, capabilityTable, testTable, totalsLine } from '../report/report.ts';
import { failedBeforeBoot, totals, type RunSummary } from '../report/results.ts';
import { BOARD_KERNEL, COMMON, OWN_KERNEL_HELP, RUN_GROUPS, RUN_GROUPS_HELP, VERBOSE, parseBoardKernel, type CommandSpec } from './command.ts';

/** One run's result as smoke prints it: the line, the tests, problems, notes, where its files are */
export function printRun(s: RunSummary, io: Io): void {
  const c = s.counts;
  io.out('');
  io.out(
    `${s.board} ${s.release ?? kernelLabel(s)}: ${s.status === 'passed' ? 'PASSED' : 'FAILED'} — ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (boot to end ${secs(s.durationMs)})`,
  );
  io.out(testTable(s.tests));
  if (s.problems.length > 0) {
    io.out('problems:');
    for (const pr of s.problems) io.out(`  - ${pr.replace(/\n/g, '\n    ')}`);
  }
  for (const n of s.notes ?? []) io.out(`note: ${n}`);
  if (s.dir) io.out(`serial log: ${displayPath(path.join(s.dir, 'serial.log'))}   junit: ${displayPath(path.join(s.dir, 'junit.xml'))}`);
}

export const smoke: CommandSpec<BoardKernelOptions> = {
  name: 'smoke',
  summary: 'build if needed, boot each kernel in QEMU, run the selftests, report',
  usage: `usage: orchestrate smoke --board <name|all> [--kernel <filter> | --kernel-build <dir> …]
                       [--extra-groups <g,…>] [--only <t,…>] [--timeout <s>]
                       [--fuzz-calls <n>] [--fuzz-seed <n>] [--verbose] [--json] [--no-build] [--rebuild]
                       [--no-overlap]

Build what changed (see build), boot each kernel in QEMU,
run the in-guest selftests (KTAP), print the results and write serial.log,
junit.xml and results.json beside the artifacts. \`all\` runs every board with a
qemu section, one after the other, and ends with a capability table. With
several kernels the next one builds while one boots (a TCG guest leaves much
of two cores idle); boots never overlap.
  --board <name|all>   board profile, or all boards
  --kernel <filter>    only kernels of this series, suite or flavour (see build)
${OWN_KERNEL_HELP}
${RUN_GROUPS_HELP}
  --timeout <s>        the guest's hard timeout in seconds, instead of the profile's
                       qemu.timeout (a debug kernel runs several times slower); the
                       selftests' per-test limits grow by the same factor
  --fuzz-calls <n>     calls the fuzz group makes (default 1,000,000; a debug kernel's
                       lane makes fewer: it runs some twenty times slower)
  --fuzz-seed <n>      the fuzz group's seed: the one a run printed ("fuzz seed N")
                       repeats its calls and kill schedule (default: a new one)
  --verbose            echo the guest's serial console
  --json               print the results as JSON (no progress display)
  --no-build           use the existing artifacts, never build
  --rebuild            build every step again (see build)
  --no-overlap         build the next kernel only after the previous boot has ended
                       (as with --verbose: the guest's console alone on the terminal)`,
  options: {
    ...COMMON,
    ...BOARD_KERNEL,
    ...RUN_GROUPS,
    ...VERBOSE,
    'no-build': { type: 'boolean' },
    timeout: { type: 'string' },
    'fuzz-calls': { type: 'string' },
    'fuzz-seed': { type: 'string' },
    rebuild: { type: 'boolean' },
    'no-overlap': { type: 'boolean' },
  },
  writesOut: true,
  parse: parseBoardKernel,
  async run(env, o, io) {
    const { run: profiles, buildOnly } = await selectBoards(env.paths, o.board, true, o.kernel);
    await checkSelftestRun(profiles, o, env.paths);
    await checkTools(profiles, o, env.host);
    // --json: stdout is the JSON alone (as in build and bench)
    const echo = (t: string): void => {
      process.stdout.write(t);
    };
    const runs: RunSummary[] = [];
    await runBoardKernels(env, o, {
      profiles,
      steps: () => (o.noBuild ? [locateTask(env)] : buildSteps(env, true)),
      boot: () => [bootTask(env, { verbose: o.verbose && !o.json, echo })],
      overlap: overlapBuilds(o),
      // a million fuzz calls against the guest's timeout: imx8's took 97 s alone, did not fit 300 s beside builds
      bootsAlone: (job) => job.spec.extraGroups?.includes('fuzz') === true,
      done: ({ profile: p, spec, job, error, stage }) => {
        let s: RunSummary;
        if (error === undefined) {
          if (!job.summary) throw new FailureError('internal: boot produced no summary');
          s = job.summary;
        } else {
          const key = { board: p.name, arch: p.arch, suite: spec.suite, series: spec.series, flavour: spec.flavour };
          s = failedBeforeBoot(job.resolved ? { ...key, release: job.resolved.release } : key, stage ?? 'boot', error);
          if (job.dir) s.dir = job.dir;
        }
        runs.push(s);
        if (!o.json) printRun(s, io);
      },
    });
    if (o.json) {
      io.out(JSON.stringify({ runs, buildOnly, totals: totals(runs) }, null, 2));
    } else {
      io.out('');
      io.out(capabilityMatrix(runs));
      io.out('');
      io.out(capabilityTable(runs));
      for (const l of buildOnlyLines(buildOnly)) io.out(l);
      io.out('');
      io.out(totalsLine(runs));
    }
    return runs.every((r) => r.status === 'passed') ? 0 : 1;
  },
};
