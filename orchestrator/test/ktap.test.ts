import { describe, expect, it } from 'vitest';
import { cleanLine, compactRange, countResults, parseKtap, parseResultLine } from '../src/report/ktap.ts';

const wrap = (body: string, rc = 0): string => `noise before\nATEMSYS-SMOKE-BEGIN\n${body}\nATEMSYS-SMOKE-END rc=${rc}\n`;

describe('parseResultLine', () => {
  it.each([
    ['ok 1 version', { ok: true, id: 1, name: 'version', status: 'pass' }],
    ['ok 2 - find_by_id', { ok: true, id: 2, name: 'find_by_id', status: 'pass' }],
    ['not ok 3 conf_by_bdf # 0000:00:02.0: CONF irq 11', { ok: false, id: 3, name: 'conf_by_bdf', status: 'fail', reason: '0000:00:02.0: CONF irq 11' }],
    ['ok 4 irq_msi # SKIP no MSI on this machine', { ok: true, id: 4, name: 'irq_msi', status: 'skip', reason: 'no MSI on this machine' }],
    ['not ok 5 x # SKIP', { ok: false, id: 5, name: 'x', status: 'skip', reason: 'skipped' }],
    ['ok 6 y # skip: lower case', { ok: true, id: 6, name: 'y', status: 'skip', reason: 'lower case' }],
    ['not ok 7 z # TODO later', { ok: false, id: 7, name: 'z', status: 'skip', reason: 'TODO: later' }],
    ['ok 8 with#hash', { ok: true, id: 8, name: 'with#hash', status: 'pass' }],
    ['ok 9 ok # just a comment', { ok: true, id: 9, name: 'ok', status: 'pass' }],
    ['ok', { ok: true, name: '', status: 'pass' }],
  ])('%s', (line, want) => {
    expect(parseResultLine(line)).toEqual(want);
  });

  it.each(['okay 1 x', 'not 1 x', 'nok 1', '# ok 1 x', 'oks'])('%s is not a result', (line) => {
    expect(parseResultLine(line)).toBeUndefined();
  });
});

