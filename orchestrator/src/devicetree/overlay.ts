/**
 * The device-tree overlay source (.dtso) that hands MAC nodes to atemsys,
 * and the checks of the patched DTB. Debian's DTBs carry no __symbols__, so
 * every fragment targets its node by path (`&{/path}` → target-path). Pure.
 */
import path from 'node:path';
import type { DtCell, DtNode, DtSpec, DtValue } from '../profile/profiledt.ts';

export const ATEMSYS_COMPATIBLE = 'atemsys';

/** A node whose phandle cells are all numbers (paths resolved against the base DTB). */
export interface ResolvedNode extends Omit<DtNode, 'phyReset'> {
  phyReset?: Omit<NonNullable<DtNode['phyReset']>, 'gpios'> & { gpios: number[] };
}

/** DTS string literal. */
export function dtsString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function cell(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cell out of range: ${n}`);
  return n > 0xffff ? `0x${n.toString(16)}` : String(n);
}

/** `<1 2 0x30be0000>` */
export function dtsCells(ns: readonly number[]): string {
  return `<${ns.map(cell).join(' ')}>`;
}

/** `name = value;` or `name;` for an empty property. */
export function dtsProperty(name: string, value: DtValue): string {
  if (value === true) return `${name};`;
  if (typeof value === 'string') return `${name} = ${dtsString(value)};`;
  return `${name} = ${dtsCells(typeof value === 'number' ? [value] : value)};`;
}

/** The properties one node gets, in order: compatible, Ident, Instance, PHY reset, extras. */
export function nodeProperties(n: ResolvedNode): { name: string; value: DtValue }[] {
  const props: { name: string; value: DtValue }[] = [
    { name: 'compatible', value: ATEMSYS_COMPATIBLE },
    { name: 'atemsys-Ident', value: n.ident },
    { name: 'atemsys-Instance', value: n.instance },
  ];
  const r = n.phyReset;
  if (r) {
    // atemsys's own names (PHY_RESET), not the native driver's phy-reset-gpios
    props.push({ name: 'atemsys-phy-reset-gpios', value: r.gpios });
    if (r.duration !== undefined) props.push({ name: 'atemsys-phy-reset-duration', value: r.duration });
    if (r.postDelay !== undefined) props.push({ name: 'atemsys-phy-reset-post-delay', value: r.postDelay });
    if (r.activeHigh === true) props.push({ name: 'atemsys-phy-reset-active-high', value: true });
  }
  return [...props, ...n.properties];
}

/** Header, an optional comment and fragment bodies. */
export function overlayFile(comment: readonly string[], body: string): string {
  return ['// SPDX-License-Identifier: GPL-2.0', ...comment.map((l) => `// ${l}`), '/dts-v1/;', '/plugin/;', '', body.replace(/\s+$/, ''), ''].join('\n');
}

/** The atemsys overlay: one `&{/path}` fragment per node. */
export function atemsysOverlay(nodes: readonly ResolvedNode[], comment: readonly string[] = []): string {
  const body = nodes.map((n) => [`&{${n.path}} {`, ...nodeProperties(n).map((p) => `\t${dtsProperty(p.name, p.value)}`), '};'].join('\n')).join('\n\n');
  return overlayFile(comment, body);
}

/** Replace node-path cells by the phandle `phandleOf` gives for them. */
export function resolveCells(cells: readonly DtCell[], phandleOf: (nodePath: string) => number): number[] {
  return cells.map((c) => (typeof c === 'number' ? c : phandleOf(c)));
}

/** Node paths that phandle cells refer to (to look up in the base DTB). */
export function referencedPaths(spec: DtSpec): string[] {
  const out = new Set<string>();
  for (const n of spec.nodes) for (const c of n.phyReset?.gpios ?? []) if (typeof c === 'string') out.add(c);
  return [...out];
}

export function resolveNodes(spec: DtSpec, phandles: ReadonlyMap<string, number>): ResolvedNode[] {
  return spec.nodes.map((n) => {
    const { phyReset, ...rest } = n;
    if (!phyReset) return rest;
    const gpios = resolveCells(phyReset.gpios, (p) => {
      const ph = phandles.get(p);
      if (ph === undefined) throw new Error(`no phandle for ${p}`);
      return ph;
    });
    return { ...rest, phyReset: { ...phyReset, gpios } };
  });
}

/** What `fdtget -t <type>` must print for each property of the patched node. */
export interface PropertyCheck {
  path: string;
  name: string;
  /** s: string, u: cells as unsigned decimals, x: present (empty property, printed as nothing) */
  type: 's' | 'u' | 'x';
  expect: string;
}

export function propertyChecks(n: ResolvedNode): PropertyCheck[] {
  return nodeProperties(n).map((p): PropertyCheck => {
    const v = p.value;
    if (v === true) return { path: n.path, name: p.name, type: 'x', expect: '' };
    if (typeof v === 'string') return { path: n.path, name: p.name, type: 's', expect: v };
    return { path: n.path, name: p.name, type: 'u', expect: (typeof v === 'number' ? [v] : v).map(String).join(' ') };
  });
}

/** null when fdtget's output matches, else what is wrong. */
export function checkProblem(c: PropertyCheck, got: { exitCode: number; stdout: string; stderr: string }): string | null {
  if (got.exitCode !== 0) return `${c.path}: ${c.name} is missing (${(got.stderr || got.stdout).trim() || `fdtget exit ${got.exitCode}`})`;
  const value = got.stdout.replace(/\n$/, '');
  if (value !== c.expect) return `${c.path}: ${c.name} is ${JSON.stringify(value)}, expected ${JSON.stringify(c.expect)}`;
  return null;
}

/** File names in out/<board>/<release>/ for a DT board. */
export interface DtArtifacts {
  dtso: string;
  dtbo: string;
  /** the base with the overlay applied: what a real board boots */
  dtb: string;
  /** QEMU only: the patched DTB plus qemu.dt-overlay */
  qemu?: { dtso: string; dtbo: string; dtb: string };
}

export function dtArtifacts(spec: DtSpec, qemuOverlay: boolean): DtArtifacts {
  const stem = path.posix.basename(spec.base, '.dtb');
  const a: DtArtifacts = { dtso: 'atemsys.dtso', dtbo: 'atemsys.dtbo', dtb: `${stem}-atemsys.dtb` };
  if (qemuOverlay) a.qemu = { dtso: 'qemu-fixups.dtso', dtbo: 'qemu-fixups.dtbo', dtb: `${stem}-atemsys-qemu.dtb` };
  return a;
}

export function dtArtifactNames(a: DtArtifacts | undefined): string[] {
  if (!a) return [];
  return [a.dtso, a.dtbo, a.dtb, ...(a.qemu ? [a.qemu.dtso, a.qemu.dtbo, a.qemu.dtb] : [])];
}

/** The DTB QEMU boots. */
export function bootDtb(a: DtArtifacts): string {
  return a.qemu?.dtb ?? a.dtb;
}
