/** JUnit XML for smoke runs (one testsuite per board × kernel). Pure. */
import type { RunSummary } from './results.ts';

/** XML 1.0 text/attribute escaping; characters XML cannot carry are dropped. */
export function xmlEscape(s: string): string {
  return (
    s
      // XML 1.0 allows only these characters: drop every other control character
      // eslint-disable-next-line no-control-regex
      .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

export function suiteName(r: RunSummary): string {
  return `${r.board}/${r.release ?? `${r.series}-${r.flavour}`}`;
}

export function junitXml(runs: readonly RunSummary[]): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = runs.reduce((a, r) => ({ t: a.t + r.tests.length, f: a.f + r.counts.failed, s: a.s + r.counts.skipped, d: a.d + r.durationMs }), {
    t: 0,
    f: 0,
    s: 0,
    d: 0,
  });
  out.push(`<testsuites${attrs({ name: 'atemsys smoke', tests: all.t, failures: all.f, skipped: all.s, time: (all.d / 1000).toFixed(3) })}>`);
  for (const r of runs) {
    const suite = suiteName(r);
    const classname = suite.replace(/[/]/g, '.');
    out.push(`  <testsuite${attrs({ name: suite, tests: r.tests.length, failures: r.counts.failed, errors: 0, skipped: r.counts.skipped, time: (r.durationMs / 1000).toFixed(3) })}>`);
    if (r.problems.length > 0) {
      out.push(`    <properties>`);
      r.problems.forEach((p, i) => out.push(`      <property${attrs({ name: `problem.${i + 1}`, value: p })}/>`));
      out.push(`    </properties>`);
    }
    for (const t of r.tests) {
      const head = `    <testcase${attrs({ classname, name: t.name })}`;
      const diag = t.diagnostics.length > 0 ? `\n      <system-out>${xmlEscape(t.diagnostics.join('\n'))}</system-out>` : '';
      if (t.status === 'pass') {
        out.push(diag ? `${head}>${diag}\n    </testcase>` : `${head}/>`);
      } else if (t.status === 'skip') {
        out.push(`${head}>\n      <skipped${attrs({ message: t.reason ?? 'skipped' })}/>${diag}\n    </testcase>`);
      } else {
        const message = t.status === 'missing' ? 'no result reported (missing)' : (t.reason ?? 'failed');
        const body = xmlEscape([message, ...t.diagnostics].join('\n'));
        out.push(`${head}>\n      <failure${attrs({ message, type: t.status })}>${body}</failure>\n    </testcase>`);
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
