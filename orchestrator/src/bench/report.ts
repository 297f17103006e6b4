/**
 * The benchmark's results: one boot's outcome (rows, ratios to the
 * baselines, target verdicts, problems), the tables printed and written to
 * bench.txt, and the bench.json document. Pure.
 */
import { BENCH_BEGIN, BENCH_END, groupInfo, type BenchBegin, type BenchGroup, type BenchOutput, type BenchStat } from './proto.ts';
import { evaluateTargets, type TargetResult } from './targets.ts';
import { END_MARKER } from '../guest/initramfs.ts';
import type { ToolVersions } from '../core/manifest.ts';
import { table } from '../report/report.ts';

/** bench.json's format version. */
export const BENCH_JSON_FORMAT = 1;
/** The `module` of the boot with the module this tree built. */
export const THIS_TREE = 'atemsys (this tree)';

/** A row's ratio to its baseline: `value` = row stat / baseline stat, null when it cannot be computed (`note` says why). */
export interface RowRatio {
  stat: BenchStat;
  baseline: string;
  value: number | null;
  note?: string;
}

/** Ratio of every row that names a baseline (key: row index). */
export function rowRatios(out: Pick<BenchOutput, 'rows' | 'groups'>): Map<number, RowRatio> {
  const m = new Map<number, RowRatio>();
  out.rows.forEach((r, i) => {
    if (r.baseline === undefined) return;
    const stat = groupInfo(out, r.group).stat;
    const b = out.rows.find((x) => x.group === r.group && x.variant === r.baseline);
    const ratio: RowRatio = { stat, baseline: r.baseline, value: null };
    if (r.kind !== 'stats') ratio.note = r.kind === 'skipped' ? 'skipped' : 'failed';
    else if (!b) ratio.note = `baseline ${r.baseline} not reported`;
    else if (b.kind === 'skipped') ratio.note = `baseline ${r.baseline} skipped`;
    else if (b.kind === 'error') ratio.note = `baseline ${r.baseline} failed`;
    else if (b.stats[stat] <= 0) ratio.note = `baseline ${r.baseline} ${stat} is ${b.stats[stat]} µs`;
    else ratio.value = r.stats[stat] / b.stats[stat];
    m.set(i, ratio);
  });
  return m;
}

/** How the guest run ended, as the host saw it. */
export interface BootRun {
  /** runner outcome: exited, marker, timeout, interrupted */
  outcome: string;
  durationMs: number;
  /** the runner's description of a hang or early exit (with the log's tail), undefined when fine */
  guestProblem?: string;
  /** last lines of the serial log */
  tail: readonly string[];
  /** the rc on the init's end marker, undefined when the marker is missing */
  rc?: number;
}

/** The rc of `ATEMSYS-SMOKE-END rc=N` (the init's end marker), undefined without it. */
export function initRc(log: string): number | undefined {
  const m = new RegExp(`${END_MARKER} rc=(-?\\d+)`).exec(log);
  return m ? Number(m[1]) : undefined;
}

/**
 * Why a boot failed, one message each (empty when it did not): a hung guest,
 * corrupted lines, a missing BEGIN or END, END ok:false, rows with an
 * error, a non-zero exit of atemsys-bench.
 */
export function bootProblems(out: BenchOutput, run: BootRun, serialLog: string): string[] {
  const p: string[] = [];
  const tail = `last ${run.tail.length} lines of ${serialLog}:\n${run.tail.map((l) => `  | ${l}`).join('\n')}`;
  if (run.guestProblem !== undefined) p.push(run.guestProblem);
  p.push(...out.problems);
  if (!out.begin) p.push(`no ${BENCH_BEGIN} line: atemsys-bench never started${run.guestProblem === undefined ? `; ${tail}` : ''}`);
  else if (!out.end) p.push(`no ${BENCH_END} line: the benchmark did not finish${run.guestProblem === undefined ? `; ${tail}` : ''}`);
  else if (!out.end.ok) p.push(`atemsys-bench ended with ${BENCH_END} {"ok":false}`);
  for (const r of out.rows) if (r.kind === 'error') p.push(`${r.group}/${r.variant} (${r.label}): ${r.error}`);
  if (run.rc !== undefined && run.rc !== 0) p.push(`atemsys-bench exited with rc=${run.rc}${run.rc === 125 ? ' (insmod failed: see the Bail out! line)' : ''}`);
  return p;
}

/** One row as bench.json has it: the guest's fields, plus status, serial log line and ratio. */
export type BenchJsonRow = Record<string, unknown> & {
  group: string;
  variant: string;
  status: 'ok' | 'skipped' | 'error';
  line: number;
  ratio?: RowRatio;
};

