/** manifest.json: what an artifact directory was built from. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './exec.ts';

export interface ArtifactInfo {
  file: string;
  sha256: string;
  size: number;
}

export interface ManifestPackage {
  name: string;
  version: string;
  arch: string;
  file: string;
}

export interface ToolVersions {
  gcc: string;
  qemu: string | null;
  make: string | null;
  node: string;
  orchestrator: string;
}

export interface Manifest {
  schema: 1;
  board: string;
  arch: string;
  debianArch: string;
  /** suite: the Debian suite (absent in manifests written before suites were named) */
  kernel: { suite?: string; series: string; flavour: string; abi: string; release: string; debianVersion: string };
  vermagic: string;
  selftestArgs: string[];
  packages: ManifestPackage[];
  artifacts: ArtifactInfo[];
  tools: ToolVersions;
  git: { commit: string | null; dirty: boolean | null };
  /** device-tree boards: the base DTB and what the overlay hands to atemsys */
  dt?: ManifestDt;
  /** modules the guest loads before atemsys, in load order (file relative to lib/modules/<release>/) */
  guestModules?: { name: string; file: string }[];
  /** modules the guest tools load on demand (profile modules-available): per module its load order, [] when built in */
  onDemandModules?: { name: string; load: string[] }[];
  createdAt: string;
}

export interface ManifestDt {
  /** relative to usr/lib/linux-image-<release>/ */
  base: string;
  baseSha256: string;
  nodes: { path: string; ident: string; instance: number }[];
  /** the DTB QEMU boots (artifact name) */
  bootDtb: string;
}

/** First non-empty line of a `--version` output. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** `git rev-parse HEAD` + `git status --porcelain` outputs -> commit and dirtiness. */
export function parseGit(revParse: string | null, porcelain: string | null): { commit: string | null; dirty: boolean | null } {
  const commit = revParse !== null && /^[0-9a-f]{40}$/.test(revParse.trim()) ? revParse.trim() : null;
  return { commit, dirty: commit === null || porcelain === null ? null : porcelain.trim() !== '' };
}

export type ManifestInput = Omit<Manifest, 'schema' | 'artifacts' | 'createdAt' | 'packages'> & {
  packages: ManifestPackage[];
  artifacts: ArtifactInfo[];
  createdAt?: Date;
};

export function buildManifest(i: ManifestInput): Manifest {
  const { createdAt, ...rest } = i;
  return {
    schema: 1,
    ...rest,
    packages: [...i.packages].sort((a, b) => a.name.localeCompare(b.name)),
    artifacts: [...i.artifacts].sort((a, b) => a.file.localeCompare(b.file)),
    createdAt: (createdAt ?? new Date()).toISOString(),
  };
}

export function renderManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', resolve)
      .on('error', reject);
  });
  return h.digest('hex');
}

export async function artifactInfo(dir: string, name: string): Promise<ArtifactInfo> {
  const p = path.join(dir, name);
  const s = await stat(p);
  return { file: name, sha256: await sha256File(p), size: s.size };
}

export async function toolVersion(cmd: string, args: string[] = ['--version']): Promise<string | null> {
  try {
    const r = await run(cmd, args);
    return r.exitCode === 0 ? firstLine(r.stdout || r.all) : null;
  } catch {
    return null;
  }
}

export async function gitInfo(repo: string): Promise<{ commit: string | null; dirty: boolean | null }> {
  const rev = await run('git', ['-C', repo, 'rev-parse', 'HEAD']).catch(() => undefined);
  const st = await run('git', ['-C', repo, 'status', '--porcelain']).catch(() => undefined);
  return parseGit(rev && rev.exitCode === 0 ? rev.stdout : null, st && st.exitCode === 0 ? st.stdout : null);
}

/**
 * Write a file under a temporary name beside it, then rename it into place:
 * an interrupted write (Ctrl-C, a killed process) leaves the old file or
 * none, never a torn one a later run would trust.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Why the artifacts of dir do not match its manifest.json (a missing,
 * torn or rewritten file), or undefined when each artifact the manifest
 * lists has its size and sha256. A missing or unreadable manifest is a
 * mismatch too: the build that writes it last never finished. With
 * selftestArgs, a build whose /init runs other selftest arguments is one.
 */
export async function manifestMismatch(dir: string, manifestName: string, selftestArgs?: readonly string[]): Promise<string | undefined> {
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(path.join(dir, manifestName), 'utf8')) as Manifest;
  } catch (err) {
    return `${manifestName}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!Array.isArray(m.artifacts) || m.artifacts.length === 0) return `${manifestName} lists no artifacts`;
  // the initramfs's /init runs the selftests with these: other groups, another build
  if (selftestArgs && JSON.stringify(m.selftestArgs) !== JSON.stringify(selftestArgs)) {
    return `built with selftest arguments ${JSON.stringify(m.selftestArgs)}, wanted ${JSON.stringify(selftestArgs)}`;
  }
  for (const a of m.artifacts) {
    const p = path.join(dir, a.file);
    const s = await stat(p).catch(() => undefined);
    if (!s) return `${a.file} is missing`;
    if (s.size !== a.size) return `${a.file} has ${s.size} bytes, the manifest says ${a.size}`;
    if ((await sha256File(p)) !== a.sha256) return `${a.file} does not match its sha256 in ${manifestName}`;
  }
  return undefined;
}
