/**
 * The guest benchmark's output protocol (`atemsys-bench run` on the serial
 * console). Each protocol line starts with a tag and carries one JSON object
 * on the same line:
 *
 *   ATEMSYS-BENCH-BEGIN {"format":1,"kernel":"6.1.0-57-amd64","machine":"x86_64","cpus":2,"quick":false}
 *   ATEMSYS-BENCH-GROUP {"group":"irq","title":"…","stat":"p50"}
 *   ATEMSYS-BENCH {"group":"irq","variant":"atemsys-msi","label":"atemsys MSI","baseline":"vfio-msi","unit":"us","n":2000,"min":…,"p50":…,"p99":…,"p999":…,"max":…,"mean":…,"q":[101 numbers]}
 *   ATEMSYS-BENCH {"group":"irq","variant":"vfio-msi","label":"…","skipped":"why"}
 *   ATEMSYS-BENCH {"group":"rtt","variant":"atemsys-irq","label":"…","error":"why"}
 *   ATEMSYS-BENCH-END {"ok":true}
 *
 * Kernel messages share the console: other lines are ignored, and a tag
 * found after other text on a line is read from the tag on. A protocol line
 * whose JSON is cut or wrong is reported with its line number. Pure.
 */
import { cleanLine } from '../report/ktap.ts';

export const BENCH_BEGIN = 'ATEMSYS-BENCH-BEGIN';
export const BENCH_GROUP = 'ATEMSYS-BENCH-GROUP';
export const BENCH_ROW = 'ATEMSYS-BENCH';
export const BENCH_END = 'ATEMSYS-BENCH-END';
/** The protocol format this orchestrator reads. */
export const BENCH_FORMAT = 1;
/** Percentiles 0..100 in `q`. */
export const QUANTILES = 101;

/** The BEGIN line: what the guest measured on. */
export interface BenchBegin {
  format: number;
  /** the guest's kernel release */
  kernel: string;
  machine: string;
  cpus: number;
  quick: boolean;
  [k: string]: unknown;
}

export type BenchStat = 'p50' | 'p99';
export const BENCH_STATS: readonly BenchStat[] = ['p50', 'p99'];

/** A GROUP line: the human title, and the statistic ratios of the group compare. */
export interface BenchGroup {
  group: string;
  title: string;
  stat: BenchStat;
}

/** Latency statistics of one measured row, all µs (n: samples). */
export interface BenchStats {
  n: number;
  min: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** percentiles 0, 1, …, 100 (µs) */
  q: number[];
}

interface RowBase {
  group: string;
  variant: string;
  label: string;
  /** the variant of the same group this row is compared with; absent for baselines */
  baseline?: string;
  /** 1-based line of the serial log */
  line: number;
  /** the row's JSON as the guest printed it (every field, for bench.json) */
  fields: Record<string, unknown>;
}

/** One ATEMSYS-BENCH row: measured (µs), skipped (with the reason) or failed (with the error). */
export type BenchRow =
  | (RowBase & { kind: 'stats'; stats: BenchStats; cycles?: number; missed?: number; periodUs?: number })
  | (RowBase & { kind: 'skipped'; reason: string })
  | (RowBase & { kind: 'error'; error: string });

export interface BenchOutput {
  begin?: BenchBegin;
  end?: { ok: boolean; [k: string]: unknown };
  groups: BenchGroup[];
  rows: BenchRow[];
  /** corrupted or contradictory protocol lines, each naming its line: the run fails */
  problems: string[];
}

const TAG_RE = /ATEMSYS-BENCH(?:-BEGIN|-GROUP|-END)?(?=\s|\{|$)/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The first complete JSON object at the start of `s` (balanced braces,
 * strings respected), and what follows it; undefined when the text ends first.
 */
export function leadingObject(s: string): { json: string; rest: string } | undefined {
  if (!s.startsWith('{')) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return { json: s.slice(0, i + 1), rest: s.slice(i + 1) };
    }
  }
  return undefined;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isCount(v: unknown): v is number {
  return isNum(v) && Number.isInteger(v) && v >= 0;
}

