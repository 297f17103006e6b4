import { describe, expect, it } from 'vitest';
import { junitXml, xmlEscape } from '../src/report/junit.ts';
import { parseKtap } from '../src/report/ktap.ts';
import { failedBeforeBoot, summarizeRun } from '../src/report/results.ts';

const key = { board: 'qemu-x86_64', arch: 'x86_64', suite: 'bookworm', series: '6.1', flavour: 'amd64', release: '6.1.0-56-amd64' };

describe('xmlEscape', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(xmlEscape(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlEscape('x\x00\x07y\tz\n')).toBe('xy\tz\n');
    expect(xmlEscape('µ ✓ 😀')).toBe('µ ✓ 😀');
  });
});

describe('junitXml', () => {
  it('writes one testsuite per run with failures, skips and diagnostics', () => {
    const s = summarizeRun(key, parseKtap('ATEMSYS-SMOKE-BEGIN\n1..4\n# <edu> found & ok\nok 1 version\nnot ok 2 conf # irq "11" < 22\nok 3 msi # SKIP no MSI\nATEMSYS-SMOKE-END rc=1\n'), 5300);
    const xml = junitXml([s]);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="atemsys smoke" tests="4" failures="2" skipped="1" time="5.300">')).toBe(true);
    expect(xml).toContain('<testsuite name="qemu-x86_64/6.1.0-56-amd64" tests="4" failures="2" errors="0" skipped="1" time="5.300">');
    expect(xml).toContain('<testcase classname="qemu-x86_64.6.1.0-56-amd64" name="version">\n      <system-out>&lt;edu&gt; found &amp; ok</system-out>\n    </testcase>');
    expect(xml).toContain('<failure message="irq &quot;11&quot; &lt; 22" type="fail">irq &quot;11&quot; &lt; 22</failure>');
    expect(xml).toContain('<skipped message="no MSI"/>');
    expect(xml).toContain('<testcase classname="qemu-x86_64.6.1.0-56-amd64" name="test #4">\n      <failure message="no result reported (missing)" type="missing">');
    expect(xml).toContain('<property name="problem.1" value="plan 1..4 but 3 results (missing: 4)"/>');
    expect(xml.trimEnd().endsWith('</testsuites>')).toBe(true);
  });

  it('names a suite by series when the release is unknown', () => {
    const xml = junitXml([failedBeforeBoot({ ...key, release: undefined }, 'build', 'boom')]);
    expect(xml).toContain('<testsuite name="qemu-x86_64/6.1-amd64" tests="1" failures="1"');
    expect(xml).toContain('<failure message="boom" type="fail">boom</failure>');
  });
});
