/**
 * Incremental builds: which steps of a board × kernel build must run, from
 * digests of their inputs.
 *
 * Each step has a key, a digest of everything its output depends on:
 *   module     src-kernel's module sources, the kernel packages (their
 *              versions), the arch, the compiler the kernel names (host
 *              binary identity, or the suite's build root), the build code
 *   selftests  src-kernel/selftests + include/, the cross gcc (and the 32-bit
 *              one on compat arches), the build code
 *   tools      src-kernel/tools + include/, the cross gcc, the build code
 *   dt         the profile's dt section and QEMU overlay, the image package,
 *              the device-tree code (DT boards only)
 *   package    the initramfs inputs: busybox, src-kernel/init, the whole
 *              profile, the selftest arguments, the image package, the
 *              orchestrator's sources, and the keys of the four steps above
 * A step runs when its key differs from the one recorded by the last
 * complete build in out/<board>/<release>/build/inputs.json, when one of its
 * artifacts is not as that build left it, or on --rebuild. The package step
 * runs whenever another step does (it copies their outputs).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, readlink, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isBuildOutput } from '../kernel/buildlog.ts';

export const STEPS = ['module', 'selftests', 'tools', 'dt', 'package'] as const;
export type Step = (typeof STEPS)[number];
export type StepKeys = Record<Step, string>;

/** Digests of the raw inputs of one build (each a string; equal strings, equal inputs). */
export interface Fingerprints {
  /** src-kernel without selftests/, tools/, init/ (the module's sources, Kbuild, scripts/, include/) */
  moduleSources: string;
  /** src-kernel/selftests and the uapi headers */
  selftestSources: string;
  /** src-kernel/tools and the uapi headers */
  toolSources: string;
  /** src-kernel/init (the guest's init script and mdev.conf) */
  initSources: string;
  /** every kernel package: image, headers, common headers, kbuild, parts (names and versions) and the arch */
  kernelPackages: string;
  /** the image package alone (vmlinuz, modules, DTBs) */
  imagePackage: string;
  /** busybox-static's version */
  busybox: string;
  /** the compiler the kernel's headers name: the host binary's identity, or the build root */
  moduleToolchain: string;
  /** the static userspace cross gcc (and the compat32 one) */
  userToolchain: string;
  /** the profile's dt section, QEMU overlay and bench stock overlay ('' for boards without dt) */
  profileDt: string;
  /** the whole profile (its file relative to the repository) and the selftest arguments of this kernel */
  profilePackage: string;
  /** the orchestrator's build code (kbuild arguments, the build root) */
  recipeCompile: string;
  /** the orchestrator's device-tree code */
  recipeDt: string;
  /** all of the orchestrator's sources and its version (initramfs, manifest, bundle) */
  recipePackage: string;
}

