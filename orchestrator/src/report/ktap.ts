/**
 * KTAP v1 (and TAP 13/14) from a guest serial log that also carries kernel
 * messages and other noise. Only the part between the begin and end markers
 * is read when the begin marker is there. Nested subtests (any consistent
 * indentation) are flattened to `parent/child`. Pure.
 */
import { BEGIN_MARKER, END_MARKER } from '../guest/initramfs.ts';

export type TestStatus = 'pass' | 'fail' | 'skip' | 'missing';

export interface TestResult {
  /** number in its (flattened) plan, for reference */
  id: number;
  name: string;
  status: TestStatus;
  /** SKIP reason, or the text after `#` of a `not ok` line */
  reason?: string;
  /** `# ` lines that came before the result */
  diagnostics: string[];
}

export interface KtapReport {
  version?: string;
  plan?: number;
  tests: TestResult[];
  /** run-level problems: missing markers, missing tests, bail out, ... */
  problems: string[];
  beginMarker: boolean;
  endMarker: boolean;
  rc?: number;
  bailOut?: string;
  /** diagnostics after the last result */
  trailing: string[];
}

interface Frame {
  indent: number;
  plan?: number;
  seen: Set<number>;
  out: TestResult[];
  pendingDiag: string[];
  subtestName?: string;
  /** the nested frame that just closed, waiting for its parent's result line */
  child?: Frame;
}

