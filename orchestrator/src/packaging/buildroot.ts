/**
 * `orchestrate buildroot`: configure and build a real Buildroot tree with
 * br2-external. The plan is pure; commands/packaging.ts carries it out.
 */
import path from 'node:path';

export interface BuildrootPlan {
  tree: string;
  external: string;
  defconfig: string;
  output: string;
  configureOnly: boolean;
}

export interface MakeStep {
  title: string;
  log: string;
  cmd: string;
  args: string[];
  cwd?: string;
}

export function buildrootSteps(p: BuildrootPlan): MakeStep[] {
  const steps: MakeStep[] = [
    {
      title: `make ${p.defconfig}`,
      log: 'defconfig.log',
      cmd: 'make',
      args: ['-C', p.tree, `O=${p.output}`, `BR2_EXTERNAL=${p.external}`, p.defconfig],
    },
  ];
  if (!p.configureOnly) steps.push({ title: 'make (download and build everything)', log: 'build.log', cmd: 'make', args: ['-C', p.output] });
  return steps;
}

/**
 * The files of the external tree that Buildroot's utils/check-package
 * knows how to check (it names the type of each): everything but docs and
 * device-tree sources. Paths relative to the external tree.
 */
export function checkPackageFiles(files: readonly string[]): string[] {
  return files.filter((f) => !/\.(md|dtso|dts)$/.test(f) && !f.startsWith('.')).sort();
}

/** check-package is run from the external tree, with -b (files outside Buildroot) */
export function checkPackageStep(tree: string, external: string, files: readonly string[]): MakeStep {
  return {
    title: `utils/check-package on ${files.length} files of ${path.basename(external)}`,
    log: 'check-package.log',
    cmd: path.join(tree, 'utils', 'check-package'),
    args: ['-b', ...files],
    cwd: external,
  };
}

/** ">>> linux 6.12.3 Building" → "linux 6.12.3 Building": the step Buildroot is at, for the display. */
export function buildrootProgress(line: string): string | undefined {
  const m = /^>>>\s+(\S.*)$/.exec(line);
  return m?.[1]?.replace(/\s+/g, ' ').trim();
}
