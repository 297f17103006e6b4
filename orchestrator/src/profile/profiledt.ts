/**
 * The `dt` section of a board profile: which device-tree nodes (Ethernet MACs)
 * the generated overlay hands to atemsys, on which Debian DTB. Pure.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { Checker, describe, join, type Entries } from './yamlcheck.ts';

/** A cell of a phandle list: a number, or an absolute node path of the base DTB, replaced by that node's phandle. */
export type DtCell = number | string;
/** A property value: string, u32, list of u32 cells, or `true` for an empty (boolean) property. */
export type DtValue = string | number | number[] | true;

export interface PhyReset {
  /** raw cells of atemsys-phy-reset-gpios, e.g. ["/soc/gpio@30230000", 22, 1] */
  gpios: DtCell[];
  /** ms the reset is asserted (atemsys-phy-reset-duration) */
  duration?: number;
  /** ms to wait after releasing it (atemsys-phy-reset-post-delay) */
  postDelay?: number;
  /** atemsys-phy-reset-active-high */
  activeHigh?: boolean;
}

export interface DtProperty {
  name: string;
  value: DtValue;
}

export interface DtNode {
  /** absolute node path in the base DTB */
  path: string;
  /** atemsys-Ident, e.g. FslFec */
  ident: string;
  /** atemsys-Instance */
  instance: number;
  phyReset?: PhyReset;
  /** further properties, in profile order */
  properties: DtProperty[];
}

export interface DtSpec {
  /** DTB relative to the kernel image's usr/lib/linux-image-<release>/ */
  base: string;
  nodes: DtNode[];
}

/** The kernel's atemsys_mac_info ident is char[32]. */
export const IDENT_MAX = 31;

const DT_KEYS = ['base', 'nodes'];
const NODE_KEYS = ['path', 'ident', 'instance', 'phy-reset', 'properties'];
const PHY_RESET_KEYS = ['gpios', 'duration', 'post-delay', 'active-high'];