function digest(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p}\n`);
  return h.digest('hex').slice(0, 32);
}

/** The key of every step from the input digests. Pure. */
export function stepKeys(f: Fingerprints, hasDt: boolean): StepKeys {
  const module = digest(['module', f.moduleSources, f.kernelPackages, f.moduleToolchain, f.recipeCompile]);
  const selftests = digest(['selftests', f.selftestSources, f.userToolchain, f.recipeCompile]);
  const tools = digest(['tools', f.toolSources, f.userToolchain, f.recipeCompile]);
  const dt = hasDt ? digest(['dt', f.profileDt, f.imagePackage, f.recipeDt]) : '';
  const pkg = digest(['package', f.initSources, f.busybox, f.imagePackage, f.profilePackage, f.recipePackage, module, selftests, tools, dt]);
  return { module, selftests, tools, dt, package: pkg };
}

/** What the last complete build recorded (build/inputs.json). */
export interface BuildRecord {
  schema: 1;
  keys: StepKeys;
  /** the input digests the keys were made from: what changed, for the progress display */
  inputs?: Fingerprints;
  /** the module's vermagic (the manifest names it) */
  vermagic: string;
  /** the chroot the module was built in, if any */
  buildRoot?: { dir: string; binds: string[] };
  /** the device-tree step's result (DT boards) */
  dt?: unknown;
  /** size and mtime of each artifact as the build left it */
  artifacts: Record<string, [number, number]>;
}

/**
 * The steps to run, in order. All on rebuild or without a record; else those
 * whose key changed or whose artifact was damaged, and the package step
 * whenever any other runs. The dt step only when the board has one. Pure.
 */
export function planSteps(want: StepKeys, have: BuildRecord | undefined, o: { rebuild: boolean; hasDt: boolean; damaged?: ReadonlySet<Step> }): Step[] {
  const all = STEPS.filter((s) => s !== 'dt' || o.hasDt);
  if (o.rebuild || !have) return all;
  const run = new Set(all.filter((s) => have.keys[s] !== want[s] || o.damaged?.has(s) === true));
  if (run.size > 0) run.add('package');
  return all.filter((s) => run.has(s));
}

/** The inputs whose digests differ from the recorded ones (all when none are recorded). Pure. */
export function changedInputs(want: Fingerprints, have: Fingerprints | undefined): (keyof Fingerprints)[] {
  const names = Object.keys(want) as (keyof Fingerprints)[];
  return have ? names.filter((n) => want[n] !== have[n]) : names;
}

/** Which step writes an artifact of out/<board>/<release>/ (dtArtifacts: the DT step's file names). Pure. */
export function artifactStep(name: string, dtArtifacts: readonly string[]): Step {
  if (name === 'atemsys.ko') return 'module';
  if (name === 'atemsys-selftest' || name === 'atemsys-selftest32') return 'selftests';
  if (name === 'atemsys-ecat' || name === 'atemsys-bench') return 'tools';
  if (dtArtifacts.includes(name)) return 'dt';
  return 'package';
}

/** The steps whose artifacts differ from the record's size and mtime, or are missing. Pure. */
export function damagedSteps(record: BuildRecord, now: Record<string, [number, number] | undefined>, names: readonly string[], dtArtifacts: readonly string[]): Set<Step> {
  const out = new Set<Step>();
  for (const n of names) {
    const was = record.artifacts[n];
    const is = now[n];
    if (!was || !is || was[0] !== is[0] || was[1] !== is[1]) out.add(artifactStep(n, dtArtifacts));
  }
  return out;
}

// ---- reading the inputs ----

export const RECORD = path.join('build', 'inputs.json');

/** size and mtime of each file, undefined for a missing one */
export async function fileStamps(dir: string, names: readonly string[]): Promise<Record<string, [number, number] | undefined>> {
  const out: Record<string, [number, number] | undefined> = {};
  for (const n of names) {
    const s = await stat(path.join(dir, n)).catch(() => undefined);
    out[n] = s?.isFile() ? [s.size, Math.round(s.mtimeMs)] : undefined;
  }
  return out;
}

export async function readRecord(dir: string): Promise<BuildRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(path.join(dir, RECORD), 'utf8')) as BuildRecord;
    return r.schema === 1 && typeof r.keys === 'object' ? r : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRecord(dir: string, r: BuildRecord): Promise<void> {
  const file = path.join(dir, RECORD);
  const tmp = `${file}.tmp-${process.pid}`;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(tmp, `${JSON.stringify(r, null, 2)}\n`);
  await rename(tmp, file);
}

/** A build about to change out/<board>/<release>/: its old record no longer vouches for the files. */
export async function dropRecord(dir: string): Promise<void> {
  await rm(path.join(dir, RECORD), { force: true });
}

/** The record's mtime is when its artifacts were last found to match the sources: a no-op build renews it. */
export async function touchRecord(dir: string): Promise<void> {
  const now = new Date();
  await utimes(path.join(dir, RECORD), now, now).catch(() => undefined);
}

/** When the artifacts of dir were last built or found up to date (ms), 0 without a record. */
export async function recordTime(dir: string): Promise<number> {
  return stat(path.join(dir, RECORD)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
}

const treeHashes = new Map<string, Promise<string>>();

/**
 * Digest of the files under root (names and contents; build output and
 * node_modules left out), skipping the top-level entries in `exclude`.
 * Once per process: a run's sources do not change under it.
 */
export function hashTree(root: string, exclude: readonly string[] = []): Promise<string> {
  const key = `${root}\0${exclude.join('\0')}`;
  let p = treeHashes.get(key);
  if (!p) {
    p = (async () => {
      const h = createHash('sha256');
      const visit = async (dir: string, rel: string): Promise<void> => {
        const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const e of entries) {
          const r = rel === '' ? e.name : `${rel}/${e.name}`;
          if ((rel === '' && exclude.includes(e.name)) || e.name === 'node_modules' || isBuildOutput(e.name)) continue;
          const full = path.join(dir, e.name);
          if (e.isDirectory()) await visit(full, r);
          else if (e.isSymbolicLink()) h.update(`L ${r} ${await readlink(full)}\n`);
          else if (e.isFile()) {
            const data = await readFile(full);
            h.update(`F ${r} ${data.length}\n`);
            h.update(data);
          }
        }
      };
      await visit(root, '');
      return h.digest('hex').slice(0, 32);
    })();
    treeHashes.set(key, p);
  }
  return p;
}

/**
 * Digest of several files under root, by their names relative to root and
 * their contents (missing ones count as missing): the same for a copy of root
 * elsewhere.
 */
export async function hashFiles(root: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const data = await readFile(path.join(root, f)).catch(() => undefined);
    h.update(`${f} ${data === undefined ? 'missing' : data.length}\n`);
    if (data) h.update(data);
  }
  return h.digest('hex').slice(0, 32);
}

const toolIds = new Map<string, Promise<string>>();

/**
 * A program on PATH by identity: its resolved path, size and mtime (an
 * upgrade of the package changes them), 'missing' when not found. Once per process.
 */
export function toolIdentity(cmd: string): Promise<string> {
  let p = toolIds.get(cmd);
  if (!p) {
    p = (async () => {
      for (const d of (process.env.PATH ?? '').split(':').filter(Boolean)) {
        const full = path.join(d, cmd);
        const real = await realpath(full).catch(() => undefined);
        if (!real) continue;
        const s = await stat(real).catch(() => undefined);
        if (s?.isFile()) return `${cmd}=${real} ${s.size} ${Math.round(s.mtimeMs)}`;
      }
      return `${cmd}=missing`;
    })();
    toolIds.set(cmd, p);
  }
  return p;
}

/** The cached answer of fn for key (a JSON file under dir), computed and stored when absent. */
export async function cachedJson<T>(dir: string, key: string, fn: () => Promise<T>): Promise<T> {
  const file = path.join(dir, `${digest([key])}.json`);
  const have = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as { key: string; value: T },
    () => undefined,
  );
  if (have?.key === key) return have.value;
  const value = await fn();
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ key, value }));
  await rename(tmp, file);
  return value;
}

/**
 * The identity of a private apt state's package lists: the stamp its last
 * `apt-get update` wrote (debian/apt.ts) and the sources it was made with.
 * Without a stamp (an update failed) a value that never repeats: nothing is reused.
 */
export async function aptListsIdentity(stateDir: string, sourcesHash: string | undefined): Promise<string> {
  const s = await stat(path.join(stateDir, 'lists', '.atemsys-updated')).catch(() => undefined);
  return s ? `${sourcesHash ?? '?'} ${Math.round(s.mtimeMs)} ${s.size}` : `none ${process.pid} ${Date.now()} ${Math.random()}`;
}
