import { describe, expect, it } from 'vitest';
import { parseKtap } from '../src/report/ktap.ts';
import { capabilityMatrix, capabilityTable, formatDuration, table, testTable, totalsLine } from '../src/report/report.ts';
import { failedBeforeBoot, summarizeRun } from '../src/report/results.ts';

describe('table', () => {
  it('aligns columns and clips long cells', () => {
    expect(
      table(
        ['a', 'bb'],
        [
          ['xxx', 'y'],
          ['z', 'a long one'],
        ],
        [undefined as unknown as number, 5],
      ).split('\n'),
    ).toEqual(['a   | bb', '----|------', 'xxx | y', 'z   | a lo…']);
  });
});

describe('testTable', () => {
  it('shows name, result and diagnostics (reason first)', () => {
    const r = parseKtap('ATEMSYS-SMOKE-BEGIN\n1..3\n# d1\nok 1 alpha\nnot ok 2 beta # bad\nok 3 gamma # SKIP why\nATEMSYS-SMOKE-END rc=1\n');
    expect(testTable(r.tests).split('\n')).toEqual(['test  | result | diagnostics', '------|--------|------------', 'alpha | PASS   | d1', 'beta  | FAIL   | bad', 'gamma | SKIP   | why']);
    expect(testTable([])).toBe('(no test results)');
  });
});

describe('capability table and totals', () => {
  const ok = summarizeRun(
    { board: 'qemu-arm64', arch: 'arm64', suite: 'bookworm', series: '6.1', flavour: 'arm64', release: '6.1.0-56-arm64' },
    parseKtap('ATEMSYS-SMOKE-BEGIN\n1..3\nok 1 a\nok 2 b\nok 3 c # SKIP\nATEMSYS-SMOKE-END rc=0\n'),
    2400,
  );
  const bad = failedBeforeBoot({ board: 'qemu-armhf', arch: 'armhf', suite: 'bookworm', series: '6.1', flavour: 'armmp' }, 'build', 'boom');

  it('has one row per board × kernel', () => {
    expect(capabilityTable([ok, bad]).split('\n')).toEqual([
      'board      | kernel         | result | passed | failed | skipped | duration',
      '-----------|----------------|--------|--------|--------|---------|---------',
      'qemu-arm64 | 6.1.0-56-arm64 | ok     | 2      | 0      | 1       | 2.4s',
      'qemu-armhf | 6.1 armmp      | FAILED | 0      | 1      | 0       | 0.0s',
    ]);
  });

  it('ends with the plain N passed, N failed line', () => {
    expect(totalsLine([ok, bad])).toBe('2 passed, 1 failed, 1 skipped');
    expect(totalsLine([])).toBe('0 passed, 0 failed');
  });

  it('formats durations', () => {
    expect(formatDuration(5300)).toBe('5.3s');
    expect(formatDuration(125000)).toBe('2m5s');
  });
});

describe('capabilityMatrix', () => {
  const run = (board: string, body: string) =>
    summarizeRun({ board, arch: 'x86_64', suite: 'bookworm', series: '6.1', flavour: 'amd64', release: '6.1.0-56-amd64' }, parseKtap(`ATEMSYS-SMOKE-BEGIN\n${body}\nATEMSYS-SMOKE-END rc=0\n`), 1000);

  it('marks a capability ok, FAIL or not run, per board and kernel', () => {
    const a = run('a', '1..4\nok 1 irq_msi\nok 2 dma_to_device\nnot ok 3 dma_from_device # bad\nok 4 irq_shared_intx # SKIP one edu');
    const b = run('b', '1..2\nok 1 irq_msi\n    1..1\n    ok 1 irq_msi\nok 2 compat32');
    const lines = capabilityMatrix([a, b]).split('\n');
    expect(lines[0]).toMatch(/^capability +\| a 6\.1\.0-56-amd64 \| b 6\.1\.0-56-amd64$/);
    const row = (label: string): string[] => (lines.find((l) => l.startsWith(label)) ?? '').split('|').map((c) => c.trim());
    expect(row('MSI')).toEqual(['MSI', 'ok', 'ok']);
    expect(row('DMA both ways')).toEqual(['DMA both ways', 'FAIL', '-']);
    expect(row('shared INTx')).toEqual(['shared INTx', 'skip', '-']);
    // some passed, some skipped: not a plain ok
    const c = run('c', '1..2\nok 1 dma_to_device\nok 2 dma_from_device # SKIP no edu');
    const rowC = (
      capabilityMatrix([c])
        .split('\n')
        .find((l) => l.startsWith('DMA both ways')) ?? ''
    )
      .split('|')
      .map((x) => x.trim());
    expect(rowC).toEqual(['DMA both ways', 'ok, 1 skip']);
    expect(row('32-bit clients')).toEqual(['32-bit clients (compat)', '-', 'ok']);
    expect(lines.some((l) => l.startsWith('other tests'))).toBe(false);
  });

  it('has rows for the device-tree group', () => {
    const lines = capabilityMatrix([run('imx8', '1..2\nok 1 dt_mac_info\nok 2 dt_mdio_proxy')]).split('\n');
    const row = (label: string): string[] => (lines.find((l) => l.startsWith(label)) ?? '').split('|').map((c) => c.trim());
    expect(row('DT MAC')).toEqual(['DT MAC: info, regs, IRQ', 'ok']);
    expect(row('DT PHY')).toEqual(['DT PHY over MDIO', 'ok']);
    expect(row('MSI')).toEqual(['MSI', '-']);
  });

  it('has rows for the EtherCAT link-layer group and the wire check', () => {
    const lines = capabilityMatrix([run('x', '1..3\nok 1 ll_atemsys_poll\nnot ok 2 ll_wkc_mismatch # no\nok 3 wire_conformance')]).split('\n');
    const row = (label: string): string[] => (lines.find((l) => l.startsWith(label)) ?? '').split('|').map((c) => c.trim());
    expect(row('EtherCAT over atemsys')).toEqual(['EtherCAT over atemsys', 'ok']);
    expect(row('EtherCAT over AF_PACKET')).toEqual(['EtherCAT over AF_PACKET', '-']);
    expect(row('EtherCAT bad input')).toEqual(['EtherCAT bad input', 'FAIL']);
    expect(row('wire checked')).toEqual(['wire checked by tshark', 'ok']);
    expect(lines.some((l) => l.startsWith('other tests'))).toBe(false);
  });

  it('lists tests no capability knows under "other tests"', () => {
    const lines = capabilityMatrix([run('a', '1..1\nnot ok 1 brand_new # x')]).split('\n');
    expect(lines.find((l) => l.startsWith('other tests'))).toMatch(/FAIL$/);
  });
});