/** One boot (one module) of bench.json. */
export interface BenchBoot {
  /** THIS_TREE, or the basename of --module */
  module: string;
  moduleFile: string;
  moduleSha256: string;
  vermagic: string;
  /** file names in the out dir */
  serialLog: string;
  /** a device-tree board's second boot, with the stock device tree */
  stockSerialLog?: string;
  initramfs: string;
  outcome: string;
  durationMs: number;
  rc: number | null;
  /** the BEGIN line */
  info: BenchBegin | null;
  end: Record<string, unknown> | null;
  groups: BenchGroup[];
  rows: BenchJsonRow[];
  targets: TargetResult[];
  problems: string[];
  status: 'passed' | 'failed';
}

export interface BootInput extends Pick<BenchBoot, 'module' | 'moduleFile' | 'moduleSha256' | 'vermagic' | 'serialLog' | 'initramfs'> {
  out: BenchOutput;
  run: BootRun;
}

/** A boot's bench.json entry: rows with ratios, targets, problems, status. */
export function benchBoot(i: BootInput): BenchBoot {
  const ratios = rowRatios(i.out);
  const problems = bootProblems(i.out, i.run, i.serialLog);
  return {
    module: i.module,
    moduleFile: i.moduleFile,
    moduleSha256: i.moduleSha256,
    vermagic: i.vermagic,
    serialLog: i.serialLog,
    initramfs: i.initramfs,
    outcome: i.run.outcome,
    durationMs: i.run.durationMs,
    rc: i.run.rc ?? null,
    info: i.out.begin ?? null,
    end: i.out.end ?? null,
    groups: [...new Set(i.out.rows.map((r) => r.group))].map((g) => groupInfo(i.out, g)),
    rows: i.out.rows.map((r, idx) => {
      const ratio = ratios.get(idx);
      const row: BenchJsonRow = { ...r.fields, group: r.group, variant: r.variant, status: r.kind === 'stats' ? 'ok' : r.kind, line: r.line };
      if (ratio) row.ratio = ratio;
      return row;
    }),
    targets: evaluateTargets(i.out.rows),
    problems,
    status: problems.length === 0 ? 'passed' : 'failed',
  };
}

/** bench.json: one board, one kernel, one or two boots. */
export interface BenchFile {
  format: typeof BENCH_JSON_FORMAT;
  board: string;
  arch: string;
  kernel: { suite: string; series: string; flavour: string; release: string };
  quick: boolean;
  createdAt: string;
  /** from the build's manifest.json */
  tools: ToolVersions | null;
  git: { commit: string | null; dirty: boolean | null } | null;
  boots: BenchBoot[];
  /** what stopped the run after a boot (e.g. the --module boot could not start) */
  error?: string;
  status: 'passed' | 'failed';
}

export function benchFile(i: Omit<BenchFile, 'format' | 'status' | 'createdAt'> & { createdAt?: Date }): BenchFile {
  const { createdAt, ...rest } = i;
  return {
    format: BENCH_JSON_FORMAT,
    ...rest,
    createdAt: (createdAt ?? new Date()).toISOString(),
    status: i.error === undefined && i.boots.length > 0 && i.boots.every((b) => b.status === 'passed') ? 'passed' : 'failed',
  };
}

/** µs with one decimal. */
export function us(v: number): string {
  return v.toFixed(1);
}

/** "0.42×" */
export function ratioText(v: number): string {
  return `${v.toFixed(2)}×`;
}

function num(r: BenchJsonRow, k: string): number | undefined {
  const v = r[k];
  return typeof v === 'number' ? v : undefined;
}

/** The table cells of one row after group and variant (and module): n, min, median, p99, p99.9, max, missed, ratio, note. */
function rowCells(r: BenchJsonRow): string[] {
  const ratio = r.ratio === undefined ? '-' : r.ratio.value === null ? 'n/a' : ratioText(r.ratio.value);
  const ratioNote = r.ratio !== undefined && r.ratio.value === null && r.status === 'ok' ? (r.ratio.note ?? '') : '';
  if (r.status === 'skipped') return ['skipped', '', '', '', '', '', '', '', String(r.skipped ?? '')];
  if (r.status === 'error') return ['ERROR', '', '', '', '', '', '', '', String(r.error ?? '')];
  const stat = (k: string): string => {
    const v = num(r, k);
    return v === undefined ? '?' : us(v);
  };
  const missed = num(r, 'missed');
  return [String(num(r, 'n') ?? num(r, 'cycles') ?? '?'), stat('min'), stat('p50'), stat('p99'), stat('p999'), stat('max'), missed === undefined ? '' : String(missed), ratio, ratioNote];
}

/**
 * The rows of every boot in one table: group, variant, (module, with two
 * boots), n, min, median, p99, p99.9, max (µs), missed, ratio, note. The
 * boots' rows of one variant stand together, in the first boot's order.
 */
