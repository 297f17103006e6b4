import { describe, expect, it } from 'vitest';
import { parseKtap } from '../src/report/ktap.ts';
import { failedBeforeBoot, summarizeRun, totals } from '../src/report/results.ts';

const key = { board: 'qemu-arm64', arch: 'arm64', suite: 'bookworm', series: '6.1', flavour: 'arm64', release: '6.1.0-56-arm64' };

describe('summarizeRun', () => {
  it('passes a clean run', () => {
    const s = summarizeRun(key, parseKtap('ATEMSYS-SMOKE-BEGIN\n1..2\nok 1 a\nok 2 b # SKIP x\nATEMSYS-SMOKE-END rc=0\n'), 2400);
    expect(s.status).toBe('passed');
    expect(s.counts).toEqual({ passed: 1, failed: 0, skipped: 1 });
    expect(s.durationMs).toBe(2400);
    expect(s.rc).toBe(0);
  });

  it('turns run-level problems without failing tests into a failed (run) entry', () => {
    const s = summarizeRun(key, parseKtap('ATEMSYS-SMOKE-BEGIN\n1..1\nok 1 a\n'), 300000, ['guest hung after 300 s; last 20 lines of serial.log:\n  | ok 1 a']);
    expect(s.status).toBe('failed');
    expect(s.counts).toEqual({ passed: 1, failed: 1, skipped: 0 });
    const run = s.tests.find((t) => t.name === '(run)');
    expect(run?.reason).toBe('guest hung after 300 s; last 20 lines of serial.log:\n  | ok 1 a');
    expect(run?.diagnostics).toEqual(['end marker ATEMSYS-SMOKE-END not found: the selftest did not finish']);
  });

  it('does not add (run) when failing or missing tests already explain the failure', () => {
    const s = summarizeRun(key, parseKtap('ATEMSYS-SMOKE-BEGIN\n1..3\nok 1 a\nATEMSYS-SMOKE-END rc=1\n'), 1);
    expect(s.tests.map((t) => t.name)).toEqual(['a', 'test #2', 'test #3']);
    expect(s.counts.failed).toBe(2);
    expect(s.status).toBe('failed');
  });

  it('describes a run that never booted', () => {
    const s = failedBeforeBoot({ ...key, release: undefined }, 'build', 'module build failed (exit 2)\nerror: x');
    expect(s.status).toBe('failed');
    expect(s.counts).toEqual({ passed: 0, failed: 1, skipped: 0 });
    expect(s.tests[0]).toEqual({ id: 0, name: '(build)', status: 'fail', reason: 'module build failed (exit 2)', diagnostics: ['error: x'] });
  });

  it('adds up totals', () => {
    const a = summarizeRun(key, parseKtap('ATEMSYS-SMOKE-BEGIN\n1..2\nok 1 a\nnot ok 2 b\nATEMSYS-SMOKE-END rc=1\n'), 1);
    const b = failedBeforeBoot(key, 'build', 'x');
    expect(totals([a, b])).toEqual({ passed: 1, failed: 2, skipped: 0 });
    expect(totals([])).toEqual({ passed: 0, failed: 0, skipped: 0 });
  });
});

describe('summarizeRun with host checks', () => {
  it('counts an extra test like the guest ones and fails the run when it fails', () => {
    const ktap = parseKtap('ATEMSYS-SMOKE-BEGIN\n1..1\nok 1 a\nATEMSYS-SMOKE-END rc=0\n');
    const pass = summarizeRun(key, ktap, 1, [], [{ id: 0, name: 'wire_conformance', status: 'pass', diagnostics: ['3 runs matched'] }]);
    expect(pass.status).toBe('passed');
    expect(pass.counts).toEqual({ passed: 2, failed: 0, skipped: 0 });
    expect(pass.tests.map((t) => t.name)).toEqual(['a', 'wire_conformance']);
    const fail = summarizeRun(key, ktap, 1, [], [{ id: 0, name: 'wire_conformance', status: 'fail', reason: 'x', diagnostics: [] }]);
    expect(fail.status).toBe('failed');
    expect(fail.counts).toEqual({ passed: 1, failed: 1, skipped: 0 });
  });

  it('still adds (run) for a run problem when only the extra test failed', () => {
    const s = summarizeRun(key, parseKtap('ATEMSYS-SMOKE-BEGIN\n1..1\nok 1 a\n'), 1, ['guest hung'], [{ id: 0, name: 'wire_conformance', status: 'fail', reason: 'x', diagnostics: [] }]);
    expect(s.tests.map((t) => t.name)).toEqual(['a', '(run)', 'wire_conformance']);
    expect(s.counts.failed).toBe(2);
  });
});