function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw new Error(`"${k}" must be a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

function name(o: Record<string, unknown>, k: string): string {
  const v = str(o, k);
  if (!NAME_RE.test(v)) throw new Error(`"${k}" must be a name of letters, digits, ., _ and -, got ${JSON.stringify(v)}`);
  return v;
}

function toStats(o: Record<string, unknown>): BenchStats {
  if (o.unit !== 'us') throw new Error(`"unit" must be "us", got ${JSON.stringify(o.unit) ?? 'nothing'}`);
  const n = o.n ?? o.cycles;
  if (!isCount(n)) throw new Error(`"n" must be a non-negative integer, got ${JSON.stringify(o.n) ?? 'nothing'}`);
  const out: Record<string, number> = {};
  for (const k of ['min', 'p50', 'p99', 'p999', 'max', 'mean'] as const) {
    const v = o[k];
    if (!isNum(v)) throw new Error(`"${k}" must be a number (µs), got ${JSON.stringify(v) ?? 'nothing'}`);
    out[k] = v;
  }
  const q = o.q;
  if (!Array.isArray(q) || q.length !== QUANTILES || !q.every(isNum)) {
    throw new Error(
      `"q" must be ${QUANTILES} numbers (percentiles 0..100), got ${Array.isArray(q) ? `${q.length} entries${q.every(isNum) ? '' : ' with non-numbers'}` : (JSON.stringify(q) ?? 'nothing')}`,
    );
  }
  return { n, min: out.min ?? 0, p50: out.p50 ?? 0, p99: out.p99 ?? 0, p999: out.p999 ?? 0, max: out.max ?? 0, mean: out.mean ?? 0, q: q as number[] };
}

/** One ATEMSYS-BENCH object → a row. Throws Error saying which field is wrong. */
export function toRow(o: Record<string, unknown>, line: number): BenchRow {
  const base: RowBase = { group: name(o, 'group'), variant: name(o, 'variant'), label: str(o, 'label'), line, fields: o };
  if (o.baseline !== undefined) base.baseline = name(o, 'baseline');
  if (o.error !== undefined) return { ...base, kind: 'error', error: typeof o.error === 'string' && o.error !== '' ? o.error : JSON.stringify(o.error) };
  if (o.skipped !== undefined) return { ...base, kind: 'skipped', reason: typeof o.skipped === 'string' && o.skipped !== '' ? o.skipped : 'skipped' };
  const row: BenchRow = { ...base, kind: 'stats', stats: toStats(o) };
  for (const [k, key] of [
    ['cycles', 'cycles'],
    ['missed', 'missed'],
    ['period_us', 'periodUs'],
  ] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (!isCount(v)) throw new Error(`"${k}" must be a non-negative integer, got ${JSON.stringify(v)}`);
    row[key] = v;
  }
  if (base.group.startsWith('cycle-') && (row.cycles === undefined || row.missed === undefined)) throw new Error(`a ${base.group} row needs "cycles" and "missed"`);
  return row;
}

function toBegin(o: Record<string, unknown>): BenchBegin {
  if (o.format !== BENCH_FORMAT) throw new Error(`format ${JSON.stringify(o.format)} is not the one this orchestrator reads (${BENCH_FORMAT}): update one of the two`);
  if (!isCount(o.cpus)) throw new Error(`"cpus" must be a non-negative integer, got ${JSON.stringify(o.cpus) ?? 'nothing'}`);
  if (typeof o.quick !== 'boolean') throw new Error(`"quick" must be true or false, got ${JSON.stringify(o.quick) ?? 'nothing'}`);
  return { ...o, format: o.format, kernel: str(o, 'kernel'), machine: str(o, 'machine'), cpus: o.cpus, quick: o.quick };
}

function toGroup(o: Record<string, unknown>): BenchGroup {
  const stat = o.stat;
  if (stat !== 'p50' && stat !== 'p99') throw new Error(`"stat" must be "p50" or "p99", got ${JSON.stringify(stat) ?? 'nothing'}`);
  return { group: name(o, 'group'), title: str(o, 'title'), stat };
}

/** Read the protocol lines of a serial log. `logName` names the file in problems. */
export function parseBenchOutput(log: string, logName = 'serial log'): BenchOutput {
  const out: BenchOutput = { groups: [], rows: [], problems: [] };
  const seen = new Map<string, number>();
  log.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    const line = cleanLine(raw);
    const m = TAG_RE.exec(line);
    if (!m) return;
    const tag = m[0];
    const after = line.slice(m.index + tag.length).trimStart();
    const where = `${logName}:${lineNo}`;
    const excerpt = line.slice(m.index, m.index + 160);
    const obj = leadingObject(after);
    if (!obj) {
      out.problems.push(`${where}: corrupted ${tag} line (its JSON object is cut short or missing — kernel output in the middle of it?): ${excerpt}`);
      return;
    }
    let o: unknown;
    try {
      o = JSON.parse(obj.json);
    } catch (err) {
      out.problems.push(`${where}: corrupted ${tag} line (${err instanceof Error ? err.message : String(err)}): ${excerpt}`);
      return;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      out.problems.push(`${where}: corrupted ${tag} line (expected a JSON object): ${excerpt}`);
      return;
    }
    const rec = o as Record<string, unknown>;
    try {
      switch (tag) {
        case BENCH_BEGIN:
          if (out.begin) throw new Error(`a second ${BENCH_BEGIN} (the guest ran the benchmark twice?)`);
          out.begin = toBegin(rec);
          break;
        case BENCH_GROUP: {
          const g = toGroup(rec);
          if (out.groups.some((x) => x.group === g.group)) throw new Error(`group ${g.group} is described twice`);
          out.groups.push(g);
          break;
        }
        case BENCH_END:
          if (typeof rec.ok !== 'boolean') throw new Error(`"ok" must be true or false, got ${JSON.stringify(rec.ok) ?? 'nothing'}`);
          out.end = { ...rec, ok: rec.ok };
          break;
        default: {
          const r = toRow(rec, lineNo);
          const key = `${r.group}/${r.variant}`;
          const first = seen.get(key);
          if (first !== undefined) throw new Error(`${key} was reported already (line ${first})`);
          seen.set(key, lineNo);
          out.rows.push(r);
        }
      }
    } catch (err) {
      out.problems.push(`${where}: bad ${tag} line (${err instanceof Error ? err.message : String(err)}): ${excerpt}`);
    }
  });
  return out;
}

/** The group's description: its GROUP line, or the group name and p50 when the guest printed none. */
export function groupInfo(out: Pick<BenchOutput, 'groups'>, group: string): BenchGroup {
  return out.groups.find((g) => g.group === group) ?? { group, title: group, stat: 'p50' };
}

/**
 * Two boots of one board as one table (a device-tree board: the boot with
 * the atemsys device tree measures atemsys, the boot with the stock one the
 * kernel's own driver). A row `first` skipped and `second` measured (or
 * failed) is taken from `second`, each named in `from`; rows only `second`
 * has are added; BEGIN is the first's, END ok only when both are;
 * problems of both, the second's prefixed with `secondName`. Pure.
 */
export function mergeBenchOutputs(first: BenchOutput, second: BenchOutput, secondName: string): BenchOutput & { from: Map<BenchRow, 'first' | 'second'> } {
  const from = new Map<BenchRow, 'first' | 'second'>();
  const key = (r: BenchRow): string => `${r.group}\u0000${r.variant}`;
  const seconds = new Map(second.rows.map((r) => [key(r), r]));
  const rows: BenchRow[] = [];
  for (const r of first.rows) {
    const s = seconds.get(key(r));
    const take = r.kind === 'skipped' && s !== undefined && s.kind !== 'skipped' ? s : r;
    from.set(take, take === r ? 'first' : 'second');
    rows.push(take);
    seconds.delete(key(r));
  }
  for (const s of seconds.values()) {
    from.set(s, 'second');
    rows.push(s);
  }
  const groups = [...first.groups, ...second.groups.filter((g) => !first.groups.some((x) => x.group === g.group))];
  const merged: BenchOutput & { from: Map<BenchRow, 'first' | 'second'> } = {
    groups,
    rows,
    problems: [...first.problems, ...second.problems.map((p) => `${secondName}: ${p}`)],
    from,
  };
  if (first.begin) merged.begin = first.begin;
  if (first.end || second.end) merged.end = { ...(first.end ?? {}), ok: (first.end?.ok ?? false) && (second.end?.ok ?? false) };
  return merged;
}
