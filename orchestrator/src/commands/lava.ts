/**
 * `orchestrate lava`: a LAVA job definition for every built kernel of the
 * selected boards (lava/jobs.ts), checked against LAVA's own strict schema and
 * written beside the artifacts as out/<board>/<release>/lava-job.yaml.
 * Exit codes: 0 written, 1 a job failed LAVA's schema, 2 usage or
 * configuration error (no build, lava-common missing), 130 interrupted.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Io } from '../core/options.ts';
import { kernelMatches, type BoardKernelOptions } from '../pipeline/boardrun.ts';
import { COMMON, parseBoardKernel, str, type CommandSpec } from './command.ts';
import { printRun } from './smoke.ts';
import { ConfigError, UsageError } from '../core/errors.ts';
import { junitXml } from '../report/junit.ts';
import { parseKtap } from '../report/ktap.ts';
import { LAVA_PRIORITIES, LAVA_VISIBILITIES, lavaJob, type LavaPriority, type LavaVisibility } from '../lava/jobs.ts';
import { validateLavaJobs } from '../lava/schema.ts';
import { LavaClient, consoleOfLog, jobErrorOfLog, lavaToken, type LavaCase } from '../lava/submit.ts';
import type { Manifest } from '../core/manifest.ts';
import { capabilityTable, totalsLine } from '../report/report.ts';
import { summarizeRun, type RunSummary } from '../report/results.ts';
import type { Env } from '../pipeline/pipeline.ts';
import { findProfile, loadAllProfiles, type Profile } from '../profile/profile.ts';

const LAVA_USAGE = `usage: orchestrate lava --board <name|all> --artifacts-url <url> [--kernel <filter>] [--priority <p>] [--visibility <v>] [--submit <server>] [--json]

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
  --priority <p>         the jobs' LAVA priority: high, medium (default) or low
  --visibility <v>       who sees the jobs on the server: public (default) or personal
  --submit <server>      submit them to this LAVA server (http://lava.lab/), follow
                         them, and read their console back: the same table, junit.xml
                         and results.json as smoke, in out/<board>/<release>/lava/.
                         Token: LAVA_TOKEN, else lavacli's identity for that host
                         (~/.config/lavacli.yaml), else its default identity
  --json                 print the jobs written (or the runs, with --submit) as JSON
Exit codes: 0 written (and, with --submit, every job Complete and every test
passed), 1 a job failed LAVA's schema, ended Incomplete or a test failed, 2
usage or configuration error (nothing built, lava-common missing, no token),
130 interrupted.`;

/** --submit: an http(s) URL; UsageError otherwise. Pure. */
export function parseServerUrl(s: string): string {
  if (!URL.canParse(s) || !['http:', 'https:'].includes(new URL(s).protocol)) {
    throw new UsageError(`lava: --submit "${s}": give the LAVA server's http(s) URL (http://lava.lab/)`);
  }
  return s.replace(/\/+$/, '');
}

