/** Putting a directory built under a temporary name into place in a cache shared by several processes. */
import { rename, rm } from 'node:fs/promises';
import { FailureError } from './errors.ts';

/**
 * Rename `tmp` (on the same file system) to `final`. When another process
 * put a good `final` in place first (isGood), that one is kept and `tmp`
 * removed: a tree in use by someone else is never deleted. Only a `final`
 * that is not good (an older layout, a cut-short run) is moved aside
 * (atomically, by rename) and removed.
 */
export async function publishDir(tmp: string, final: string, isGood: (dir: string) => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await rename(tmp, final);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw err;
    }
    if (await isGood(final)) {
      await rm(tmp, { recursive: true, force: true });
      return;
    }
    const aside = `${final}.stale-${process.pid}-${attempt}`;
    await rename(final, aside).catch(() => undefined);
    await rm(aside, { recursive: true, force: true });
  }
  throw new FailureError(`could not put ${tmp} in place as ${final}: another process keeps replacing it`);
}
