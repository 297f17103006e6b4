/**
 * The benchmark's targets (the issue's acceptance numbers) as data, and their
 * verdicts for one boot's rows. A target is reported, never fails a run. Pure.
 */
import type { BenchRow, BenchStat } from './proto.ts';

/** `variant`'s `stat` in `group` must be at most `factor` × `baseline`'s. */
export interface BenchTarget {
  group: string;
  variant: string;
  baseline: string;
  stat: BenchStat;
  factor: number;
  /** what the number means, for the report */
  what: string;
}

export const TARGETS: readonly BenchTarget[] = [
  { group: 'irq', variant: 'atemsys-intx', baseline: 'uio-intx', stat: 'p50', factor: 0.5, what: 'INTx round trip, median' },
  { group: 'irq', variant: 'atemsys-msi', baseline: 'vfio-msi', stat: 'p50', factor: 1.0, what: 'MSI round trip, median' },
  { group: 'rtt', variant: 'atemsys-poll', baseline: 'packet', stat: 'p50', factor: 0.5, what: 'EtherCAT frame round trip, median' },
  { group: 'cycle-1000', variant: 'atemsys-poll', baseline: 'packet', stat: 'p99', factor: 0.5, what: '1 ms cycle jitter, p99' },
  { group: 'cycle-1000', variant: 'atemsys-irq', baseline: 'packet', stat: 'p99', factor: 0.5, what: '1 ms cycle jitter, p99' },
];

export type Verdict = 'met' | 'not met' | 'not measured';

export interface TargetResult {
  /** "atemsys-intx ≤ 0.5 × uio-intx (irq, p50)" */
  target: string;
  what: string;
  verdict: Verdict;
  /** variant / baseline of the stat, when both were measured */
  ratio?: number;
  /** the two values compared, µs */
  value?: number;
  baselineValue?: number;
  /** why not measured */
  reason?: string;
}

/** "atemsys-intx ≤ 0.5 × uio-intx (irq, p50)" */
export function targetText(t: BenchTarget): string {
  return `${t.variant} ≤ ${t.factor.toFixed(1)} × ${t.baseline} (${t.group}, ${t.stat})`;
}

function rowState(rows: readonly BenchRow[], group: string, variant: string): { value?: number; why?: string } {
  const r = rows.find((x) => x.group === group && x.variant === variant);
  if (!r) {
    const has = rows.some((x) => x.group === group);
    if (has) return { why: `${variant} was not run` };
    const periods = [...new Set(rows.filter((x) => x.group.startsWith('cycle-')).map((x) => x.group))];
    return { why: `no ${group} group${group.startsWith('cycle-') && periods.length > 0 ? ` (measured: ${periods.join(', ')})` : ''}` };
  }
  if (r.kind === 'skipped') return { why: `${variant} skipped: ${r.reason}` };
  if (r.kind === 'error') return { why: `${variant} failed: ${r.error}` };
  return { value: r.stats.p50 };
}

/** The verdict of every target for one boot's rows. Pure. */
export function evaluateTargets(rows: readonly BenchRow[], targets: readonly BenchTarget[] = TARGETS): TargetResult[] {
  return targets.map((t) => {
    const base = { target: targetText(t), what: t.what };
    const pick = (variant: string): { value?: number; why?: string } => {
      const s = rowState(rows, t.group, variant);
      if (s.value === undefined) return s;
      const r = rows.find((x) => x.group === t.group && x.variant === variant);
      return r?.kind === 'stats' ? { value: r.stats[t.stat] } : s;
    };
    const v = pick(t.variant);
    const b = pick(t.baseline);
    if (v.value === undefined || b.value === undefined) {
      return { ...base, verdict: 'not measured', reason: [...new Set([v.why, b.why].filter((x) => x !== undefined))].join('; ') };
    }
    if (b.value <= 0) return { ...base, verdict: 'not measured', value: v.value, baselineValue: b.value, reason: `${t.baseline} ${t.stat} is ${b.value} µs: no ratio` };
    const ratio = v.value / b.value;
    return { ...base, verdict: ratio <= t.factor ? 'met' : 'not met', ratio, value: v.value, baselineValue: b.value };
  });
}
