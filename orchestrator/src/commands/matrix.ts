/**
 * `orchestrate matrix`: the module built with W=1 and sparse against
 * Debian's kernel sources, a cell per suite × architecture (kernel/matrix.ts,
 * kernel/kernelsrc.ts). Exit codes: 0 every cell clean, 1 a cell has warnings or
 * failed, 2 usage or configuration error, 130 interrupted.
 */
import path from 'node:path';
import { Listr, type ListrTask } from 'listr2';
import { archInfo, isArch, type Arch } from '../debian/arch.ts';
import { renderer, type BaseOptions, type Io } from '../core/options.ts';
import { InterruptedError, UsageError, errorMessage } from '../core/errors.ts';
import { buildCell, cellOf, checkerFor, openSourceState, prepareTree, resolveSources, sourceTree, type ResolvedSource } from '../kernel/kernelsrc.ts';
import { MATRIX_ARCHES, MATRIX_SUITES, matrixTable, type MatrixCell } from '../kernel/matrix.ts';
import type { Env } from '../pipeline/pipeline.ts';
import { requireTools } from '../debian/tools.ts';
import { COMMON, type CommandSpec } from './command.ts';

const MATRIX_USAGE = `usage: orchestrate matrix [--suite <s>[,<s>...]] [--arch <a>[,<a>...]] [--json]

Build the module with W=1 and sparse against Debian's own kernel sources, a
cell per suite and architecture:
  suites  ${MATRIX_SUITES.map((s) => `${s.suite} (${s.series === 'newest' ? 'its newest' : s.series})`).join(', ')}
  arches  ${MATRIX_ARCHES.join(', ')}
Each linux-source is fetched through a private
apt state (the host's Debian mirror), prepared from the architecture's
defconfig with PCI, OF, PHYLIB and OF_MDIO on, so that every file of the
module builds. Sources and prepared trees are cached under ~/.cache/atemsys/ (ksrc/,
kprep/) by version: a second run only builds the module. A kernel that
refuses the host's sparse gets one built from sid's Debian source.
Prints the matrix and "N passed, N failed" (one per cell).
  --suite <s,...>   only these suites
  --arch <a,...>    only these architectures
  --json            print the cells as JSON
Exit codes: 0 every cell clean, 1 a cell has warnings or failed, 2 usage, 130 interrupted.`;

/** matrix's options. */
export interface MatrixOptions extends BaseOptions {
  /** --suite: only these suites */
  suites?: string[];
  /** --arch: only these architectures */
  arches?: Arch[];
}

/** --suite and --arch, checked, on top of `base`. Throws UsageError. Pure. */
export function parseMatrixOptions(base: BaseOptions, values: Record<string, unknown>): MatrixOptions {
  const o: MatrixOptions = { ...base };
  const list = (k: string): string[] | undefined =>
    typeof values[k] === 'string'
      ? (values[k] as string)
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  const suites = list('suite');
  if (suites !== undefined) {
    const bad = suites.find((s) => !MATRIX_SUITES.some((m) => m.suite === s));
    if (bad !== undefined || suites.length === 0) throw new UsageError(`matrix: --suite expects ${MATRIX_SUITES.map((m) => m.suite).join(', ')}, got "${bad ?? ''}"`);
    o.suites = suites;
  }
  const arches = list('arch');
  if (arches !== undefined) {
    const bad = arches.find((a) => !isArch(a) || !MATRIX_ARCHES.includes(a));
    if (bad !== undefined || arches.length === 0) throw new UsageError(`matrix: --arch expects ${MATRIX_ARCHES.join(', ')}, got "${bad ?? ''}"`);
    o.arches = arches.filter(isArch);
  }
  return o;
}

