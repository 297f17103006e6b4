/**
 * `orchestrate package deb`: the DKMS Debian package, built by
 * dpkg-buildpackage from a temporary copy of debian/ and src-kernel/ (so
 * that nothing is written into the working copy).
 */
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, FailureError } from '../core/errors.ts';
import { runChecked } from '../core/exec.ts';
import { requireTools } from '../debian/tools.ts';

/** Build output and local state that must not reach the package. */
const BUILD_OUTPUT = /(\.(o|ko|mod|mod\.c|o\.d|cmd)$|^Module\.symvers$|^modules\.order$|^\.tmp_versions$|^\.cross-modpost$|^\.module-common\.o$|^\.checkpatch-camelcase\.)/;

export function isBuildOutput(name: string): boolean {
  return BUILD_OUTPUT.test(name);
}

/** ATEMSYS_VERSION_STR of the uapi header: the package version. */
export function moduleVersion(uapiHeader: string): string {
  const m = /^#define\s+ATEMSYS_VERSION_STR\s+"([^"]+)"/m.exec(uapiHeader);
  if (!m?.[1]) throw new ConfigError('src-kernel/include/uapi/atemsys.h has no ATEMSYS_VERSION_STR');
  return m[1];
}

/** "atemsys (1.4.39) unstable; urgency=medium" → 1.4.39 */
export function changelogVersion(changelog: string): string | undefined {
  return /^\S+ \(([^)]+)\)/.exec(changelog)?.[1];
}

export interface DebParams {
  repo: string;
  outDir: string;
  signal?: AbortSignal;
}

export async function buildDeb(p: DebParams): Promise<string> {
  await requireTools(['dpkg-buildpackage', 'dh', 'dh_dkms']);
  const version = moduleVersion(await readFile(path.join(p.repo, 'src-kernel', 'include', 'uapi', 'atemsys.h'), 'utf8'));
  const changelog = changelogVersion(await readFile(path.join(p.repo, 'debian', 'changelog'), 'utf8'));
  if (changelog !== version) {
    throw new ConfigError(`debian/changelog is at ${changelog ?? '?'} but the module is ${version}: add a changelog entry (dch -v ${version})`);
  }
  await mkdir(p.outDir, { recursive: true });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'atemsys-deb-'));
  try {
    const src = path.join(tmp, `atemsys-${version}`);
    await cp(path.join(p.repo, 'debian'), path.join(src, 'debian'), { recursive: true });
    await cp(path.join(p.repo, 'src-kernel'), path.join(src, 'src-kernel'), {
      recursive: true,
      filter: (from) => !isBuildOutput(path.basename(from)),
    });
    await runChecked('dpkg-buildpackage', 'dpkg-buildpackage', ['-b', '-us', '-uc'], {
      cwd: src,
      logFile: path.join(p.outDir, 'dpkg-buildpackage.log'),
      signal: p.signal,
      tail: 30,
    });
    const name = `atemsys-dkms_${version}_all.deb`;
    if (!(await readdir(tmp)).includes(name)) throw new FailureError(`dpkg-buildpackage made no ${name} (log: ${path.join(p.outDir, 'dpkg-buildpackage.log')})`);
    const deb = path.join(p.outDir, name);
    await copyFile(path.join(tmp, name), deb);
    return deb;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
