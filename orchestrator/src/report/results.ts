/** One smoke run's outcome (board × kernel): tests, counts, problems. Pure. */
import { countResults, type Counts, type KtapReport, type TestResult } from './ktap.ts';

export interface RunKey {
  board: string;
  arch: string;
  suite: string;
  series: string;
  flavour: string;
  /** kernel release, undefined when the build failed before resolving it */
  release?: string;
}

export interface RunSummary extends RunKey {
  status: 'passed' | 'failed';
  counts: Counts;
  /** boot to end (ms) */
  durationMs: number;
  tests: TestResult[];
  problems: string[];
  /** remarks that fail nothing, e.g. a boot done again after an emulator fault */
  notes?: string[];
  rc?: number;
  /** directory with serial.log, junit.xml, results.json */
  dir?: string;
}

/**
 * A run's summary. Run-level problems with no failing test behind them become
 * one failed `(run)` entry, so counts never hide them. `extraTests` are checks
 * the orchestrator made on the host (e.g. wire_conformance), counted like the
 * guest's tests.
 */
export function summarizeRun(key: RunKey, ktap: KtapReport, durationMs: number, extraProblems: readonly string[] = [], extraTests: readonly TestResult[] = []): RunSummary {
  const problems = [...extraProblems, ...ktap.problems];
  const tests = [...ktap.tests];
  const failing = tests.some((t) => t.status === 'fail' || t.status === 'missing');
  if (problems.length > 0 && !failing) {
    tests.push({ id: 0, name: '(run)', status: 'fail', reason: problems[0] ?? 'run failed', diagnostics: problems.slice(1) });
  }
  tests.push(...extraTests);
  const counts = countResults(tests);
  const s: RunSummary = {
    ...key,
    status: counts.failed === 0 && problems.length === 0 ? 'passed' : 'failed',
    counts,
    durationMs,
    tests,
    problems,
  };
  if (ktap.rc !== undefined) s.rc = ktap.rc;
  return s;
}

/** A run that never booted (build or set-up failed). */
export function failedBeforeBoot(key: RunKey, stage: string, message: string): RunSummary {
  return {
    ...key,
    status: 'failed',
    counts: { passed: 0, failed: 1, skipped: 0 },
    durationMs: 0,
    tests: [{ id: 0, name: `(${stage})`, status: 'fail', reason: message.split('\n')[0] ?? message, diagnostics: message.split('\n').slice(1) }],
    problems: [`${stage} failed: ${message}`],
  };
}

export function totals(runs: readonly RunSummary[]): Counts {
  return runs.reduce<Counts>((a, r) => ({ passed: a.passed + r.counts.passed, failed: a.failed + r.counts.failed, skipped: a.skipped + r.counts.skipped }), { passed: 0, failed: 0, skipped: 0 });
}