const RESULT_RE = /^(not ok|ok)\b\s*(\d+)?(?:\s+(?:-\s+)?(.*))?$/;
const PLAN_RE = /^1\.\.(\d+)(?:\s*#.*)?$/;
const VERSION_RE = /^(KTAP version \d+|TAP version \d+)\s*$/;
const BAIL_RE = /^Bail out!\s*(.*)$/;
const SUBTEST_RE = /^#\s*Subtest:\s*(.*)$/;
const DIRECTIVE_RE = /^(SKIP|TODO|XFAIL)\b[:\s]*(.*)$/i;

function newFrame(indent: number): Frame {
  return { indent, seen: new Set(), out: [], pendingDiag: [] };
}

/** Clean a raw serial line: drop \r, ANSI escapes and other control characters, trailing blanks. */
export function cleanLine(raw: string): string {
  return (
    raw
      // a serial console carries terminal escapes and control characters: strip them
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
      .replace(/\s+$/, '')
  );
}

function splitDirective(rest: string): { name: string; comment?: string } {
  const i = rest.search(/(^|\s)#(\s|$)/);
  if (i < 0) return { name: rest.trim() };
  const hash = rest.indexOf('#', i);
  return { name: rest.slice(0, hash).trim(), comment: rest.slice(hash + 1).trim() };
}

export function parseResultLine(content: string): { ok: boolean; id?: number; name: string; status: TestStatus; reason?: string } | undefined {
  const m = RESULT_RE.exec(content);
  if (!m) return undefined;
  const ok = m[1] === 'ok';
  const id = m[2] === undefined ? undefined : Number(m[2]);
  const { name, comment } = splitDirective(m[3] ?? '');
  let status: TestStatus = ok ? 'pass' : 'fail';
  let reason: string | undefined;
  if (comment !== undefined) {
    const d = DIRECTIVE_RE.exec(comment);
    if (d) {
      const kind = (d[1] ?? '').toUpperCase();
      status = 'skip';
      reason = kind === 'SKIP' ? d[2] || 'skipped' : `${kind}${d[2] ? `: ${d[2]}` : ''}`;
    } else if (!ok && comment !== '') {
      reason = comment;
    }
  }
  const r: { ok: boolean; id?: number; name: string; status: TestStatus; reason?: string } = { ok, name, status };
  if (id !== undefined) r.id = id;
  if (reason !== undefined) r.reason = reason;
  return r;
}

export interface ParseOptions {
  beginMarker?: string;
  endMarker?: string;
}

export function parseKtap(log: string, opts: ParseOptions = {}): KtapReport {
  const begin = opts.beginMarker ?? BEGIN_MARKER;
  const end = opts.endMarker ?? END_MARKER;
  const lines = log.split('\n').map(cleanLine);
  const report: KtapReport = { tests: [], problems: [], beginMarker: false, endMarker: false, trailing: [] };

  let startAt = 0;
  const bi = lines.findIndex((l) => l.includes(begin));
  if (bi >= 0) {
    report.beginMarker = true;
    startAt = bi + 1;
  }

  const stack: Frame[] = [newFrame(0)];
  const top = (): Frame => stack[stack.length - 1] as Frame;
  const endRe = new RegExp(`${end.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\s+rc=(-?\\d+))?`);

  /** close frames deeper than `indent` */
  const unwindTo = (indent: number): void => {
    while (stack.length > 1 && indent < top().indent) {
      const closed = stack.pop() as Frame;
      const parent = top();
      if (parent.child) adoptOrphans(parent, parent.child);
      parent.child = closed;
    }
  };

  const adoptOrphans = (parent: Frame, child: Frame): void => {
    // subtests that never got a parent result line
    const prefix = child.subtestName ?? '(unnamed)';
    for (const t of finishFrame(child, prefix)) parent.out.push({ ...t, name: `${prefix}/${t.name}` });
    report.problems.push(`subtests of "${prefix}" have no result line of their own`);
  };

  /** results of a frame, including missing planned tests */
  const finishFrame = (f: Frame, label: string): TestResult[] => {
    if (f.child) {
      const c = f.child;
      f.child = undefined;
      adoptOrphans(f, c);
    }
    const out = [...f.out];
    if (f.plan !== undefined) {
      const missing: number[] = [];
      for (let i = 1; i <= f.plan; i++) if (!f.seen.has(i)) missing.push(i);
      if (missing.length > 0) {
        const got = f.plan - missing.length;
        report.problems.push(`${label === '' ? '' : `${label}: `}plan 1..${f.plan} but ${got} result${got === 1 ? '' : 's'} (missing: ${compactRange(missing)})`);
        for (const i of missing) out.push({ id: i, name: `test #${i}`, status: 'missing', diagnostics: [] });
      }
    }
    return out;
  };

  for (let li = startAt; li < lines.length; li++) {
    const line = lines[li] ?? '';
    const em = endRe.exec(line);
    if (em && line.includes(end)) {
      report.endMarker = true;
      if (em[1] !== undefined) report.rc = Number(em[1]);
      break;
    }
    const indent = line.length - line.trimStart().length;
    const content = line.trimStart();
    if (content === '') continue;

    const isVersion = VERSION_RE.test(content);
    const plan = PLAN_RE.exec(content);
    const result = parseResultLine(content);
    const bail = BAIL_RE.exec(content);
    const isDiag = content.startsWith('#');
    if (!isVersion && !plan && !result && !bail && !isDiag) continue; // noise

    unwindTo(indent);
    if (indent > top().indent) stack.push(newFrame(indent));
    const f = top();

    if (isVersion) {
      if (stack.length === 1 && report.version === undefined) report.version = content;
      continue;
    }
    if (plan) {
      if (f.plan === undefined) f.plan = Number(plan[1]);
      if (stack.length === 1) report.plan = f.plan;
      continue;
    }
    if (bail) {
      report.bailOut = bail[1] || 'no reason given';
      report.problems.push(`Bail out! ${report.bailOut}`);
      continue;
    }
    if (isDiag) {
      const st = SUBTEST_RE.exec(content);
      if (st) {
        f.subtestName = st[1]?.trim();
        continue;
      }
      const text = content.replace(/^#\s?/, '');
      if (text !== '') f.pendingDiag.push(text);
      continue;
    }
    if (result) {
      const id = result.id ?? f.seen.size + 1;
      if (f.seen.has(id)) report.problems.push(`test number ${id} reported twice (${result.name || 'unnamed'})`);
      f.seen.add(id);
      const name = result.name || `test #${id}`;
      const t: TestResult = { id, name, status: result.status, diagnostics: f.pendingDiag };
      if (result.reason !== undefined) t.reason = result.reason;
      f.pendingDiag = [];
      const child = f.child;
      f.child = undefined;
      if (child) {
        const subs = finishFrame(child, name);
        // a subtest frame with no results: its diagnostics belong to this test
        if (subs.length === 0) {
          t.diagnostics = [...child.pendingDiag, ...t.diagnostics];
          f.out.push(t);
        } else {
          for (const s of subs) f.out.push({ ...s, name: `${name}/${s.name}` });
          const childFailed = subs.some((s) => s.status === 'fail' || s.status === 'missing');
          if (t.status === 'fail' && !childFailed) f.out.push({ ...t, reason: t.reason ?? 'failed, though all its subtests passed' });
          if (child.pendingDiag.length > 0) report.trailing.push(...child.pendingDiag);
        }
      } else {
        f.out.push(t);
      }
    }
  }

  // close everything
  unwindTo(0);
  const root = stack[0] as Frame;
  report.tests = finishFrame(root, '');
  report.trailing.push(...root.pendingDiag);

  if (!report.beginMarker) report.problems.unshift(`begin marker ${begin} not found: the guest never reached /init`);
  if (!report.endMarker) report.problems.push(`end marker ${end} not found: the selftest did not finish`);
  if (report.beginMarker && report.tests.length === 0 && report.plan === undefined && report.bailOut === undefined) {
    report.problems.push('no KTAP output (no plan, no results)');
  } else if (report.plan === undefined && report.tests.length > 0) {
    report.problems.push('no KTAP plan line (1..N): cannot tell whether tests are missing');
  }
  const failed = report.tests.some((t) => t.status === 'fail' || t.status === 'missing');
  if (report.rc !== undefined && report.rc !== 0 && report.rc !== 4 && !failed && report.bailOut === undefined) {
    report.problems.push(`selftest exited with rc=${report.rc} although no test failed`);
  }
  return report;
}

export function compactRange(ids: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ids.length) {
    let j = i;
    while (j + 1 < ids.length && (ids[j + 1] ?? 0) === (ids[j] ?? 0) + 1) j++;
    parts.push(i === j ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export function countResults(tests: readonly TestResult[]): Counts {
  const c: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const t of tests) {
    if (t.status === 'pass') c.passed++;
    else if (t.status === 'skip') c.skipped++;
    else c.failed++;
  }
  return c;
}
