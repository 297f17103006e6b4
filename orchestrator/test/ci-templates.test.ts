import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCli } from '../src/cli.ts';
import { resolvePaths } from '../src/core/paths.ts';

const dir = path.join(resolvePaths({}).repo, 'ci-templates');

async function load(file: string): Promise<Record<string, unknown>> {
  return parse(await readFile(path.join(dir, file), 'utf8')) as Record<string, unknown>;
}

/** Every `npx orchestrate …` line of a shell script, as argv (quoted shell variables stand for one word) */
function orchestrateCalls(script: string): string[][] {
  return script
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('npx orchestrate '))
    .map((l) =>
      l
        .slice('npx orchestrate '.length)
        .replace(/"\$\{\{[^}]*\}\}"/g, '"$X"')
        .split(/\s+/)
        .map((w) => (/^"\$/.test(w) ? 'http://placeholder/' : w.replace(/^"|"$/g, ''))),
    );
}

/** The orchestrate calls must still parse: a renamed option breaks the template, and this test */
function expectCallsParse(calls: string[][]): void {
  for (const argv of calls) expect(() => parseCli(argv)).not.toThrow();
}

describe('the GitHub Actions template', async () => {
  const wf = await load('github-actions.yml');
  const job = (wf.jobs as Record<string, { container: string; env: Record<string, string>; steps: { run?: string; uses?: string; if?: string; with?: Record<string, string> }[] }>).smoke;
  if (!job) throw new Error('no smoke job');
  const runs = job.steps.map((s) => s.run ?? '').join('\n');

  it('runs set-up and the smoke test of every board, in Debian 12 with Node.js 20', () => {
    expect(job.container).toBe('node:20-bookworm');
    expect(runs).toContain('make setup');
    expect(orchestrateCalls(runs)[0]).toEqual(['smoke', '--board', 'all']);
    expectCallsParse(orchestrateCalls(runs));
  });

  it('keeps the cache between runs where the orchestrator puts it', () => {
    const cache = job.steps.find((s) => s.uses?.startsWith('actions/cache@'));
    expect(job.env.XDG_CACHE_HOME).toBe('${{ github.workspace }}/.cache');
    expect(cache?.with?.path).toBe('.cache/atemsys');
  });

  it('publishes the JUnit results and keeps the bundles, also when a test failed', () => {
    const junit = job.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(junit?.if).toBe('always()');
    expect(junit?.with?.report_paths).toContain('out/*/*/junit.xml');
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.path).toContain('out/*/*/*.tar.gz');
  });

  it('submits to LAVA only when a server is configured', () => {
    const lava = job.steps.find((s) => s.run?.includes('orchestrate lava'));
    expect(lava?.if).toContain('vars.LAVA_SERVER');
    expect(lava?.run).toMatch(/--artifacts-url .* --submit /);
  });
});

describe('the GitLab CI template', async () => {
  const ci = await load('gitlab-ci.yml');
  const job = ci['atemsys-smoke'] as {
    image: string;
    variables: Record<string, string>;
    cache: { paths: string[] };
    script: string[];
    artifacts: { when: string; reports: { junit: string[] }; paths: string[] };
  };
  const script = job.script.join('\n');

  it('runs set-up and the smoke test of every board, in Debian 12 with Node.js 20', () => {
    expect(job.image).toBe('node:20-bookworm');
    expect(job.script[0]).toBe('make setup');
    expect(orchestrateCalls(script)[0]).toEqual(['smoke', '--board', 'all']);
    expectCallsParse(orchestrateCalls(script));
  });

  it('keeps .cache/ between runs, publishes JUnit and the bundles always', () => {
    expect(job.variables.XDG_CACHE_HOME).toBe('$CI_PROJECT_DIR/.cache');
    expect(job.cache.paths).toEqual(['.cache/atemsys/']);
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.reports.junit).toContain('out/*/*/junit.xml');
    expect(job.artifacts.paths).toContain('out/*/*/*.tar.gz');
  });

  it('submits to LAVA only when LAVA_SERVER and LAVA_TOKEN are set', () => {
    expect(script).toMatch(
      /if \[ -n "\$\{LAVA_SERVER:-\}" \] && \[ -n "\$\{LAVA_TOKEN:-\}" \]; then\s+npx orchestrate lava --board all --artifacts-url "\$ATEMSYS_ARTIFACTS_URL" --submit "\$LAVA_SERVER"/,
    );
  });
});