async function runMatrix(env: Env, o: MatrixOptions, io: Io): Promise<number> {
  const suites = MATRIX_SUITES.filter((s) => o.suites === undefined || o.suites.includes(s.suite));
  const arches = MATRIX_ARCHES.filter((a) => o.arches === undefined || o.arches.includes(a));
  const tools = ['make', 'gcc', 'tar', 'xz', 'dpkg', 'dpkg-source', 'apt-get', 'apt-cache', 'sparse', 'flex', 'bison', 'bc'];
  for (const a of arches) {
    const cc = `${archInfo(a, env.host).crossCompile}gcc`;
    await requireTools(cc === 'gcc' ? tools : [...tools, cc], archInfo(a, env.host));
  }
  const cells: MatrixCell[] = [];
  const ctx: { state?: Awaited<ReturnType<typeof openSourceState>>; sources: ResolvedSource[] } = { sources: [] };
  const cellTask = (r: ResolvedSource, arch: Arch, tree: () => string): ListrTask => ({
    title: `${arch}`,
    task: async (_c, task) => {
      const t0 = Date.now();
      const log = (m: string): void => {
        task.output = m;
      };
      let result: { warnings: string[]; error?: string };
      let checker = '?';
      try {
        const state = ctx.state;
        if (!state) throw new Error('internal: no apt state');
        const prepared = await prepareTree(tree(), env.paths.cache, r, arch, env.signal, log);
        const c = await checkerFor(tree(), arch, state, env.paths.cache, env.signal, log);
        checker = c.label;
        log(`make W=1 C=2 (${c.label})`);
        result = await buildCell({ srcKernel: env.paths.srcKernel, prepared, arch, check: c.check, work: path.join(env.paths.out, 'matrix', `${r.package}-${arch}`), signal: env.signal });
      } catch (err) {
        if (env.signal.aborted) throw new InterruptedError();
        result = { warnings: [], error: errorMessage(err) };
      }
      const cell = cellOf(r, arch, result, checker, Date.now() - t0);
      cells.push(cell);
      task.title = `${arch}: ${cell.status}${cell.status === 'warnings' ? ` (${cell.warnings.length})` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s, ${checker})`;
    },
  });
  const listr = new Listr(
    [
      {
        title: 'kernel sources: resolve in the matrix apt state',
        task: async (_c, task) => {
          ctx.state = await openSourceState(env.paths.cache, env.signal, (m) => {
            task.output = m;
          });
          ctx.sources = await resolveSources(ctx.state, suites, env.signal);
          task.title = `kernel sources: ${ctx.sources.map((s) => `${s.suite} ${s.package} ${s.version}`).join(', ')}`;
          return task.newListr(
            ctx.sources.map((r): ListrTask => {
              let tree = '';
              return {
                title: `${r.label} (${r.suite}) ${r.package} ${r.version}`,
                task: async (_c2, t2) => {
                  const state = ctx.state;
                  if (!state) throw new Error('internal: no apt state');
                  try {
                    tree = await sourceTree(state, env.paths.cache, r, env.signal, (m) => {
                      t2.output = m;
                    });
                  } catch (err) {
                    if (env.signal.aborted) throw new InterruptedError();
                    for (const a of arches) cells.push(cellOf(r, a, { warnings: [], error: errorMessage(err) }, '-', 0));
                    t2.skip(`cannot get the sources: ${errorMessage(err).split('\n')[0] ?? ''}`);
                    return undefined;
                  }
                  return t2.newListr(
                    arches.map((a) => cellTask(r, a, () => tree)),
                    { concurrent: false },
                  );
                },
              };
            }),
            { concurrent: false, exitOnError: false },
          );
        },
      },
    ],
    { renderer: renderer(o), fallbackRenderer: 'simple', exitOnError: true, registerSignalListeners: false },
  );
  await listr.run();
  const failed = cells.filter((c) => c.status !== 'clean');
  if (o.json) {
    io.out(JSON.stringify({ cells }, null, 2));
  } else {
    io.out('');
    io.out(matrixTable(cells, arches));
    for (const c of failed) {
      io.out('');
      io.out(`${c.label}${c.label !== c.suite ? ` ${c.suite}` : ''} ${c.arch}: ${c.error ?? `${c.warnings.length} warning(s)`}`);
      for (const w of c.warnings.slice(0, 20)) io.out(`  ${w}`);
    }
    io.out('');
    io.out(`${cells.length - failed.length} passed, ${failed.length} failed`);
  }
  return failed.length > 0 ? 1 : 0;
}

export const matrix: CommandSpec<MatrixOptions> = {
  name: 'matrix',
  summary: "W=1 + sparse builds against Debian's kernel sources, 5.10 to sid's newest, × 3 arches",
  usage: MATRIX_USAGE,
  options: { ...COMMON, suite: { type: 'string' }, arch: { type: 'string' } },
  writesOut: true,
  parse: (o, values) => parseMatrixOptions(o, values),
  run: runMatrix,
};
