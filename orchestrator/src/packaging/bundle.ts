/** The artifact directory out/<board>/<release>/ and its .tar.gz bundle. */
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { create } from 'tar';

/** Artifacts in an output directory (manifest.json lists the sha256 of all but itself). */
export const ARTIFACTS = ['atemsys.ko', 'atemsys-selftest', 'atemsys-ecat', 'atemsys-bench', 'vmlinuz', 'initramfs.cpio.gz'] as const;
/** The 32-bit selftest, on arches whose kernel runs 32-bit clients (compat). */
export const COMPAT32_SELFTEST = 'atemsys-selftest32';
export const MANIFEST = 'manifest.json';

/** The artifacts of a build: with or without the 32-bit selftest, plus extra ones (a DT board's overlay and DTBs). */
export function artifactNames(compat32: boolean, extra: readonly string[] = []): string[] {
  return [...ARTIFACTS, ...(compat32 ? [COMPAT32_SELFTEST] : []), ...extra];
}

export function bundleName(board: string, release: string): string {
  return `atemsys-${board}-${release}.tar.gz`;
}

export function outputDir(outRoot: string, board: string, release: string): string {
  return path.join(outRoot, board, release);
}

/** Missing artifact names (bundle included) in a directory. */
export async function missingArtifacts(dir: string, board: string, release: string, compat32 = false, extra: readonly string[] = []): Promise<string[]> {
  const names = [...artifactNames(compat32, extra), MANIFEST, bundleName(board, release)];
  const missing: string[] = [];
  for (const n of names) {
    const ok = await stat(path.join(dir, n)).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!ok) missing.push(n);
  }
  return missing;
}

/** Oldest mtime (ms) of the artifacts, 0 when one is missing. */
export async function oldestArtifactMtime(dir: string, compat32 = false, extra: readonly string[] = []): Promise<number> {
  let oldest = Infinity;
  for (const n of [...artifactNames(compat32, extra), MANIFEST]) {
    const s = await stat(path.join(dir, n)).catch(() => undefined);
    if (!s) return 0;
    oldest = Math.min(oldest, s.mtimeMs);
  }
  return oldest === Infinity ? 0 : oldest;
}

/** The bundle tarball, written under a temporary name and renamed: never a torn one. */
export async function writeBundle(dir: string, board: string, release: string, compat32 = false, extra: readonly string[] = []): Promise<string> {
  const file = path.join(dir, bundleName(board, release));
  const tmp = path.join(dir, `.${bundleName(board, release)}.tmp-${process.pid}`);
  try {
    await create({ gzip: true, file: tmp, cwd: dir, portable: true }, [...artifactNames(compat32, extra), MANIFEST]);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}
