/**
 * `orchestrate build`: fetch a board's Debian kernels, cross-build atemsys.ko
 * and the selftests, and bundle them into out/<board>/<release>/. Exit codes:
 * 0 every kernel built, 1 a build failed, 2 usage or configuration error, 130
 * interrupted.
 */
import path from 'node:path';
import type { BaseOptions, Io } from '../core/options.ts';
import { displayPath } from '../core/paths.ts';
import { kernelLabel, secs } from '../pipeline/pipeline.ts';
import { buildSteps, checkSelftestRun, checkTools, runBoardKernels, selectBoards, type BoardKernelOptions } from '../pipeline/boardrun.ts';
import { bundleName } from '../packaging/bundle.ts';
import { BOARD_KERNEL, COMMON, OWN_KERNEL_HELP, REBUILD_HELP, RUN_GROUPS, RUN_GROUPS_HELP, VERBOSE, parseBoardKernel, type CommandSpec } from './command.ts';

/**
 * Where make's output lines go: to `io.out` with --verbose, nowhere without
 * it or with --json (stdout is then the JSON alone). Pure.
 */
export function makeEcho(o: Pick<BaseOptions, 'verbose' | 'json'>, io: Pick<Io, 'out'>): ((line: string) => void) | undefined {
  return o.verbose && !o.json ? (line) => io.out(line) : undefined;
}

export const build: CommandSpec<BoardKernelOptions> = {
  name: 'build',
  summary: 'fetch Debian kernels, cross-build atemsys.ko and the selftests, bundle into out/<board>/<release>/',
  usage: `usage: orchestrate build --board <name|all> [--kernel <filter>] [--extra-groups <g,…>] [--only <t,…>] [--rebuild]
                       [--verbose] [--json]

Fetch the board's Debian kernels (all by default), cross-build atemsys.ko and
atemsys-selftest, and write out/<board>/<release>/ with atemsys.ko,
atemsys-selftest, vmlinuz, initramfs.cpio.gz, manifest.json and a .tar.gz bundle.
  --board <name|all>   board profile (boards/<name>.yaml), or all boards
  --kernel <filter>    only the board's kernels of this series, suite or flavour
                       (6.1, trixie, rt-amd64; join with /: trixie/rt-amd64)
${OWN_KERNEL_HELP}
${RUN_GROUPS_HELP}
  --verbose            print make's output (module, selftests, tools) as it runs, and
                       the progress as plain lines (make's output is always in
                       out/<board>/<release>/build/*.log)
${REBUILD_HELP}
  --json               print the result as JSON (no progress display, no make output)`,
  options: { ...COMMON, ...BOARD_KERNEL, ...RUN_GROUPS, ...VERBOSE, rebuild: { type: 'boolean' } },
  writesOut: true,
  parse: parseBoardKernel,
  async run(env, o, io) {
    const { run: profiles } = await selectBoards(env.paths, o.board, false, o.kernel);
    await checkSelftestRun(profiles, o, env.paths);
    await checkTools(profiles, o, env.host);
    const outcomes = await runBoardKernels(env, o, {
      profiles,
      steps: () => buildSteps(env, true, makeEcho(o, io)),
      done: ({ profile: p, spec, job, error }) => {
        const release = job.resolved?.release ?? '?';
        if (error !== undefined) io.err(`${p.name} ${kernelLabel(spec)}: build failed:\n${error}`);
        else if (!o.json) {
          io.out(`${p.name} ${release}: artifacts in ${displayPath(job.dir ?? '')}/ (bundle ${bundleName(p.name, release)})`);
          if (job.upToDate) io.out('  up to date (nothing changed since it was built; --rebuild builds it again)');
          else io.out(`  downloads ${secs(job.timings.fetchMs)} (${job.stats.downloaded.length} downloaded, ${job.stats.cached.length} cached), build ${secs(job.timings.buildMs)}`);
          for (const c of job.stats.corrupt) io.out(`  corrupt in the cache, fetched again: ${c}`);
        }
      },
    });
    if (o.json) {
      const results = outcomes.map(({ profile: p, spec, job, error }) => {
        const key = { board: p.name, suite: spec.suite, series: spec.series, flavour: spec.flavour };
        if (error !== undefined) return { ...key, release: job.resolved?.release, status: 'failed', error };
        const release = job.resolved?.release ?? '?';
        const dir = job.dir ?? '';
        return {
          ...key,
          release,
          // up-to-date: nothing changed since the build in dir (text output: "up to date")
          status: job.upToDate ? 'up-to-date' : 'built',
          ...(job.plan && !job.upToDate ? { steps: job.plan } : {}),
          dir,
          bundle: job.bundle ?? path.join(dir, bundleName(p.name, release)),
          vermagic: job.vermagic,
          packages: job.manifest?.packages ?? [],
          downloaded: job.stats.downloaded,
          cached: job.stats.cached,
          corrupt: job.stats.corrupt,
          timings: job.timings,
        };
      });
      io.out(JSON.stringify(results, null, 2));
    }
    return outcomes.some((r) => r.error !== undefined) ? 1 : 0;
  },
};