/** --artifacts-url: http, https or file, no query; UsageError otherwise. Returns it normalised (a space as %20), without a trailing slash. Pure. */
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
  // URL drops tabs and newlines silently: out\nevil would become outevil
  if ([...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new UsageError(`lava: --artifacts-url ${JSON.stringify(s)} holds a control character`);
  if (u.username !== '' || u.password !== '') {
    throw new UsageError(`lava: --artifacts-url: a user name or password in the URL would be written into every job (public by default): give the lab a URL without them`);
  }
  if (u.protocol === 'file:' && u.pathname.replace(/\/+$/, '') === '') throw new UsageError(`lava: --artifacts-url "${s}": name the directory that holds out/ (file:///srv/out)`);
  return u.href.replace(/\/+$/, '');
}

/** 127.0.0.0/8, ::1, 0.0.0.0, localhost and its subdomains, IPv4-mapped loopback. Pure. */
export function loopback(u: URL): boolean {
  const h = u.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '0.0.0.0' || h === '::' || /^127\./.test(h) || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(h);
}

/**
 * The warning when jobs go to a server that is not this machine but fetch
 * their artifacts from a loopback address (the lab's workers would ask
 * themselves), else undefined. Pure.
 */
export function loopbackWarning(artifactsUrl: string, server: string): string | undefined {
  const a = new URL(artifactsUrl);
  if (a.protocol === 'file:' || !loopback(a) || loopback(new URL(server))) return undefined;
  return `lava: warning: --artifacts-url ${artifactsUrl} is a loopback address, but the jobs go to ${server}: its workers fetch from themselves. Serve out/ on an address the lab reaches.`;
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

/** lava's options: --board and --kernel, and its own. */
export interface LavaOptions extends BoardKernelOptions {
  /** --artifacts-url: where the lab fetches out/ from */
  artifactsUrl?: string;
  /** --submit: the LAVA server */
  lavaServer?: string;
  /** --priority */
  priority?: LavaPriority;
  /** --visibility */
  visibility?: LavaVisibility;
}

/** The value of an option that takes one of `allowed`; UsageError otherwise. Pure. */
function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  const hit = allowed.find((a) => a === v);
  if (hit === undefined) throw new UsageError(`lava: --${name} expects one of ${allowed.join(', ')}, got "${v}"`);
  return hit;
}

async function runLava(env: Env, o: LavaOptions, io: Io): Promise<number> {
  const board = o.board;
  const url = parseArtifactsUrl(o.artifactsUrl);
  const profiles: Profile[] =
    board === 'all' ? (await loadAllProfiles(env.paths.boards, env.paths.repo)).filter((p) => p.qemu !== undefined) : [await findProfile(env.paths.boards, env.paths.repo, board)];
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
        job = lavaJob(p, b.manifest, { artifactsUrl: url, ...(o.priority ? { priority: o.priority } : {}), ...(o.visibility ? { visibility: o.visibility } : {}) });
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
  if (o.lavaServer !== undefined) {
    if (failed > 0) return 1;
    const warn = loopbackWarning(url, parseServerUrl(o.lavaServer));
    if (warn !== undefined) io.err(warn);
    return submitAll(env, o, io, jobs);
  }
  if (o.json) {
    io.out(JSON.stringify({ artifactsUrl: url, jobs: written.map((w) => ({ ...w, file: path.relative(process.cwd(), w.file) })), refused: failed }, null, 2));
  } else {
    for (const w of written) io.out(`${w.board} ${w.release} (${w.deviceType}): ${path.relative(process.cwd(), w.file)}`);
    if (missing.length > 0) io.out(`not built (nothing to run): ${missing.join(', ')}`);
    io.out(`${written.length} job(s) written, ${failed} refused by LAVA's schema`);
  }
  return failed > 0 ? 1 : 0;
}

/** Where the jobs of one run go, and what they were built from */
interface Submitted {
  job: { w: Written; text: string };
  manifest: Manifest;
  id: number;
  t0: number;
}

/**
 * LAVA's cases of the monitor suite against the console's KTAP results
 * (subtests named parent/child): a note when LAVA has another number than
 * the top-level ones (its pattern takes top-level lines only)
 */
export function caseNote(cases: readonly LavaCase[], names: readonly string[]): string | undefined {
  const ours = cases.filter((c) => c.suite.endsWith('atemsys'));
  // a test with subtests is one top-level result: compat32 for compat32/*
  const parents = new Set(names.filter((n) => n.includes('/')).map((n) => n.slice(0, n.indexOf('/'))));
  const top = names.filter((n) => !n.includes('/')).length + parents.size;
  if (ours.length === top) return undefined;
  return `LAVA recorded ${ours.length} test case(s) in suite atemsys; the console has ${top} top-level KTAP results (${names.length} with subtests)`;
}

async function submitAll(env: Env, o: LavaOptions, io: Io, jobs: readonly { w: Written; text: string }[]): Promise<number> {
  const server = parseServerUrl(o.lavaServer ?? '');
  const lavacli = await readFile(path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'lavacli.yaml'), 'utf8').catch(() => undefined);
  const token = lavaToken(server, process.env, lavacli);
  if (token === undefined)
    throw new ConfigError(`lava: no token for ${server}: set LAVA_TOKEN, or add a lavacli identity (lavacli identities add --uri ${server}/RPC2 --username <u> --token <t> default)`);
  const client = new LavaClient(server, token);
  const say = (m: string): void => {
    if (!o.json) io.err(m);
  };
  const subs: Submitted[] = [];
  const done = new Set<number>();
  try {
    for (const job of jobs) {
      const manifest = JSON.parse(await readFile(path.join(path.dirname(job.w.file), 'manifest.json'), 'utf8')) as Manifest;
      let id: number;
      try {
        id = await client.submit(job.text, env.signal);
      } catch (err) {
        // the lab has no (working) device of that type: --board all leaves
        // the board out, a board the user named is a configuration error
        const m = err instanceof Error ? /Device type '([^']+)' is unavailable/.exec(err.message) : null;
        if (!m) throw err;
        if (o.board !== 'all') throw new ConfigError(`lava: ${server} has no available device of type ${m[1]} for ${job.w.board}: add one to the lab, or choose another --board`);
        say(`${job.w.board} ${job.w.release}: left out, ${server} has no available device of type ${m[1]}`);
        continue;
      }
      say(`${job.w.board} ${job.w.release}: LAVA job ${id} submitted (${server}/scheduler/job/${id})`);
      subs.push({ job, manifest, id, t0: Date.now() });
    }
    if (subs.length === 0) throw new ConfigError(`lava: ${server} has a device for none of the jobs: nothing was submitted`);
    return await followAll(env, o, io, client, server, subs, done, say);
  } finally {
    // interrupted (Ctrl-C, a CI cancel) or failed: the lab's time is not ours
    // to keep; jobs already finished are not touched
    for (const s of subs) {
      if (done.has(s.id)) continue;
      await client.cancel(s.id, AbortSignal.timeout(10_000)).then(
        () => say(`LAVA job ${s.id} cancelled`),
        (err: unknown) => say(`LAVA job ${s.id} could not be cancelled (${err instanceof Error ? err.message : String(err)}): cancel it at ${server}/scheduler/job/${s.id}`),
      );
    }
  }
}