describe('parseKtap', () => {
  it('parses a clean run with diagnostics attached to the next result', () => {
    const r = parseKtap(
      wrap(
        ['KTAP version 1', '1..3', '# atemsys-selftest: Linux 6.1', '# edu found', 'ok 1 version', 'not ok 2 conf # CONF irq 11', 'ok 3 poll # SKIP no poll', '# Totals: pass:1 fail:1 skip:1'].join(
          '\n',
        ),
        1,
      ),
    );
    expect(r.version).toBe('KTAP version 1');
    expect(r.plan).toBe(3);
    expect(r.beginMarker && r.endMarker).toBe(true);
    expect(r.rc).toBe(1);
    expect(r.tests).toEqual([
      { id: 1, name: 'version', status: 'pass', diagnostics: ['atemsys-selftest: Linux 6.1', 'edu found'] },
      { id: 2, name: 'conf', status: 'fail', reason: 'CONF irq 11', diagnostics: [] },
      { id: 3, name: 'poll', status: 'skip', reason: 'no poll', diagnostics: [] },
    ]);
    expect(r.trailing).toEqual(['Totals: pass:1 fail:1 skip:1']);
    expect(r.problems).toEqual([]);
    expect(countResults(r.tests)).toEqual({ passed: 1, failed: 1, skipped: 1 });
  });

  it('ignores kernel messages, \\r and escape sequences between KTAP lines', () => {
    const log = wrap(
      ['KTAP version 1\r', '1..2\r', '[    1.733471] pci 0000:00:01.0: Resources present before probing\r', '\x1b[0mok 1 a\r', 'random text ok 5 b', '[    2.0] ok 2 fake', 'ok 2 b\r'].join('\n'),
    );
    const r = parseKtap(log);
    expect(r.tests.map((t) => `${t.id} ${t.name} ${t.status}`)).toEqual(['1 a pass', '2 b pass']);
    expect(r.problems).toEqual([]);
  });

  it('reads only between the markers', () => {
    const log = 'ok 1 before\nATEMSYS-SMOKE-BEGIN\n1..1\nok 1 inside\nATEMSYS-SMOKE-END rc=0\nATEMSYS-DMESG-BEGIN\nnot ok 2 in dmesg\n';
    const r = parseKtap(log);
    expect(r.tests.map((t) => t.name)).toEqual(['inside']);
    expect(r.problems).toEqual([]);
  });

  it('reports tests missing from the plan', () => {
    const r = parseKtap(wrap('KTAP version 1\n1..5\nok 1 a\nok 2 b\nok 4 d', 1));
    expect(r.tests.map((t) => `${t.id}:${t.status}`)).toEqual(['1:pass', '2:pass', '4:pass', '3:missing', '5:missing']);
    expect(r.problems).toEqual(['plan 1..5 but 3 results (missing: 3, 5)']);
    expect(countResults(r.tests).failed).toBe(2);
  });

  it('reports a missing end marker (guest hung or crashed mid-run)', () => {
    const r = parseKtap('ATEMSYS-SMOKE-BEGIN\nKTAP version 1\n1..3\nok 1 a\n[   3.2] Unable to handle kernel NULL pointer\n');
    expect(r.endMarker).toBe(false);
    expect(r.rc).toBeUndefined();
    expect(r.problems).toEqual(['plan 1..3 but 1 result (missing: 2-3)', 'end marker ATEMSYS-SMOKE-END not found: the selftest did not finish']);
  });

  it('reports a missing begin marker', () => {
    const r = parseKtap('[ 0.1] Booting\nKernel panic - not syncing: VFS\n');
    expect(r.beginMarker).toBe(false);
    expect(r.problems[0]).toBe('begin marker ATEMSYS-SMOKE-BEGIN not found: the guest never reached /init');
    expect(r.problems).toContain('end marker ATEMSYS-SMOKE-END not found: the selftest did not finish');
    expect(r.tests).toEqual([]);
  });

  it('treats a bail out (failed insmod) as a problem and the plan as missing', () => {
    const r = parseKtap(wrap('Bail out! insmod /lib/modules/atemsys.ko failed', 125));
    expect(r.bailOut).toBe('insmod /lib/modules/atemsys.ko failed');
    expect(r.problems).toEqual(['Bail out! insmod /lib/modules/atemsys.ko failed']);
    expect(r.rc).toBe(125);
  });

  it('marks the rest of a plan missing after a bail out', () => {
    const r = parseKtap(wrap('KTAP version 1\n1..3\nok 1 a\nBail out! device gone', 1));
    expect(r.tests.map((t) => t.status)).toEqual(['pass', 'missing', 'missing']);
    expect(r.problems).toEqual(['Bail out! device gone', 'plan 1..3 but 1 result (missing: 2-3)']);
  });

  it('flags empty output, a missing plan, duplicates and a non-zero rc without failures', () => {
    expect(parseKtap(wrap('')).problems).toEqual(['no KTAP output (no plan, no results)']);
    expect(parseKtap(wrap('ok 1 a')).problems).toEqual(['no KTAP plan line (1..N): cannot tell whether tests are missing']);
    expect(parseKtap(wrap('1..2\nok 1 a\nok 1 b')).problems).toEqual(['test number 1 reported twice (b)', 'plan 1..2 but 1 result (missing: 2)']);
    expect(parseKtap(wrap('1..1\nok 1 a', 3)).problems).toEqual(['selftest exited with rc=3 although no test failed']);
    expect(parseKtap(wrap('1..1\nok 1 a # SKIP nothing', 4)).problems).toEqual([]);
  });

  it('accepts a plan at the end (TAP style) and TAP version 13', () => {
    const r = parseKtap(wrap('TAP version 13\nok 1 a\nok 2 b\n1..2'));
    expect(r.version).toBe('TAP version 13');
    expect(r.plan).toBe(2);
    expect(r.problems).toEqual([]);
  });

  it('numbers results without a number', () => {
    const r = parseKtap(wrap('1..2\nok\nnot ok'));
    expect(r.tests.map((t) => `${t.id} ${t.name} ${t.status}`)).toEqual(['1 test #1 pass', '2 test #2 fail']);
  });

  it('flattens subtests indented by 2 spaces as parent/child', () => {
    const log = wrap(
      ['KTAP version 1', '1..2', '  KTAP version 1', '  # Subtest: pci', '  1..2', '  # BAR0 found', '  ok 1 find', '  not ok 2 conf # EBUSY', 'not ok 1 pci', 'ok 2 irq'].join('\n'),
      1,
    );
    const r = parseKtap(log);
    expect(r.tests).toEqual([
      { id: 1, name: 'pci/find', status: 'pass', diagnostics: ['BAR0 found'] },
      { id: 2, name: 'pci/conf', status: 'fail', reason: 'EBUSY', diagnostics: [] },
      { id: 2, name: 'irq', status: 'pass', diagnostics: [] },
    ]);
    expect(r.problems).toEqual([]);
  });

  it('nests the 32-bit run under compat32, as the selftest prints it', () => {
    const log = wrap(
      [
        'KTAP version 1',
        '1..3',
        'ok 1 version',
        '    KTAP version 1',
        '    1..2',
        '    # atemsys-selftest: Linux 6.1.0-56-amd64 i686',
        '    ok 1 find_by_id',
        '    not ok 2 irq_msi # read: EINTR',
        '    # Totals: pass:1 fail:1 skip:0',
        'not ok 2 compat32 # 32-bit run exited with 1: see the compat32 subtests above',
        'ok 3 rmmod_after_close',
      ].join('\n'),
      1,
    );
    const r = parseKtap(log);
    // the failing subtest explains its parent's failure: counted once
    expect(r.tests.map((t) => `${t.name}:${t.status}`)).toEqual(['version:pass', 'compat32/find_by_id:pass', 'compat32/irq_msi:fail', 'rmmod_after_close:pass']);
    expect(r.problems).toEqual([]);
  });

  it('flattens 4-space (kunit style) nesting and two levels deep', () => {
    const log = wrap(
      ['KTAP version 1', '1..1', '    KTAP version 1', '    # Subtest: outer', '    1..1', '        1..2', '        ok 1 x', '        ok 2 y', '    ok 1 inner', 'ok 1 outer'].join('\n'),
    );
    const r = parseKtap(log);
    expect(r.tests.map((t) => `${t.name}:${t.status}`)).toEqual(['outer/inner/x:pass', 'outer/inner/y:pass']);
    expect(r.problems).toEqual([]);
  });

  it('reports missing subtests (they explain the parent failure) and keeps a failing parent whose subtests all passed', () => {
    const r = parseKtap(wrap('1..1\n  1..3\n  ok 1 a\n  ok 2 b\nnot ok 1 grp # teardown failed', 1));
    expect(r.tests.map((t) => `${t.name}:${t.status}`)).toEqual(['grp/a:pass', 'grp/b:pass', 'grp/test #3:missing']);
    expect(r.problems).toEqual(['grp: plan 1..3 but 2 results (missing: 3)']);
    const r2 = parseKtap(wrap('1..1\n  1..1\n  ok 1 a\nnot ok 1 grp # cleanup', 1));
    expect(r2.tests.map((t) => `${t.name}:${t.status}:${t.reason ?? ''}`)).toEqual(['grp/a:pass:', 'grp:fail:cleanup']);
  });

  it('reports subtests whose parent never printed its result (crash inside a group)', () => {
    const r = parseKtap('ATEMSYS-SMOKE-BEGIN\n1..2\n  1..2\n  ok 1 a\n');
    expect(r.tests.map((t) => `${t.name}:${t.status}`)).toEqual(['(unnamed)/a:pass', '(unnamed)/test #2:missing', 'test #1:missing', 'test #2:missing']);
    expect(r.problems).toContain('subtests of "(unnamed)" have no result line of their own');
    expect(r.problems).toContain('plan 1..2 but 0 results (missing: 1-2)');
  });

  it('survives garbage', () => {
    const junk = '\x00\x01\xff\ufffd 1..x ok -1 \n\n\n#\n  #  \n1..\nnot ok 99999999999999999999 huge\nBail out!';
    const r = parseKtap(`ATEMSYS-SMOKE-BEGIN\n${junk}\nATEMSYS-SMOKE-END rc=oops\n`);
    expect(r.endMarker).toBe(true);
    expect(r.rc).toBeUndefined();
    expect(r.bailOut).toBe('no reason given');
    expect(r.problems.length).toBeGreaterThan(0);
  });

  it('a run that passes has no problems', () => {
    const r = parseKtap(wrap('KTAP version 1\n1..2\nok 1 a\nok 2 b'));
    expect(r.problems).toEqual([]);
    expect(countResults(r.tests)).toEqual({ passed: 2, failed: 0, skipped: 0 });
  });
});

describe('helpers', () => {
  it('cleanLine strips \\r, escapes and control characters', () => {
    expect(cleanLine('\x1b[1;32mok 1 a\x1b[0m\r')).toBe('ok 1 a');
    expect(cleanLine('a\tb\x07  ')).toBe('a\tb');
  });
  it('compactRange', () => {
    expect(compactRange([1, 2, 3, 5, 7, 8])).toBe('1-3, 5, 7-8');
    expect(compactRange([])).toBe('');
  });
});