export function rowsTable(boots: readonly BenchBoot[]): string {
  const withModule = boots.length > 1;
  const keys: string[] = [];
  for (const b of boots) for (const r of b.rows) if (!keys.includes(`${r.group}\0${r.variant}`)) keys.push(`${r.group}\0${r.variant}`);
  if (keys.length === 0) return '(no measurements)';
  // rows of one group together, groups in order of first appearance
  const groups = [...new Set(keys.map((k) => k.split('\0')[0] ?? ''))];
  keys.sort((a, b) => groups.indexOf(a.split('\0')[0] ?? '') - groups.indexOf(b.split('\0')[0] ?? ''));
  let lastGroup = '';
  let lastVariant = '';
  const cells: string[][] = [];
  for (const k of keys) {
    for (const b of boots) {
      const r = b.rows.find((x) => `${x.group}\0${x.variant}` === k);
      if (!r) continue;
      const group = r.group === lastGroup ? '' : r.group;
      // the variant id first: targets and baselines name it, and a long label is clipped at its end
      const label = k === lastVariant ? '' : typeof r.label === 'string' ? `${r.variant}: ${r.label}` : r.variant;
      lastGroup = r.group;
      lastVariant = k;
      cells.push([group, label, ...(withModule ? [b.module] : []), ...rowCells(r)]);
    }
  }
  const head = ['group', 'variant', ...(withModule ? ['module'] : []), 'n', 'min', 'median', 'p99', 'p99.9', 'max', 'missed', 'ratio', 'note'];
  return table(head, cells, [14, 60, ...(withModule ? [30] : []), 7, 9, 9, 9, 9, 9, 6, 7, 70]);
}

/** What each group measured and which statistic its ratios compare (groups of every boot, once). */
export function groupLegend(boots: readonly BenchBoot[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const b of boots) {
    for (const g of b.groups) {
      if (seen.has(g.group)) continue;
      seen.add(g.group);
      out.push(`  ${g.group}: ${g.title} — ratio of ${g.stat === 'p50' ? 'medians' : 'p99s'} to the baseline`);
    }
  }
  return out;
}

/** The targets table: target, what, (module, with two boots), measured, verdict. */
export function targetsTable(boots: readonly Pick<BenchBoot, 'module' | 'targets'>[]): string {
  const withModule = boots.length > 1;
  const rows: string[][] = [];
  const count = Math.max(0, ...boots.map((b) => b.targets.length));
  for (let i = 0; i < count; i++) {
    boots.forEach((b, bi) => {
      const t = b.targets[i];
      if (!t) return;
      rows.push([
        bi === 0 ? t.target : '',
        bi === 0 ? t.what : '',
        ...(withModule ? [b.module] : []),
        t.ratio !== undefined && t.value !== undefined && t.baselineValue !== undefined ? `${ratioText(t.ratio)} (${us(t.value)} / ${us(t.baselineValue)} µs)` : '-',
        t.verdict === 'not measured' ? `not measured${t.reason ? `: ${t.reason}` : ''}` : t.verdict,
      ]);
    });
  }
  return table(['target', 'what', ...(withModule ? ['module'] : []), 'measured', 'verdict'], rows, [52, 36, ...(withModule ? [30] : []), 28, 90]);
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The whole report of one board (bench.txt, and what the command prints): a line per boot, then one rows table and one targets table for all boots. */
export function benchText(f: BenchFile): string {
  const out: string[] = [];
  for (const b of f.boots) {
    const counts = { ok: 0, skipped: 0, error: 0 };
    for (const r of b.rows) counts[r.status]++;
    out.push(
      `${f.board} ${f.kernel.release} · ${b.module}: ${b.status === 'passed' ? 'PASSED' : 'FAILED'} — ${counts.ok} measured, ${counts.skipped} skipped, ${counts.error} failed (boot to end ${secs(b.durationMs)}${f.quick ? ', --quick' : ''})`,
    );
  }
  const info = f.boots.find((b) => b.info)?.info;
  if (info) out.push(`guest: ${info.kernel} ${info.machine}, ${info.cpus} CPU${info.cpus === 1 ? '' : 's'}; all times in µs`);
  if (f.boots.length > 0) {
    out.push(rowsTable(f.boots));
    const legend = groupLegend(f.boots);
    if (legend.length > 0) out.push('groups:', ...legend);
    out.push('targets:', targetsTable(f.boots));
  }
  for (const b of f.boots) {
    if (b.problems.length === 0) continue;
    out.push(`problems${f.boots.length > 1 ? ` (${b.module})` : ''}:`);
    for (const p of b.problems) out.push(`  - ${p.replace(/\n/g, '\n    ')}`);
  }
  if (f.error !== undefined) out.push(`FAILED after ${f.boots.length} boot${f.boots.length === 1 ? '' : 's'}: ${f.error}`);
  out.push('');
  return `${out.join('\n')}`;
}
