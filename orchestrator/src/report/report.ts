/** Terminal tables: per-test results of one run, and the capability table of many. Pure. */
import type { TestResult } from './ktap.ts';
import { totals, type RunSummary } from './results.ts';

export function table(headers: readonly string[], rows: readonly (readonly string[])[], maxWidth: readonly number[] = []): string {
  const clip = (s: string, i: number): string => {
    const m = maxWidth[i];
    const one = s.replace(/\s*\n\s*/g, ' ');
    return m !== undefined && one.length > m ? `${one.slice(0, Math.max(1, m - 1))}…` : one;
  };
  const cells = [headers, ...rows].map((r) => headers.map((_, i) => clip(r[i] ?? '', i)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .replace(/\s+$/, '');
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  const [head, ...body] = cells;
  return [fmt(head ?? []), sep, ...body.map(fmt)].join('\n');
}

const RESULT_WORD: Record<TestResult['status'], string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', missing: 'MISSING' };

export function testDetails(t: TestResult): string {
  return [t.reason, ...t.diagnostics].filter((x): x is string => x !== undefined && x !== '').join('; ');
}

export function testTable(tests: readonly TestResult[], detailWidth = 100): string {
  if (tests.length === 0) return '(no test results)';
  return table(
    ['test', 'result', 'diagnostics'],
    tests.map((t) => [t.name, RESULT_WORD[t.status], testDetails(t)]),
    [60, 7, detailWidth],
  );
}

export function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${(ms / 1000).toFixed(1)}s`;
}

export function capabilityTable(runs: readonly RunSummary[]): string {
  return table(
    ['board', 'kernel', 'result', 'passed', 'failed', 'skipped', 'duration'],
    runs.map((r) => [
      r.board,
      r.release ?? `${r.series} ${r.flavour}`,
      r.status === 'passed' ? 'ok' : 'FAILED',
      String(r.counts.passed),
      String(r.counts.failed),
      String(r.counts.skipped),
      formatDuration(r.durationMs),
    ]),
  );
}

/** The closing line: "N passed, N failed" (", N skipped" when any). */
export function totalsLine(runs: readonly RunSummary[]): string {
  const t = totals(runs);
  return `${t.passed} passed, ${t.failed} failed${t.skipped > 0 ? `, ${t.skipped} skipped` : ''}`;
}

/**
 * What a user checks a board for, and the selftests that prove it. A test
 * under `compat32/` (the 32-bit client's run) counts for "32-bit clients".
 */
export const CAPABILITIES: readonly { label: string; tests: readonly string[] }[] = [
  { label: 'load, version, rmmod', tests: ['version', 'rmmod_refused_while_open', 'rmmod_after_close', 'kernel_log_clean'] },
  { label: 'init script + mdev rule', tests: ['init_script_mdev'] },
  { label: 'PCI find / conf / release', tests: ['find_by_id', 'conf_by_bdf', 'old_struct_revisions', 'release_and_reconf'] },
  { label: 'BAR mmap (edu, e1000e)', tests: ['bar_mmap_edu', 'e1000e_status'] },
  { label: 'DMA both ways', tests: ['dma_to_device', 'dma_from_device'] },
  { label: 'MSI', tests: ['irq_msi'] },
  { label: 'INTx, poll, affinity', tests: ['irq_intx', 'poll', 'irq_disconnect_wakes_reader', 'cpu_affinity'] },
  { label: 'shared INTx', tests: ['irq_shared_intx'] },
  { label: 'refusals (RAM, unowned)', tests: ['negative', 'unclaimed_mmio'] },
  { label: 'cleanup on SIGKILL', tests: ['killed_child_cleanup', 'killed_holder_quiet', 'release_resets_function'] },
  { label: 'hot-unplug (sysfs, QMP)', tests: ['hot_remove_waits', 'hot_unplug_qmp'] },
  { label: 'atemsys_pci driver', tests: ['atemsys_pci_driver', 'unbind_rmmod_race'] },
  { label: 'DMA reuse and limits', tests: ['dma_churn', 'dma_limit', 'dma_kept_for_unreset'] },
  { label: 'fuzzer', tests: ['fuzz'] },
  { label: 'permissions (mdev group)', tests: ['device_permissions'] },
  { label: 'DT MAC: info, regs, IRQ', tests: ['dt_mac_info', 'dt_reg_mmap', 'dt_second_fd_busy', 'dt_irq', 'dt_iomem', 'dt_negative', 'dt_unbind_rebind'] },
  { label: 'DT MAC reset on release', tests: ['dt_killed_holder_reset'] },
  { label: 'DT PHY over MDIO', tests: ['dt_mdio_proxy', 'dt_close_stops_phy', 'dt_mdio_timeout', 'dt_mdio_stall'] },
  { label: 'EtherCAT over atemsys', tests: ['ll_atemsys_poll', 'll_atemsys_irq', 'll_sim_packet', 'll_kill_master'] },
  { label: 'EtherCAT over AF_PACKET', tests: ['ll_packet'] },
  { label: 'EtherCAT bad input', tests: ['ll_bad_input_to_sim', 'll_truncated_answer', 'll_wrong_ethertype', 'll_wkc_mismatch', 'll_simulator_gone'] },
  { label: 'wire checked by tshark', tests: ['wire_conformance'] },
];
const COMPAT_LABEL = '32-bit clients (compat)';

/**
 * ok when every test of the capability passed, "ok, N skip" when the others
 * passed, skip when all skipped, FAIL when one failed or is missing, - when
 * none ran.
 */
export function capabilityCell(tests: readonly TestResult[]): string {
  if (tests.length === 0) return '-';
  if (tests.some((t) => t.status === 'fail' || t.status === 'missing')) return 'FAIL';
  const skipped = tests.filter((t) => t.status === 'skip').length;
  if (skipped === tests.length) return 'skip';
  return skipped > 0 ? `ok, ${skipped} skip` : 'ok';
}

/** Capabilities × runs: one column per board and kernel. */
export function capabilityMatrix(runs: readonly RunSummary[]): string {
  const columns = runs.map((r) => `${r.board} ${r.release ?? `${r.series} ${r.flavour}`}`);
  const known = new Set(CAPABILITIES.flatMap((c) => c.tests));
  const rows = CAPABILITIES.map((c) => [c.label, ...runs.map((r) => capabilityCell(r.tests.filter((t) => c.tests.includes(t.name))))]);
  rows.push([COMPAT_LABEL, ...runs.map((r) => capabilityCell(r.tests.filter((t) => t.name === 'compat32' || t.name.startsWith('compat32/'))))]);
  const other = runs.map((r) => r.tests.filter((t) => !known.has(t.name) && t.name !== 'compat32' && !t.name.startsWith('compat32/')));
  if (other.some((o) => o.length > 0)) rows.push(['other tests', ...other.map(capabilityCell)]);
  return table(['capability', ...columns], rows);
}
