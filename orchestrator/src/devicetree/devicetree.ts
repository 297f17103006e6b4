/**
 * Building a DT board's device tree: look the nodes up in the Debian base
 * DTB, write the atemsys overlay, compile it (dtc), apply it (fdtoverlay) and
 * check the result (fdtget). Optionally a QEMU-only overlay on top.
 */
import { copyFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FailureError } from '../core/errors.ts';
import { run, runChecked } from '../core/exec.ts';
import { atemsysOverlay, checkProblem, overlayFile, propertyChecks, referencedPaths, resolveNodes, type DtArtifacts, type ResolvedNode } from './overlay.ts';
import type { DtSpec } from '../profile/profiledt.ts';

export const DT_TOOLS = ['dtc', 'fdtoverlay', 'fdtget'] as const;

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

async function compileAndApply(dtso: string, dtbo: string, input: string, output: string, p: DtBuildParams): Promise<void> {
  const log = { logFile: p.logFile, append: true, signal: p.signal, tail: 20 };
  // raw phandle numbers in gpios cells are intended: no "not a phandle reference" warning
  await runChecked(`dtc ${path.basename(dtso)}`, 'dtc', ['-@', '-W', 'no-gpios_property', '-I', 'dts', '-O', 'dtb', '-o', dtbo, dtso], log);
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
    await compileAndApply(out(a.qemu.dtso), out(a.qemu.dtbo), out(a.dtb), out(a.qemu.dtb), p);
    await verify(out(a.qemu.dtb), nodes, p);
    bootDtb = out(a.qemu.dtb);
  }
  if (p.stockDtb !== undefined) {
    if (a.qemu && p.qemuOverlay !== undefined) await compileAndApply(out(a.qemu.dtso), out(a.qemu.dtbo), base, p.stockDtb, p);
    else await copyFile(base, p.stockDtb);
    if (p.stockOverlay !== undefined) {
      await writeFile(out('bench-stock.dtso'), overlayFile([...p.comment, 'The bench baseline boot only (bench.stock-overlay): what the kernel driver needs under QEMU.'], p.stockOverlay));
      await compileAndApply(out('bench-stock.dtso'), out('bench-stock.dtbo'), p.stockDtb, p.stockDtb, p);
    }
  }
  return { base, nodes, bootDtb };
}