/** Follows the submitted jobs to their end and reads their results back; @done gets each finished job. */
async function followAll(env: Env, o: LavaOptions, io: Io, client: LavaClient, server: string, subs: readonly Submitted[], done: Set<number>, say: (m: string) => void): Promise<number> {
  const runs: RunSummary[] = [];
  for (const s of subs) {
    const { w } = s.job;
    const state = await client.wait(s.id, {
      pollMs: 5000,
      timeoutMs: 3 * 3600 * 1000,
      signal: env.signal,
      progress: (st) => say(`${w.board} ${w.release}: LAVA job ${s.id} ${st.state}${st.state === 'Finished' ? `, ${st.health}` : ''}`),
    });
    done.add(s.id);
    const dir = path.join(path.dirname(w.file), 'lava');
    await mkdir(dir, { recursive: true });
    const log = await client.logs(s.id, env.signal);
    const consoleText = consoleOfLog(log);
    await writeFile(path.join(dir, 'serial.log'), consoleText);
    const ktap = parseKtap(consoleText);
    const why = state.failureComment ?? jobErrorOfLog(log);
    const problems = state.health === 'Complete' ? [] : [`LAVA job ${s.id} ended ${state.health}${why ? `: ${why}` : ''}`];
    const k = s.manifest.kernel;
    const summary = summarizeRun({ board: w.board, arch: s.manifest.arch, suite: k.suite ?? '', series: k.series, flavour: k.flavour, release: k.release }, ktap, Date.now() - s.t0, problems);
    const cases = await client.tests(s.id, env.signal);
    const note = caseNote(
      cases,
      ktap.tests.map((t) => t.name),
    );
    if (note !== undefined) summary.notes = [note];
    summary.dir = dir;
    await writeFile(path.join(dir, 'junit.xml'), junitXml([summary]));
    await writeFile(path.join(dir, 'results.json'), `${JSON.stringify({ ...summary, lava: { server, job: s.id, health: state.health, deviceType: w.deviceType, cases: cases.length } }, null, 2)}\n`);
    runs.push(summary);
    if (!o.json) {
      printRun(summary, io);
      io.out(`(LAVA job ${s.id} on ${w.deviceType}: ${server}/scheduler/job/${s.id})`);
    }
  }
  if (o.json) {
    io.out(JSON.stringify({ server, runs }, null, 2));
  } else {
    io.out('');
    io.out(capabilityTable(runs));
    io.out('');
    io.out(totalsLine(runs));
  }
  return runs.every((r) => r.status === 'passed') ? 0 : 1;
}

export const lava: CommandSpec<LavaOptions> = {
  name: 'lava',
  summary: 'write LAVA jobs (QEMU, or U-Boot on the real board) for the built kernels',
  usage: LAVA_USAGE,
  options: {
    ...COMMON,
    board: { type: 'string' },
    kernel: { type: 'string' },
    'artifacts-url': { type: 'string' },
    submit: { type: 'string' },
    priority: { type: 'string' },
    visibility: { type: 'string' },
  },
  writesOut: true,
  parse: (base, values) => {
    const o: LavaOptions = parseBoardKernel(base, values);
    const u = str(values, 'artifacts-url');
    if (u !== undefined) o.artifactsUrl = u;
    const srv = str(values, 'submit');
    // refused here, before any job is written
    if (srv !== undefined) o.lavaServer = parseServerUrl(srv);
    const priority = oneOf('priority', str(values, 'priority'), LAVA_PRIORITIES);
    if (priority !== undefined) o.priority = priority;
    const visibility = oneOf('visibility', str(values, 'visibility'), LAVA_VISIBILITIES);
    if (visibility !== undefined) o.visibility = visibility;
    return o;
  },
  run: runLava,
};
