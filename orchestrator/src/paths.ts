/** Where things live: the repository, board profiles, outputs and the download cache. */
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

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/+$/, '');

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, repo: string = REPO_ROOT): Paths {
  const cache = env.ATEMSYS_CACHE && env.ATEMSYS_CACHE.trim() !== '' ? path.resolve(env.ATEMSYS_CACHE) : path.join(repo, '.cache');
  return {
    repo,
    boards: path.join(repo, 'boards'),
    out: path.join(repo, 'out'),
    cache,
    srcKernel: path.join(repo, 'src-kernel'),
    orchestratorSrc: path.join(repo, 'orchestrator', 'src'),
    orchestratorPackageJson: path.join(repo, 'orchestrator', 'package.json'),
  };
}
