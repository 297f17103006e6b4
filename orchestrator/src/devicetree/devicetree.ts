/**
 * Building a DT board's device tree: look the nodes up in the Debian base
 * DTB, write the atemsys overlay, compile it (dtc), apply it (fdtoverlay) and
 * check the result (fdtget). Optionally a QEMU-only overlay on top.
 */
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, FailureError } from '../core/errors.ts';
import { run, runChecked, tailLines } from '../core/exec.ts';
import { atemsysOverlay, checkProblem, overlayFile, propertyChecks, referencedPaths, resolveNodes, type DtArtifacts, type ResolvedNode } from './overlay.ts';
import type { Profile } from '../profile/profile.ts';
import type { DtSpec } from '../profile/profiledt.ts';

export const DT_TOOLS = ['dtc', 'fdtoverlay', 'fdtget'] as const;

// raw phandle numbers in gpios cells are intended: no "not a phandle reference" warning
const DTC_ARGS = ['-@', '-W', 'no-gpios_property', '-I', 'dts', '-O', 'dtb'];

/** An overlay body a profile writes itself: qemu.dt-overlay (one per series) or bench.stock-overlay. */
export interface ProfileOverlay {
  /** the field, e.g. `qemu.dt-overlay["6.1"]` */
  field: string;
  body: string;
  /** the profile's line of the body's first line, when known (profile.ts overlayLines) */
  line?: number;
}

/** Every overlay body a profile carries, named by field; `lines` from overlayLines(). Pure. */
export function profileOverlays(p: Pick<Profile, 'qemu' | 'bench'>, lines: ReadonlyMap<string, number> = new Map()): ProfileOverlay[] {
  const out: ProfileOverlay[] = [];
  const add = (field: string, body: string): void => {
    const line = lines.get(field);
    out.push({ field, body, ...(line !== undefined ? { line } : {}) });
  };
  const q = p.qemu?.dtOverlay;
  if (typeof q === 'string') add('qemu.dt-overlay', q);
  else if (q !== undefined) for (const [s, body] of Object.entries(q)) add(`qemu.dt-overlay["${s}"]`, body);
  if (p.bench?.stockOverlay !== undefined) add('bench.stock-overlay', p.bench.stockOverlay);
  return out;
}

/**
 * What dtc said of a profile's overlay, as a configuration error message:
 * `<source>:<line>: <field>: dtc cannot compile it:` then dtc's lines with
 * the generated file's name and line numbers replaced by the profile's
 * lines (`<source>:<line>`, when o.line is known) or the overlay's own
 * (`line N of the overlay`). `text` is the whole generated source, `file`
 * its name in dtc's output. Pure.
 */
export function overlayComplaint(source: string, o: ProfileOverlay, text: string, file: string, dtcOutput: string): string {
  // overlayFile: the body starts two lines after /plugin/;
  const plugin = text.split('\n').indexOf('/plugin/;');
  const shift = plugin < 0 ? 0 : plugin + 2;
  const where = (n: number): string => (o.line !== undefined ? `${source}:${o.line + n - 1}:` : `line ${n} of the overlay:`);
  const at = new RegExp(`(?:Error: )?${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)(?:\\.\\d+(?:-\\d+(?:\\.\\d+)?)?)?:?`, 'g');
  const lines = tailLines(dtcOutput, 10).map((l) => `  ${l.replace(at, (_m, n: string) => where(Math.max(1, Number(n) - shift)))}`);
  return `${source}${o.line !== undefined ? `:${o.line}` : ''}: ${o.field}: dtc cannot compile it:\n${lines.join('\n')}`;
}

/**
 * The labels a compiled overlay refers to but does not define (its
 * /__fixups__ node): fdtoverlay resolves them against the base's
 * __symbols__, which Debian's DTBs do not have, so each one fails there.
 */
