import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchPlotSpec, LOG_FLOOR_US, plotPoints, renderSvg, wrapText } from '../src/bench/plot.ts';
import { groupInfo, leadingObject, mergeBenchOutputs, parseBenchOutput, type BenchOutput } from '../src/bench/proto.ts';
import { benchBoot, benchFile, benchText, bootProblems, initRc, rowRatios, rowsTable, targetsTable, THIS_TREE, type BootRun } from '../src/bench/report.ts';
import { benchAppend, benchFiles, benchModules, benchTimeout, moduleVermagicProblem } from '../src/bench/run.ts';
import { evaluateTargets, TARGETS, targetText } from '../src/bench/targets.ts';
import type { Profile } from '../src/profile/profile.ts';

// a full run: every group, skipped rows, kernel lines between protocol lines, CRLF line ends
const GOOD = readFileSync(new URL('./fixtures/bench/good.serial.log', import.meta.url), 'utf8');
const FINE: BootRun = { outcome: 'marker', durationMs: 95000, tail: ['[   95.000000] reboot: Power down'], rc: 0 };

const Q = Array.from({ length: 101 }, (_, i) => 10 + i);
function statsRow(o: Record<string, unknown>): string {
  return `ATEMSYS-BENCH ${JSON.stringify({ unit: 'us', n: 10, min: 10, p50: 60, p99: 109, p999: 110, max: 110, mean: 60, q: Q, ...o })}`;
}
const BEGIN = 'ATEMSYS-BENCH-BEGIN {"format":1,"kernel":"6.1.0-57-amd64","machine":"x86_64","cpus":2,"quick":true}';
const END = 'ATEMSYS-BENCH-END {"ok":true}';