const BASE_RE = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._+,/-]+\.dtb$/;
const NODE_PATH_RE = /^(\/[A-Za-z0-9,._+-]+(@[A-Za-z0-9,._+-]+)?)+$/;
const IDENT_RE = /^[A-Za-z0-9_.-]+$/;
const PROP_NAME_RE = /^[A-Za-z0-9,._+?#-]{1,31}$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;

/** Properties the overlay sets from other fields. */
export const RESERVED_PROPERTIES = ['compatible', 'atemsys-Ident', 'atemsys-Instance', 'atemsys-phy-reset-gpios', 'atemsys-phy-reset-duration', 'atemsys-phy-reset-post-delay', 'atemsys-phy-reset-active-high'];

export function isNodePath(s: string): boolean {
  return NODE_PATH_RE.test(s);
}

function cells(c: Checker, v: Node | null, at: Node, fp: string, allowPaths: boolean): DtCell[] | undefined {
  if (!isSeq(v) || v.items.length === 0) {
    c.add(v ?? at, fp, `expected a non-empty list of cells, got ${describe(v)}`);
    return undefined;
  }
  const out: DtCell[] = [];
  let ok = true;
  v.items.forEach((item, i) => {
    const n = item as Node | null;
    const ip = `${fp}[${i}]`;
    if (allowPaths && isScalar(n) && typeof n.value === 'string') {
      if (!isNodePath(n.value)) {
        c.add(n, ip, `expected a u32 or the absolute path of a node (its phandle), got ${describe(n)}`);
        ok = false;
      } else out.push(n.value);
      return;
    }
    const num = c.intValue(n, v, ip);
    if (num === undefined) ok = false;
    else out.push(num);
  });
  return ok ? out : undefined;
}

function phyReset(c: Checker, e: Entries, p: string): PhyReset | undefined {
  const entry = e.get('phy-reset');
  if (!entry) return undefined;
  const fp = join(p, 'phy-reset');
  const m = entry.value;
  if (!isMap(m)) {
    c.add(m ?? entry.key, fp, `expected a mapping with gpios, duration, post-delay, active-high, got ${describe(m)}`);
    return undefined;
  }
  const pe = c.checkKeys(m, fp, PHY_RESET_KEYS);
  const g = pe.get('gpios');
  let gpios: DtCell[] | undefined;
  if (!g) c.add(m, join(fp, 'gpios'), 'required field is missing');
  else gpios = cells(c, g.value, g.key, join(fp, 'gpios'), true);
  const duration = c.int(pe, m, fp, 'duration');
  const postDelay = c.int(pe, m, fp, 'post-delay');
  const activeHigh = c.bool(pe, fp, 'active-high');
  if (!gpios) return undefined;
  const r: PhyReset = { gpios };
  if (duration !== undefined) r.duration = duration;
  if (postDelay !== undefined) r.postDelay = postDelay;
  if (activeHigh !== undefined) r.activeHigh = activeHigh;
  return r;
}

function propValue(c: Checker, v: Node | null, at: Node, fp: string): DtValue | undefined {
  if (isSeq(v)) {
    const cs = cells(c, v, at, fp, false);
    return cs === undefined ? undefined : cs.map(Number);
  }
  if (isScalar(v) && typeof v.value === 'boolean') {
    if (v.value) return true;
    c.add(v, fp, 'an overlay cannot delete a property: leave it out, or give a value');
    return undefined;
  }
  if (isScalar(v) && typeof v.value === 'string') {
    if (!PRINTABLE_RE.test(v.value)) {
      c.add(v, fp, `expected printable ASCII, got ${describe(v)}`);
      return undefined;
    }
    return v.value;
  }
  if (isScalar(v) && typeof v.value === 'number') return c.intValue(v, at, fp);
  c.add(v ?? at, fp, `expected a string, a u32, a list of u32 or true, got ${describe(v)}`);
  return undefined;
}

function properties(c: Checker, e: Entries, p: string): DtProperty[] | undefined {
  const entry = e.get('properties');
  if (!entry) return [];
  const fp = join(p, 'properties');
  const m = entry.value;
  if (!isMap(m)) {
    c.add(m ?? entry.key, fp, `expected a mapping of property names to values, got ${describe(m)}`);
    return undefined;
  }
  const out: DtProperty[] = [];
  let ok = true;
  for (const [name, { key, value }] of c.entries(m, fp)) {
    const pp = join(fp, name);
    if (!PROP_NAME_RE.test(name)) {
      c.add(key, pp, 'expected a device-tree property name (1-31 of A-Z a-z 0-9 , . _ + ? # -)');
      ok = false;
      continue;
    }
    if (RESERVED_PROPERTIES.includes(name)) {
      c.add(key, pp, `set by ${name.startsWith('atemsys-phy-reset') ? 'phy-reset' : 'ident/instance'}, not here`);
      ok = false;
      continue;
    }
    const v = propValue(c, value, key, pp);
    if (v === undefined) ok = false;
    else out.push({ name, value: v });
  }
  return ok ? out : undefined;
}

function dtNode(c: Checker, n: Node | null, at: Node, p: string): DtNode | undefined {
  if (!isMap(n)) {
    c.add(n ?? at, p, `expected a mapping with path, ident and instance, got ${describe(n)}`);
    return undefined;
  }
  const e = c.checkKeys(n, p, NODE_KEYS);
  const path = c.str(e, n, p, 'path', { required: true, pattern: NODE_PATH_RE, hint: 'an absolute node path like "/soc/bus@2100000/ethernet@2188000"' });
  const ident = c.str(e, n, p, 'ident', { required: true, maxLength: IDENT_MAX, pattern: IDENT_RE, hint: 'an identifier like "FslFec"' });
  const instance = c.int(e, n, p, 'instance', { required: true });
  const reset = phyReset(c, e, p);
  const props = properties(c, e, p);
  const hadReset = e.has('phy-reset');
  if (path === undefined || ident === undefined || instance === undefined || props === undefined || (hadReset && reset === undefined)) return undefined;
  const node: DtNode = { path, ident, instance, properties: props };
  if (reset) node.phyReset = reset;
  return node;
}

/** Parse `dt:`; undefined when absent or invalid (issues are in the checker). */
export function parseDt(c: Checker, top: Entries): DtSpec | undefined {
  const entry = top.get('dt');
  if (!entry) return undefined;
  const m = entry.value;
  if (!isMap(m)) {
    c.add(m ?? entry.key, 'dt', `expected a mapping with base and nodes, got ${describe(m)}`);
    return undefined;
  }
  const e = c.checkKeys(m, 'dt', DT_KEYS);
  const base = c.str(e, m, 'dt', 'base', {
    required: true,
    pattern: BASE_RE,
    hint: 'a .dtb path relative to usr/lib/linux-image-<release>/, like "freescale/imx8mp-evk.dtb"',
  });
  const ne = e.get('nodes');
  const nodes: DtNode[] = [];
  let ok = true;
  if (!ne) {
    c.add(m, 'dt.nodes', 'required field is missing');
    ok = false;
  } else if (!isSeq(ne.value) || ne.value.items.length === 0) {
    c.add(ne.value ?? ne.key, 'dt.nodes', `expected a non-empty list of nodes, got ${describe(ne.value)}`);
    ok = false;
  } else {
    const seq = ne.value;
    const paths = new Map<string, number>();
    const ids = new Map<string, number>();
    seq.items.forEach((item, i) => {
      const np = `dt.nodes[${i}]`;
      const node = dtNode(c, item as Node | null, seq, np);
      if (!node) {
        ok = false;
        return;
      }
      const at = item as Node;
      const pi = paths.get(node.path);
      if (pi !== undefined) c.add(at, np, `node ${node.path} is already dt.nodes[${pi}]`);
      const key = `${node.ident}/${node.instance}`;
      const ii = ids.get(key);
      if (ii !== undefined) c.add(at, np, `${node.ident} instance ${node.instance} is already dt.nodes[${ii}]`);
      paths.set(node.path, i);
      ids.set(key, i);
      nodes.push(node);
    });
  }
  if (base === undefined || !ok) return undefined;
  return { base, nodes };
}
