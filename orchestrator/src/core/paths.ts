/** Where things live: the repository, board profiles, outputs and the download cache. */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Paths {
  repo: string;
  boards: string;
  out: string;
  cache: string;
  srcKernel: string;
  /** the orchestrator's own sources (part of "are the artifacts up to date") */
  orchestratorSrc: string;
  orchestratorPackageJson: string;
}

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/+$/, '');

/**
 * The download and build cache (kernel packages, prepared source trees,
 * chroots; about 10 GB): outside the checkout, so a clean checkout or a
 * `git clean` keeps it, and shared by every clone of the user (its entries are
 * keyed by content). ATEMSYS_CACHE, else $XDG_CACHE_HOME/atemsys, else
 * ~/.cache/atemsys (the XDG base directory default). scripts/setup.sh and
 * src-kernel/Makefile resolve it the same way.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv, home: string = os.homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'atemsys');
}

/** ATEMSYS_OUT and ATEMSYS_CACHE move out/ and the cache elsewhere. */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env, repo: string = REPO_ROOT): Paths {
  const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
  return {
    repo,
    boards: path.join(repo, 'boards'),
    out: set(env.ATEMSYS_OUT) ? path.resolve(env.ATEMSYS_OUT) : path.join(repo, 'out'),
    cache: set(env.ATEMSYS_CACHE) ? path.resolve(env.ATEMSYS_CACHE) : defaultCacheDir(env),
    srcKernel: path.join(repo, 'src-kernel'),
    orchestratorSrc: path.join(repo, 'orchestrator', 'src'),
    orchestratorPackageJson: path.join(repo, 'orchestrator', 'package.json'),
  };
}

/** A path as the user would type it: relative to the current directory when under it, else absolute. */
export function displayPath(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}
