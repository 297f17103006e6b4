/**
 * The `dt` section of a board profile: which device-tree nodes (Ethernet MACs)
 * the generated overlay hands to atemsys, on which Debian DTB: the types the
 * overlay code takes. The section's schema is in schema.ts. Pure.
 */
import type { RawDt } from './schema.ts';

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

export { IDENT_MAX, RESERVED_PROPERTIES, isNodePath } from './schema.ts';

/** The dt section as the profile spells it (validated by schema.ts) in the shape the overlay code takes. Pure. */
export function toDtSpec(raw: RawDt): DtSpec {
  return {
    base: raw.base,
    nodes: raw.nodes.map((n) => {
      const node: DtNode = {
        path: n.path,
        ident: n.ident,
        instance: n.instance,
        properties: Object.entries(n.properties ?? {}).map(([name, value]) => ({ name, value })),
      };
      const r = n['phy-reset'];
      if (r) {
        const phyReset: PhyReset = { gpios: r.gpios };
        if (r.duration !== undefined) phyReset.duration = r.duration;
        if (r['post-delay'] !== undefined) phyReset.postDelay = r['post-delay'];
        if (r['active-high'] !== undefined) phyReset.activeHigh = r['active-high'];
        node.phyReset = phyReset;
      }
      return node;
    }),
  };
}