async function fixupLabels(dtbo: string, signal?: AbortSignal): Promise<string[]> {
  const r = await run('fdtget', ['-p', dtbo, '/__fixups__'], signal ? { signal } : {});
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** The complaint for labels an overlay uses without defining them. Pure. */
export function fixupComplaint(source: string, o: ProfileOverlay, labels: readonly string[]): string {
  const list = labels.map((l) => `&${l}`).join(', ');
  return `${source}${o.line !== undefined ? `:${o.line}` : ''}: ${o.field}: refers to ${list}, defined nowhere in it; Debian's DTBs carry no labels (__symbols__): target the base's nodes by path, &{/soc/...}`;
}

/**
 * Compile a profile's overlay with dtc (and look at its fixups with
 * fdtget). Resolves with null, or with the complaint: a syntax error, a
 * label used but not defined. Needs dtc and fdtget.
 */
export async function checkProfileOverlay(source: string, o: ProfileOverlay, signal?: AbortSignal): Promise<string | null> {
  const dir = await mkdtemp(path.join(tmpdir(), 'atemsys-dtc-'));
  try {
    const file = path.join(dir, 'overlay.dtso');
    const dtbo = path.join(dir, 'overlay.dtbo');
    const text = overlayFile([], o.body);
    await writeFile(file, text);
    const r = await run('dtc', [...DTC_ARGS, '-o', dtbo, file], signal ? { signal } : {});
    if (r.exitCode !== 0) return overlayComplaint(source, o, text, file, r.all);
    const labels = await fixupLabels(dtbo, signal);
    return labels.length > 0 ? fixupComplaint(source, o, labels) : null;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The DTB of a device-tree board's bench baseline boot (in the out dir): the base with QEMU's fixups, no atemsys node. */
export const STOCK_DTB = 'bench-stock.dtb';

export interface DtBuild {
  /** absolute path of the base DTB in the unpacked image */
  base: string;
  nodes: ResolvedNode[];
  /** absolute path of the DTB QEMU boots */
  bootDtb: string;
}

export interface DtBuildParams {
  spec: DtSpec;
  /** usr/lib/linux-image-<release>/ of the unpacked image */
  dtbDir: string;
  outDir: string;
  artifacts: DtArtifacts;
  /** qemu.dt-overlay body */
  qemuOverlay?: string;
  /**
   * also write this file: the base with the QEMU overlay (if any) and no
   * atemsys node, what `bench` boots for the kernel driver's baseline
   */
  stockDtb?: string;
  /** an overlay body applied to stockDtb only (bench.stock-overlay) */
  stockOverlay?: string;
  /** first lines of the generated sources */
  comment: string[];
  /** the profile, as errors name it (boards/<name>.yaml) */
  source: string;
  /** the profile's overlays with their lines (profileOverlays), for errors */
  overlays?: ProfileOverlay[];
  logFile: string;
  signal?: AbortSignal;
}

function fdtget(p: DtBuildParams, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return run('fdtget', args, { logFile: p.logFile, append: true, signal: p.signal });
}

/** Every node must exist in the base; node-path cells become the phandles the base gives those nodes. */
async function lookUp(base: string, p: DtBuildParams): Promise<Map<string, number>> {
  const rel = p.spec.base;
  for (const n of p.spec.nodes) {
    const r = await fdtget(p, ['-p', base, n.path]);
    if (r.exitCode !== 0) throw new FailureError(`dt: node ${n.path} is not in ${rel} (${(r.stderr || r.stdout).trim()})`);
  }
  const phandles = new Map<string, number>();
  for (const ref of referencedPaths(p.spec)) {
    const r = await fdtget(p, ['-t', 'u', base, ref, 'phandle']);
    const v = Number(r.stdout.trim());
    if (r.exitCode !== 0 || !Number.isInteger(v)) {
      throw new FailureError(`dt: ${ref} (a phy-reset gpios cell) ${r.exitCode === 0 ? 'has no usable phandle' : 'has no phandle or does not exist'} in ${rel}`);
    }
    phandles.set(ref, v);
  }
  return phandles;
}

/**
 * dtc then fdtoverlay. FailureError when either fails; ConfigError (exit 2)
 * when dtc refuses a profile's own overlay (`own`): the profile is wrong.
 */
async function compileAndApply(dtso: string, dtbo: string, input: string, output: string, p: DtBuildParams, own?: ProfileOverlay): Promise<void> {
  const log = { logFile: p.logFile, append: true, signal: p.signal, tail: 20 };
  if (own !== undefined) {
    // the profile's own field and line for it, when the caller knows them
    const o = p.overlays?.find((x) => x.body === own.body) ?? own;
    const r = await run('dtc', [...DTC_ARGS, '-o', dtbo, dtso], log);
    if (r.exitCode !== 0) throw new ConfigError(`${overlayComplaint(p.source, o, await readFile(dtso, 'utf8'), dtso, r.all)}\n(full log: ${p.logFile})`);
    const labels = await fixupLabels(dtbo, p.signal);
    if (labels.length > 0) throw new ConfigError(fixupComplaint(p.source, o, labels));
  } else {
    await runChecked(`dtc ${path.basename(dtso)}`, 'dtc', [...DTC_ARGS, '-o', dtbo, dtso], log);
  }
  await runChecked(`fdtoverlay ${path.basename(dtbo)}`, 'fdtoverlay', ['-i', input, '-o', output, dtbo], log);
}

/** fdtget every property the overlay set; all mismatches in one error. */
async function verify(dtb: string, nodes: readonly ResolvedNode[], p: DtBuildParams): Promise<void> {
  const problems: string[] = [];
  for (const n of nodes) {
    for (const c of propertyChecks(n)) {
      const got = await fdtget(p, ['-t', c.type, dtb, c.path, c.name]);
      const problem = checkProblem(c, got);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) {
    throw new FailureError(`dt: the patched ${path.basename(dtb)} is not what the overlay asked for (log: ${p.logFile}):\n${problems.join('\n')}`);
  }
}

export async function buildDeviceTree(p: DtBuildParams): Promise<DtBuild> {
  const base = path.join(p.dtbDir, p.spec.base);
  await stat(base).catch(() => {
    throw new FailureError(`dt: base ${p.spec.base} is not in the kernel image (${p.dtbDir})`);
  });
  const a = p.artifacts;
  const nodes = resolveNodes(p.spec, await lookUp(base, p));
  const out = (f: string): string => path.join(p.outDir, f);
  await writeFile(out(a.dtso), atemsysOverlay(nodes, p.comment));
  await compileAndApply(out(a.dtso), out(a.dtbo), base, out(a.dtb), p);
  await verify(out(a.dtb), nodes, p);
  let bootDtb = out(a.dtb);
  if (a.qemu && p.qemuOverlay !== undefined) {
    await writeFile(out(a.qemu.dtso), overlayFile([...p.comment, 'QEMU only (qemu.dt-overlay): what the emulated machine lacks.'], p.qemuOverlay));
    await compileAndApply(out(a.qemu.dtso), out(a.qemu.dtbo), out(a.dtb), out(a.qemu.dtb), p, { field: 'qemu.dt-overlay', body: p.qemuOverlay });
    await verify(out(a.qemu.dtb), nodes, p);
    bootDtb = out(a.qemu.dtb);
  }
  if (p.stockDtb !== undefined) {
    if (a.qemu && p.qemuOverlay !== undefined) await compileAndApply(out(a.qemu.dtso), out(a.qemu.dtbo), base, p.stockDtb, p);
    else await copyFile(base, p.stockDtb);
    if (p.stockOverlay !== undefined) {
      await writeFile(out('bench-stock.dtso'), overlayFile([...p.comment, 'The bench baseline boot only (bench.stock-overlay): what the kernel driver needs under QEMU.'], p.stockOverlay));
      await compileAndApply(out('bench-stock.dtso'), out('bench-stock.dtbo'), p.stockDtb, p.stockDtb, p, { field: 'bench.stock-overlay', body: p.stockOverlay });
    }
  }
  return { base, nodes, bootDtb };
}
