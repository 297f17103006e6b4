import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { artifactNames, bundleName, MANIFEST } from '../src/packaging/bundle.ts';
import { ConfigError } from '../src/core/errors.ts';
import { REPO_ROOT, resolvePaths } from '../src/core/paths.ts';
import { AptStates, extraArtifacts, locateTask, newJob, type Env, type KernelJob } from '../src/pipeline/pipeline.ts';
import { findProfile } from '../src/profile/profile.ts';

/** out/qemu-x86_64/<release>/ with every artifact (empty files) and a manifest. */
async function fakeBuild(out: string, selftestArgs: string[], old: boolean): Promise<string> {
  const profile = await findProfile(path.join(REPO_ROOT, 'boards'), REPO_ROOT, 'qemu-x86_64');
  const release = '6.1.0-57-amd64';
  const dir = path.join(out, 'qemu-x86_64', release);
  await mkdir(dir, { recursive: true });
  const files = [...artifactNames(true, extraArtifacts(profile)), bundleName('qemu-x86_64', release)];
  for (const f of files) await writeFile(path.join(dir, f), '');
  await writeFile(
    path.join(dir, MANIFEST),
    JSON.stringify({ kernel: { suite: 'bookworm', series: '6.1', flavour: 'amd64', abi: '6.1.0-57', release }, selftestArgs, artifacts: [], createdAt: '2026-12-01T00:00:00Z' }),
  );
  const t = old ? new Date('2001-01-01') : new Date(Date.now() + 3600_000);
  for (const f of files) await utimes(path.join(dir, f), t, t);
  return dir;
}

describe('smoke --no-build (locateTask)', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function locate(only: string[] | undefined, built: string[], old = false): Promise<{ job: KernelJob; title: string }> {
    const out = await mkdtemp(path.join(os.tmpdir(), 'atemsys-locate-'));
    made.push(out);
    await fakeBuild(out, built, old);
    const paths = { ...resolvePaths(), out };
    const env: Env = { paths, signal: new AbortController().signal, host: 'amd64', apt: new AptStates(paths.cache, new AbortController().signal), orchestratorVersion: '0' };
    const profile = await findProfile(paths.boards, REPO_ROOT, 'qemu-x86_64');
    const job = newJob(profile, { suite: 'bookworm', series: '6.1', flavour: 'amd64', ...(only ? { only } : {}) }, 'amd64');
    const task = { title: '' };
    const t = locateTask(env).task as (j: KernelJob, t: { title: string }) => Promise<void>;
    await t(job, task);
    return { job, title: task.title };
  }

  it('uses a build whose /init runs the selftests this run asks for', async () => {
    const { job, title } = await locate(undefined, ['--group', 'pci,ll']);
    expect(job.dir).toMatch(/qemu-x86_64\/6\.1\.0-57-amd64$/);
    expect(title).toMatch(/^using .*\(built 2026-12-01T00:00:00Z\)$/);
  });

  it('refuses a build that runs other selftests, and says how to get one', async () => {
    await expect(locate(['version'], ['--group', 'pci,ll'])).rejects.toThrow(ConfigError);
    await expect(locate(['version'], ['--group', 'pci,ll'])).rejects.toThrow(/runs atemsys-selftest --group pci,ll; this run asks for --group pci,ll --only version: run without --no-build/);
  });

  it('says when the sources changed after the build', async () => {
    const { title } = await locate(undefined, ['--group', 'pci,ll'], true);
    expect(title).toMatch(/the sources changed since: these are the older sources' results/);
  });
});
