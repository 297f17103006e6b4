/**
 * The `wire_conformance` test of a smoke boot: runs tshark on the boot's
 * pcaps (qemu.pcap) and compares its decode with the serial log's
 * `# ll-wire` lines (report/wire.ts). Nothing to do when the log has none.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../core/exec.ts';
import type { TestResult } from './ktap.ts';
import { firstLine } from '../core/manifest.ts';
import { findInPath } from '../debian/tools.ts';
import { compareWire, parseTsharkFields, parseWireLines, tsharkFieldArgs, wireSummary, type Capture } from './wire.ts';

export const WIRE_TEST = 'wire_conformance';
export const TSHARK_INSTALL_HINT = 'tshark is not installed: apt-get install tshark (Debian package tshark), or run `make setup`';

/** "TShark (Wireshark) 4.0.17 (Git v4.0.17 …)" → "4.0.17"; the first line when there is no version number. */
export function tsharkVersion(versionOutput: string): string {
  const l = firstLine(versionOutput);
  return /(\d+\.\d+\.\d+)/.exec(l)?.[1] ?? l;
}

function result(status: 'pass' | 'fail', reason: string | undefined, diagnostics: string[]): TestResult {
  const t: TestResult = { id: 0, name: WIRE_TEST, status, diagnostics };
  if (reason !== undefined) t.reason = reason;
  return t;
}

/**
 * Decode one pcap's EtherCAT frames with tshark. Throws Error with tshark's
 * message when it fails; a capture cut short (QEMU killed mid-write) keeps
 * the frames before the cut and says so in `note`.
 */
export async function decodePcap(file: string, signal?: AbortSignal): Promise<{ frames: Capture['frames']; note?: string }> {
  const r = await run('tshark', tsharkFieldArgs(file), { signal });
  const cutShort = /cut short|truncated/i.test(r.stderr);
  if (r.exitCode !== 0 && !(cutShort && r.stdout.trim() !== '')) {
    const msg = r.stderr
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.includes('Running as user'))
      .slice(-3)
      .join(' / ');
    throw new Error(`tshark -r ${file} failed (exit ${r.exitCode}): ${msg || 'no message'}`);
  }
  const frames = parseTsharkFields(r.stdout);
  return r.exitCode !== 0 ? { frames, note: `${path.basename(file)} was cut short in the middle of a frame (QEMU stopped while writing): its last frame is missing` } : { frames };
}

/**
 * The wire_conformance test for a boot's serial log and pcaps ({id, file}
 * per qemu.pcap entry), undefined when the log has no `# ll-wire` line.
 * Never throws for a failed check: the test fails with the first problem
 * as its reason (tshark missing: the install hint).
 */
export async function wireConformanceTest(log: string, pcaps: readonly { id: string; file: string }[], signal?: AbortSignal): Promise<TestResult | undefined> {
  const wire = parseWireLines(log);
  if (wire.runs.length === 0 && wire.problems.length === 0) return undefined;
  if ((await findInPath('tshark')) === undefined) return result('fail', TSHARK_INSTALL_HINT, []);
  const version = tsharkVersion((await run('tshark', ['--version'], { signal })).stdout);
  const captures: Capture[] = [];
  const notes: string[] = [];
  for (const p of pcaps) {
    const ok = await stat(p.file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!ok) return result('fail', `${path.basename(p.file)} was not written: QEMU's filter-dump on netdev ${p.id} recorded nothing`, []);
    try {
      const d = await decodePcap(p.file, signal);
      captures.push({ id: p.id, frames: d.frames });
      if (d.note !== undefined) notes.push(d.note);
    } catch (err) {
      return result('fail', err instanceof Error ? err.message : String(err), []);
    }
  }
  const v = compareWire(wire.runs, captures);
  const problems = [...wire.problems, ...v.problems];
  const summary = wireSummary(v, version);
  if (problems.length === 0) return result('pass', undefined, [summary, ...notes]);
  const more = problems.length > 6 ? [`… and ${problems.length - 6} more problems`] : [];
  return result('fail', problems[0], [summary, ...notes, ...problems.slice(1, 6), ...more]);
}
