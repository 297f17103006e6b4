/**
 * What the packaging commands (export, yocto, buildroot, package) share:
 * the environment they need and their steps run one after the other with a
 * progress display, the full output of every tool kept in a log file.
 */
import { access, stat } from 'node:fs/promises';
import { Listr, type ListrTask } from 'listr2';
import { renderer, type BaseOptions } from '../core/options.ts';
import type { Paths } from '../core/paths.ts';

export interface PackagingEnv {
  paths: Paths;
  signal: AbortSignal;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

export async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

export interface Step {
  title: string;
  run: (update: (line: string) => void) => Promise<string | void>;
}

/** Run steps one after the other with a progress display (none with --json). */
export async function runSteps(steps: readonly Step[], o: Pick<BaseOptions, 'json'>): Promise<void> {
  const r = renderer({ json: o.json, verbose: false });
  const tasks: ListrTask[] = steps.map((s) => ({
    title: s.title,
    task: async (_ctx, task) => {
      let last = 0;
      const update = (line: string): void => {
        // the simple renderer prints every output: at most one line every 10 s there
        const now = Date.now();
        if (r === 'simple' && now - last < 10000) return;
        last = now;
        task.output = line;
      };
      const title = await s.run(update);
      if (typeof title === 'string') task.title = title;
    },
  }));
  const listr = new Listr(tasks, {
    exitOnError: true,
    registerSignalListeners: false,
    renderer: r,
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: false },
  });
  await listr.run();
}
