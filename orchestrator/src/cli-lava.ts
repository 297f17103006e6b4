/**
 * `orchestrate lava`: a LAVA job definition for every built kernel of the
 * selected boards (lava.ts), checked against LAVA's own strict schema and
 * written beside the artifacts as out/<board>/<release>/lava-job.yaml.
 * Exit codes: 0 written, 1 a job failed LAVA's schema, 2 usage or
 * configuration error (no build, lava-common missing), 130 interrupted.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { CliOptions, Io } from './cli.ts';
import { kernelMatches } from './cli.ts';
import { ConfigError, UsageError } from './errors.ts';
import { lavaJob } from './lava.ts';
import { validateLavaJobs } from './lavaschema.ts';
import type { Manifest } from './manifest.ts';
import type { Env } from './pipeline.ts';
import { findProfile, loadAllProfiles, type Profile } from './profile.ts';

export const LAVA_USAGE = `usage: orchestrate lava --board <name|all> --artifacts-url <url> [--kernel <filter>] [--json]

Write a LAVA job for every built kernel of the board (out/<board>/<release>/
lava-job.yaml), checked against LAVA's own strict job schema (Debian's
lava-common). QEMU boards run on LAVA's qemu device type with the smoke
boot's machine and devices; device-tree boards run on the real board
(profile lava.device-type: imx8mp-evk, imx6q-sabrelite, xilinx-zcu102)
through U-Boot and TFTP. The jobs fetch the artifacts by URL and check
their sha256 from the manifest; the selftests' KTAP lines become LAVA test
cases (suite atemsys). Tests that need the host beside QEMU (the hot-plug
answers, the link switch, the slave simulator on 127.0.0.1) skip there.
Build first (npx orchestrate build --board <b>).
  --board <name|all>     board profile, or all boards with a qemu section
  --artifacts-url <url>  where the lab fetches out/ from: http(s)://… or file:///…
                         (serve out/ there; the job reads <url>/<board>/<release>/<file>)
  --kernel <filter>      only kernels of this series, suite or flavour (see build)
  --json                 print the jobs written as JSON
Exit codes: 0 written, 1 a job failed LAVA's schema, 2 usage or configuration
error (nothing built, lava-common missing), 130 interrupted.`;

/** --artifacts-url: http, https or file, no query; UsageError otherwise. Pure. */
export function parseArtifactsUrl(s: string | undefined): string {
  if (s === undefined || s.trim() === '') throw new UsageError('lava: --artifacts-url is required: where your lab fetches out/ from (http://host/atemsys/out)');
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UsageError(`lava: --artifacts-url "${s}" is not a URL (http://host/out, https://…, file:///srv/out)`);
  }
  if (!['http:', 'https:', 'file:'].includes(u.protocol) || u.search !== '' || u.hash !== '') {
    throw new UsageError(`lava: --artifacts-url "${s}": LAVA fetches http, https or file URLs, without ?query or #fragment`);
  }
  return s.replace(/\/+$/, '');
}

/** The manifests of out/<board>/*, sorted by release */
async function builtKernels(outDir: string, board: string): Promise<{ dir: string; manifest: Manifest }[]> {
  const boardDir = path.join(outDir, board);
  const names = await readdir(boardDir).catch(() => [] as string[]);
  const found: { dir: string; manifest: Manifest }[] = [];
  for (const n of names.sort()) {
    const dir = path.join(boardDir, n);
    const text = await readFile(path.join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const manifest = JSON.parse(text) as Manifest;
    if (manifest.board === board) found.push({ dir, manifest });
  }
  return found;
}

interface Written {
  board: string;
  release: string;
  deviceType: string;
  file: string;
}

export async function cmdLava(env: Env, o: CliOptions, io: Io): Promise<number> {
  const board = o.board;
  if (board === undefined) throw new UsageError('lava: --board is required (a board name, or all)');
  const url = parseArtifactsUrl(o.artifactsUrl);
  const profiles: Profile[] = board === 'all' ? (await loadAllProfiles(env.paths.boards, env.paths.repo)).filter((p) => p.qemu !== undefined) : [await findProfile(env.paths.boards, env.paths.repo, board)];
  const jobs: { w: Written; text: string }[] = [];
  const missing: string[] = [];
  for (const p of profiles) {
    const built = (await builtKernels(env.paths.out, p.name)).filter(
      (b) => o.kernel === undefined || kernelMatches({ suite: b.manifest.kernel.suite ?? '', series: b.manifest.kernel.series, flavour: b.manifest.kernel.flavour }, o.kernel),
    );
    if (built.length === 0) missing.push(p.name);
    for (const b of built) {
      let job;
      try {
        job = lavaJob(p, b.manifest, { artifactsUrl: url });
      } catch (err) {
        throw new ConfigError(err instanceof Error ? err.message : String(err));
      }
      const file = path.join(b.dir, 'lava-job.yaml');
      jobs.push({ w: { board: p.name, release: b.manifest.kernel.release, deviceType: String(job.device_type), file }, text: stringify(job, { lineWidth: 0 }) });
    }
  }
  if (jobs.length === 0) {
    throw new ConfigError(`lava: nothing built for ${missing.join(', ')}${o.kernel !== undefined ? ` matching ${o.kernel}` : ''}: build first (npx orchestrate build --board ${board})`);
  }
  const verdicts = await validateLavaJobs(
    jobs.map((j) => j.text),
    env.signal,
  );
  let failed = 0;
  for (const [i, j] of jobs.entries()) {
    const err = verdicts[i];
    if (err !== undefined) {
      failed++;
      io.err(`${j.w.board} ${j.w.release}: LAVA's schema refuses the job: ${err}`);
      continue;
    }
    await writeFile(j.w.file, `# LAVA job: orchestrate lava --board ${j.w.board} --artifacts-url ${url}\n${j.text}`);
  }
  const written = jobs.filter((_j, i) => verdicts[i] === undefined).map((j) => j.w);
  if (o.json) {
    io.out(JSON.stringify({ artifactsUrl: url, jobs: written.map((w) => ({ ...w, file: path.relative(process.cwd(), w.file) })), refused: failed }, null, 2));
  } else {
    for (const w of written) io.out(`${w.board} ${w.release} (${w.deviceType}): ${path.relative(process.cwd(), w.file)}`);
    if (missing.length > 0) io.out(`not built (nothing to run): ${missing.join(', ')}`);
    io.out(`${written.length} job(s) written, ${failed} refused by LAVA's schema`);
  }
  return failed > 0 ? 1 : 0;
}
