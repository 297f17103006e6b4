/**
 * The guest's network backends (`qemu.netdevs` of a board profile): QEMU
 * `-netdev` option strings, checked so that no frame can leave the guest.
 * Only the backend types in NETDEV_TYPES are accepted; each type lists the
 * options it may have and checks their values. Pure.
 */

/** One parsed `-netdev` option string: `hubport,id=ll0,hubid=0` → type hubport, options id and hubid. */
export interface QemuOpts {
  type: string;
  /** option → value, in the order given */
  options: Map<string, string>;
}

/** What a backend type may carry. */
interface NetdevRule {
  /** options that must be given (besides id) */
  required: readonly string[];
  /** options that may be given (besides id) */
  optional: readonly string[];
  /** value checks: option → problem, or undefined when the value is fine */
  check?: (options: ReadonlyMap<string, string>) => string | undefined;
}

const UINT_RE = /^\d+$/;

/**
 * The accepted backend types. `hubport` joins NICs of the same guest through
 * a QEMU hub and nothing else. `dgram` takes no options: smoke gives it two
 * UDP ports on 127.0.0.1, QEMU's and the one the host's slave simulator
 * answers on (guest/hostsim.ts), so it too reaches nothing but this machine.
 */
export const NETDEV_TYPES: Readonly<Record<string, NetdevRule>> = {
  hubport: {
    required: ['hubid'],
    optional: [],
    check: (o) => (UINT_RE.test(o.get('hubid') ?? '') ? undefined : `hubid must be a number, got ${JSON.stringify(o.get('hubid'))}`),
  },
  dgram: {
    required: [],
    optional: [],
  },
};

/** A netdev id: what `-device …,netdev=<id>` and `qemu.pcap` refer to. */
export const NETDEV_ID_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Split a QEMU option string (`type,key=value,…`; `,,` is a literal comma).
 * Throws Error with the reason when it is not `type` followed by key=value pairs.
 */
export function parseQemuOpts(s: string): QemuOpts {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === ',') {
      if (s[i + 1] === ',') {
        cur += ',';
        i++;
        continue;
      }
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  const [type, ...rest] = parts;
  if (type === undefined || type === '' || type.includes('=')) throw new Error('expected the backend type first, e.g. "hubport,id=ll0,hubid=0"');
  const options = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`expected key=value, got ${JSON.stringify(p)}`);
    const k = p.slice(0, eq);
    if (options.has(k)) throw new Error(`option ${k} given twice`);
    options.set(k, p.slice(eq + 1));
  }
  return { type, options };
}

/** A checked netdev: its id, or the problem (one sentence saying what to change). */
export type NetdevCheck = { ok: true; id: string; type: string } | { ok: false; problem: string };

/** Check one `qemu.netdevs` entry against NETDEV_TYPES. Pure. */
export function checkNetdev(s: string): NetdevCheck {
  let o: QemuOpts;
  try {
    o = parseQemuOpts(s);
  } catch (err) {
    return { ok: false, problem: `${err instanceof Error ? err.message : String(err)} in ${JSON.stringify(s)}` };
  }
  const allowedTypes = Object.keys(NETDEV_TYPES);
  const rule = NETDEV_TYPES[o.type];
  if (rule === undefined) {
    return {
      ok: false,
      problem: `backend type ${JSON.stringify(o.type)} is not allowed (allowed: ${allowedTypes.join(', ')}): frames must never leave the guest, e.g. "hubport,id=ll0,hubid=0"`,
    };
  }
  const id = o.options.get('id');
  if (id === undefined) return { ok: false, problem: `${JSON.stringify(s)} has no id=: add one, e.g. id=ll0` };
  if (!NETDEV_ID_RE.test(id)) return { ok: false, problem: `id ${JSON.stringify(id)} must be a letter followed by letters, digits, _ or -` };
  for (const r of rule.required) {
    if (!o.options.has(r)) return { ok: false, problem: `${o.type} needs ${r}=, e.g. "hubport,id=${id},hubid=0"` };
  }
  const known = new Set(['id', ...rule.required, ...rule.optional]);
  for (const k of o.options.keys()) {
    if (!known.has(k))
      return {
        ok: false,
        problem: `option ${k}= is not allowed for ${o.type} (allowed: ${[...known].join(', ')})${o.type === 'dgram' ? ': smoke binds it to two free UDP ports on 127.0.0.1 itself' : ''}`,
      };
  }
  const bad = rule.check?.(o.options);
  if (bad !== undefined) return { ok: false, problem: bad };
  return { ok: true, id, type: o.type };
}

/** Options of `qemu.args` that would add networking or objects behind the profile's back. */
const NETWORK_ARG_RE = /^--?(netdev|nic|net|object)(=|\s|$)/;

/**
 * Why a raw `qemu.args` entry is refused, undefined when it is allowed:
 * `-netdev`, `-nic`, `-net` and `-object` belong in qemu.netdevs and qemu.pcap,
 * and an option with its value in one entry ("-m 512") is one argument QEMU
 * does not know: each list item is one argument.
 */
export function forbiddenQemuArg(arg: string): string | undefined {
  const m = NETWORK_ARG_RE.exec(arg);
  if (m)
    return `-${m[1] ?? ''} is not allowed in qemu.args: network backends go in qemu.netdevs (hubport, or dgram to the host's simulator on 127.0.0.1), a SoC's own NICs in qemu.nics, packet captures in qemu.pcap`;
  const opt = /^(-\S+)\s+(\S.*)$/.exec(arg);
  if (opt) return `one argument per list item: write ${JSON.stringify(opt[1])}, ${JSON.stringify(opt[2])} as two items`;
  return undefined;
}

/** The netdev a `-device` string is attached to (`e1000e,netdev=ll0,addr=4` → ll0), undefined when none. */
export function deviceNetdev(device: string): string | undefined {
  try {
    return parseQemuOpts(device).options.get('netdev');
  } catch {
    return undefined;
  }
}
