import { describe, expect, it } from 'vitest';
import { ConfigError, FailureError } from '../src/core/errors.ts';
import { background } from '../src/core/exec.ts';
import { overlapBuilds, runBoardKernels, type BoardKernelOptions, type BoardKernelRun } from '../src/pipeline/boardrun.ts';
import type { Env, JobTask, KernelJob } from '../src/pipeline/pipeline.ts';
import type { KernelSpec, Profile } from '../src/profile/profile.ts';

// Two boards with two kernels each; the steps only log when they start and end.
const profiles = [{ name: 'a', arch: 'x86_64' } as Profile, { name: 'b', arch: 'x86_64' } as Profile];
const specs: KernelSpec[] = [
  { suite: 'bookworm', series: '6.1', flavour: 'amd64' },
  { suite: 'trixie', series: '6.12', flavour: 'amd64' },
];
const env = { host: 'amd64', signal: new AbortController().signal } as unknown as Env;
const o: BoardKernelOptions = { command: 'smoke', help: false, json: true, verbose: false, noBuild: false, board: 'all' };

const name = (job: KernelJob): string => `${job.profile.name}/${job.spec.series}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long (ms) the build and the boot steps take: the tests run each order. */
interface Durations {
  build: number;
  boot: number;
}
const EVEN: Durations = { build: 10, boot: 10 };
const SLOW_BOOT: Durations = { build: 5, boot: 30 };
const SLOW_BUILD: Durations = { build: 30, boot: 5 };

/** A run whose build and boot steps record `start build a/6.1` … in `log`; `fail` makes a step throw. */
function recorded(log: string[], overlap: boolean, fail: (stage: string, job: string) => Error | undefined = () => undefined, ms: Durations = EVEN): BoardKernelRun {
  const step =
    (stage: 'build' | 'boot') =>
    (job: KernelJob): JobTask[] => [
      {
        title: stage,
        task: async () => {
          log.push(`start ${stage} ${name(job)}`);
          await sleep(ms[stage]);
          log.push(`end ${stage} ${name(job)}`);
          const e = fail(stage, name(job));
          if (e) throw e;
        },
      },
    ];
  return { profiles, kernels: () => specs, steps: step('build'), boot: step('boot'), overlap, done: (r) => void log.push(`done ${name(r.job)}${r.error ? ` (${r.stage}: ${r.error})` : ''}`) };
}

const ORDER = ['a/6.1', 'a/6.12', 'b/6.1', 'b/6.12'];
/** Boots as long as, slower and faster than builds: the order must hold for each. */
const SPEEDS: [string, Durations][] = [
  ['as long as', EVEN],
  ['slower than', SLOW_BOOT],
  ['faster than', SLOW_BUILD],
];

describe('runBoardKernels', () => {
  it.each(SPEEDS)('with boots %s builds: builds the next kernel while one boots, one job ahead at most, boots one at a time, reports in order', async (_how, ms) => {
    const log: string[] = [];
    const at = (l: string): number => log.indexOf(l);
    const outcomes = await runBoardKernels(env, o, recorded(log, true, undefined, ms));
    expect(outcomes.map((r) => name(r.job))).toEqual(ORDER);
    // the second build starts before the first boot has ended
    expect(at('start build a/6.12')).toBeLessThan(at('end boot a/6.1'));
    ORDER.forEach((job, i) => {
      // a boot starts once its build and the boot before it have ended
      expect(at(`start boot ${job}`)).toBeGreaterThan(at(`end build ${job}`));
      if (i > 0) expect(at(`start boot ${job}`)).toBeGreaterThan(at(`end boot ${ORDER[i - 1]}`));
      // a build starts only once the boot two jobs back has ended: builds never queue up
      if (i > 1) expect(at(`start build ${job}`)).toBeGreaterThan(at(`end boot ${ORDER[i - 2]}`));
    });
    expect(log.filter((l) => l.startsWith('done'))).toEqual(ORDER.map((j) => `done ${j}`));
  });

  it('runs the builds as background work (a lower priority) when they overlap the boots, the boots never', async () => {
    for (const overlap of [true, false]) {
      const seen = new Set<string>();
      const step = (stage: string) => (): JobTask[] => [
        {
          title: stage,
          task: async () => {
            await sleep(5);
            seen.add(`${stage} ${background.getStore() === true ? 'background' : 'normal'}`);
          },
        },
      ];
      await runBoardKernels(env, o, { profiles, kernels: () => specs, steps: step('build'), boot: step('boot'), overlap });
      expect([...seen].sort()).toEqual(overlap ? ['boot normal', 'build background'] : ['boot normal', 'build normal']);
    }
  });

  it('builds nothing beside a boot that must run alone', async () => {
    const log: string[] = [];
    await runBoardKernels(env, o, { ...recorded(log, true, undefined, SLOW_BOOT), bootsAlone: (job) => name(job) === 'a/6.12' });
    expect(log.indexOf('start build b/6.1')).toBeGreaterThan(log.indexOf('end boot a/6.12'));
    // the others still overlap
    expect(log.indexOf('start build a/6.12')).toBeLessThan(log.indexOf('end boot a/6.1'));
    expect(log.indexOf('start build b/6.12')).toBeLessThan(log.indexOf('end boot b/6.1'));
  });

  it('runs a single kernel as build then boot', async () => {
    const log: string[] = [];
    await runBoardKernels(env, o, { ...recorded(log, true), profiles: profiles.slice(0, 1), kernels: () => specs.slice(0, 1) });
    expect(log).toEqual(['start build a/6.1', 'end build a/6.1', 'start boot a/6.1', 'end boot a/6.1', 'done a/6.1']);
  });

  it('without overlap runs build and boot of one kernel before the next', async () => {
    const log: string[] = [];
    await runBoardKernels(env, o, recorded(log, false));
    expect(log.slice(0, 5)).toEqual(['start build a/6.1', 'end build a/6.1', 'start boot a/6.1', 'end boot a/6.1', 'done a/6.1']);
    expect(log.indexOf('start build a/6.12')).toBeGreaterThan(log.indexOf('done a/6.1'));
  });

  it('records a failed build in its place and does not boot it', async () => {
    const log: string[] = [];
    const outcomes = await runBoardKernels(
      env,
      o,
      recorded(log, true, (stage, job) => (stage === 'build' && job === 'a/6.12' ? new FailureError('make failed') : undefined)),
    );
    expect(outcomes.map((r) => [name(r.job), r.stage ?? 'ok'])).toEqual([
      ['a/6.1', 'ok'],
      ['a/6.12', 'build'],
      ['b/6.1', 'ok'],
      ['b/6.12', 'ok'],
    ]);
    expect(log).not.toContain('start boot a/6.12');
    expect(log.filter((l) => l.startsWith('done'))[1]).toBe('done a/6.12 (build: make failed)');
  });

  it('ends on a fatal error only once the running boot has ended, and starts no boot after it', async () => {
    const log: string[] = [];
    const run = recorded(log, true, (stage, job) => (stage === 'build' && job === 'a/6.12' ? new ConfigError('no QEMU') : undefined));
    await expect(runBoardKernels(env, o, run)).rejects.toThrow('no QEMU');
    expect(log).toContain('end boot a/6.1');
    expect(log).toContain('done a/6.1');
    expect(log.some((l) => l.includes('b/'))).toBe(false);
  });

  it.each(SPEEDS)('a fatal error in a boot %s the builds ends the run', async (_how, ms) => {
    const log: string[] = [];
    const run = recorded(log, true, (stage, job) => (stage === 'boot' && job === 'a/6.1' ? new ConfigError('QEMU vanished') : undefined), ms);
    await expect(runBoardKernels(env, o, run)).rejects.toThrow('QEMU vanished');
    expect(log).not.toContain('start boot a/6.12');
    // the build under way when it failed may end; no further one starts
    expect(log).not.toContain('start build b/6.12');
  });
});

describe('overlapBuilds', () => {
  it('overlaps unless there is nothing to build, the console is echoed or the user said no', () => {
    expect(overlapBuilds({ noBuild: false, verbose: false })).toBe(true);
    expect(overlapBuilds({ noBuild: true, verbose: false })).toBe(false);
    expect(overlapBuilds({ noBuild: false, verbose: true })).toBe(false);
    expect(overlapBuilds({ noBuild: false, verbose: false, noOverlap: true })).toBe(false);
  });
});