describe('parseBenchOutput', () => {
  const out = parseBenchOutput(GOOD, 'bench-serial.log');

  it('reads BEGIN, GROUP, rows and END among kernel noise', () => {
    expect(out.problems).toEqual([]);
    expect(out.begin).toEqual({ format: 1, kernel: '6.1.0-57-amd64', machine: 'x86_64', cpus: 2, quick: false });
    expect(out.end).toEqual({ ok: true });
    expect(out.groups.map((g) => [g.group, g.stat])).toEqual([
      ['irq', 'p50'],
      ['rtt', 'p50'],
      ['cycle-1000', 'p99'],
      ['dma', 'p50'],
    ]);
    expect(out.rows.map((r) => `${r.group}/${r.variant}:${r.kind}`)).toEqual([
      'irq/atemsys-msi:stats',
      'irq/atemsys-intx:stats',
      'irq/uio-intx:stats',
      'irq/vfio-msi:skipped',
      'rtt/atemsys-poll:stats',
      'rtt/atemsys-irq:stats',
      'rtt/packet:stats',
      'cycle-1000/atemsys-poll:stats',
      'cycle-1000/atemsys-irq:stats',
      'cycle-1000/packet:stats',
      'dma/atemsys-4k:stats',
      'dma/atemsys-64k:stats',
      'dma/vfio-64k:skipped',
      'dma/anon-64k:stats',
    ]);
  });

  it('types stats, cycle fields, skips and line numbers', () => {
    const msi = out.rows[0];
    if (msi?.kind !== 'stats') throw new Error('fixture');
    expect(msi).toMatchObject({ label: 'atemsys MSI', baseline: 'vfio-msi', line: 6 });
    expect(msi.stats.q).toHaveLength(101);
    expect(msi.stats.p50).toBe(msi.stats.q[50]);
    const cyc = out.rows.find((r) => r.group === 'cycle-1000' && r.variant === 'packet');
    expect(cyc).toMatchObject({ kind: 'stats', cycles: 5000, missed: 3, periodUs: 1000 });
    expect(out.rows[3]).toMatchObject({ kind: 'skipped', reason: 'no IOMMU group for 0000:00:02.0' });
    expect(out.rows[3]?.baseline).toBeUndefined();
  });

  it('reads a tag after other text on the line, and ignores what follows a complete object', () => {
    const o = parseBenchOutput(`${BEGIN}\n[ 3.1] noise${statsRow({ group: 'irq', variant: 'a', label: 'A' })}[ 3.2] more noise\n${END}\n`);
    expect(o.problems).toEqual([]);
    expect(o.rows.map((r) => r.variant)).toEqual(['a']);
  });

  it('reports a line cut by kernel output, with file and line', () => {
    const cut = statsRow({ group: 'irq', variant: 'a', label: 'A' }).slice(0, 80);
    const o = parseBenchOutput(`${BEGIN}\n${cut}\n[   12.000000] e1000e: eth1 NIC Link is Up\n${END}\n`, 'bench-serial.log');
    expect(o.problems).toEqual([`bench-serial.log:2: corrupted ATEMSYS-BENCH line (its JSON object is cut short or missing — kernel output in the middle of it?): ${cut}`]);
    expect(o.rows).toEqual([]);
  });

  it.each([
    [statsRow({ group: 'irq', variant: 'a', label: 'A', unit: 'ms' }), /"unit" must be "us", got "ms"/],
    [statsRow({ group: 'irq', variant: 'a', label: 'A', q: [1, 2] }), /"q" must be 101 numbers \(percentiles 0..100\), got 2 entries/],
    [statsRow({ group: 'irq', variant: 'a', label: 'A', p99: null }), /"p99" must be a number \(µs\), got null/],
    [statsRow({ group: 'cycle-500', variant: 'a', label: 'A' }), /a cycle-500 row needs "cycles" and "missed"/],
    [statsRow({ group: 'irq', variant: 'a b', label: 'A' }), /"variant" must be a name/],
    ['ATEMSYS-BENCH {"group":"irq","variant":"a","label":"A","skipped":"x",}', /corrupted ATEMSYS-BENCH line \(.*JSON/],
    ['ATEMSYS-BENCH-GROUP {"group":"irq","title":"t","stat":"p90"}', /"stat" must be "p50" or "p99", got "p90"/],
    ['ATEMSYS-BENCH-BEGIN {"format":2,"kernel":"k","machine":"m","cpus":1,"quick":false}', /format 2 is not the one this orchestrator reads \(1\)/],
    ['ATEMSYS-BENCH-END {}', /"ok" must be true or false/],
    ['ATEMSYS-BENCH []', /expected a JSON object|cut short/],
  ])('reports a bad line: %s', (line, msg) => {
    const o = parseBenchOutput(`${line}\n`);
    expect(o.problems).toHaveLength(1);
    expect(o.problems[0]).toMatch(/^serial log:1: /);
    expect(o.problems[0]).toMatch(msg);
  });

  it('reports a row reported twice and a second BEGIN', () => {
    const r = statsRow({ group: 'irq', variant: 'a', label: 'A' });
    const o = parseBenchOutput(`${BEGIN}\n${r}\n${r}\n${BEGIN}\n`);
    expect(o.problems).toEqual([
      expect.stringMatching(/^serial log:3: bad ATEMSYS-BENCH line \(irq\/a was reported already \(line 2\)\)/),
      expect.stringMatching(/^serial log:4: .*a second ATEMSYS-BENCH-BEGIN/),
    ]);
  });

  it('takes the first balanced JSON object', () => {
    expect(leadingObject('{"a":"}{","b":[1,{"c":2}]} tail')).toEqual({ json: '{"a":"}{","b":[1,{"c":2}]}', rest: ' tail' });
    expect(leadingObject('{"a":"\\"}"}x')).toEqual({ json: '{"a":"\\"}"}', rest: 'x' });
    expect(leadingObject('{"a":1')).toBeUndefined();
    expect(leadingObject('x{}')).toBeUndefined();
  });

  it('describes a group without a GROUP line by its name, ratio of medians', () => {
    expect(groupInfo({ groups: [] }, 'cycle-250')).toEqual({ group: 'cycle-250', title: 'cycle-250', stat: 'p50' });
  });
});

describe('ratios and targets', () => {
  const out = parseBenchOutput(GOOD);
  const stat = (group: string, variant: string, k: 'p50' | 'p99'): number => {
    const r = out.rows.find((x) => x.group === group && x.variant === variant);
    if (r?.kind !== 'stats') throw new Error(`${group}/${variant}`);
    return r.stats[k];
  };

  it('divides each row by its baseline with the group stat; says why when it cannot', () => {
    const ratios = rowRatios(out);
    const byKey = new Map([...ratios].map(([i, r]) => [`${out.rows[i]?.group}/${out.rows[i]?.variant}`, r]));
    expect(byKey.get('irq/atemsys-intx')).toEqual({ stat: 'p50', baseline: 'uio-intx', value: stat('irq', 'atemsys-intx', 'p50') / stat('irq', 'uio-intx', 'p50') });
    expect(byKey.get('irq/atemsys-msi')).toEqual({ stat: 'p50', baseline: 'vfio-msi', value: null, note: 'baseline vfio-msi skipped' });
    expect(byKey.get('cycle-1000/atemsys-irq')?.value).toBeCloseTo(stat('cycle-1000', 'atemsys-irq', 'p99') / stat('cycle-1000', 'packet', 'p99'));
    expect(byKey.get('dma/vfio-64k')).toEqual({ stat: 'p50', baseline: 'anon-64k', value: null, note: 'skipped' });
    // baselines have no ratio
    expect(byKey.has('irq/uio-intx')).toBe(false);
    expect(byKey.has('rtt/packet')).toBe(false);
  });

  it('gives each target of the issue a verdict', () => {
    const ts = evaluateTargets(out.rows);
    expect(ts.map((t) => [t.target, t.verdict])).toEqual([
      ['atemsys-intx ≤ 0.5 × uio-intx (irq, p50)', 'met'],
      ['atemsys-msi ≤ 1.0 × vfio-msi (irq, p50)', 'not measured'],
      ['atemsys-poll ≤ 0.5 × packet (rtt, p50)', 'met'],
      ['atemsys-poll ≤ 0.5 × packet (cycle-1000, p99)', 'met'],
      ['atemsys-irq ≤ 0.5 × packet (cycle-1000, p99)', 'met'],
    ]);
    expect(ts[0]?.ratio).toBeCloseTo(stat('irq', 'atemsys-intx', 'p50') / stat('irq', 'uio-intx', 'p50'));
    expect(ts[1]?.reason).toBe('vfio-msi skipped: no IOMMU group for 0000:00:02.0');
    expect(ts[3]?.value).toBe(stat('cycle-1000', 'atemsys-poll', 'p99'));
    expect(TARGETS.map(targetText)).toEqual(ts.map((t) => t.target));
  });

  it('says not met, and not measured for missing groups and failed rows', () => {
    const rows = parseBenchOutput(
      [
        statsRow({ group: 'rtt', variant: 'atemsys-poll', label: 'p', p50: 300 }),
        statsRow({ group: 'rtt', variant: 'packet', label: 'k', p50: 400 }),
        'ATEMSYS-BENCH {"group":"irq","variant":"atemsys-intx","label":"i","error":"edu did not interrupt"}',
        statsRow({ group: 'irq', variant: 'uio-intx', label: 'u' }),
        statsRow({ group: 'cycle-500', variant: 'packet', label: 'k', cycles: 10, missed: 0 }),
      ].join('\n'),
    ).rows;
    const ts = evaluateTargets(rows);
    expect(ts[0]).toMatchObject({ verdict: 'not measured', reason: 'atemsys-intx failed: edu did not interrupt' });
    expect(ts[1]).toMatchObject({ verdict: 'not measured', reason: 'atemsys-msi was not run; vfio-msi was not run' });
    expect(ts[2]).toMatchObject({ verdict: 'not met', ratio: 0.75 });
    expect(ts[3]).toMatchObject({ verdict: 'not measured', reason: 'no cycle-1000 group (measured: cycle-500)' });
  });
});

describe('a boot: problems, bench.json, tables', () => {
  it('passes a complete run', () => {
    const out = parseBenchOutput(GOOD);
    expect(bootProblems(out, FINE, 'bench-serial.log')).toEqual([]);
    expect(initRc(GOOD)).toBe(0);
    expect(initRc('nothing')).toBeUndefined();
  });

  it('fails a hung guest, a missing END, errors, END ok:false and a non-zero rc', () => {
    const part = parseBenchOutput(`${BEGIN}\n${statsRow({ group: 'irq', variant: 'a', label: 'A' })}\n`);
    expect(bootProblems(part, { ...FINE, rc: undefined, tail: ['x', 'y'] }, 'bench-serial.log')).toEqual([
      'no ATEMSYS-BENCH-END line: the benchmark did not finish; last 2 lines of bench-serial.log:\n  | x\n  | y',
    ]);
    const hung = bootProblems(part, { ...FINE, outcome: 'timeout', guestProblem: 'guest hung after 900 s; last 20 lines …' }, 'l');
    expect(hung).toEqual(['guest hung after 900 s; last 20 lines …', 'no ATEMSYS-BENCH-END line: the benchmark did not finish']);
    const err = parseBenchOutput(
      `${BEGIN}\nATEMSYS-BENCH {"group":"rtt","variant":"atemsys-irq","label":"atemsys e1000e, interrupt","error":"link did not come up within 3000 ms"}\nATEMSYS-BENCH-END {"ok":false}\n`,
    );
    expect(bootProblems(err, { ...FINE, rc: 1 }, 'l')).toEqual([
      'atemsys-bench ended with ATEMSYS-BENCH-END {"ok":false}',
      'rtt/atemsys-irq (atemsys e1000e, interrupt): link did not come up within 3000 ms',
      'atemsys-bench exited with rc=1',
    ]);
    expect(bootProblems(parseBenchOutput('Bail out! insmod /lib/modules/atemsys.ko failed\n'), { ...FINE, rc: 125 }, 'l')).toEqual([
      expect.stringMatching(/^no ATEMSYS-BENCH-BEGIN line: atemsys-bench never started; last 1 lines of l:/),
      'atemsys-bench exited with rc=125 (insmod failed: see the Bail out! line)',
    ]);
  });

  const boot = benchBoot({
    module: THIS_TREE,
    moduleFile: '/o/atemsys.ko',
    moduleSha256: 'ab',
    vermagic: '6.1.0-57-amd64 SMP mod_unload modversions ',
    serialLog: 'bench-serial.log',
    initramfs: 'initramfs-bench.cpio.gz',
    out: parseBenchOutput(GOOD),
    run: FINE,
  });

  it('keeps every row with the guest fields, status, line and ratio', () => {
    expect(boot.status).toBe('passed');
    expect(boot.rows).toHaveLength(14);
    expect(boot.rows[0]).toMatchObject({ group: 'irq', variant: 'atemsys-msi', status: 'ok', line: 6, unit: 'us', n: 2000, ratio: { value: null } });
    expect(boot.rows[3]).toMatchObject({ status: 'skipped', skipped: 'no IOMMU group for 0000:00:02.0' });
    expect(boot.groups.map((g) => g.group)).toEqual(['irq', 'rtt', 'cycle-1000', 'dma']);
    expect(boot.info?.cpus).toBe(2);
    const f = benchFile({
      board: 'qemu-x86_64',
      arch: 'x86_64',
      kernel: { suite: 'bookworm', series: '6.1', flavour: 'amd64', release: '6.1.0-57-amd64' },
      quick: false,
      tools: null,
      git: null,
      boots: [boot],
      createdAt: new Date(0),
    });
    expect(f).toMatchObject({ format: 1, status: 'passed', createdAt: '1970-01-01T00:00:00.000Z' });
    expect(JSON.parse(JSON.stringify(f))).toEqual(f);
    const { format: _f, status: _s, createdAt: _c, ...input } = f;
    expect(benchFile({ ...input, boots: [] }).status).toBe('failed');
  });

  it('prints µs with one decimal, missed for cycle groups, ratios, skips', () => {
    const t = rowsTable([boot]).split('\n');
    expect(t[0]).toBe('group      | variant                                | n       | min   | median | p99    | p99.9  | max    | missed | ratio | note');
    expect(t[2]).toMatch(/^irq {8}\| atemsys-msi: atemsys MSI +\| 2000 +\| 20\.0 +\| 23\.8 +\| 77\.6 +\| .* \| n\/a +\| baseline vfio-msi skipped$/);
    expect(t[3]).toMatch(/^ {11}\| atemsys-intx: atemsys INTx +\| 2000 .*\| 0\.44× \|$/);
    expect(t[4]).toMatch(/\| - +\|$/);
    expect(t[5]).toMatch(/vfio-msi: VFIO type1 MSI \(eventfd\) +\| skipped .*\| no IOMMU group for 0000:00:02\.0$/);
    expect(t.find((l) => l.includes('cycle-1000'))).toMatch(/\| 0 +\| 0\.\d\d× \|$/);
    const text = benchText(
      benchFile({
        board: 'qemu-x86_64',
        arch: 'x86_64',
        kernel: { suite: 'bookworm', series: '6.1', flavour: 'amd64', release: '6.1.0-57-amd64' },
        quick: false,
        tools: null,
        git: null,
        boots: [boot],
      }),
    );
    expect(text).toContain('qemu-x86_64 6.1.0-57-amd64 · atemsys (this tree): PASSED — 12 measured, 2 skipped, 0 failed (boot to end 95.0 s)');
    expect(text).toContain('  cycle-1000: 1 ms cycle: jitter |Δt − period| of successive cycles — ratio of p99s to the baseline');
    expect(text).toMatch(/atemsys-intx ≤ 0\.5 × uio-intx \(irq, p50\) +\| INTx round trip, median +\| 0\.44× \(29\.7 \/ 67\.5 µs\) +\| met/);
    expect(text).toContain('not measured: vfio-msi skipped: no IOMMU group for 0000:00:02.0');
    expect(text).not.toContain('problems:');
  });

  it('puts two boots in one table with a module column, the rows of a variant together', () => {
    const other = { ...boot, module: 'atemsys-orig.ko', targets: boot.targets.map((t) => ({ ...t, verdict: 'not met' as const })) };
    const t = rowsTable([boot, other]).split('\n');
    expect(t[0]).toMatch(/^group +\| variant +\| module +\| n +\| min/);
    expect(t[2]).toMatch(/^irq +\| atemsys-msi: atemsys MSI +\| atemsys \(this tree\) +\| 2000 /);
    expect(t[3]).toMatch(/^ +\| +\| atemsys-orig\.ko +\| 2000 /);
    expect(t).toHaveLength(2 + 2 * 14);
    const tt = targetsTable([boot, other]).split('\n');
    expect(tt[2]).toMatch(/^atemsys-intx ≤ 0\.5 × uio-intx \(irq, p50\) +\| INTx round trip, median +\| atemsys \(this tree\) +\| 0\.44× .*\| met$/);
    expect(tt[3]).toMatch(/^ +\| +\| atemsys-orig\.ko +\| 0\.44× .*\| not met$/);
  });
});

describe('bench.svg', () => {
  const out: BenchOutput = parseBenchOutput(GOOD);

  it('turns each measured row into 101 points per module, clamping values a log scale cannot show', () => {
    const withZero = parseBenchOutput(statsRow({ group: 'cycle-1000', variant: 'packet', label: 'AF_PACKET', cycles: 3, missed: 0, q: Q.map((v, i) => (i < 2 ? 0 : v)) }));
    const p = plotPoints([{ module: 'a', out: withZero }]);
    expect(p.points).toHaveLength(101);
    expect(p.clamped).toBe(2);
    expect(p.points[0]).toEqual({ panel: 'cycle-1000: cycle-1000', series: 'AF_PACKET', module: 'a', percentile: 0, us: LOG_FLOOR_US });
    const two = plotPoints([
      { module: 'a', out },
      { module: 'b', out },
    ]);
    expect(two.points).toHaveLength(2 * 12 * 101);
    expect(two.panels).toHaveLength(4);
  });

  it('facets by group, log x, percentile y, colour per variant, dash per module only with two', () => {
    const spec = benchPlotSpec('t', [{ module: THIS_TREE, out }]) as unknown as Record<string, unknown> & { spec: { encoding: Record<string, unknown> } };
    expect(spec.facet).toMatchObject({ field: 'panel' });
    expect(spec.spec.encoding.x).toMatchObject({ field: 'us', scale: { type: 'log' } });
    expect(spec.spec.encoding.y).toMatchObject({ field: 'percentile', scale: { domain: [0, 100] } });
    expect(spec.spec.encoding.color).toMatchObject({ field: 'series' });
    expect(spec.spec.encoding.strokeDash).toBeUndefined();
    const two = benchPlotSpec('t', [
      { module: 'a', out },
      { module: 'b', out },
    ]) as unknown as { spec: { encoding: Record<string, unknown> } };
    expect(two.spec.encoding.strokeDash).toMatchObject({ field: 'module' });
    expect(benchPlotSpec('t', [{ module: 'a', out: parseBenchOutput(BEGIN) }])).toBeUndefined();
  });

  it('renders to an SVG with one line per variant and the panel titles', async () => {
    const spec = benchPlotSpec('atemsys bench · test', [{ module: THIS_TREE, out }]);
    if (!spec) throw new Error('no spec');
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    // one path per measured row (12), drawn from data: the line marks have a d="M…" of 101 points
    const lines = svg.match(/<path[^>]*aria-roledescription="line mark"[^>]*d="M[^"]+"/g) ?? [];
    expect(lines).toHaveLength(12);
    expect(svg).toContain('irq: interrupt round trip on edu (raise →');
    expect(svg).toContain('atemsys INTx');
    // Vega's first render loads its modules: seconds on a busy 2-core machine
  }, 60_000);

  it('wraps panel titles on word boundaries', () => {
    expect(wrapText('cycle-1000: 1 ms cycle: jitter |Δt − period| of successive cycles', 20)).toEqual(['cycle-1000: 1 ms', 'cycle: jitter |Δt −', 'period| of', 'successive cycles']);
  });
});

describe('bench boots', () => {
  it('checks the vermagic of --module against the kernel', () => {
    expect(moduleVermagicProblem('x.ko', '6.1.0-57-amd64 SMP mod_unload modversions \n', '6.1.0-57-amd64', 'qemu-x86_64')).toBeNull();
    expect(moduleVermagicProblem('/m/atemsys.ko', '6.1.0-56-amd64 SMP mod_unload modversions', '6.1.0-57-amd64', 'qemu-x86_64')).toBe(
      '--module /m/atemsys.ko: built for kernel 6.1.0-56-amd64 (vermagic "6.1.0-56-amd64 SMP mod_unload modversions"), but qemu-x86_64 boots 6.1.0-57-amd64: build it against 6.1.0-57-amd64',
    );
    expect(moduleVermagicProblem('x', '', 'r', 'b')).toMatch(/no vermagic/);
  });

  it('names the files and modules of the boots, and the timeout', () => {
    expect(benchFiles(0)).toEqual({
      serialLog: 'bench-serial.log',
      initramfs: 'initramfs-bench.cpio.gz',
      command: 'bench-qemu-command.txt',
      stockSerialLog: 'bench-serial-stock.log',
      stockCommand: 'bench-qemu-command-stock.txt',
    });
    expect(benchFiles(1).serialLog).toBe('bench-serial-module.log');
    expect(benchModules(undefined)).toEqual([{ label: THIS_TREE }]);
    expect(benchModules('/x/orig/atemsys.ko')).toEqual([{ label: THIS_TREE }, { label: 'atemsys.ko', file: '/x/orig/atemsys.ko' }]);
    const p = { qemu: { timeout: 300 } } as unknown as Profile;
    expect(benchTimeout(p)).toBe(900);
    expect(benchTimeout({ ...p, bench: { timeout: 1200 } })).toBe(1200);
  });

  it("puts a device-tree board's two boots into one table", () => {
    const row = (variant: string, body: string): string => `ATEMSYS-BENCH {"group":"rtt","variant":"${variant}","label":"${variant}"${body}}`;
    const stats = `,"unit":"us","n":3,"min":1,"p50":2,"p99":3,"p999":3,"max":3,"mean":2,"q":[${Array.from({ length: 101 }, () => 2).join(',')}]`;
    const atemsysBoot = parseBenchOutput(
      [
        'ATEMSYS-BENCH-BEGIN {"format":1,"kernel":"k","machine":"aarch64","cpus":2,"quick":true}',
        'ATEMSYS-BENCH-GROUP {"group":"rtt","title":"t","stat":"p50"}',
        row('atemsys-poll', `,"baseline":"packet"${stats}`),
        row('packet', ',"skipped":"the kernel\'s own driver needs the stock device tree: measured in the second boot"'),
        'ATEMSYS-BENCH-END {"ok":true}',
      ].join('\n'),
    );
    const stockBoot = parseBenchOutput(
      [
        'ATEMSYS-BENCH-BEGIN {"format":1,"kernel":"k","machine":"aarch64","cpus":2,"quick":true}',
        'ATEMSYS-BENCH-GROUP {"group":"rtt","title":"t","stat":"p50"}',
        row('atemsys-poll', ',"skipped":"measured in the boot with the atemsys device tree"'),
        row('packet', stats),
        'ATEMSYS-BENCH-END {"ok":true}',
      ].join('\n'),
    );
    const m = mergeBenchOutputs(atemsysBoot, stockBoot, 'bench-serial-stock.log');
    expect(m.rows.map((r) => `${r.variant}:${r.kind}:${m.from.get(r) ?? ''}`)).toEqual(['atemsys-poll:stats:first', 'packet:stats:second']);
    expect(m.end?.ok).toBe(true);
    expect(rowRatios(m).get(0)?.value).toBe(1);
    const failed = mergeBenchOutputs(atemsysBoot, { ...stockBoot, end: { ok: false }, problems: ['no END'] }, 'bench-serial-stock.log');
    expect(failed.end?.ok).toBe(false);
    expect(failed.problems).toEqual(['bench-serial-stock.log: no END']);
  });

  it('tells a bench boot where the simulator is and, in the stock boot, the baseline node and driver', () => {
    const p = {
      qemu: { netdevs: ['dgram,id=ll0'] },
      dt: { nodes: [{ path: '/soc@0/bus@30800000/ethernet@30be0000' }] },
      bench: { baselineDriver: 'fec' },
    } as unknown as Profile;
    expect(benchAppend(p, false)).toEqual(['ATEMSYS_LL_SIM=dgram']);
    expect(benchAppend(p, true)).toEqual(['ATEMSYS_LL_SIM=dgram', 'ATEMSYS_BENCH_STOCK_NODE=/soc@0/bus@30800000/ethernet@30be0000', 'ATEMSYS_BENCH_STOCK_DRIVER=fec']);
    expect(benchAppend({ qemu: { netdevs: ['hubport,id=ll0,hubid=0'] } } as unknown as Profile, false)).toEqual([]);
  });
});
